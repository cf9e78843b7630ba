/**
 * `reparseFlow`: incremental re-parse of a flow after one text change.
 *
 * When the change lies inside one item of the top-level block `steps` list (and the item keeps
 * its shape: same `- ` start line and indentation, no tabs, no CR, no anchors/aliases, no YAML
 * problems), only that item's lines are re-parsed with the `yaml` library (as a one-item block
 * sequence under `steps:`), its model is built and spliced in, and every range after it is
 * shifted by the length delta. Anything else falls back to a full `parseFlow`.
 *
 * Every range still comes from the yaml library's parse: the re-parsed item's nodes carry the
 * library's ranges (offset to the document), the rest are the previous parse's, shifted.
 *
 * The result's `root` is the previous document's yaml tree, taken over and updated in place
 * (ranges shifted, the item replaced): `previous` must not be used after an incremental
 * re-parse (a second re-parse of it falls back to a full parse). `rangeAt`, `pathAt`,
 * `positionAt` and `offsetAt` work on that tree and the new text; `yaml` and `lineCounter`
 * (comments, CST, for edits) come from a full parse of the new text made lazily on first use.
 * Assumes `previous` was parsed with schema validation (the default).
 */
import { Pair, Scalar, YAMLMap, YAMLSeq, isMap, isPair, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import type { Flow, ParseProblem, Range, Step } from './model.js';
import { ModelScalar, buildFlowModel, buildTopLevelStep, documentData, flowDocument, isLegacyFlow, parseFlow } from './parse.js';
import type { FlowDocument } from './parse.js';
import { findPair, keyString } from './paths.js';
import { validateFlowSchema } from './schema.js';

export interface TextChange {
  /** Offset of the first replaced character. */
  start: number;
  /** Offset after the last replaced character. */
  end: number;
  /** Inserted text. */
  text: string;
}

/** What an incremental re-parse needs of a document (kept per FlowDocument). */
interface IncState {
  /** The whole JS value of the document (shared, never mutated). */
  data: Record<string, unknown>;
  /** Line start offset of each top-level steps item (its `- ` line). */
  itemStarts: number[];
  /** Column of the `-` of every item. */
  col: number;
  /** The yaml root node in this document's coordinates (taken over by the next re-parse). */
  tree: YamlNode;
}

const states = new WeakMap<FlowDocument, IncState | null>();
/** Documents whose tree a re-parse took over (must not be re-parsed from again). */
const consumed = new WeakSet<FlowDocument>();

/** Counters for tests and benchmarks: how often the incremental path was taken or not. */
export const reparseStats = { incremental: 0, fallback: 0, scalarEdits: 0 };

const SNIPPET_PREFIX = 'steps:\n';

function initialState(doc: FlowDocument): IncState | null {
  const text = doc.text;
  if (text.includes('\r') || text.includes('\t') || text.startsWith('%') || text.includes('\n%')) return null;
  // yaml errors and warnings are all in `problems` (flow/yaml-syntax)
  if (doc.problems.some((p) => p.code === 'flow/yaml-syntax')) return null;
  // a tree built by parseFlow's fast path has no anchors or aliases and its data is known;
  // else the yaml Document (already parsed then) is checked and converted
  const known = documentData.has(doc);
  const root = known ? doc.root : doc.yaml.contents;
  if (!isMap(root) || root.flow) return null;
  if (!known) {
    let anchored = false;
    visit(doc.yaml, (_key, node) => {
      if (node && typeof node === 'object' && 'anchor' in node && (node as { anchor?: string }).anchor) anchored = true;
      if (node && typeof node === 'object' && (node as { constructor?: { name?: string } }).constructor?.name === 'Alias') anchored = true;
      if (anchored) return visit.BREAK;
      return undefined;
    });
    if (anchored) return null;
  }
  const pair = findPair(root, 'steps');
  const seq = pair?.value;
  if (!isSeq(seq) || seq.flow) return null;
  const keyRange = (pair?.key as { range?: number[] } | null)?.range;
  if (!keyRange || keyRange[0] !== 0 && text[(keyRange[0] as number) - 1] !== '\n') return null;
  const itemStarts: number[] = [];
  let col = -1;
  for (const item of seq.items) {
    const r = (item as { range?: number[] } | null)?.range;
    if (!isMap(item) || item.flow || !r) return null;
    const start = r[0] as number;
    const lineStart = text.lastIndexOf('\n', start - 1) + 1;
    const m = /^( *)- +$/.exec(text.slice(lineStart, start));
    if (!m) return null;
    const c = (m[1] as string).length;
    if (col === -1) col = c;
    else if (c !== col) return null;
    itemStarts.push(lineStart);
  }
  if (itemStarts.length < 2) return null;
  const data = known ? documentData.get(doc) : (doc.yaml.toJS({ maxAliasCount: 100 }) as unknown);
  if (!data || typeof data !== 'object' || Array.isArray(data) || !Array.isArray((data as Record<string, unknown>).steps)) return null;
  return { data: data as Record<string, unknown>, itemStarts, col, tree: root };
}

function stateOf(doc: FlowDocument): IncState | null {
  if (states.has(doc)) return states.get(doc) ?? null;
  let s: IncState | null;
  try {
    s = initialState(doc);
  } catch {
    s = null;
  }
  states.set(doc, s);
  return s;
}

const RANGE_KEYS: ReadonlySet<string> = new Set(['range', 'keyRange', 'kindKeyRange']);
/** Keys whose values hold no source ranges (JS data, parsed templates). */
const OPAQUE_KEYS: ReadonlySet<string> = new Set(['value', 'template', 'raw', 'path']);

function shiftDeep<T>(v: T, shift: (r: Range) => Range): T {
  if (Array.isArray(v)) return v.map((x: unknown) => shiftDeep(x, shift)) as T;
  // scalar fields keep their class (their path is made when read)
  if (v instanceof ModelScalar) return v.shifted(shift) as T;
  if (!v || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (RANGE_KEYS.has(k) && x && typeof x === 'object') out[k] = shift(x as Range);
    else if (k === 'value' && 'name' in (v as object) && x && typeof x === 'object' && 'template' in x && 'range' in x) out[k] = shiftDeep(x, shift);
    else if (OPAQUE_KEYS.has(k)) out[k] = x;
    else out[k] = shiftDeep(x, shift);
  }
  return out as T;
}

function tryIncremental(prev: FlowDocument, change: TextChange, newText: string): FlowDocument | undefined {
  const st = stateOf(prev);
  if (!st) return undefined;
  if (change.text.includes('\r') || change.text.includes('\t')) return undefined;
  const { itemStarts, col } = st;
  // the item whose region holds the change (the last item is never handled: its end is open)
  let lo = 0;
  let hi = itemStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((itemStarts[mid] as number) <= change.start) lo = mid;
    else hi = mid - 1;
  }
  const i = lo;
  if (i >= itemStarts.length - 1) return undefined;
  const regionStart = itemStarts[i] as number;
  const regionEndOld = itemStarts[i + 1] as number;
  if (change.start <= regionStart + col || change.end >= regionEndOld || change.start > change.end) return undefined;
  const delta = change.text.length - (change.end - change.start);
  const regionEndNew = regionEndOld + delta;
  const region = newText.slice(regionStart, regionEndNew);
  if (!region.endsWith('\n')) return undefined;
  const lines = region.slice(0, -1).split('\n');
  const indent = ' '.repeat(col);
  if (!new RegExp(`^${indent}- +[^ #]`).test(lines[0] as string)) return undefined;
  for (let k = 1; k < lines.length; k++) {
    const line = lines[k] as string;
    if (line.trim() === '') continue;
    if (!line.startsWith(`${indent} `)) return undefined;
  }
  if (region.includes('&') || region.includes('*') || region.includes('%')) return undefined;
  const snippet = `${SNIPPET_PREFIX}${region}${indent}- 0\n`;
  const sdoc = parseDocument(snippet, { prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  if (sdoc.errors.length > 0 || sdoc.warnings.length > 0) return undefined;
  const sroot = sdoc.contents;
  if (!isMap(sroot) || sroot.items.length !== 1) return undefined;
  const sseq = findPair(sroot, 'steps')?.value;
  if (!isSeq(sseq) || sseq.items.length !== 2) return undefined;
  const item = sseq.items[0];
  if (!isMap(item) || item.flow) return undefined;
  let bad = false;
  const off = regionStart - SNIPPET_PREFIX.length;
  visit(sdoc, (_key, node) => {
    const n = node as { anchor?: string; range?: number[] | null; constructor?: { name?: string } } | null;
    if (!n || typeof n !== 'object') return undefined;
    if (n.anchor || n.constructor?.name === 'Alias') bad = true;
    if (n.range) n.range = n.range.map((x) => x + off);
    return bad ? visit.BREAK : undefined;
  });
  if (bad) return undefined;
  const itemJs = (sdoc.toJS({ maxAliasCount: 100 }) as { steps: unknown[] }).steps[0];

  // model of the new item (ranges now index the new text)
  const built = buildTopLevelStep(sdoc, item, ['steps', i], newText);

  const shift = (r: Range): Range => ({ start: r.start >= regionEndOld ? r.start + delta : r.start, end: r.end >= regionEndOld ? r.end + delta : r.end });

  // flow: everything but the steps shifted; steps before the item reused
  const old = prev.flow;
  const { steps: oldSteps, ...rest } = old;
  const flow = shiftDeep(rest, shift) as Flow;
  const steps: Step[] = [];
  let placed = false;
  for (const s of oldSteps) {
    const k = s.path[1] as number;
    if (k < i) steps.push(s);
    else {
      if (!placed) {
        placed = true;
        if (built.step) steps.push(built.step);
      }
      if (k > i) steps.push(shiftDeep(s, shift));
    }
  }
  if (!placed && built.step) steps.push(built.step);
  flow.steps = steps;

  // schema: the whole data with the item replaced; only the item's problems are taken
  const oldData = st.data;
  const dataSteps = (oldData.steps as unknown[]).slice();
  dataSteps[i] = itemJs;
  const data = { ...oldData, steps: dataSteps };
  const fakeSeq = new YAMLSeq();
  fakeSeq.items = new Array<unknown>(dataSteps.length).fill(null);
  fakeSeq.items[i] = item;
  const fakeKey = findPair(sroot, 'steps')?.key;
  if (!fakeKey) return undefined;
  const fakeRoot = new YAMLMap();
  fakeRoot.items.push(new Pair(fakeKey, fakeSeq));
  const schemaProblems = validateFlowSchema({ contents: fakeRoot }, { data }).filter(
    (p) => p.path !== undefined && p.path.length >= 2 && p.path[0] === 'steps' && p.path[1] === i,
  );

  const problems: ParseProblem[] = [];
  for (const p of prev.problems) {
    if (p.range.start >= regionStart && p.range.end <= regionEndOld) continue;
    problems.push(p.range.start >= regionEndOld || p.range.end >= regionEndOld ? { ...p, range: shift(p.range) } : p);
  }
  problems.push(...built.problems, ...schemaProblems);
  problems.sort((a, b) => a.range.start - b.range.start || a.range.end - b.range.end);

  // the yaml tree: taken over from `prev` (its ranges after the item shifted in place)
  const tree = st.tree;
  if (!isMap(tree)) return undefined;
  const treeSteps = findPair(tree, 'steps');
  const treeSeq = treeSteps?.value;
  if (!treeSteps || !isSeq(treeSeq) || treeSeq.items.length !== itemStarts.length) return undefined;
  // commit: nothing below may fail
  states.set(prev, null);
  consumed.add(prev);
  shiftOwnRange(tree, regionEndOld, delta);
  for (const pair of tree.items) {
    if (pair === treeSteps) {
      shiftOwnRange(treeSeq, regionEndOld, delta);
      for (let k = i + 1; k < treeSeq.items.length; k++) shiftTree(treeSeq.items[k], regionEndOld, delta);
      treeSeq.items[i] = item;
    } else {
      shiftTree(pair.key, regionEndOld, delta);
      shiftTree(pair.value, regionEndOld, delta);
    }
  }

  const newStarts = itemStarts.slice();
  for (let k = i + 1; k < newStarts.length; k++) newStarts[k] = (newStarts[k] as number) + delta;

  const result = reparsedDocument(prev, newText, flow, problems, prev.isLegacy, tree);
  states.set(result, { data, itemStarts: newStarts, col, tree });
  // alias-free (checked above) with its data known: a later scalar edit may build on it
  documentData.set(result, data);
  return result;
}

/**
 * The FlowDocument of a re-parse: `root` is the tree taken over from `prev`; the yaml Document
 * (comments, CST, for edits) comes from a full parse of the new text, made on first use.
 */
function reparsedDocument(prev: FlowDocument, newText: string, flow: Flow, problems: ParseProblem[], isLegacy: boolean, root: YamlNode): FlowDocument {
  // the closures below must not hold `prev`: every version would keep the one before it alive
  // (an editing session's memory would grow by a whole document per keystroke)
  const options = prev.uri !== undefined ? { uri: prev.uri } : {};
  let full: FlowDocument | undefined;
  const fullDoc = (): FlowDocument => (full ??= parseFlow(newText, options));
  return flowDocument({
    text: newText,
    root,
    flow,
    problems,
    isLegacy,
    yaml: () => ({ doc: fullDoc().yaml, lineCounter: fullDoc().lineCounter }),
    ...options,
  });
}

// ---------------------------------------------------------------------------------------------
// A change inside one quoted scalar value
// ---------------------------------------------------------------------------------------------

/** Characters an edit inside quotes may insert: printable, no quote, backslash or line break. */
function plainQuotedText(t: string): boolean {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e) {
      if (c === 0x22 || c === 0x27 || c === 0x5c) return false;
    } else if (c < 0xa0 || (c >= 0xd800 && c <= 0xdfff) || c === 0xfeff || c >= 0xfffe) return false;
  }
  return true;
}

