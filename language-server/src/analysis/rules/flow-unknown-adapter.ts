import { closest, quoteList, replacementText } from '../helpers.js';
import type { AdapterCatalogProblem, Rule } from '../types.js';

/**
 * Whether a refused package provides adapter `id`: the ids it declares (`sessionflow.ids` in its
 * manifest, copied into `adapterIds`) when it declares any; otherwise a guess from its name
 * (`@acme/sessionflow-adapter-crm` → `crm`).
 */
function packageProvides(problem: AdapterCatalogProblem, id: string): boolean {
  if (Array.isArray(problem.adapterIds) && problem.adapterIds.length > 0) return problem.adapterIds.includes(id);
  const bare = String(problem.packageName ?? '').replace(/^@[^/]+\//, '').toLowerCase();
  const stripped = bare.replace(/^(sessionflow-adapter-|adapter-|sessionflow-)/, '');
  return bare === id || stripped === id || bare.endsWith(`-adapter-${id}`);
}

export const rule: Rule = {
  name: 'flow/unknown-adapter',
  defaultSeverity: 'error',
  docs: {
    summary: '`adapter` names no installed adapter.',
    why: 'The runner cannot call a receiver whose adapter is not installed (or whose package was refused, e.g. because it targets another adapter API version); the session analysis cannot know its capabilities either.',
    example: 'receivers:\n  erp:\n    adapter: htp   # did you mean http?\n    address: https://erp.example.com',
    fix: 'Use one of the installed adapter ids the message lists (the quick fix picks the closest), or install the adapter package and make sure it targets this SDK\'s adapter API version.',
  },
  check(ctx) {
    const ids = ctx.adapters.ids();
    const problems = ctx.adapters.problems ?? [];
    const out = [];
    for (const { receiver, definition } of ctx.receivers) {
      const a = receiver.adapter;
      if (!a || definition || typeof a.value !== 'string' || a.value === '') continue;
      const id = a.value;
      const refused = problems.filter((p) => packageProvides(p, id));
      const suggestion = closest(id, ids);
      const installed = ids.length > 0 ? `installed adapters: ${quoteList(ids)}` : 'no adapters are installed';
      let message: string;
      if (refused.length > 0) {
        message = `receiver "${receiver.name}": adapter "${id}" is not available because its package was refused: ${refused.map((p) => p.message).join('; ')}. The flow cannot call this receiver until that is fixed (${installed}).`;
      } else {
        const failed = problems.length > 0 ? ` Adapter packages that failed to load: ${problems.map((p) => `${p.packageName} (${p.message})`).join('; ')}.` : '';
        message = `receiver "${receiver.name}": adapter "${id}" is not installed, so the flow cannot call this receiver and its session capabilities are unknown${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; ${installed}.${failed}`;
      }
      out.push({ range: a.range, message, data: { adapter: id, ...(suggestion ? { suggestion } : {}), refused: refused.length > 0 } });
    }
    return out;
  },
  fixes(doc, d) {
    const s = d.data?.suggestion;
    if (typeof s !== 'string') return [];
    return [{ title: `Change adapter to "${s}"`, edits: [{ range: d.range, newText: replacementText(doc, d.range, s) }], isPreferred: true }];
  },
};
