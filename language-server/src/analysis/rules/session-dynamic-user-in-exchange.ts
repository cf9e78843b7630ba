import { setModeFix } from '../edits.js';
import { dynamicAuthField, isCallStep, walkExchange } from '../helpers.js';
import type { Finding, Rule } from '../types.js';

export const rule: Rule = {
  name: 'session/dynamic-user-in-exchange',
  defaultSeverity: 'warning',
  docs: {
    summary: 'A dynamic user evaluated inside a split, loop or multicast with one session per exchange.',
    why: 'With onExchange every call of the exchange shares one session. Inside a split, loop or multicast the user expression can change from item to item, but the session keeps the user that authenticated first.',
    example: 'runtime:\n  sessionHandling: onExchange\nreceivers:\n  erp:\n    adapter: http\n    auth: { type: basic, user: "${property.user}", password: "${property.password}" }\nsteps:\n  - split: { path: $.items, steps: [ { call: erp } ] }',
    fix: 'Set the mode to `none` (quick fix) so each call authenticates as its own user, or keep the user fixed per exchange.',
  },
  check(ctx) {
    if (ctx.mode !== 'onExchange') return [];
    const out: Finding[] = [];
    const seen = new Set<string>();
    walkExchange(ctx.flow, (step, enclosing) => {
      if (!isCallStep(step)) return;
      const info = ctx.receiverByName.get(step.receiver?.value);
      if (!info?.sessionCapable) return;
      const dyn = dynamicAuthField(info.receiver);
      const inner = [...enclosing].reverse().find((e) => e.kind === 'split' || e.kind === 'loop' || e.kind === 'multicast');
      if (!dyn || !inner || !step.receiver) return;
      const key = `${step.receiver.range.start}:${step.receiver.range.end}`;
      if (seen.has(key)) return;
      seen.add(key);
      out.push({
        range: step.receiver.range,
        message: `receiver "${info.receiver.name}" has a dynamic ${dyn.field} and is called inside a ${inner.kind}: the ${dyn.field} can change within one exchange, but with sessionHandling onExchange the session keeps the user that authenticated first`,
        data: { receiver: info.receiver.name },
      });
    });
    return out;
  },
  fixes(_doc, _d, ctx) {
    return setModeFix(ctx, 'none');
  },
};
