import { setModeFix } from '../edits.js';
import { removeEntry } from '../helpers.js';
import type { Finding, Rule } from '../types.js';

export const rule: Rule = {
  name: 'session/required-by-adapter',
  defaultSeverity: 'error',
  docs: {
    summary: 'Session handling is off but an adapter variant requires session reuse.',
    why: 'SuccessFactors SOAP opens its session with the login call and SuccessFactors OData V2 pages on the server side; without a session every later call is unauthenticated or loses its page position.',
    example: 'runtime:\n  sessionHandling: none\nreceivers:\n  sf:\n    adapter: successfactors\n    variant: soap',
    fix: 'Set the mode to `onExchange` (quick fix), and do not opt that receiver out with `session: none`.',
  },
  check(ctx) {
    const out: Finding[] = [];
    for (const { receiver, definition, variant, optedOut } of ctx.receivers) {
      if (!definition || !variant || variant.sessionReuse !== 'required') continue;
      const label = `adapter "${definition.id}"${definition.variants.length > 1 ? ` variant "${variant.id}"` : ''}`;
      if (optedOut && receiver.session) {
        out.push({
          range: receiver.session.range,
          message: `receiver "${receiver.name}": ${label} requires session reuse (its calls only work inside one session), but the receiver opts out with session: none; remove the opt-out`,
          data: { receiver: receiver.name, optOut: true },
        });
      } else if (ctx.mode === 'none') {
        out.push({
          range: (receiver.variant ?? receiver.adapter)?.range ?? receiver.keyRange ?? receiver.range,
          message: `receiver "${receiver.name}": ${label} requires session reuse (its calls only work inside one session), but sessionHandling is none${ctx.doc.isLegacy ? ' (legacy flow)' : ''}; set it to onExchange`,
          data: { receiver: receiver.name },
        });
      }
    }
    return out;
  },
  fixes(doc, d, ctx) {
    if (d.data?.optOut === true && typeof d.data.receiver === 'string') {
      const e = removeEntry(doc, ['receivers', d.data.receiver], 'session');
      return e ? [{ title: 'Remove session: none', edits: [e], isPreferred: true }] : [];
    }
    return setModeFix(ctx, 'onExchange');
  },
};
