import { closest, quoteList, replacementText } from '../helpers.js';
import type { Finding, Rule } from '../types.js';

export const rule: Rule = {
  name: 'flow/unknown-process',
  defaultSeverity: 'error',
  docs: {
    summary: '`process` names no local process.',
    why: 'The step calls a local integration process that does not exist: the exchange fails when it reaches it.',
    example: 'processes:\n  enrich: { steps: [] }\nsteps:\n  - process: enrihc   # did you mean enrich?',
    fix: 'Use a name declared under `processes` (the quick fix picks the closest).',
  },
  check(ctx) {
    const out: Finding[] = [];
    const names = (ctx.flow.processes ?? []).map((p) => p.name);
    const declared = new Set<unknown>(names);
    for (const { step, kind, process: name } of ctx.index.nodes) {
      if (kind !== 'process' || typeof name !== 'string' || name === '' || declared.has(name) || step.kind !== 'process') continue;
      const suggestion = closest(name, names);
      out.push({
        range: step.process.range,
        message: `process "${name}" is not declared under processes, so this step fails at run time${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; declared: ${names.length > 0 ? quoteList(names) : '(none)'}`,
        data: { name, ...(suggestion ? { suggestion } : {}) },
      });
    }
    return out;
  },
  fixes(doc, d) {
    const s = d.data?.suggestion;
    if (typeof s !== 'string') return [];
    return [{ title: `Change to "${s}"`, edits: [{ range: d.range, newText: replacementText(doc, d.range, s) }], isPreferred: true }];
  },
};
