import { removeEntry } from '../helpers.js';
import type { Finding, Rule } from '../types.js';

export const rule: Rule = {
  name: 'flow/unused-receiver',
  defaultSeverity: 'hint',
  docs: {
    summary: 'A receiver no step calls.',
    why: 'An unused receiver is dead configuration: it still needs credentials and review, and it may be a sign that a step calls the wrong receiver.',
    example: 'receivers:\n  old-erp: { adapter: http, address: https://old.example.com }   # no step calls it\nsteps: []',
    fix: 'Remove the receiver (quick fix) or call it from a step.',
  },
  check(ctx) {
    const used = new Set<string>();
    for (const { receiver: name } of ctx.index.calls) if (typeof name === 'string') used.add(name);
    const out: Finding[] = [];
    for (const { receiver } of ctx.receivers) {
      if (used.has(receiver.name)) continue;
      out.push({
        range: receiver.keyRange ?? receiver.range,
        message: `receiver "${receiver.name}" is not called by any step: it is dead configuration (and may mean a step calls the wrong receiver)`,
        data: { name: receiver.name },
      });
    }
    return out;
  },
  fixes(doc, d) {
    const name = d.data?.name;
    if (typeof name !== 'string') return [];
    const e = removeEntry(doc, ['receivers'], name);
    return e ? [{ title: `Remove receiver "${name}"`, edits: [e] }] : [];
  },
};
