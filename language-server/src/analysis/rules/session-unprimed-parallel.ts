import type { Step } from '@sessionflow/sdk';
import { Inline, insertSeqItemBefore, type StepList, type StepNode, type YamlValue } from '../helpers.js';
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
  const index = ctx.index;

  // Every origin a call can prime. Once `called` holds them all, nothing later can be
  // reported (a report needs an origin not called yet), so a walk with that set stops.
  const all = new Set<string>();
  for (const info of ctx.receiverByName.values()) if (info.sessionCapable && info.origin) all.add(info.origin);
  if (all.size === 0) return out;

  /**
   * Session-capable origins called anywhere in `nodes` (local processes expanded below
   * `stack`), each with the first receiver calling it, in walk order. Computed once per list
   * and stack (nested parallel splits share their inner lists' results); do not modify.
   */
  const collected = new Map<StepNode[], Map<string, Map<string, string>>>();
  const originsOf = (nodes: StepNode[], stack: string[]): Map<string, string> => {
    const stackKey = stack.length === 0 ? '' : JSON.stringify(stack);
    let byStack = collected.get(nodes);
    const known = byStack?.get(stackKey);
    if (known) return known;
    const into = new Map<string, string>();
    const add = (from: Map<string, string>): void => {
      for (const [origin, receiverName] of from) if (!into.has(origin)) into.set(origin, receiverName);
    };
    for (const node of nodes) {
      const info = node.info;
      if (info) {
        if (info.sessionCapable && info.origin && !into.has(info.origin)) into.set(info.origin, info.receiver.name);
      } else if (node.kind === 'process') {
        const name = node.process;
        const inner = typeof name === 'string' && !stack.includes(name) && stack.length < 32 ? index.processes.get(name) : undefined;
        if (inner) add(originsOf(inner, [...stack, name as string]));
      }
      for (const child of node.children) add(originsOf(child.nodes, stack));
    }
    if (!byStack) collected.set(nodes, (byStack = new Map()));
    byStack.set(stackKey, into);
    return into;
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

  /** Walks `lists` each from a copy of `called`, then adds what any of them called. */
  const branches = (lists: StepList[], called: Set<string>, stack: string[]): void => {
    const after = new Set(called);
    for (const b of lists) {
      const inner = new Set(called);
      walk(b.nodes, inner, stack);
      for (const o of inner) after.add(o);
    }
    for (const o of after) called.add(o);
  };

  /** Per process stack: the `called` sets a local process was walked from. */
  const processWalks = new Map<string, Set<string>[]>();

  const walk = (nodes: StepNode[], called: Set<string>, stack: string[]): void => {
    for (const node of nodes) {
      if (called.size >= all.size) return;
      if (node.kind === 'call' || node.kind === 'send') {
        const info = node.info;
        if (info?.sessionCapable && info.origin) called.add(info.origin);
        continue;
      }
      switch (node.kind) {
        case 'split':
        case 'multicast': {
          if (node.parallel && ctx.mode && ctx.mode !== 'none') {
            let origins: Map<string, string>;
            if (node.children.length === 1) {
              origins = originsOf((node.children[0] as StepList).nodes, stack);
            } else {
              origins = new Map();
              for (const b of node.children) for (const [o, r] of originsOf(b.nodes, stack)) if (!origins.has(o)) origins.set(o, r);
            }
            report(node.step, origins, called);
          }
          branches(node.children, called, stack);
          break;
        }
        case 'loop':
          walk(node.children[0]?.nodes ?? [], called, stack);
          break;
        case 'route':
          branches(node.children, called, stack);
          break;
        case 'process': {
          const name = node.process;
          if (typeof name !== 'string' || stack.includes(name) || stack.length >= 32) break;
          const inner = index.processes.get(name);
          if (!inner) break;
          const innerStack = [...stack, name];
          // Walked before with the same stack from a subset of `called`: this walk would report
          // nothing new, and all it adds to `called` are the origins the process calls.
          const key = JSON.stringify(innerStack);
          const before = processWalks.get(key);
          if (before?.some((b) => b.size <= called.size && [...b].every((o) => called.has(o)))) {
            for (const o of originsOf(inner, innerStack).keys()) called.add(o);
            break;
          }
          if (before) before.push(new Set(called));
          else processWalks.set(key, [new Set(called)]);
          walk(inner, called, innerStack);
          break;
        }
        default:
          break;
      }
    }
  };
  walk(index.main, new Set(), []);
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
