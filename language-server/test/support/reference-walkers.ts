/**
 * Reference walkers over the typed model: how the analysis walked exchanges before the step
 * index (helpers.ts `buildStepIndex`, `walkExchangeTree`, `countPerExchangeTree`) replaced them.
 * Test-only: analysis-step-index.test.ts checks the index against them, analysis-core.test.ts
 * keeps their counting rules pinned.
 */
import type { Flow, Step } from '@sessionflow/sdk';
import { childLists, isCallStep, type Enclosing } from '../../src/analysis/helpers.js';

function processSteps(flow: Flow, name: string): Step[] | undefined {
  return (flow.processes ?? []).find((p) => p.name === name)?.steps;
}

/**
 * Walks the steps one exchange runs, in order, expanding `process:` calls in place (a
 * recursive process is expanded once per call chain). The visitor sees each step with its
 * enclosing composites, including the `process` steps that led to it.
 */
export function walkExchange(flow: Flow, visit: (step: Step, enclosing: Enclosing[]) => void): void {
  const walk = (steps: Step[], enclosing: Enclosing[], stack: string[]): void => {
    if (stack.length > 32) return;
    for (const step of steps) {
      if (!step) continue;
      visit(step, enclosing);
      if (step.kind === 'process') {
        const name = step.process?.value;
        if (typeof name !== 'string' || stack.includes(name)) continue;
        const inner = processSteps(flow, name);
        if (inner) walk(inner, [...enclosing, { kind: 'process', step, parallel: false }], [...stack, name]);
        continue;
      }
      for (const child of childLists(step)) walk(child.steps, [...enclosing, child.enclosing], stack);
    }
  };
  walk(flow.steps ?? [], [], []);
}

/**
 * How often one exchange runs the steps matching `pred`, capped at 2 ("more than once").
 * Loops and splits multiply by "many"; route branches are alternatives (maximum, not sum);
 * multicast branches all run (sum); local processes are expanded.
 */
export function countPerExchange(flow: Flow, steps: Step[], pred: (s: Step) => boolean, stack: string[] = []): number {
  let total = 0;
  for (const step of steps) {
    if (!step) continue;
    if (pred(step)) total += 1;
    switch (step.kind) {
      case 'split':
      case 'loop': {
        const inner = countPerExchange(flow, step.steps ?? [], pred, stack);
        if (inner > 0) total += 2;
        break;
      }
      case 'multicast':
        for (const b of step.branches ?? []) total += countPerExchange(flow, b ?? [], pred, stack);
        break;
      case 'route': {
        let best = 0;
        for (const w of step.when ?? []) best = Math.max(best, countPerExchange(flow, w.steps ?? [], pred, stack));
        if (step.otherwise) best = Math.max(best, countPerExchange(flow, step.otherwise, pred, stack));
        total += best;
        break;
      }
      case 'process': {
        const name = step.process?.value;
        if (typeof name === 'string' && !stack.includes(name) && stack.length < 32) {
          const inner = processSteps(flow, name);
          if (inner) total += countPerExchange(flow, inner, pred, [...stack, name]);
        }
        break;
      }
      default:
        break;
    }
    if (total >= 2) return 2;
  }
  return Math.min(total, 2);
}

/** The receiver name a call/send step names, if it is a string. */
export function calledReceiver(step: Step): string | undefined {
  if (!isCallStep(step)) return undefined;
  const v = step.receiver?.value;
  return typeof v === 'string' ? v : undefined;
}
