/**
 * The designer's edit operations: each is a pure function from the current text (and its
 * yaml Document) to minimal `TextEdit`s. Only the lines an operation is about change:
 * comments, blank lines, key order, quoting and unknown keys elsewhere are untouched. New
 * nodes are rendered with the yaml library in the file's style (line ends, indentation,
 * sequence indentation, quotes) and spliced in at offsets taken from node ranges.
 */
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { SESSION_HANDLING_MODES, formatPath, type NodePath } from '@sessionflow/sdk';
import {
  absorbBlankLines,
  blockItemSpans,
  colonEnd,
  findPair,
  indentLines,
  isCollectionValue,
  isEmptyCollectionValue,
  isEmptyScalar,
  lineAlignedEnd,
  nodeAt,
  pad,
  pairSpan,
  pairsOf,
  range,
  renderBlockLines,
  renderFlow,
  renderPair,
  renderScalar,
  renderSeqItem,
  styleOf,
  normalizeEdits,
  applyTextEdits,
  type Style,
} from './text.js';
import {
  EditError,
  type AddReceiverOp,
  type AddStepOp,
  type DeleteStepOp,
  type EditOperation,
  type EditSource,
  type JsonValue,
  type MoveStepOp,
  type RemoveFieldOp,
  type SetCallTargetOp,
  type SetFieldOp,
  type SetSessionModeOp,
  type TextEdit,
  type WrapInSplitOp,
} from './types.js';

/** Canonical order of top-level keys: a new top-level entry goes where this order puts it. */
const TOP_LEVEL_ORDER = ['flow', 'formatVersion', 'description', 'runtime', 'sender', 'credentials', 'receivers', 'processes', 'steps'];

/** Parses text for editing (keeps CST tokens so sequence dashes and colons have offsets). */
export function editSource(text: string): EditSource {
  return { text, yaml: parseDocument(text, { keepSourceTokens: true, prettyErrors: false, uniqueKeys: false, logLevel: 'silent' }) };
}

function where(path: NodePath): string {
  return path.length === 0 ? 'the top level' : formatPath(path);
}

function checkPath(path: unknown, what: string): NodePath {
  if (!Array.isArray(path) || !path.every((s) => typeof s === 'string' || (typeof s === 'number' && Number.isInteger(s) && s >= 0))) {
    throw new EditError('SF_EDIT_ARGUMENT', `${what} must be a path: an array of keys and indexes`);
  }
  return path as NodePath;
}

// ---------------------------------------------------------------------------------------------
// Maps: set, insert, remove
// ---------------------------------------------------------------------------------------------

function mapAt(src: EditSource, path: NodePath): YAMLMap {
  const node = nodeAt(src, path);
  if (!isMap(node)) throw new EditError(node === undefined ? 'SF_EDIT_PATH' : 'SF_EDIT_SHAPE', `${where(path)} is ${node === undefined ? 'missing' : 'not a map'}`);
  return node;
}

function seqAt(src: EditSource, path: NodePath): YAMLSeq {
  const node = nodeAt(src, path);
  if (!isSeq(node)) throw new EditError(node === undefined ? 'SF_EDIT_PATH' : 'SF_EDIT_SHAPE', `${where(path)} is ${node === undefined ? 'missing' : 'not a list'}`);
  return node;
}

/** Column at which the block value of a key at `keyCol` is indented. */
function childCol(keyCol: number, value: JsonValue, style: Style): number {
  return keyCol + (Array.isArray(value) && !style.indentSeq ? 0 : style.unit);
}

