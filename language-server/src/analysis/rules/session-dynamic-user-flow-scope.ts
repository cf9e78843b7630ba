import { setModeFix } from '../edits.js';
import { dynamicAuthField } from '../helpers.js';
import type { Finding, Rule } from '../types.js';

export const rule: Rule = {
  name: 'session/dynamic-user-flow-scope',
  defaultSeverity: 'warning',
  docs: {
    summary: 'A dynamic user with sessions shared across exchanges.',
    why: 'With onIntegrationFlow the session opened by the first exchange is reused by every later exchange until it expires: the backend keeps seeing the first exchange\'s user, whatever user the later message names.',
    example: 'runtime:\n  sessionHandling: onIntegrationFlow\nreceivers:\n  erp:\n    adapter: http\n    auth: { type: basic, user: "${header.user}", password: "${property.password}" }',
    fix: 'Set the mode to `onExchange` (quick fix), or use a fixed credential.',
  },
  check(ctx) {
    if (ctx.mode !== 'onIntegrationFlow') return [];
    const out: Finding[] = [];
    for (const { receiver, sessionCapable } of ctx.receivers) {
      if (!sessionCapable) continue;
      const dyn = dynamicAuthField(receiver);
      if (!dyn) continue;
      out.push({
        range: dyn.range,
        message: `receiver "${receiver.name}": the ${dyn.field} is dynamic but sessionHandling is onIntegrationFlow, so the user of the exchange that opened the session is used for every later exchange until the session expires`,
        data: { receiver: receiver.name },
      });
    }
    return out;
  },
  fixes(_doc, _d, ctx) {
    return setModeFix(ctx, 'onExchange');
  },
};
