import { closest, quoteList, replacementText } from '../helpers.js';
import type { Finding, Rule } from '../types.js';

export const rule: Rule = {
  name: 'flow/unsupported-variant',
  defaultSeverity: 'error',
  docs: {
    summary: '`variant` is not one the adapter declares.',
    why: 'The variant selects the protocol (e.g. SOAP 1.1 or 1.2, OData V2 or V4) and its capabilities (session reuse, step kinds, auth types); an unknown variant cannot run and hides those checks.',
    example: 'receivers:\n  orders:\n    adapter: odata\n    variant: v3   # odata declares v2 and v4',
    fix: 'Use one of the variants the message lists (the quick fix picks the closest), or remove `variant` to use the adapter\'s default.',
  },
  check(ctx) {
    const out: Finding[] = [];
    for (const { receiver, definition } of ctx.receivers) {
      const v = receiver.variant;
      if (!definition || !v || typeof v.value !== 'string') continue;
      if (definition.variant(v.value)) continue;
      const declared = definition.variants.map((x) => x.id);
      const suggestion = closest(v.value, declared);
      out.push({
        range: v.range,
        message: `receiver "${receiver.name}": adapter "${definition.id}" has no variant "${v.value}", so it cannot run and its capabilities are unknown; declared variants: ${quoteList(declared)} (default "${definition.defaultVariant}")${suggestion ? `. Did you mean "${suggestion}"?` : ''}`,
        data: { variant: v.value, declared, ...(suggestion ? { suggestion } : {}) },
      });
    }
    return out;
  },
  fixes(doc, d) {
    const s = d.data?.suggestion;
    if (typeof s !== 'string') return [];
    return [{ title: `Change variant to "${s}"`, edits: [{ range: d.range, newText: replacementText(doc, d.range, s) }], isPreferred: true }];
  },
};
