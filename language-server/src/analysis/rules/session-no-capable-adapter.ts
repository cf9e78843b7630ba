import { setModeFix } from '../edits.js';
import { modeRange } from '../helpers.js';
import type { Rule } from '../types.js';

export const rule: Rule = {
  name: 'session/no-capable-adapter',
  defaultSeverity: 'info',
  docs: {
    summary: 'A session mode is set but no receiver is session-capable.',
    why: 'Session handling applies only to receivers whose adapter variant can reuse sessions and that did not opt out with `session: none`; with none of those the setting is ignored and only misleads readers.',
    example: 'runtime:\n  sessionHandling: onExchange\nreceivers:\n  hr:\n    adapter: successfactors\n    variant: rest   # cannot reuse sessions',
    fix: 'Set the mode to `none` (quick fix), or remove the opt-out from a receiver that should share a session.',
  },
  check(ctx) {
    if (!ctx.mode || ctx.mode === 'none') return [];
    // Unknown adapters: capabilities unknown, stay quiet (flow/unknown-adapter reports them).
    if (ctx.receivers.some((r) => !r.variant && !r.optedOut)) return [];
    if (ctx.receivers.some((r) => r.sessionCapable)) return [];
    const why = ctx.receivers.length === 0 ? 'the flow has no receivers' : 'no receiver is session-capable (their adapter variants cannot reuse sessions or they opted out with session: none)';
    return [{ range: modeRange(ctx.flow), message: `sessionHandling is ${ctx.mode} but ${why}, so the setting has no effect; set it to none to say what happens` }];
  },
  fixes(_doc, _d, ctx) {
    return setModeFix(ctx, 'none');
  },
};
