import { innermost, insertEntries, replaceValue, walkExchangeTree, type Enclosing } from '../helpers.js';
import type { Finding, ReceiverInfo, Rule } from '../types.js';

export const rule: Rule = {
  name: 'session/parallel-calls-unsupported',
  defaultSeverity: 'warning',
  docs: {
    summary: 'Parallel calls within one session to a backend that does not accept them.',
    why: 'Some backends serialise or reject concurrent requests in one session (`parallelCallsInSession: false`): parallel split items or multicast branches sharing the session then fail or block each other.',
    example: 'receivers:\n  erp: { adapter: http, address: https://erp.example.com, parallelCallsInSession: false }\nsteps:\n  - split: { path: $.items, parallel: true, steps: [ { call: erp } ] }',
    fix: 'Set `parallel: false` on the split or multicast (quick fix).',
  },
  check(ctx) {
    if (!ctx.mode || ctx.mode === 'none') return [];
    const out: Finding[] = [];
    const serial = (info: ReceiverInfo | undefined): info is ReceiverInfo => !!info?.sessionCapable && info.receiver.parallelCallsInSession?.value === false;
    if (![...ctx.receiverByName.values()].some(serial)) return out;
    const seen = new Set<string>();
    // A finding depends on the enclosing chain only through its innermost parallel split or multicast.
    const concurrent = (e: Enclosing): boolean => (e.kind === 'split' || e.kind === 'multicast') && e.parallel;
    walkExchangeTree(ctx.index, ({ info }, chain) => {
      if (!serial(info)) return;
      const par = innermost(chain, concurrent);
      if (!par) return;
      const s = par.step;
      if (s.kind !== 'split' && s.kind !== 'multicast') return;
      const key = `${s.kindKeyRange.start}|${info.receiver.name}`;
      if (seen.has(key)) return;
      seen.add(key);
      out.push({
        range: s.parallel?.range ?? s.kindKeyRange,
        message: `this ${s.kind} runs in parallel and calls receiver "${info.receiver.name}" in one shared session, but that receiver declares parallelCallsInSession: false: concurrent calls in its session fail or block each other`,
        data: { stepPath: s.path, kind: s.kind, ...(s.parallel ? { parallelPath: s.parallel.path } : {}), receiver: info.receiver.name },
      });
    }, (chain) => innermost(chain, concurrent)?.step);
    return out;
  },
  fixes(doc, d) {
    const pp = d.data?.parallelPath;
    const stepPath = d.data?.stepPath;
    const kind = d.data?.kind;
    let e;
    if (Array.isArray(pp)) e = replaceValue(doc, pp as (string | number)[], false);
    else if (Array.isArray(stepPath) && typeof kind === 'string') e = insertEntries(doc, [...(stepPath as (string | number)[]), kind], [['parallel', false]]);
    return e ? [{ title: 'Set parallel: false', edits: [e], isPreferred: true }] : [];
  },
};
