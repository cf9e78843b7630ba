import { setModeFix } from '../edits.js';
import { dynamicAuthField, innermost, isCallStep, walkExchangeTree, type Enclosing } from '../helpers.js';
import type { Finding, ReceiverInfo, Rule } from '../types.js';

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
    // Only calls to a session-capable receiver with a dynamic user can be reported.
    const dynamic = new Map<ReceiverInfo, { field: string }>();
    for (const info of ctx.receiverByName.values()) {
      const dyn = info.sessionCapable ? dynamicAuthField(info.receiver) : undefined;
      if (dyn) dynamic.set(info, dyn);
    }
    if (dynamic.size === 0) return out;
    const seen = new Set<string>();
    // A finding depends on the enclosing chain only through its innermost split, loop or multicast.
    const repeats = (e: Enclosing): boolean => e.kind === 'split' || e.kind === 'loop' || e.kind === 'multicast';
    walkExchangeTree(ctx.index, ({ step, info }, chain) => {
      const dyn = info ? dynamic.get(info) : undefined;
      if (!dyn || !info || !isCallStep(step)) return;
      const inner = innermost(chain, repeats);
      if (!inner || !step.receiver) return;
      const key = `${step.receiver.range.start}:${step.receiver.range.end}`;
      if (seen.has(key)) return;
      seen.add(key);
      out.push({
        range: step.receiver.range,
        message: `receiver "${info.receiver.name}" has a dynamic ${dyn.field} and is called inside a ${inner.kind}: the ${dyn.field} can change within one exchange, but with sessionHandling onExchange the session keeps the user that authenticated first`,
        data: { receiver: info.receiver.name },
      });
    }, (chain) => innermost(chain, repeats)?.kind);
    return out;
  },
  fixes(_doc, _d, ctx) {
    return setModeFix(ctx, 'none');
  },
};
