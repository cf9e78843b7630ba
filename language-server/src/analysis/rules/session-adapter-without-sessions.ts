import type { Finding, Rule } from '../types.js';

export const rule: Rule = {
  name: 'session/adapter-without-sessions',
  defaultSeverity: 'info',
  docs: {
    summary: 'A receiver\'s adapter variant cannot reuse sessions although a session mode is set.',
    why: 'Variants such as SuccessFactors REST and SuccessFactors OData V4 use a bearer token per call: the session mode does not apply to them and every call authenticates (fetches or sends a token).',
    example: 'runtime:\n  sessionHandling: onExchange\nreceivers:\n  hr:\n    adapter: successfactors\n    variant: rest',
    fix: 'Nothing to change if that is expected; keep it in mind when counting logins under load.',
  },
  check(ctx) {
    if (!ctx.mode || ctx.mode === 'none') return [];
    const out: Finding[] = [];
    for (const { receiver, definition, variant, optedOut } of ctx.receivers) {
      if (!definition || !variant || optedOut || variant.sessionReuse !== 'unsupported') continue;
      const label = `adapter "${definition.id}"${definition.variants.length > 1 ? ` variant "${variant.id}"` : ''}`;
      out.push({
        range: (receiver.variant ?? receiver.adapter)?.range ?? receiver.keyRange ?? receiver.range,
        message: `receiver "${receiver.name}": ${label} cannot reuse sessions, so sessionHandling ${ctx.mode} does not apply to it and every call to it authenticates`,
      });
    }
    return out;
  },
};
