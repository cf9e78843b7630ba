import { setModeFix } from '../edits.js';
import { removeEntry } from '../helpers.js';
import type { Finding, Rule } from '../types.js';

export const rule: Rule = {
  name: 'session/csrf-without-session',
  defaultSeverity: 'error',
  docs: {
    summary: 'A CSRF-protected receiver without a session.',
    why: 'A CSRF token is bound to the server session it was fetched in. Without a session the token is fetched in one session and used in another, so every modifying call fails with 403.',
    example: 'runtime:\n  sessionHandling: none\nreceivers:\n  gw:\n    adapter: odata\n    csrf: true',
    fix: 'Set the mode to `onExchange` (quick fix), or remove the receiver\'s `session: none`.',
  },
  check(ctx) {
    const out: Finding[] = [];
    for (const { receiver, variant, optedOut } of ctx.receivers) {
      if (receiver.csrf?.value !== true) continue;
      if (variant && variant.sessionReuse === 'unsupported') continue;
      if (!(ctx.mode === 'none' || optedOut)) continue;
      const why = optedOut ? 'the receiver opts out of session handling (session: none)' : `sessionHandling is none${ctx.doc.isLegacy ? ' (legacy flow)' : ''}`;
      out.push({
        range: receiver.csrf.range,
        message: `receiver "${receiver.name}" is CSRF-protected but ${why}: the token is fetched in one session and used in another, so writes fail with 403`,
        data: { receiver: receiver.name, optOut: optedOut },
      });
    }
    return out;
  },
  fixes(doc, d, ctx) {
    if (d.data?.optOut === true && typeof d.data.receiver === 'string') {
      const e = removeEntry(doc, ['receivers', d.data.receiver], 'session');
      const fixes = e ? [{ title: 'Remove session: none', edits: [e], isPreferred: true }] : [];
      return ctx.mode === 'none' ? [...fixes, ...setModeFix(ctx, 'onExchange', false)] : fixes;
    }
    return setModeFix(ctx, 'onExchange');
  },
};
