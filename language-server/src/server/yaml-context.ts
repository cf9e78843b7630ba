/**
 * Where in the YAML structure a cursor is, computed from the raw lines by indentation.
 *
 * Completion runs while the user types, when the document is often not valid YAML (a
 * half-written key, a missing value). Instead of relying on the parsed tree, this module
 * reads block structure from indentation and `- ` markers, and flow collections
 * (`{ a: 1, b: |` / `[x, |`) on the cursor's line with a small scanner. It never throws.
 */
import type { NodePath } from './core.js';

export interface CursorContext {
  /** `key`: a mapping key is being typed; `value`: the value of `key`. */
  kind: 'key' | 'value';
  /** Path of the mapping that holds the key being typed (for `value`: that holds `key`). */
  parentPath: NodePath;
  /** For `value`: the key whose value is typed. */
  key?: string;
  /** The partial word before the cursor. */
  prefix: string;
  /** Offsets of the word to replace (partial word around the cursor, quotes excluded). */
  replace: { start: number; end: number };
  /** Keys already present in the parent mapping (other than the one being typed). */
  siblingKeys: string[];
  /** Column of the key being typed (block context) — used to indent inserted text. */
  column: number;
  /** Inside a flow collection (`{...}` / `[...]`): insert single-line text only. */
  inFlow: boolean;
  /** For `value` in block context: the value is a new block sequence item (`- |`). */
  sequenceItem?: boolean;
}

interface Frame {
  col: number;
  kind: 'map' | 'seq';
  /** map: last key seen; seq: index of the last item. */
  key?: string;
  index?: number;
  /** map: every key seen at this level. */
  keys?: Set<string>;
}

type Token = { kind: 'seq'; col: number } | { kind: 'key'; col: number; key: string; value: string; valueCol: number };

const KEY_RE = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#:{}[\],"'][^#:{}[\],]*?)\s*:(?:\s+|$)/;

function unquote(key: string): string {
  if (key.startsWith('"') && key.endsWith('"') && key.length >= 2) {
    try {
      return JSON.parse(key) as string;
    } catch {
      return key.slice(1, -1);
    }
  }
  if (key.startsWith("'") && key.endsWith("'") && key.length >= 2) return key.slice(1, -1).replace(/''/g, "'");
  return key.trim();
}

/** Splits one line (without its newline) into block tokens: `- ` markers and a `key:`. */
function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length && line[i] === ' ') i++;
  for (;;) {
    if (line[i] === '-' && (i + 1 === line.length || line[i + 1] === ' ')) {
      tokens.push({ kind: 'seq', col: i });
      i++;
      while (i < line.length && line[i] === ' ') i++;
      continue;
    }
    break;
  }
  const rest = line.slice(i);
  const m = KEY_RE.exec(rest);
  if (m && m[1] !== undefined) {
    const valueCol = i + m[0].length;
    tokens.push({ kind: 'key', col: i, key: unquote(m[1]), value: line.slice(valueCol), valueCol });
  }
  return tokens;
}

function stripComment(s: string): string {
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || s[i - 1] === ' ' || s[i - 1] === '\t')) return s.slice(0, i);
  }
  return s;
}

/** Net count of unclosed `{`/`[` in a line, ignoring quoted text and comments. */
function bracketDelta(line: string): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || line[i - 1] === ' ')) break;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return depth;
}

function indentOf(line: string): number {
  let i = 0;
  while (i < line.length && line[i] === ' ') i++;
  return i;
}

function isBlank(line: string): boolean {
  const t = line.trim();
  return t === '' || t.startsWith('#') || t === '---' || t === '...';
}

/** Applies a block token to the frame stack (the structure above the cursor). */
function applyToken(frames: Frame[], tok: Token): void {
  while (frames.length > 0 && frames[frames.length - 1]!.col > tok.col) frames.pop();
  const top = frames[frames.length - 1];
  if (tok.kind === 'seq') {
    if (top && top.kind === 'seq' && top.col === tok.col) top.index = (top.index ?? 0) + 1;
    else frames.push({ col: tok.col, kind: 'seq', index: 0 });
    return;
  }
  if (top && top.kind === 'seq' && top.col === tok.col) frames.pop();
  const t2 = frames[frames.length - 1];
  if (t2 && t2.kind === 'map' && t2.col === tok.col) {
    t2.key = tok.key;
    t2.keys!.add(tok.key);
  } else frames.push({ col: tok.col, kind: 'map', key: tok.key, keys: new Set([tok.key]) });
}