/**
 * Shifts the numbers of a node's own range at or after `from` by `delta`. The range is assigned
 * back: the fast path's nodes hand out their range as a copy (fast-tree.ts).
 */
function shiftOwnRange(node: unknown, from: number, delta: number): void {
  const n = node as { range?: number[] | null } | null;
  const r = n?.range;
  if (!n || !r) return;
  let changed = false;
  for (let k = 0; k < r.length; k++) {
    if ((r[k] as number) >= from) {
      r[k] = (r[k] as number) + delta;
      changed = true;
    }
  }
  if (changed) n.range = r;
}

/** Shifts every range number of a subtree at or after `from` by `delta`, in place. */
function shiftTree(node: unknown, from: number, delta: number, depth = 0): void {
  if (!node || typeof node !== 'object' || depth > 10_000) return;
  shiftOwnRange(node, from, delta);
  if (isMap(node)) {
    for (const p of node.items) {
      shiftTree(p.key, from, delta, depth + 1);
      shiftTree(p.value, from, delta, depth + 1);
    }
  } else if (isSeq(node)) {
    for (const x of node.items) shiftTree(x, from, delta, depth + 1);
  }
}

/** `data` with the value at `path` replaced, copying only the objects along the path. */
function withValue(data: unknown, path: (string | number)[], value: unknown, k = 0): unknown {
  if (k === path.length) return value;
  const seg = path[k] as string | number;
  if (Array.isArray(data)) {
    const copy = data.slice();
    copy[seg as number] = withValue(data[seg as number], path, value, k + 1);
    return copy;
  }
  if (data && typeof data === 'object') {
    return { ...(data as Record<string, unknown>), [seg]: withValue((data as Record<string, unknown>)[seg], path, value, k + 1) };
  }
  return data;
}

