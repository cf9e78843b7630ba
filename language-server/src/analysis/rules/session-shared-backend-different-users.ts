import { authIdentity, describeAuth, insertEntries } from '../helpers.js';
import type { Finding, ReceiverInfo, Rule } from '../types.js';

export const rule: Rule = {
  name: 'session/shared-backend-different-users',
  defaultSeverity: 'warning',
  docs: {
    summary: 'Two session-capable receivers reach the same backend with different users.',
    why: 'Sessions are kept per origin (scheme, host, port): whichever receiver authenticates first opens the session, and the other receiver\'s calls then run in it — as the wrong user, with the wrong authorizations.',
    example: 'runtime:\n  sessionHandling: onExchange\nreceivers:\n  hr-read:    { adapter: http, address: https://hr.example.com/a, auth: { type: basic, credential: reader } }\n  hr-approve: { adapter: http, address: https://hr.example.com/b, auth: { type: basic, credential: approver } }',
    fix: 'Opt one receiver out with `session: none` (quick fix), use one user for both, or set the mode to `none`.',
  },
  check(ctx) {
    if (!ctx.mode || ctx.mode === 'none') return [];
    const out: Finding[] = [];
    const seen: ReceiverInfo[] = [];
    for (const info of ctx.receivers) {
      if (!info.sessionCapable || !info.origin) continue;
      const other = seen.find((s) => s.origin === info.origin && authIdentity(s.receiver) !== authIdentity(info.receiver));
      seen.push(info);
      if (!other) continue;
      const r = info.receiver;
      out.push({
        range: r.auth?.range ?? r.keyRange ?? r.range,
        message: `receivers "${other.receiver.name}" (${describeAuth(other.receiver)}) and "${r.name}" (${describeAuth(r)}) reach the same origin ${info.origin} with sessionHandling ${ctx.mode}: the session of whichever authenticates first is used by both, so calls run as the wrong user`,
        data: { receiver: r.name, other: other.receiver.name },
      });
    }
    return out;
  },
  fixes(doc, d) {
    const out = [];
    for (const name of [d.data?.receiver, d.data?.other]) {
      if (typeof name !== 'string') continue;
      const e = insertEntries(doc, ['receivers', name], [['session', 'none']]);
      if (e) out.push({ title: `Opt receiver "${name}" out of session handling (session: none)`, edits: [e], isPreferred: name === d.data?.receiver });
    }
    return out;
  },
};
