import { setModeFix } from '../edits.js';
import { removeEntry } from '../helpers.js';
import type { Finding, QuickFix, Rule } from '../types.js';

export const rule: Rule = {
  name: 'session/logoff-flow-scope',
  defaultSeverity: 'warning',
  docs: {
    summary: 'A receiver logs off while sessions are shared across exchanges.',
    why: 'Logoff ends the backend session at the end of an exchange. With onIntegrationFlow that session is shared by concurrent exchanges, which then lose it in the middle of their calls.',
    example: 'runtime:\n  sessionHandling: onIntegrationFlow\nreceivers:\n  erp:\n    adapter: http\n    logoff: { method: POST, path: /logout }',
    fix: 'Remove `logoff` (quick fix) or set the mode to `onExchange`.',
  },
  check(ctx) {
    if (ctx.mode !== 'onIntegrationFlow') return [];
    const out: Finding[] = [];
    for (const { receiver, sessionCapable } of ctx.receivers) {
      if (!sessionCapable || !receiver.logoff) continue;
      out.push({
        range: receiver.logoff.keyRange ?? receiver.logoff.range,
        message: `receiver "${receiver.name}" logs off at the end of each exchange, but sessionHandling is onIntegrationFlow: logging off the shared session breaks the exchanges running concurrently in it`,
        data: { receiver: receiver.name },
      });
    }
    return out;
  },
  fixes(doc, d, ctx) {
    const fixes: QuickFix[] = [];
    const name = d.data?.receiver;
    if (typeof name === 'string') {
      const e = removeEntry(doc, ['receivers', name], 'logoff');
      if (e) fixes.push({ title: 'Remove logoff', edits: [e], isPreferred: true });
    }
    fixes.push(...setModeFix(ctx, 'onExchange', false));
    return fixes;
  },
};