/**
 * A change strictly inside the quotes of one quoted scalar value, in a document whose tree is
 * alias-free and whose data is known (parsed by the fast path, or a re-parse of such a document),
 * where neither the old content nor the inserted text holds a quote, backslash or line break:
 * the text's structure cannot change, only that value and the offsets after it. The tree is
 * taken over from `previous` (ranges shifted in place, the scalar's value set), the model is
 * rebuilt from it, the schema re-checked on the data with the one value replaced. This covers
 * typing inside any string value of a JSON flow, where the step-item path does not apply.
 */
function tryScalarEdit(prev: FlowDocument, change: TextChange, newText: string): FlowDocument | undefined {
  if (!documentData.has(prev) || consumed.has(prev)) return undefined;
  if (prev.problems.some((p) => p.code === 'flow/yaml-syntax')) return undefined;
  const root = prev.root;
  if (!isMap(root) && !isSeq(root)) return undefined;
  const { start, end } = change;
  // the deepest value holding the change
  const path: (string | number)[] = [];
  let node: unknown = root;
  for (let depth = 0; depth < 10_000 && !isScalar(node); depth++) {
    let next: unknown;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) return undefined;
        const kr = (pair.key as { range?: number[] } | null)?.range;
        if (kr && (kr[0] as number) <= end && start <= (kr[1] as number)) return undefined; // touches a key
        const vr = (pair.value as { range?: number[] } | null)?.range;
        if (vr && (vr[0] as number) <= start && end <= (vr[1] as number)) {
          const key = keyString(pair.key);
          if (key === undefined) return undefined;
          path.push(key);
          next = pair.value;
          break;
        }
      }
    } else if (isSeq(node)) {
      for (let i = 0; i < node.items.length; i++) {
        const vr = (node.items[i] as { range?: number[] } | null)?.range;
        if (vr && (vr[0] as number) <= start && end <= (vr[1] as number)) {
          path.push(i);
          next = node.items[i];
          break;
        }
      }
    }
    if (next === undefined) return undefined;
    node = next;
  }
  if (!isScalar(node) || (node.type !== Scalar.QUOTE_DOUBLE && node.type !== Scalar.QUOTE_SINGLE) || typeof node.value !== 'string') return undefined;
  const r = node.range as number[];
  const r0 = r[0] as number;
  const r1 = r[1] as number;
  if (!(start > r0 && end < r1)) return undefined;
  const raw = prev.text.slice(r0 + 1, r1 - 1);
  // the content as written must be the value itself (no escapes, doubled quotes or line breaks)
  if (raw !== node.value || !plainQuotedText(raw) || !plainQuotedText(change.text)) return undefined;
  const value = `${raw.slice(0, start - r0 - 1)}${change.text}${raw.slice(end - r0 - 1)}`;
  const delta = change.text.length - (end - start);
  const data = withValue(documentData.get(prev), path, value);

  // commit: the tree is taken over from `prev`
  states.set(prev, null);
  consumed.add(prev);
  shiftTree(root, end, delta);
  node.value = value;
  if (Object.prototype.hasOwnProperty.call(node, 'source')) (node as { source?: string }).source = value;

  const tree = { contents: root };
  const built = buildFlowModel(root, newText);
  const problems = [...built.problems, ...validateFlowSchema(tree, { data })];
  problems.sort((a, b) => a.range.start - b.range.start || a.range.end - b.range.end);
  const result = reparsedDocument(prev, newText, built.flow, problems, isLegacyFlow(tree), root);
  documentData.set(result, data);
  reparseStats.scalarEdits++;
  return result;
}