/** Replaces the value of an existing pair with `value`. */
function replacePairValue(src: EditSource, style: Style, pair: Pair, value: JsonValue, preferBlock = false): TextEdit {
  const text = src.text;
  const v = pair.value;
  const span = pairSpan(text, pair);
  const colon = colonEnd(text, pair);
  const simple = !isCollectionValue(value) || isEmptyCollectionValue(value);
  const blockText = (): string => {
    const col = childCol(span.keyCol, value, style);
    return renderBlockLines(value, style).map((l) => style.eol + (l === '' ? '' : pad(col) + l)).join('');
  };
  const vr = range(v);
  if (v === null || v === undefined || !vr || isEmptyScalar(v)) {
    // `key:` with no value: write after the colon.
    const end = vr ? Math.max(vr[1], colon) : colon;
    return { range: { start: colon, end }, newText: simple ? ` ${renderScalar(value, style)}` : blockText() };
  }
  if (isScalar(v) || ((isMap(v) || isSeq(v)) && v.flow)) {
    if (simple) return { range: { start: vr[0], end: vr[1] }, newText: renderScalar(value, style, isScalar(v) ? (v as Scalar) : undefined) };
    if ((isMap(v) || isSeq(v)) && !preferBlock) return { range: { start: vr[0], end: vr[1] }, newText: renderFlow(value, style) };
    return { range: { start: colon, end: vr[1] }, newText: blockText() };
  }
  // A block collection: replace from the colon to the end of its last line.
  const end = lineAlignedEnd(text, vr[1]);
  const eolAtEnd = end > 0 && text[end - 1] === '\n' ? style.eol : '';
  return { range: { start: colon, end }, newText: (simple ? ` ${renderScalar(value, style)}` : blockText()) + eolAtEnd };
}

/** Where a new top-level key goes: after the last present key that precedes it in the canonical order. */
function topLevelAnchor(map: YAMLMap, key: string): { after?: Pair; before?: Pair } {
  const order = TOP_LEVEL_ORDER.indexOf(key);
  const pairs = pairsOf(map);
  if (order < 0) return { after: pairs[pairs.length - 1] };
  let after: Pair | undefined;
  let before: Pair | undefined;
  for (const p of pairs) {
    const o = TOP_LEVEL_ORDER.indexOf(keyOfPair(p));
    if (o >= 0 && o < order) after = p;
    if (o > order && before === undefined) before = p;
  }
  if (after) return { after };
  if (before) return { before };
  return { after: pairs[pairs.length - 1] };
}

function keyOfPair(p: Pair): string {
  return isScalar(p.key) ? String(p.key.value) : '';
}

/** Inserts `key: value` into an existing map. */
function insertPair(src: EditSource, style: Style, map: YAMLMap, mapPath: NodePath, key: string, value: JsonValue): TextEdit {
  const text = src.text;
  const pairs = pairsOf(map);
  const mr = range(map);
  if (map.flow || pairs.length === 0) {
    const entry = `${renderScalar(key, style)}: ${renderFlow(value, style)}`;
    if (!mr) throw new EditError('SF_EDIT_LAYOUT', `cannot locate ${where(mapPath)}`);
    if (pairs.length === 0) return { range: { start: mr[0], end: mr[1] }, newText: `{ ${entry} }` };
    const last = pairs[pairs.length - 1] as Pair;
    const end = Math.max(range(last.value)?.[1] ?? 0, range(last.key)?.[1] ?? 0);
    return { range: { start: end, end }, newText: `, ${entry}` };
  }
  const firstSpan = pairSpan(text, pairs[0] as Pair);
  const col = firstSpan.keyCol;
  const lines = renderPair(key, value, col, style);
  const top = mapPath.length === 0;
  const blank = top && style.blankBetweenTopLevel && isCollectionValue(value) && !isEmptyCollectionValue(value) ? style.eol : '';
  const anchor = top ? topLevelAnchor(map, key) : { after: pairs[pairs.length - 1] };
  if (anchor.before) {
    const s = pairSpan(text, anchor.before);
    if (s.atLineStart) return { range: { start: s.start, end: s.start }, newText: lines + blank };
  }
  const after = anchor.after ?? (pairs[pairs.length - 1] as Pair);
  const at = pairSpan(text, after).end;
  const needsEol = at === text.length && text.length > 0 && text[text.length - 1] !== '\n';
  return { range: { start: at, end: at }, newText: (needsEol ? style.eol : '') + blank + lines };
}

