import { setModeFix } from '../edits.js';
import { authType } from '../helpers.js';
import type { Finding, Rule } from '../types.js';

export const rule: Rule = {
  name: 'session/principal-propagation-flow-scope',
  defaultSeverity: 'warning',
  docs: {
    summary: 'Principal propagation with sessions shared across exchanges.',
    why: 'Principal propagation forwards the user of each message. A flow-wide session keeps the user who opened it, so later exchanges of other users run as the first user.',
    example: 'runtime:\n  sessionHandling: onIntegrationFlow\nreceivers:\n  erp:\n    adapter: http\n    auth: { type: principal-propagation }\n    proxy: { type: onPremise, virtualHost: erp.internal:443 }',
    fix: 'Set the mode to `onExchange` (quick fix).',
  },
  check(ctx) {
    if (ctx.mode !== 'onIntegrationFlow') return [];
    const out: Finding[] = [];
    for (const { receiver, sessionCapable } of ctx.receivers) {
      if (!sessionCapable || !receiver.auth?.type || authType(receiver) !== 'principal-propagation') continue;
      out.push({
        range: receiver.auth.type.range,
        message: `receiver "${receiver.name}" uses principal propagation with sessionHandling onIntegrationFlow: the session keeps the user who opened it, so later exchanges of other users would run as that first user`,
        data: { receiver: receiver.name },
      });
    }
    return out;
  },
  fixes(_doc, _d, ctx) {
    return setModeFix(ctx, 'onExchange');
  },
};
