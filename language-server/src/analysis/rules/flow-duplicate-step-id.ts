import type { Finding, Range, Rule } from '../types.js';

export const rule: Rule = {
  name: 'flow/duplicate-step-id',
  defaultSeverity: 'error',
  docs: {
    summary: 'Two steps share an `id`.',
    why: 'Step ids identify steps in the message processing log, in breakpoints and in the designer; a repeated id makes them ambiguous.',
    example: 'steps:\n  - id: post\n    call: erp\n  - id: post   # already used\n    send: archive',
    fix: 'Give every step a unique id.',
  },
  check(ctx) {
    const out: Finding[] = [];
    const first = new Map<string, Range>();
    for (const { id } of ctx.index.nodes) {
      if (!id || typeof id.value !== 'string' || id.value === '') continue;
      const prev = first.get(id.value);
      if (!prev) {
        first.set(id.value, id.range);
        continue;
      }
      const line = ctx.doc.positionAt(prev.start).line + 1;
      out.push({
        range: id.range,
        message: `step id "${id.value}" is already used on line ${line}: ids must be unique in the file so the message processing log, breakpoints and the designer can tell the steps apart`,
        data: { id: id.value },
      });
    }
    return out;
  },
};