/**
 * The incremental path of `reparseFlow` only: the re-parsed document, or undefined when the
 * change needs a full parse (the caller then parses the new text itself). Never throws.
 */
export function tryReparseFlow(previous: FlowDocument, change: TextChange): FlowDocument | undefined {
  const text = previous.text;
  const start = Math.max(0, Math.min(Math.floor(Number(change.start)) || 0, text.length));
  const end = Math.max(start, Math.min(Math.floor(Number(change.end)) || 0, text.length));
  const insert = typeof change.text === 'string' ? change.text : '';
  try {
    const newText = `${text.slice(0, start)}${insert}${text.slice(end)}`;
    const r = tryIncremental(previous, { start, end, text: insert }, newText) ?? tryScalarEdit(previous, { start, end, text: insert }, newText);
    if (r) reparseStats.incremental++;
    else reparseStats.fallback++;
    return r;
  } catch {
    reparseStats.fallback++;
    return undefined;
  }
}

/**
 * Re-parses `previous.text` with `change` applied. The result equals `parseFlow(newText)` in
 * model, problems and `isLegacy`; an incremental path is taken when the change stays inside one
 * top-level step item, else a full parse. Never throws.
 */
export function reparseFlow(previous: FlowDocument, change: TextChange): FlowDocument {
  const r = tryReparseFlow(previous, change);
  if (r) return r;
  const text = previous.text;
  const start = Math.max(0, Math.min(Math.floor(Number(change.start)) || 0, text.length));
  const end = Math.max(start, Math.min(Math.floor(Number(change.end)) || 0, text.length));
  const insert = typeof change.text === 'string' ? change.text : '';
  return parseFlow(`${text.slice(0, start)}${insert}${text.slice(end)}`, previous.uri !== undefined ? { uri: previous.uri } : {});
}
