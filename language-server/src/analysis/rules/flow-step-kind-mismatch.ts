import type { CallStep } from '@sessionflow/sdk';
import type { Finding, Rule } from '../types.js';

export const rule: Rule = {
  name: 'flow/step-kind-mismatch',
  defaultSeverity: 'error',
  docs: {
    summary: '`call` on a send-only variant, or `send` on a request-reply-only variant.',
    why: 'Some variants are one-way only (SOAP SAP RM, XI exactly-once): they return no reply a `call` could use. Others only support request-reply. The step fails at run time.',
    example: 'receivers:\n  erp-rm:\n    adapter: soap\n    variant: sap-rm\nsteps:\n  - call: erp-rm   # sap-rm is one-way: use send',
    fix: 'Switch the step between `call` and `send` (the quick fix renames the key).',
  },
  check(ctx) {
    const out: Finding[] = [];
    for (const { step: s, kind, info } of ctx.index.calls) {
      const variant = info?.variant;
      if (!info || !variant || !info.definition || variant.stepKinds.includes(kind as CallStep['kind'])) continue;
      const step = s as CallStep;
      const other = step.kind === 'call' ? 'send' : 'call';
      const label = `adapter "${info.definition.id}"${info.definition.variants.length > 1 ? ` variant "${variant.id}"` : ''}`;
      const why =
        step.kind === 'call'
          ? `${label} is one-way (send only): it returns no reply for a request-reply call`
          : `${label} is request-reply only: it cannot send one-way`;
      out.push({
        range: step.kindKeyRange,
        message: `step "${step.id?.value ?? step.kind}" uses ${step.kind} on receiver "${info.receiver.name}", but ${why}; the step fails at run time`,
        data: { kind: step.kind, ...(variant.stepKinds.includes(other) ? { replacement: other } : {}) },
      });
    }
    return out;
  },
  fixes(doc, d) {
    const r = d.data?.replacement;
    if (r !== 'call' && r !== 'send') return [];
    if (doc.text.slice(d.range.start, d.range.end) !== d.data?.kind) return [];
    return [{ title: `Change to ${r}`, edits: [{ range: d.range, newText: r }], isPreferred: true }];
  },
};
