import type { Rule } from '../types.js';

export const rule: Rule = {
  name: 'flow/yaml-syntax',
  defaultSeverity: 'error',
  docs: {
    summary: 'The YAML does not parse.',
    why: 'Nothing after a syntax error can be trusted: the flow cannot run and the other checks only see the part that parsed.',
    example: 'receivers:\n  erp:\n    adapter: http\n     address: https://erp.example.com   # indented one space too far',
    fix: 'Correct the YAML at the position shown (indentation, a missing colon, an unclosed quote or bracket).',
  },
  check(ctx) {
    return (ctx.doc.problems ?? []).filter((p) => p.code === 'flow/yaml-syntax').map((p) => ({ range: p.range, message: p.message, ...(p.data?.severity === 'warning' ? { severity: 'warning' as const } : {}) }));
  },
};