function setFieldEdits(src: EditSource, style: Style, path: NodePath, value: JsonValue, preferBlock = false): TextEdit[] {
  if (path.length === 0) throw new EditError('SF_EDIT_ARGUMENT', 'setField needs a non-empty path');
  const parentPath = path.slice(0, -1);
  const key = path[path.length - 1] as string | number;
  const parent = nodeAt(src, parentPath);
  if (parent === undefined || parent === null || isEmptyScalar(parent)) {
    if (typeof key === 'number') throw new EditError('SF_EDIT_PATH', `${where(parentPath)} is missing, so there is no item ${key} to set`);
    if (parentPath.length === 0) throw new EditError('SF_EDIT_SHAPE', 'the file is empty: write `flow: <id>` first');
    return setFieldEdits(src, style, parentPath, { [key]: value }, preferBlock);
  }
  if (isMap(parent)) {
    const pair = findPair(parent, String(key));
    if (pair) return [replacePairValue(src, style, pair, value, preferBlock)];
    return [insertPair(src, style, parent, parentPath, String(key), value)];
  }
  if (isSeq(parent) && typeof key === 'number') {
    const item = parent.items[key];
    const r = range(item);
    if (!item || !r) throw new EditError('SF_EDIT_PATH', `${where(path)} is missing`);
    if (parent.flow || isScalar(item) || ((isMap(item) || isSeq(item)) && item.flow)) {
      return [{ range: { start: r[0], end: r[1] }, newText: isScalar(item) ? renderScalar(value, style, item as Scalar) : renderFlow(value, style) }];
    }
    const spans = blockItemSpans(src, parent, where(parentPath));
    const s = spans[key] as (typeof spans)[number];
    const itemEnd = lineAlignedEnd(src.text, r[1]);
    let newText = renderSeqItem(value, s.dashCol, s.contentCol, style).slice(s.dashCol + 1 + Math.max(1, s.contentCol - s.dashCol - 1));
    if (!(itemEnd > 0 && src.text[itemEnd - 1] === '\n')) newText = newText.replace(/\r?\n$/, '');
    return [{ range: { start: r[0], end: itemEnd }, newText }];
  }
  throw new EditError('SF_EDIT_SHAPE', `${where(parentPath)} is not a map, so it has no field "${String(key)}"`);
}

function removeFieldEdits(src: EditSource, style: Style, path: NodePath): TextEdit[] {
  if (path.length === 0) throw new EditError('SF_EDIT_ARGUMENT', 'removeField needs a non-empty path');
  const text = src.text;
  const parentPath = path.slice(0, -1);
  const key = String(path[path.length - 1]);
  const map = mapAt(src, parentPath);
  const pairs = pairsOf(map);
  const index = pairs.findIndex((p) => keyOfPair(p) === key);
  const pair = pairs[index];
  if (!pair) throw new EditError('SF_EDIT_PATH', `${where(path)} is missing`);
  const kr = range(pair.key) as [number, number];
  const valueEnd = Math.max(range(pair.value)?.[1] ?? 0, kr[1]);
  if (map.flow) {
    const mr = range(map);
    if (pairs.length === 1 && mr) return [{ range: { start: mr[0], end: mr[1] }, newText: '{}' }];
    const next = pairs[index + 1];
    if (next) return [{ range: { start: kr[0], end: (range(next.key) as [number, number])[0] }, newText: '' }];
    const prev = pairs[index - 1] as Pair;
    const prevEnd = Math.max(range(prev.value)?.[1] ?? 0, range(prev.key)?.[1] ?? 0);
    return [{ range: { start: prevEnd, end: valueEnd }, newText: '' }];
  }
  if (pairs.length === 1) {
    const parentKey = parentPath[parentPath.length - 1];
    if (typeof parentKey === 'string' && isMap(nodeAt(src, parentPath.slice(0, -1)))) return removeFieldEdits(src, style, parentPath);
    throw new EditError('SF_EDIT_SHAPE', `"${key}" is the only field of ${where(parentPath)}; remove ${where(parentPath)} instead`);
  }
  const span = pairSpan(text, pair);
  if (span.atLineStart) return [{ range: absorbBlankLines(text, span.start, span.end), newText: '' }];
  // The key follows `- ` of a sequence item: pull the next key up onto the dash line.
  const next = pairs[index + 1];
  if (!next) throw new EditError('SF_EDIT_LAYOUT', `cannot remove ${where(path)} in this layout; edit it in the text editor`);
  return [{ range: { start: kr[0], end: (range(next.key) as [number, number])[0] }, newText: '' }];
}

// ---------------------------------------------------------------------------------------------
// Step lists
// ---------------------------------------------------------------------------------------------

function stepList(path: NodePath, what: string): { list: NodePath; index: number } {
  const p = checkPath(path, what);
  const index = p[p.length - 1];
  if (typeof index !== 'number') throw new EditError('SF_EDIT_ARGUMENT', `${what} must end with a step index, got ${where(p)}`);
  return { list: p.slice(0, -1), index };
}

