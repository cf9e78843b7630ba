/**
 * Navigation over the typed flow model: every step (main process, local processes, nested
 * split/multicast/loop/route bodies), and the named things steps refer to (receivers,
 * processes, credentials) with the ranges of their declarations and references.
 */
import type { Flow, Range, Step } from './core.js';

export type SymbolKindName = 'receiver' | 'process' | 'credential';

export interface NamedRef {
  kind: SymbolKindName;
  name: string;
  /** Range of the name (key for a declaration, value scalar for a reference). */
  range: Range;
  declaration: boolean;
}

/** A group of nested steps with a label (`steps`, `branch 1`, `when 1`, `otherwise`). */
export interface StepGroup {
  label: string;
  steps: Step[];
}

/** The nested step groups of a step (empty for leaf steps). Tolerates partial models. */
export function childGroups(step: Step): StepGroup[] {
  switch (step.kind) {
    case 'split':
    case 'loop':
      return [{ label: 'steps', steps: step.steps ?? [] }];
    case 'multicast':
      return (step.branches ?? []).map((b, i) => ({ label: `branch ${i + 1}`, steps: b ?? [] }));
    case 'route': {
      const groups: StepGroup[] = (step.when ?? []).map((w, i) => ({ label: `when ${i + 1}`, steps: w.steps ?? [] }));
      if (step.otherwise) groups.push({ label: 'otherwise', steps: step.otherwise });
      return groups;
    }
    default:
      return [];
  }
}

/** Every step of the flow, depth first, the main process first then each local process. */
export function allSteps(flow: Flow): Step[] {
  const out: Step[] = [];
  const visit = (steps: Step[] | undefined, depth: number) => {
    if (!steps || depth > 200) return;
    for (const s of steps) {
      if (!s) continue;
      out.push(s);
      for (const g of childGroups(s)) visit(g.steps, depth + 1);
    }
  };
  visit(flow.steps, 0);
  for (const p of flow.processes ?? []) visit(p.steps, 0);
  return out;
}

/** Every declaration and reference of a receiver, process or credential in the flow. */
export function namedRefs(flow: Flow): NamedRef[] {
  const out: NamedRef[] = [];
  for (const r of flow.receivers ?? []) {
    if (r.keyRange) out.push({ kind: 'receiver', name: r.name, range: r.keyRange, declaration: true });
    const cred = r.auth?.credential;
    if (cred && typeof cred.value === 'string') out.push({ kind: 'credential', name: cred.value, range: cred.range, declaration: false });
  }
  for (const p of flow.processes ?? []) {
    if (p.keyRange) out.push({ kind: 'process', name: p.name, range: p.keyRange, declaration: true });
  }
  for (const c of flow.credentials ?? []) {
    if (c.keyRange) out.push({ kind: 'credential', name: c.name, range: c.keyRange, declaration: true });
  }
  for (const s of allSteps(flow)) {
    if ((s.kind === 'call' || s.kind === 'send') && s.receiver && typeof s.receiver.value === 'string') {
      out.push({ kind: 'receiver', name: s.receiver.value, range: s.receiver.range, declaration: false });
    } else if (s.kind === 'process' && s.process && typeof s.process.value === 'string') {
      out.push({ kind: 'process', name: s.process.value, range: s.process.range, declaration: false });
    }
  }
  return out;
}

function contains(r: Range, offset: number): boolean {
  return r.start <= offset && offset <= r.end;
}

/** The declaration or reference under `offset` (the innermost one). */
export function refAt(flow: Flow, offset: number): NamedRef | undefined {
  let best: NamedRef | undefined;
  for (const ref of namedRefs(flow)) {
    if (!contains(ref.range, offset)) continue;
    if (!best || ref.range.end - ref.range.start < best.range.end - best.range.start) best = ref;
  }
  return best;
}

export function declarationOf(flow: Flow, kind: SymbolKindName, name: string): NamedRef | undefined {
  return namedRefs(flow).find((r) => r.kind === kind && r.name === name && r.declaration);
}

export function referencesTo(flow: Flow, kind: SymbolKindName, name: string, includeDeclaration: boolean): NamedRef[] {
  return namedRefs(flow).filter((r) => r.kind === kind && r.name === name && (includeDeclaration || !r.declaration));
}

/** A short display name for a step: its id, else `kind target`. */
export function stepLabel(step: Step): string {
  const id = step.id?.value;
  const target = stepTarget(step);
  const base = target !== undefined ? `${step.kind} ${target}` : step.kind;
  if (typeof id === 'string' && id !== '') return id;
  const name = step.name?.value;
  if (typeof name === 'string' && name !== '') return `${name} (${base})`;
  return base;
}

/** What a step acts on (receiver, process, script), if it names one. */
export function stepTarget(step: Step): string | undefined {
  switch (step.kind) {
    case 'call':
    case 'send':
      return typeof step.receiver?.value === 'string' ? step.receiver.value : undefined;
    case 'process':
      return typeof step.process?.value === 'string' ? step.process.value : undefined;
    case 'script':
      return typeof step.script?.value === 'string' ? step.script.value : undefined;
    case 'split':
      return typeof step.splitPath?.value === 'string' ? step.splitPath.value : undefined;
    default:
      return undefined;
  }
}
