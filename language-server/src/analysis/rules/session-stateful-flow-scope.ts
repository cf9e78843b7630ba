import { setModeFix } from '../edits.js';
import type { Finding, Rule } from '../types.js';

export const rule: Rule = {
  name: 'session/stateful-flow-scope',
  defaultSeverity: 'warning',
  docs: {
    summary: 'A stateful backend with sessions shared across exchanges.',
    why: 'A stateful backend keeps per-session state (cursors, open documents, locks). With onIntegrationFlow parallel exchanges share one server session and mix their state.',
    example: 'runtime:\n  sessionHandling: onIntegrationFlow\nreceivers:\n  legacy:\n    adapter: soap\n    stateful: true',
    fix: 'Set the mode to `onExchange` (quick fix): one session per message.',
  },
  check(ctx) {
    if (ctx.mode !== 'onIntegrationFlow') return [];
    const out: Finding[] = [];
    for (const { receiver, sessionCapable } of ctx.receivers) {
      if (!sessionCapable || receiver.stateful?.value !== true) continue;
      out.push({
        range: receiver.stateful.range,
        message: `receiver "${receiver.name}" is stateful but sessionHandling is onIntegrationFlow: parallel exchanges share one server session and mix their state; use onExchange`,
        data: { receiver: receiver.name },
      });
    }
    return out;
  },
  fixes(_doc, _d, ctx) {
    return setModeFix(ctx, 'onExchange');
  },
};