export function addStep(src: EditSource, op: Omit<AddStepOp, 'op'>): TextEdit[] {
  const style = styleOf(src);
  const list = checkPath(op.list, 'addStep.list');
  if (!isCollectionValue(op.step) || Array.isArray(op.step) || Object.keys(op.step).length === 0) {
    throw new EditError('SF_EDIT_ARGUMENT', 'addStep.step must be a non-empty map such as { call: "erp" }');
  }
  const node = nodeAt(src, list);
  if (node === undefined || node === null || isEmptyScalar(node) || (isSeq(node) && node.items.length === 0)) {
    return normalizeEdits(setFieldEdits(src, style, list, [op.step], true));
  }
  if (!isSeq(node)) throw new EditError('SF_EDIT_SHAPE', `${where(list)} is not a list of steps`);
  const n = node.items.length;
  const index = Math.max(0, Math.min(op.index ?? n, n));
  if (node.flow) {
    const flow = renderFlow(op.step, style);
    if (index < n) {
      const r = range(node.items[index]) as [number, number];
      return [{ range: { start: r[0], end: r[0] }, newText: `${flow}, ` }];
    }
    const r = range(node.items[n - 1]) as [number, number];
    return [{ range: { start: r[1], end: r[1] }, newText: `, ${flow}` }];
  }
  const spans = blockItemSpans(src, node, where(list));
  const ref = spans[Math.min(index, n - 1)] as (typeof spans)[number];
  const item = renderSeqItem(op.step, ref.dashCol, ref.contentCol, style);
  if (index < n) return [{ range: { start: ref.start, end: ref.start }, newText: item }];
  const at = ref.end;
  const needsEol = at === src.text.length && src.text.length > 0 && src.text[src.text.length - 1] !== '\n';
  return [{ range: { start: at, end: at }, newText: (needsEol ? style.eol : '') + item }];
}

export function deleteStep(src: EditSource, op: Omit<DeleteStepOp, 'op'>): TextEdit[] {
  const style = styleOf(src);
  const { list, index } = stepList(op.path, 'deleteStep.path');
  const seq = seqAt(src, list);
  const n = seq.items.length;
  if (index >= n) throw new EditError('SF_EDIT_PATH', `${where(op.path)} is missing (${where(list)} has ${n} step${n === 1 ? '' : 's'})`);
  if (seq.flow) {
    if (n === 1) {
      const r = range(seq) as [number, number];
      return [{ range: { start: r[0], end: r[1] }, newText: '[]' }];
    }
    const r = range(seq.items[index]) as [number, number];
    if (index < n - 1) return [{ range: { start: r[0], end: (range(seq.items[index + 1]) as [number, number])[0] }, newText: '' }];
    return [{ range: { start: (range(seq.items[index - 1]) as [number, number])[1], end: r[1] }, newText: '' }];
  }
  if (n === 1) {
    const parentPath = list.slice(0, -1);
    const parent = nodeAt(src, parentPath);
    const key = list[list.length - 1];
    if (!isMap(parent) || typeof key !== 'string') {
      throw new EditError('SF_EDIT_SHAPE', `${where(op.path)} is the only step of ${where(list)}; delete the enclosing branch instead`);
    }
    return [replacePairValue(src, style, findPair(parent, key) as Pair, [])];
  }
  const spans = blockItemSpans(src, seq, where(list));
  const s = spans[index] as (typeof spans)[number];
  return [{ range: absorbBlankLines(src.text, s.start, s.end), newText: '' }];
}

