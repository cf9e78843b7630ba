import { setModeFix } from '../edits.js';
import type { Finding, Rule } from '../types.js';

export const rule: Rule = {
  name: 'session/csrf-flow-scope',
  defaultSeverity: 'warning',
  docs: {
    summary: 'A CSRF-protected receiver with sessions shared across exchanges.',
    why: 'With onIntegrationFlow every exchange shares one CSRF session: token fetches and re-fetches after a 403 of one exchange collide with the writes of the others. One session per exchange keeps each token with its writes.',
    example: 'runtime:\n  sessionHandling: onIntegrationFlow\nreceivers:\n  gw:\n    adapter: odata\n    csrf: true',
    fix: 'Set the mode to `onExchange` (quick fix).',
  },
  check(ctx) {
    if (ctx.mode !== 'onIntegrationFlow') return [];
    const out: Finding[] = [];
    for (const { receiver, sessionCapable } of ctx.receivers) {
      if (!sessionCapable || receiver.csrf?.value !== true) continue;
      out.push({
        range: receiver.csrf.range,
        message: `receiver "${receiver.name}" is CSRF-protected and sessionHandling is onIntegrationFlow: the CSRF session collides with other exchanges' sessions (token fetches and 403 re-fetches interfere); use one session per exchange (onExchange)`,
        data: { receiver: receiver.name },
      });
    }
    return out;
  },
  fixes(_doc, _d, ctx) {
    return setModeFix(ctx, 'onExchange');
  },
};
