/**
 * Document outline: Receivers (with their adapter), Credentials, Processes (with their
 * steps) and Steps, nested for split / multicast branches / loop / route.
 */
import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver/node.js';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Flow, Range, Step } from './core.js';
import { toLspRange } from './convert.js';
import { childGroups, stepLabel } from './model-walk.js';

interface Ranged {
  range: Range;
  keyRange?: Range;
}

function span(n: Ranged): Range {
  const k = n.keyRange;
  return k ? { start: Math.min(k.start, n.range.start), end: Math.max(k.end, n.range.end) } : n.range;
}

function symbol(doc: TextDocument, name: string, kind: SymbolKind, range: Range, selection: Range, detail?: string, children?: DocumentSymbol[]): DocumentSymbol {
  // The selection range must lie inside the full range.
  const full = { start: Math.min(range.start, selection.start), end: Math.max(range.end, selection.end) };
  const s: DocumentSymbol = {
    name: name === '' ? '(unnamed)' : name,
    kind,
    range: toLspRange(doc, full),
    selectionRange: toLspRange(doc, selection),
  };
  if (detail) s.detail = detail;
  if (children && children.length > 0) s.children = children;
  return s;
}

function stepSymbols(doc: TextDocument, steps: Step[] | undefined, depth: number): DocumentSymbol[] {
  if (!steps || depth > 64) return [];
  const out: DocumentSymbol[] = [];
  for (const step of steps) {
    if (!step || !step.range) continue;
    const groups = childGroups(step);
    let children: DocumentSymbol[];
    if (groups.length === 1 && groups[0]!.label === 'steps') children = stepSymbols(doc, groups[0]!.steps, depth + 1);
    else {
      children = groups
        .filter((g) => g.steps.length > 0)
        .map((g) => {
          const first = g.steps[0]!;
          const last = g.steps[g.steps.length - 1]!;
          const r = { start: first.range.start, end: last.range.end };
          return symbol(doc, g.label, SymbolKind.Namespace, r, { start: r.start, end: r.start }, undefined, stepSymbols(doc, g.steps, depth + 1));
        });
    }
    const selection = step.kindKeyRange ?? step.range;
    out.push(symbol(doc, stepLabel(step), stepKind(step), step.range, selection, step.kind, children));
  }
  return out;
}

function stepKind(step: Step): SymbolKind {
  switch (step.kind) {
    case 'call':
    case 'send':
      return SymbolKind.Event;
    case 'split':
    case 'multicast':
    case 'loop':
    case 'route':
      return SymbolKind.Struct;
    case 'process':
      return SymbolKind.Function;
    default:
      return SymbolKind.Operator;
  }
}

function group(doc: TextDocument, name: string, node: Ranged | undefined, children: DocumentSymbol[], kind: SymbolKind): DocumentSymbol | undefined {
  if (!node && children.length === 0) return undefined;
  const full = node ? span(node) : { start: 0, end: 0 };
  const selection = node?.keyRange ?? { start: full.start, end: full.start };
  return symbol(doc, name, kind, full, selection, undefined, children);
}

export function documentSymbols(doc: TextDocument, flow: Flow): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  const receivers = (flow.receivers ?? [])
    .filter((r) => r.keyRange)
    .map((r) => {
      const adapter = typeof r.adapter?.value === 'string' ? r.adapter.value : undefined;
      const variant = typeof r.variant?.value === 'string' ? r.variant.value : undefined;
      return symbol(doc, r.name, SymbolKind.Interface, span(r), r.keyRange!, adapter ? (variant ? `${adapter} ${variant}` : adapter) : undefined);
    });
  const credentials = (flow.credentials ?? [])
    .filter((c) => c.keyRange)
    .map((c) => symbol(doc, c.name, SymbolKind.Key, span(c), c.keyRange!, typeof c.type?.value === 'string' ? c.type.value : undefined));
  const processes = (flow.processes ?? [])
    .filter((p) => p.keyRange)
    .map((p) => symbol(doc, p.name, SymbolKind.Function, span(p), p.keyRange!, `${p.steps?.length ?? 0} steps`, stepSymbols(doc, p.steps, 0)));
  const steps = stepSymbols(doc, flow.steps, 0);
  for (const g of [
    group(doc, 'Receivers', flow.receiversNode, receivers, SymbolKind.Module),
    group(doc, 'Credentials', flow.credentialsNode, credentials, SymbolKind.Module),
    group(doc, 'Processes', flow.processesNode, processes, SymbolKind.Module),
    group(doc, 'Steps', flow.stepsNode, steps, SymbolKind.Module),
  ]) {
    if (g) out.push(g);
  }
  return out;
}