export function moveStep(src: EditSource, op: Omit<MoveStepOp, 'op'>): TextEdit[] {
  const style = styleOf(src);
  const { list, index: from } = stepList(op.path, 'moveStep.path');
  const seq = seqAt(src, list);
  const n = seq.items.length;
  if (from >= n) throw new EditError('SF_EDIT_PATH', `${where(op.path)} is missing`);
  if (!Number.isInteger(op.to) || op.to < 0 || op.to >= n) throw new EditError('SF_EDIT_ARGUMENT', `moveStep.to must be an index from 0 to ${n - 1}, got ${String(op.to)}`);
  const to = op.to;
  if (to === from) return [];
  const text = src.text;
  if (seq.flow) {
    const ranges = seq.items.map((it) => range(it) as [number, number]);
    const order = ranges.map((_, i) => i);
    const [moved] = order.splice(from, 1);
    order.splice(to, 0, moved as number);
    const edits: TextEdit[] = [];
    for (let k = Math.min(from, to); k <= Math.max(from, to); k++) {
      const slot = ranges[k] as [number, number];
      const srcRange = ranges[order[k] as number] as [number, number];
      edits.push({ range: { start: slot[0], end: slot[1] }, newText: text.slice(srcRange[0], srcRange[1]) });
    }
    return edits;
  }
  const spans = blockItemSpans(src, seq, where(list));
  const moving = spans[from] as (typeof spans)[number];
  let block = text.slice(moving.start, moving.end);
  if (!block.endsWith('\n')) block += style.eol;
  const del: TextEdit = { range: { start: moving.start, end: moving.end }, newText: '' };
  if (to < from) {
    const at = (spans[to] as (typeof spans)[number]).start;
    return normalizeEdits([{ range: { start: at, end: at }, newText: block }, del]);
  }
  const at = (spans[to] as (typeof spans)[number]).end;
  const atEofWithoutEol = at === text.length && text.length > 0 && text[text.length - 1] !== '\n';
  return normalizeEdits([del, { range: { start: at, end: at }, newText: atEofWithoutEol ? style.eol + block.replace(/\r?\n$/, '') : block }]);
}

export function wrapInSplit(src: EditSource, op: Omit<WrapInSplitOp, 'op'>): TextEdit[] {
  const style = styleOf(src);
  const list = checkPath(op.list, 'wrapInSplit.list');
  const seq = seqAt(src, list);
  const n = seq.items.length;
  const { from, to } = op;
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from || to >= n) {
    throw new EditError('SF_EDIT_ARGUMENT', `wrapInSplit needs 0 <= from <= to < ${n} for ${where(list)}, got from=${String(from)} to=${String(to)}`);
  }
  const splitPath = op.split?.path;
  if (typeof splitPath !== 'string' || splitPath.trim() === '') throw new EditError('SF_EDIT_ARGUMENT', 'wrapInSplit.split.path must be a non-empty JSONPath or XPath, e.g. $.items');
  const header: { [key: string]: JsonValue } = {};
  if (op.split.id !== undefined && op.split.id !== '') header.id = op.split.id;
  const splitBody: { [key: string]: JsonValue } = { path: splitPath };
  if (op.split.parallel !== undefined) splitBody.parallel = op.split.parallel;
  const text = src.text;
  if (seq.flow) {
    const a = range(seq.items[from]) as [number, number];
    const b = range(seq.items[to]) as [number, number];
    const flowHeader = renderFlow({ ...header, split: { ...splitBody, steps: [] } }, style);
    // `{ split: { path: x, steps: [] } }` → put the original items inside the brackets.
    const cut = flowHeader.lastIndexOf('[]');
    return [{ range: { start: a[0], end: b[1] }, newText: `${flowHeader.slice(0, cut)}[ ${text.slice(a[0], b[1])} ]${flowHeader.slice(cut + 2)}` }];
  }
  const spans = blockItemSpans(src, seq, where(list));
  const first = spans[from] as (typeof spans)[number];
  const last = spans[to] as (typeof spans)[number];
  let body = text.slice(first.start, last.end);
  const atEofWithoutEol = !body.endsWith('\n');
  if (atEofWithoutEol) body += style.eol;
  const splitKeyCol = first.contentCol + style.unit;
  const innerDashCol = splitKeyCol + (style.indentSeq ? style.unit : 0);
  const head = renderSeqItem({ ...header, split: splitBody }, first.dashCol, first.contentCol, style);
  let newText = head + pad(splitKeyCol) + 'steps:' + style.eol + indentLines(body, innerDashCol - first.dashCol);
  if (atEofWithoutEol) newText = newText.replace(/\r?\n$/, '');
  return [{ range: { start: first.start, end: last.end }, newText }];
}

// ---------------------------------------------------------------------------------------------
// Receivers, calls, fields, session mode
// ---------------------------------------------------------------------------------------------