/** The path of the container a key at `col` belongs to, given the frames above it. */
function pathFor(frames: Frame[]): NodePath {
  const path: NodePath = [];
  for (const f of frames) {
    if (f.kind === 'map') {
      if (f.key !== undefined) path.push(f.key);
    } else path.push(f.index ?? 0);
  }
  return path;
}

/** Scans the block structure of `lines[0..upto)`, skipping block scalars and multi-line flow collections. */
function scan(lines: string[], upto: number): Frame[] {
  const frames: Frame[] = [];
  let blockScalarCol = -1;
  let flowDepth = 0;
  for (let i = 0; i < upto; i++) {
    const line = lines[i] ?? '';
    if (blockScalarCol >= 0) {
      if (line.trim() === '' || indentOf(line) > blockScalarCol) continue;
      blockScalarCol = -1;
    }
    if (flowDepth > 0) {
      flowDepth = Math.max(0, flowDepth + bracketDelta(line));
      continue;
    }
    if (isBlank(line)) continue;
    const tokens = tokenize(line);
    for (const t of tokens) applyToken(frames, t);
    const last = tokens[tokens.length - 1];
    const value = last && last.kind === 'key' ? stripComment(last.value).trim() : '';
    if (last && last.kind === 'key' && /^[|>][-+0-9]*$/.test(value)) blockScalarCol = last.col;
    else if (last && last.kind === 'key') flowDepth = Math.max(0, bracketDelta(last.value));
    else if (tokens.length === 0 || last?.kind === 'seq') flowDepth = Math.max(0, bracketDelta(line));
  }
  return frames;
}

/** Trims the frames to those that contain a key at `col`, returning the mapping frame at `col` if any. */
function framesForKeyAt(frames: Frame[], col: number): { parents: Frame[]; own?: Frame } {
  const stack = frames.map((f) => ({ ...f, keys: f.keys ? new Set(f.keys) : undefined }));
  while (stack.length > 0 && stack[stack.length - 1]!.col > col) stack.pop();
  let top = stack[stack.length - 1];
  if (top && top.kind === 'seq' && top.col === col) {
    stack.pop();
    top = stack[stack.length - 1];
  }
  if (top && top.kind === 'map' && top.col === col) {
    stack.pop();
    return { parents: stack, own: top };
  }
  return { parents: stack };
}

/** Keys at `col` below the cursor line that belong to the same mapping. */
function keysBelow(lines: string[], from: number, col: number): string[] {
  const keys: string[] = [];
  let blockScalarCol = -1;
  for (let i = from; i < lines.length && i < from + 2000; i++) {
    const line = lines[i] ?? '';
    if (blockScalarCol >= 0) {
      if (line.trim() === '' || indentOf(line) > blockScalarCol) continue;
      blockScalarCol = -1;
    }
    if (isBlank(line)) continue;
    const tokens = tokenize(line);
    const first = tokens[0];
    const firstCol = first ? first.col : indentOf(line);
    if (firstCol < col) break;
    if (first && first.col === col) {
      if (first.kind === 'seq') break;
      keys.push(first.key);
    }
    const last = tokens[tokens.length - 1];
    if (last && last.kind === 'key' && /^[|>][-+0-9]*$/.test(stripComment(last.value).trim())) blockScalarCol = last.col;
  }
  return keys;
}

interface FlowState {
  /** Path segments inside the flow collection(s) up to the innermost one. */
  path: NodePath;
  kind: 'key' | 'value';
  key?: string;
  /** Offset in the scanned text where the current word starts. */
  wordStart: number;
  /** Keys present in the innermost flow mapping. */
  keys: string[];
}

