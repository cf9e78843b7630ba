import { setModeFix } from '../edits.js';
import { callsReceiver, countPerExchangeTree, removeEntry } from '../helpers.js';
import type { Finding, Rule } from '../types.js';

export const rule: Rule = {
  name: 'session/stateful-without-session',
  defaultSeverity: 'warning',
  docs: {
    summary: 'A stateful backend called several times per exchange without a session.',
    why: 'Without a session every call opens a new server session, so the state the backend keeps between calls (the next page, an open document) is lost after each call.',
    example: 'runtime:\n  sessionHandling: none\nreceivers:\n  blocks: { adapter: http, address: https://erp.example.com/blocks, stateful: true }\nsteps:\n  - loop: { while: "${property.more} == \'true\'", max: 10, steps: [ { call: blocks } ] }',
    fix: 'Set the mode to `onExchange` (quick fix), or remove the receiver\'s `session: none`.',
  },
  check(ctx) {
    const out: Finding[] = [];
    for (const { receiver, variant, optedOut } of ctx.receivers) {
      if (receiver.stateful?.value !== true || !variant || variant.sessionReuse === 'unsupported') continue;
      if (!(ctx.mode === 'none' || optedOut)) continue;
      const n = countPerExchangeTree(ctx.index, ctx.index.main, (s) => callsReceiver(s, receiver.name));
      if (n < 2) continue;
      const why = optedOut ? 'it opts out of session handling (session: none)' : `sessionHandling is none${ctx.doc.isLegacy ? ' (legacy flow)' : ''}`;
      out.push({
        range: receiver.stateful.range,
        message: `receiver "${receiver.name}" is stateful and called more than once per exchange, but ${why}: each call opens a new server session, so the state kept between calls is lost`,
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