export function addReceiver(src: EditSource, op: Omit<AddReceiverOp, 'op'>): TextEdit[] {
  if (typeof op.name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(op.name)) {
    throw new EditError('SF_EDIT_ARGUMENT', `addReceiver.name must be letters, digits, '.', '_' or '-', got ${JSON.stringify(op.name)}`);
  }
  if (!isCollectionValue(op.fields) || Array.isArray(op.fields)) throw new EditError('SF_EDIT_ARGUMENT', 'addReceiver.fields must be a map such as { adapter: "http", address: "https://..." }');
  const receivers = nodeAt(src, ['receivers']);
  if (isMap(receivers) && findPair(receivers, op.name)) throw new EditError('SF_EDIT_ARGUMENT', `receiver "${op.name}" already exists`);
  return normalizeEdits(setFieldEdits(src, styleOf(src), ['receivers', op.name], op.fields));
}

export function setCallTarget(src: EditSource, op: Omit<SetCallTargetOp, 'op'>): TextEdit[] {
  const path = checkPath(op.path, 'setCallTarget.path');
  if (typeof op.receiver !== 'string' || op.receiver === '') throw new EditError('SF_EDIT_ARGUMENT', 'setCallTarget.receiver must be a receiver name');
  const step = mapAt(src, path);
  const pair = findPair(step, 'call') ?? findPair(step, 'send');
  if (!pair) throw new EditError('SF_EDIT_SHAPE', `the step at ${where(path)} is not a call or send step`);
  return [replacePairValue(src, styleOf(src), pair, op.receiver)];
}

export function setField(src: EditSource, op: Omit<SetFieldOp, 'op'>): TextEdit[] {
  const path = checkPath(op.path, 'setField.path');
  if (op.value === undefined) throw new EditError('SF_EDIT_ARGUMENT', 'setField.value is missing (use removeField to delete a field)');
  return normalizeEdits(setFieldEdits(src, styleOf(src), path, op.value));
}

export function removeField(src: EditSource, op: Omit<RemoveFieldOp, 'op'>): TextEdit[] {
  return normalizeEdits(removeFieldEdits(src, styleOf(src), checkPath(op.path, 'removeField.path')));
}

export function setSessionMode(src: EditSource, op: Omit<SetSessionModeOp, 'op'>): TextEdit[] {
  if (!(SESSION_HANDLING_MODES as readonly unknown[]).includes(op.mode)) {
    throw new EditError('SF_EDIT_ARGUMENT', `session mode must be one of ${SESSION_HANDLING_MODES.join(', ')}, got ${JSON.stringify(op.mode)}`);
  }
  const style = styleOf(src);
  const edits: TextEdit[] = [];
  const version = nodeAt(src, ['formatVersion']);
  // A legacy flow (formatVersion 1 or absent) runs without sessions: migrate it on the way.
  if (!(isScalar(version) && version.value === 2)) edits.push(...setFieldEdits(src, style, ['formatVersion'], 2));
  edits.push(...setFieldEdits(src, style, ['runtime', 'sessionHandling'], op.mode));
  return normalizeEdits(edits);
}

/** Computes the text edits of one operation. Throws `EditError` (with a message naming what and where) when it cannot apply. */
export function computeEdits(src: EditSource, op: EditOperation): TextEdit[] {
  if (src.yaml.errors.length > 0) {
    throw new EditError('SF_EDIT_SYNTAX', 'the file has YAML syntax errors; fix them in the text editor before editing in the designer');
  }
  if (!isMap(src.yaml.contents)) throw new EditError('SF_EDIT_SHAPE', 'the file is not a YAML map of flow fields');
  switch (op?.op) {
    case 'addStep':
      return addStep(src, op);
    case 'deleteStep':
      return deleteStep(src, op);
    case 'moveStep':
      return moveStep(src, op);
    case 'wrapInSplit':
      return wrapInSplit(src, op);
    case 'addReceiver':
      return addReceiver(src, op);
    case 'setCallTarget':
      return setCallTarget(src, op);
    case 'setField':
      return setField(src, op);
    case 'removeField':
      return removeField(src, op);
    case 'setSessionMode':
      return setSessionMode(src, op);
    default:
      throw new EditError('SF_EDIT_ARGUMENT', `unknown edit operation ${JSON.stringify((op as { op?: unknown } | undefined)?.op)}`);
  }
}

/** Convenience for tests and tools: parse, compute, apply. */
export function editText(text: string, op: EditOperation): string {
  const src = editSource(text);
  return applyTextEdits(text, computeEdits(src, op));
}

