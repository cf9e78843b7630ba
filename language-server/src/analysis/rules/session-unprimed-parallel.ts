import type { Step } from '@sessionflow/sdk';
import { childLists, Inline, insertSeqItemBefore, isCallStep, multicastIsParallel, processSteps, splitIsParallel, type YamlValue } from '../helpers.js';
import type { Finding, RuleContext, Rule } from '../types.js';

/**
 * Exchange-order walk. `called` holds the origins of session-capable receivers the exchange
 * has called so far. Design choice (optimistic, to avoid false positives): a call counts as
 * priming once any earlier step contains it — inside an earlier loop, route branch, local
 * process, split or multicast too — even if that branch may not run. Calls inside a parallel
 * split or multicast do not prime the same split's other branches (each branch is a copy of
 * the exchange taken before the split).
 */
function unprimed(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();

  /** Session-capable origins called anywhere in `steps`, with the first receiver for each. */
  const collect = (steps: Step[], into: Map<string, string>, stack: string[]): void => {
    for (const step of steps) {
      if (!step) continue;
      if (isCallStep(step)) {
        const info = ctx.receiverByName.get(step.receiver?.value);
        if (info?.sessionCapable && info.origin && !into.has(info.origin)) into.set(info.origin, info.receiver.name);
      } else if (step.kind === 'process') {
        const name = step.process?.value;
        const inner = typeof name === 'string' && !stack.includes(name) && stack.length < 32 ? processSteps(ctx.flow, name) : undefined;
        if (inner) collect(inner, into, [...stack, name]);
      }
      for (const child of childLists(step)) collect(child.steps, into, stack);
    }
  };

  const report = (step: Step, origins: Map<string, string>, called: Set<string>): void => {
    for (const [origin, receiverName] of origins) {
      if (called.has(origin)) continue;
      const key = `${step.kindKeyRange.start}|${origin}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const info = ctx.receiverByName.get(receiverName);
      const what = step.kind === 'split' ? 'parallel split' : 'multicast';
      out.push({
        range: step.kindKeyRange,
        message: `this ${what} calls receiver "${receiverName}" (${origin}) but no earlier step of the exchange has called that origin: every ${step.kind === 'split' ? 'item' : 'branch'} authenticates and opens its own session. Prime the session with a send to "${receiverName}" before the ${step.kind}.`,
        data: { receiver: receiverName, origin, stepPath: step.path, csrf: info?.receiver.csrf?.value === true },
      });
    }
  };

  const walk = (steps: Step[], called: Set<string>, stack: string[]): void => {
    for (const step of steps) {
      if (!step) continue;
      if (isCallStep(step)) {
        const info = ctx.receiverByName.get(step.receiver?.value);
        if (info?.sessionCapable && info.origin) called.add(info.origin);
        continue;
      }
      switch (step.kind) {
        case 'split': {
          const parallel = splitIsParallel(step);
          if (parallel && ctx.mode && ctx.mode !== 'none') {
            const origins = new Map<string, string>();
            collect(step.steps ?? [], origins, stack);
            report(step, origins, called);
          }
          const inner = new Set(called);
          walk(step.steps ?? [], inner, stack);
          for (const o of inner) called.add(o);
          break;
        }
        case 'multicast': {
          if (multicastIsParallel(step) && ctx.mode && ctx.mode !== 'none') {
            const origins = new Map<string, string>();
            for (const b of step.branches ?? []) collect(b ?? [], origins, stack);
            report(step, origins, called);
          }
          const after = new Set(called);
          for (const b of step.branches ?? []) {
            const inner = new Set(called);
            walk(b ?? [], inner, stack);
            for (const o of inner) after.add(o);
          }
          for (const o of after) called.add(o);
          break;
        }
        case 'loop':
          walk(step.steps ?? [], called, stack);
          break;
        case 'route': {
          const after = new Set(called);
          const branches = [...(step.when ?? []).map((w) => w.steps ?? []), ...(step.otherwise ? [step.otherwise] : [])];
          for (const b of branches) {
            const inner = new Set(called);
            walk(b, inner, stack);
            for (const o of inner) after.add(o);
          }
          for (const o of after) called.add(o);
          break;
        }
        case 'process': {
          const name = step.process?.value;
          if (typeof name !== 'string' || stack.includes(name) || stack.length >= 32) break;
          const inner = processSteps(ctx.flow, name);
          if (inner) walk(inner, called, [...stack, name]);
          break;
        }
        default:
          break;
      }
    }
  };
  walk(ctx.flow.steps ?? [], new Set(), []);
  return out;
}

export const rule: Rule = {
  name: 'session/unprimed-parallel',
  defaultSeverity: 'warning',
  docs: {
    summary: 'A parallel split or multicast calls a session-capable backend the exchange has not called yet.',
    why: 'Parallel items and branches that start before the exchange holds a session for a backend each open their own session: N items mean N logins (and N CSRF token fetches). One call before the split opens the session once and every branch then shares it. (A call counts as priming when any earlier step of the exchange contains it — also inside an earlier loop, route branch or local process.)',
    example: 'runtime:\n  sessionHandling: onExchange\nsteps:\n  - split:\n      path: $.items\n      parallel: true\n      steps:\n        - call: erp   # no earlier call to erp\'s origin',
    fix: 'Insert a priming `send` (a GET; with `X-CSRF-Token: Fetch` when the receiver is CSRF-protected) before the split — the quick fix does it.',
  },
  check(ctx) {
    if (!ctx.mode || ctx.mode === 'none') return [];
    return unprimed(ctx);
  },
  fixes(doc, d, ctx) {
    const receiver = d.data?.receiver;
    const stepPath = d.data?.stepPath;
    if (typeof receiver !== 'string' || !Array.isArray(stepPath) || stepPath.length < 2) return [];
    const index = stepPath[stepPath.length - 1];
    if (typeof index !== 'number') return [];
    const ids = new Set(ctx.steps.map((s) => s.step.id?.value).filter((x): x is string => typeof x === 'string'));
    let id = `prime-${receiver}`;
    for (let i = 2; ids.has(id) && i < 1000; i++) id = `prime-${receiver}-${i}`;
    const entries: [string, YamlValue][] = [
      ['id', id],
      ['send', receiver],
      ['method', 'GET'],
    ];
    if (d.data?.csrf === true) entries.push(['headers', new Inline({ 'X-CSRF-Token': 'Fetch' })]);
    const e = insertSeqItemBefore(doc, stepPath.slice(0, -1) as (string | number)[], index, entries);
    return e ? [{ title: `Insert a priming send to "${receiver}" before the ${doc.text.slice(d.range.start, d.range.end) || 'split'}`, edits: [e], isPreferred: true }] : [];
  },
};
