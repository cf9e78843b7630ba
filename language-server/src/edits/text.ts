/**
 * Text-level helpers for the edit operations: line boundaries, the file's style (line ends,
 * indentation unit, sequence indentation, quote preference), spans of block sequence items
 * and map pairs (taken from the yaml node ranges and CST tokens), and rendering of *new*
 * values with the yaml library in that style. Nothing here re-stringifies existing nodes.
 */
import { Document, isCollection, isMap, isPair, isScalar, isSeq, visit } from 'yaml';
import type { Node as YamlNode, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import type { NodePath } from '@sessionflow/sdk';
import { EditError, type EditSource, type JsonValue, type TextEdit } from './types.js';

export interface Style {
  eol: '\n' | '\r\n';
  /** Indentation step of block maps. */
  unit: number;
  /** Block sequences under a key are indented (`key:\n  - a`) rather than flush (`key:\n- a`). */
  indentSeq: boolean;
  /** The file quotes strings with single quotes more often than with double quotes. */
  singleQuote: boolean;
  /** Top-level entries are separated by blank lines. */
  blankBetweenTopLevel: boolean;
}

// ---------------------------------------------------------------------------------------------
// Lines
// ---------------------------------------------------------------------------------------------

export function lineStart(text: string, offset: number): number {
  const o = Math.max(0, Math.min(offset, text.length));
  return text.lastIndexOf('\n', o - 1) + 1;
}

/** Start of the next line after the one holding `offset` (text length on the last line). */
export function nextLineStart(text: string, offset: number): number {
  const i = text.indexOf('\n', Math.max(0, offset));
  return i < 0 ? text.length : i + 1;
}

export function columnOf(text: string, offset: number): number {
  return offset - lineStart(text, offset);
}

/** The end of a node's lines: `end` when it is already a line start, else the start of the next line. */
export function lineAlignedEnd(text: string, end: number): number {
  if (end > 0 && text[end - 1] === '\n') return end;
  return nextLineStart(text, end);
}

export function onlySpacesBefore(text: string, offset: number): boolean {
  return /^[ \t]*$/.test(text.slice(lineStart(text, offset), offset));
}

/** Moves `start` (a line start) up over comment lines indented exactly `col` (a comment directly above belongs to the node). */
export function withLeadingComments(text: string, start: number, col: number): number {
  let s = start;
  for (let guard = 0; s > 0 && guard < 10_000; guard++) {
    const prev = lineStart(text, s - 1);
    const line = text.slice(prev, s).replace(/\r?\n$/, '');
    const m = /^( *)#/.exec(line);
    if (!m || (m[1] ?? '').length !== col) break;
    s = prev;
  }
  return s;
}

/**
 * Widens a whole-line deletion `[start, end)` over blank lines so that removing a block does
 * not leave two blank lines in a row (or a blank line right after its parent key, or at the end).
 */
export function absorbBlankLines(text: string, start: number, end: number): { start: number; end: number } {
  const isBlank = (a: number, b: number) => /^[ \t]*\r?\n?$/.test(text.slice(a, b));
  let after = end;
  while (after < text.length) {
    const next = nextLineStart(text, after);
    if (next === after || !isBlank(after, next)) break;
    after = next;
  }
  let before = start;
  while (before > 0) {
    const prev = lineStart(text, before - 1);
    if (!isBlank(prev, before)) break;
    before = prev;
  }
  const blankBefore = before < start;
  const blankAfter = after > end;
  const firstInParent = start > 0 && /:[ \t]*(#.*)?\r?\n$/.test(text.slice(lineStart(text, start - 1), start));
  if (blankAfter && (blankBefore || firstInParent)) return { start, end: after };
  if (blankBefore && after >= text.length) return { start: before, end };
  return { start, end };
}

export function pad(n: number): string {
  return ' '.repeat(Math.max(0, n));
}

// ---------------------------------------------------------------------------------------------
// Nodes
// ---------------------------------------------------------------------------------------------

export function range(node: unknown): [number, number] | undefined {
  const r = (node as { range?: unknown } | null | undefined)?.range;
  return Array.isArray(r) && typeof r[0] === 'number' && typeof r[1] === 'number' ? [r[0], r[1]] : undefined;
}

export function keyOf(pair: Pair): string | undefined {
  const k = pair.key;
  if (isScalar(k)) return k.value === null || k.value === undefined ? undefined : String(k.value);
  return undefined;
}

export function pairsOf(map: YAMLMap): Pair[] {
  return map.items.filter((p): p is Pair => isPair(p));
}

export function findPair(map: YAMLMap, key: string): Pair | undefined {
  return pairsOf(map).find((p) => keyOf(p) === key);
}

/** The node at `path`; `null` when the path ends at a missing value (`key:`), `undefined` when absent. */
export function nodeAt(src: EditSource, path: NodePath): YamlNode | null | undefined {
  let cur: unknown = src.yaml.contents;
  for (const seg of path) {
    if (isMap(cur)) {
      const p = findPair(cur, String(seg));
      if (!p) return undefined;
      cur = p.value;
    } else if (isSeq(cur) && typeof seg === 'number') {
      cur = cur.items[seg];
      if (cur === undefined) return undefined;
    } else {
      return undefined;
    }
    if (cur === null) return null;
  }
  return cur as YamlNode;
}

export function isEmptyScalar(node: unknown): boolean {
  return isScalar(node) && (node.value === null || node.value === undefined) && (node.source === undefined || node.source === '' || node.source === null);
}

/** Offset just after the `:` of a block or flow pair (from the CST; the key end as a last resort). */
export function colonEnd(text: string, pair: Pair): number {
  const tok = (pair as { srcToken?: { sep?: { type: string; offset: number }[] } }).srcToken;
  const ind = tok?.sep?.find((t) => t.type === 'map-value-ind');
  if (ind) return ind.offset + 1;
  const kr = range(pair.key);
  if (!kr) throw new EditError('SF_EDIT_LAYOUT', 'cannot locate a map key in the file');
  let i = kr[1];
  while (i < text.length && text[i] !== ':' && text[i] !== '\n') i++;
  return text[i] === ':' ? i + 1 : kr[1];
}

export interface ItemSpan {
  /** Line start, moved up over comment lines that belong to the item. */
  start: number;
  /** End of the item's last line, including its line break. */
  end: number;
  dash: number;
  dashCol: number;
  /** Column of the item's content (`- key` → column of `key`). */
  contentCol: number;
}

/** Spans of the items of a block sequence; throws when an item does not start its own line. */
export function blockItemSpans(src: EditSource, seq: YAMLSeq, where: string): ItemSpan[] {
  const text = src.text;
  const cst = (seq as { srcToken?: { type?: string; items?: { start: { type: string; offset: number }[] }[] } }).srcToken;
  let dashes: number[] = [];
  if (cst?.type === 'block-seq' && Array.isArray(cst.items)) {
    dashes = cst.items.map((it) => it.start.find((t) => t.type === 'seq-item-ind')?.offset).filter((o): o is number => o !== undefined);
  }
  if (dashes.length !== seq.items.length) {
    dashes = seq.items.map((item) => {
      const r = range(item);
      if (!r) throw new EditError('SF_EDIT_LAYOUT', `cannot locate the items of ${where}`);
      let i = r[0] - 1;
      while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
      if (text[i] !== '-') throw new EditError('SF_EDIT_LAYOUT', `cannot locate the items of ${where}`);
      return i;
    });
  }
  return seq.items.map((item, i) => {
    const dash = dashes[i] as number;
    if (!onlySpacesBefore(text, dash)) {
      throw new EditError('SF_EDIT_LAYOUT', `item ${i} of ${where} does not start its own line (e.g. "- - step"); edit this list in the text editor`);
    }
    const ls = lineStart(text, dash);
    const dashCol = dash - ls;
    const r = range(item);
    const contentStart = r ? r[0] : dash + 1;
    const contentCol = r && lineStart(text, contentStart) === ls && contentStart > dash ? contentStart - ls : dashCol + 2;
    const end = lineAlignedEnd(text, Math.max(r ? r[1] : dash + 1, dash + 1));
    return { start: withLeadingComments(text, ls, dashCol), end, dash, dashCol, contentCol };
  });
}

export interface PairSpan {
  start: number;
  end: number;
  keyStart: number;
  keyCol: number;
  /** The key starts its line (else it follows `- ` of a sequence item). */
  atLineStart: boolean;
}

export function pairSpan(text: string, pair: Pair): PairSpan {
  const kr = range(pair.key);
  if (!kr) throw new EditError('SF_EDIT_LAYOUT', 'cannot locate a map key in the file');
  const keyStart = kr[0];
  const atLineStart = onlySpacesBefore(text, keyStart);
  const keyCol = columnOf(text, keyStart);
  const valueEnd = Math.max(range(pair.value)?.[1] ?? 0, kr[1]);
  const start = atLineStart ? withLeadingComments(text, lineStart(text, keyStart), keyCol) : keyStart;
  return { start, end: lineAlignedEnd(text, valueEnd), keyStart, keyCol, atLineStart };
}

// ---------------------------------------------------------------------------------------------
// Style
// ---------------------------------------------------------------------------------------------

export function styleOf(src: EditSource): Style {
  const text = src.text;
  const nl = text.indexOf('\n');
  const eol: Style['eol'] = nl > 0 && text[nl - 1] === '\r' ? '\r\n' : '\n';
  let unit: number | undefined;
  let indentSeq: boolean | undefined;
  let single = 0;
  let double = 0;
  visit(src.yaml, {
    Pair(_k, pair) {
      const kr = range(pair.key);
      const v = pair.value;
      if (!kr || !isCollection(v) || v.flow) return;
      const first = isMap(v) ? pairsOf(v)[0]?.key : undefined;
      const fr = isMap(v) ? range(first) : undefined;
      if (unit === undefined && fr && onlySpacesBefore(text, fr[0]) && onlySpacesBefore(text, kr[0])) {
        const d = columnOf(text, fr[0]) - columnOf(text, kr[0]);
        if (d > 0 && d <= 8) unit = d;
      }
      if (indentSeq === undefined && isSeq(v) && onlySpacesBefore(text, kr[0])) {
        const dash = (v as { srcToken?: { items?: { start: { type: string; offset: number }[] }[] } }).srcToken?.items?.[0]?.start.find((t) => t.type === 'seq-item-ind')?.offset;
        if (dash !== undefined && onlySpacesBefore(text, dash)) indentSeq = columnOf(text, dash) > columnOf(text, kr[0]);
      }
    },
    Scalar(_k, s) {
      if (s.type === 'QUOTE_SINGLE') single++;
      else if (s.type === 'QUOTE_DOUBLE') double++;
    },
  });
  let blankBetweenTopLevel = false;
  const root = src.yaml.contents;
  if (isMap(root) && !root.flow) {
    const pairs = pairsOf(root);
    for (let i = 1; i < pairs.length && !blankBetweenTopLevel; i++) {
      const prevEnd = pairSpan(text, pairs[i - 1] as Pair).end;
      const nextStart = pairSpan(text, pairs[i] as Pair).start;
      if (/\n[ \t]*\r?\n/.test(text.slice(prevEnd - 1, nextStart))) blankBetweenTopLevel = true;
    }
  }
  return { eol, unit: unit ?? 2, indentSeq: indentSeq ?? true, singleQuote: single > double, blankBetweenTopLevel };
}

// ---------------------------------------------------------------------------------------------
// Rendering new values
// ---------------------------------------------------------------------------------------------

export function isCollectionValue(v: JsonValue): v is JsonValue[] | { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null;
}

export function isEmptyCollectionValue(v: JsonValue): boolean {
  return Array.isArray(v) ? v.length === 0 : isCollectionValue(v) && Object.keys(v).length === 0;
}

function toStringOptions(style: Style) {
  return {
    indent: style.unit,
    indentSeq: style.indentSeq,
    lineWidth: 0,
    minContentWidth: 0,
    flowCollectionPadding: true,
    // null: double quotes by default, but a scalar explicitly typed QUOTE_SINGLE keeps them
    singleQuote: style.singleQuote ? true : null,
  } as const;
}

function withEol(s: string, style: Style): string {
  return style.eol === '\n' ? s : s.replace(/\r?\n/g, style.eol);
}

/** A block rendering of a map or sequence: lines (without line ends), not indented. */
export function renderBlockLines(value: JsonValue, style: Style): string[] {
  const doc = new Document(value);
  return doc.toString(toStringOptions(style)).replace(/\n$/, '').split('\n');
}

/** A one-line flow rendering (`{ a: 1, b: [ x ] }`, or a scalar). */
export function renderFlow(value: JsonValue, style: Style): string {
  const doc = new Document(value);
  visit(doc, {
    Map(_k, m) {
      m.flow = true;
    },
    Seq(_k, s) {
      s.flow = true;
    },
    Scalar(_k, s) {
      if (typeof s.value === 'string' && /[\r\n]/.test(s.value)) s.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString(toStringOptions(style)).replace(/\n$/, '');
}

/** A scalar in the quote style of `like` (the scalar it replaces), when that style can hold it. */
export function renderScalar(value: JsonValue, style: Style, like?: Scalar): string {
  if (isCollectionValue(value)) return renderFlow(value, style);
  const doc = new Document(value);
  const s = doc.contents as Scalar;
  if (typeof value === 'string') {
    if (/[\r\n]/.test(value)) s.type = 'QUOTE_DOUBLE';
    else if (like?.type === 'QUOTE_DOUBLE' || like?.type === 'QUOTE_SINGLE') s.type = like.type;
  }
  return doc.toString(toStringOptions(style)).replace(/\n$/, '');
}

/** Lines of `key: value` (block style) indented at `col`, each ending in the file's line end. */
export function renderPair(key: string, value: JsonValue, col: number, style: Style): string {
  const lines = renderBlockLines({ [key]: value }, style);
  return lines.map((l) => (l === '' ? '' : pad(col) + l) + style.eol).join('');
}

/** Lines of a new block sequence item (`- key: value ...`) with the dash at `dashCol` and content at `contentCol`. */
export function renderSeqItem(value: JsonValue, dashCol: number, contentCol: number, style: Style): string {
  const lines = isCollectionValue(value) && !isEmptyCollectionValue(value) && !Array.isArray(value) ? renderBlockLines(value, style) : [renderFlow(value, style)];
  const gap = Math.max(1, contentCol - dashCol - 1);
  return lines.map((l, i) => (i === 0 ? `${pad(dashCol)}-${pad(gap)}${l}` : l === '' ? '' : pad(dashCol + 1 + gap) + l) + style.eol).join('');
}

/** Shifts every non-blank line of `block` right by `n` columns. */
export function indentLines(block: string, n: number): string {
  return block.replace(/^(?=[^\r\n])/gm, pad(n));
}

export { withEol };

/** Applies non-overlapping edits (edits at the same offset keep their order). */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = edits.map((e, i) => ({ e, i })).sort((a, b) => a.e.range.start - b.e.range.start || a.e.range.end - b.e.range.end || a.i - b.i);
  let out = '';
  let pos = 0;
  for (const { e } of sorted) {
    if (e.range.start < pos) throw new EditError('SF_EDIT_ARGUMENT', 'overlapping edits');
    out += text.slice(pos, e.range.start) + e.newText;
    pos = e.range.end;
  }
  return out + text.slice(pos);
}

/** Sorts edits and merges insertions at the same offset (so any client applies them in order). */
export function normalizeEdits(edits: TextEdit[]): TextEdit[] {
  const sorted = edits.map((e, i) => ({ e, i })).sort((a, b) => a.e.range.start - b.e.range.start || a.e.range.end - b.e.range.end || a.i - b.i);
  const out: TextEdit[] = [];
  for (const { e } of sorted) {
    const last = out[out.length - 1];
    if (last && last.range.start === e.range.start && last.range.end === last.range.start) {
      out[out.length - 1] = { range: { start: last.range.start, end: e.range.end }, newText: last.newText + e.newText };
    } else {
      out.push({ range: { ...e.range }, newText: e.newText });
    }
  }
  return out;
}