/**
 * Scans `text` (the value part of a line up to the cursor). Returns undefined when the
 * cursor is not inside a flow collection.
 */
function scanFlow(text: string): FlowState | undefined {
  interface F {
    kind: 'map' | 'seq';
    seg?: string | number;
    index: number;
    key?: string;
    keys: string[];
    afterColon: boolean;
    segStart: number;
  }
  const stack: F[] = [];
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
      continue;
    }
    const top = stack[stack.length - 1];
    if (c === '"' || c === "'") quote = c;
    else if (c === '{' || c === '[') {
      const seg = top ? (top.kind === 'map' ? top.key : top.index) : undefined;
      stack.push({ kind: c === '{' ? 'map' : 'seq', seg, index: 0, keys: [], afterColon: false, segStart: i + 1 });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',' && top) {
      top.index++;
      top.afterColon = false;
      top.key = undefined;
      top.segStart = i + 1;
    } else if (c === ':' && top && top.kind === 'map' && !top.afterColon && (i + 1 === text.length || /[\s,}\]]/.test(text[i + 1]!))) {
      top.key = unquote(text.slice(top.segStart, i).trim());
      top.keys.push(top.key);
      top.afterColon = true;
      top.segStart = i + 1;
    }
  }
  const top = stack[stack.length - 1];
  if (!top) return undefined;
  const path: NodePath = [];
  for (let k = 1; k < stack.length; k++) {
    const seg = stack[k]!.seg;
    if (seg !== undefined) path.push(seg);
  }
  let wordStart = top.segStart;
  while (wordStart < text.length && /[\s"']/.test(text[wordStart]!)) wordStart++;
  if (top.kind === 'seq') {
    return { path, kind: 'value', wordStart, keys: [] };
  }
  if (top.afterColon && top.key !== undefined) {
    return { path, kind: 'value', key: top.key, wordStart, keys: top.keys.filter((k) => k !== top.key) };
  }
  return { path, kind: 'key', wordStart, keys: top.keys };
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

const WORD_CHAR = /[A-Za-z0-9_.$/-]/;

/** Computes the completion context at `offset`; undefined inside comments, block scalars or quoted keys. */
export function cursorContext(text: string, offset: number): CursorContext | undefined {
  offset = Math.max(0, Math.min(offset, text.length));
  const starts = lineStarts(text);
  let lineNo = 0;
  while (lineNo + 1 < starts.length && starts[lineNo + 1]! <= offset) lineNo++;
  const lineStart = starts[lineNo]!;
  const lineEndRaw = lineNo + 1 < starts.length ? starts[lineNo + 1]! - 1 : text.length;
  const fullLine = text.slice(lineStart, lineEndRaw).replace(/\r$/, '');
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const col = offset - lineStart;
  const before = fullLine.slice(0, col);
  if (stripComment(before) !== before) return undefined;
  let wordEnd = col;
  while (wordEnd < fullLine.length && WORD_CHAR.test(fullLine[wordEnd]!)) wordEnd++;

  const frames = scan(lines, lineNo);
  // Inside a block scalar or a multi-line flow collection that the scan skipped? Bail out.
  if (insideSkippedRegion(lines, lineNo, offset - lineStart)) return undefined;

  const tokens = tokenize(before);
  for (const t of tokens) if (t.kind === 'seq') applyToken(frames, t);
  const keyTok = tokens.find((t): t is Extract<Token, { kind: 'key' }> => t.kind === 'key');
  const seqToks = tokens.filter((t) => t.kind === 'seq');
  const lastSeq = seqToks[seqToks.length - 1];
  const contentCol = keyTok ? keyTok.col : lastSeq ? lastSeq.col + 1 + (before.slice(lastSeq.col + 1).length - before.slice(lastSeq.col + 1).trimStart().length) : indentOf(before);
  const { parents, own } = framesForKeyAt(frames, contentCol);
  const parentPath = pathFor(parents);
  const siblingsAbove = own?.keys ? [...own.keys] : [];
  const siblings = (exclude: string | undefined) =>
    [...new Set([...siblingsAbove, ...keysBelow(lines, lineNo + 1, contentCol)])].filter((k) => k !== exclude);

  if (keyTok) {
    const valueText = before.slice(keyTok.valueCol);
    const flow = scanFlow(valueText);
    if (flow) {
      const base = lineStart + keyTok.valueCol;
      const prefix = valueText.slice(flow.wordStart);
      const ctx: CursorContext = {
        kind: flow.kind,
        parentPath: [...parentPath, keyTok.key, ...flow.path],
        prefix,
        replace: { start: base + flow.wordStart, end: lineStart + wordEnd },
        siblingKeys: flow.keys,
        column: contentCol,
        inFlow: true,
      };
      if (flow.kind === 'value') {
        if (flow.key !== undefined) ctx.key = flow.key;
        else {
          // A flow sequence element: the "key" is the sequence itself.
          ctx.parentPath = [...parentPath, keyTok.key, ...flow.path.slice(0, -1)];
          const last = flow.path[flow.path.length - 1];
          ctx.key = typeof last === 'string' ? last : keyTok.key;
          ctx.sequenceItem = true;
        }
      }
      return ctx;
    }
    let valueStart = keyTok.valueCol;
    while (valueStart < col && /["'\s]/.test(before[valueStart]!)) valueStart++;
    if (/["']$/.test(before) && valueStart >= col) valueStart = col;
    const prefix = before.slice(valueStart);
    if (/^[|>]/.test(prefix)) return undefined;
    return {
      kind: 'value',
      parentPath,
      key: keyTok.key,
      prefix,
      replace: { start: lineStart + valueStart, end: lineStart + wordEnd },
      siblingKeys: siblings(keyTok.key),
      column: contentCol,
      inFlow: false,
    };
  }

  // A key (or nothing yet) is being typed.
  const typed = before.slice(contentCol);
  if (!/^[A-Za-z0-9_.$-]*$/.test(typed)) {
    // A flow collection directly in a sequence item (`- {a: |`) or plain text.
    const flow = scanFlow(typed);
    if (!flow) return undefined;
    const base = lineStart + contentCol;
    const ctx: CursorContext = {
      kind: flow.kind,
      parentPath: [...parentPath, ...flow.path],
      prefix: typed.slice(flow.wordStart),
      replace: { start: base + flow.wordStart, end: lineStart + wordEnd },
      siblingKeys: flow.keys,
      column: contentCol,
      inFlow: true,
    };
    if (flow.key !== undefined) ctx.key = flow.key;
    return ctx;
  }
  return {
    kind: 'key',
    parentPath,
    prefix: typed,
    replace: { start: lineStart + contentCol, end: lineStart + wordEnd },
    siblingKeys: siblings(undefined),
    column: contentCol,
    inFlow: false,
  };
}

/** True when `lineNo` is inside a block scalar (`key: |`) or a multi-line flow collection. */
function insideSkippedRegion(lines: string[], lineNo: number, col: number): boolean {
  let blockScalarCol = -1;
  let flowDepth = 0;
  for (let i = 0; i <= lineNo; i++) {
    const line = lines[i] ?? '';
    if (blockScalarCol >= 0) {
      if (i === lineNo) {
        if (line.trim() === '' ? col > blockScalarCol : indentOf(line) > blockScalarCol) return true;
      } else if (line.trim() === '' || indentOf(line) > blockScalarCol) continue;
      blockScalarCol = -1;
    }
    if (flowDepth > 0) {
      if (i === lineNo) return true;
      flowDepth = Math.max(0, flowDepth + bracketDelta(line));
      continue;
    }
    if (i === lineNo) return false;
    if (isBlank(line)) continue;
    const tokens = tokenize(line);
    const last = tokens[tokens.length - 1];
    const value = last && last.kind === 'key' ? stripComment(last.value).trim() : '';
    if (last && last.kind === 'key' && /^[|>][-+0-9]*$/.test(value)) blockScalarCol = last.col;
    else if (last && last.kind === 'key') flowDepth = Math.max(0, bracketDelta(last.value));
    else if (tokens.length === 0 || last?.kind === 'seq') flowDepth = Math.max(0, bracketDelta(line));
  }
  return false;
}
