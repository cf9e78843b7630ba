import { closest, insertEntries, isCallStep, quoteList, replacementText } from '../helpers.js';
import type { Finding, QuickFix, Rule } from '../types.js';

export const rule: Rule = {
  name: 'flow/unknown-receiver',
  defaultSeverity: 'error',
  docs: {
    summary: '`call`/`send` names no receiver.',
    why: 'The step has nothing to call: the exchange fails when it reaches it, and the session analysis cannot follow it.',
    example: 'receivers:\n  erp: { adapter: http, address: https://erp.example.com }\nsteps:\n  - call: epr   # did you mean erp?',
    fix: 'Use a declared receiver name (the quick fix picks the closest) or create the receiver under `receivers`.',
  },
  check(ctx) {
    const out: Finding[] = [];
    let names: string[] | undefined;
    for (const { step, receiver: name } of ctx.index.calls) {
      if (typeof name !== 'string' || name === '' || ctx.receiverByName.has(name) || !isCallStep(step)) continue;
      names ??= ctx.receivers.map((r) => r.receiver.name);
      const suggestion = closest(name, names);
      out.push({
        range: step.receiver.range,
        message: `${step.kind} names receiver "${name}", which is not declared under receivers, so this step fails at run time${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; declared: ${names.length > 0 ? quoteList(names) : '(none)'}`,
        data: { name, ...(suggestion ? { suggestion } : {}) },
      });
    }
    return out;
  },
  fixes(doc, d) {
    const fixes: QuickFix[] = [];
    const s = d.data?.suggestion;
    const name = d.data?.name;
    if (typeof s === 'string') fixes.push({ title: `Change to "${s}"`, edits: [{ range: d.range, newText: replacementText(doc, d.range, s) }], isPreferred: true });
    if (typeof name === 'string') {
      const e = insertEntries(doc, ['receivers'], [[name, { adapter: 'http', address: 'https://example.com/' }]], {}, {
        after: ['flow', 'formatVersion', 'description', 'runtime', 'sender', 'credentials'],
      });
      if (e) fixes.push({ title: `Create receiver "${name}"`, edits: [e] });
    }
    return fixes;
  },
};
