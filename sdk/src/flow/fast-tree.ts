/**
 * Fast path of `parseFlow`: builds the document's node tree from js-yaml's low-level event
 * stream, which is about twenty times quicker than the `yaml` library's parser on large files.
 * The tree is compact (typed arrays: see CompactTree) and the model builder reads it in place;
 * its yaml nodes (the `yaml` library's own `YAMLMap`, `YAMLSeq`, `Pair` and `Scalar` classes,
 * with the same `range` triples the library's composer gives) are made only where something
 * reads them (`yamlNode`).
 *
 * Ranges come from js-yaml's events (each scalar's source offsets, each collection's start);
 * what the events leave out is derived from the token next to them by the same rules the yaml
 * library applies: a quoted scalar's range includes its quotes, a block scalar starts at its
 * `|`/`>` indicator, a flow collection ends after its closing bracket, a block-context value's
 * node end covers its trailing spaces, comment and line break, and a block collection ends where
 * its last item's node ends. Plain scalars are resolved with the yaml library's own YAML 1.2
 * core schema tags, so values are the ones `parseDocument` gives.
 *
 * Only a plain subset is taken: one document without directives or markers, no tags, anchors or
 * aliases, no tabs or carriage returns, scalar keys, no duplicate keys, and no construct whose
 * range rule is not implemented here. Anything else (and every YAML error, which js-yaml throws)
 * returns undefined, and the caller parses with the yaml library, which reports problems with
 * ranges. `test/fast-tree.test.ts` checks this tree against `parseDocument` node by node on the
 * examples, generated flows and thousands of mutations.
 */
import type { Event, ScalarEvent } from 'js-yaml';
// js-yaml's CommonJS build: its ESM build slows down for good after a few parses (see the module)
import jsYaml from './js-yaml-cjs.cjs';
import { Pair, Scalar, Schema, YAMLMap, YAMLSeq } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { keyText } from './paths.js';

const { EVENT_ID, SCALAR_STYLE, getScalarValue, parseEvents } = jsYaml;

export interface FastTree {
  /** Root node, in the yaml library's classes, with the library's ranges (made on demand: see `yamlNode`). */
  root: YamlNode;
  /** The document as plain JS data (what `doc.toJS()` gives). */
  data: unknown;
}

/** Node kinds of a CompactTree. */
export const K_SCALAR = 1;
export const K_MAP = 2;
export const K_SEQ = 3;

/** Scalar styles of a CompactTree (`style` of a scalar node), in the yaml library's terms. */
export const SCALAR_TYPES: readonly Scalar.Type[] = [Scalar.PLAIN, Scalar.QUOTE_SINGLE, Scalar.QUOTE_DOUBLE, Scalar.BLOCK_LITERAL, Scalar.BLOCK_FOLDED];

/**
 * The node tree of a text in the fast subset, as numbers: node `i` has a kind (`K_SCALAR`,
 * `K_MAP`, `K_SEQ`), the yaml range triple (`rs`/`re`/`rn`: start, value end, node end), a
 * scalar's value and style (index into SCALAR_TYPES), a collection's flow flag (`style` 1) and
 * its items: `items[first[i] .. first[i] + count[i])`, node indexes (a map: key, value, key,
 * value, ...). Building it allocates a few typed arrays instead of an object per node; the
 * model builder reads it directly, and the yaml node objects are made only for the parts
 * something asks for (`yamlNode`). The arrays are not changed after the build: the incremental
 * re-parse shifts the ranges of the yaml nodes made from them, which hold their own copies.
 */
export interface CompactTree {
  readonly text: string;
  readonly root: number;
  readonly kind: Uint8Array;
  readonly style: Uint8Array;
  readonly rs: Int32Array;
  readonly re: Int32Array;
  readonly rn: Int32Array;
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly items: Int32Array;
  readonly values: unknown[];
}

/** Result of a plain scalar's resolution by the core schema tags (`default` tags with a `test`). */
interface CoreTag {
  test: RegExp;
  resolve: (str: string, onError: (msg: string) => void, options: object) => unknown;
}

let coreTags: CoreTag[] | undefined;

function plainTags(): CoreTag[] {
  if (!coreTags) {
    const schema = new Schema({ schema: 'core' });
    coreTags = (schema.tags as unknown as { default?: boolean; test?: RegExp; resolve?: CoreTag['resolve'] }[])
      .filter((t) => t.default === true && t.test instanceof RegExp && typeof t.resolve === 'function')
      .map((t) => ({ test: t.test as RegExp, resolve: t.resolve as CoreTag['resolve'] }));
  }
  return coreTags;
}

/**
 * The range of a node built here is kept in three in-object number fields (`rs`, `re`, `rn`: the
 * yaml range triple) instead of an own `range` array: a `range` accessor on the nodes'
 * prototypes reads them as a fresh `[start, end, nodeEnd]` array and a write (`node.range =
 * [...]`) stores them. Two of every three objects of the tree were range arrays (an array and
 * its elements), all of them long-lived; the tree now allocates one object per node. A range
 * read this way is a copy: change a range by assigning `range`, not by writing its elements.
 */
interface RangeFields {
  rs: number;
  re: number;
  rn: number;
}

const RANGE_ACCESSOR: PropertyDescriptor = {
  get(this: RangeFields): [number, number, number] | undefined {
    return this.rs < 0 ? undefined : [this.rs, this.re, this.rn];
  },
  set(this: RangeFields, v: unknown) {
    if (Array.isArray(v) && typeof v[0] === 'number') {
      this.rs = v[0] as number;
      this.re = typeof v[1] === 'number' ? v[1] : this.rs;
      this.rn = typeof v[2] === 'number' ? v[2] : this.re;
    } else {
      this.rs = -1;
      this.re = -1;
      this.rn = -1;
    }
  },
  enumerable: false,
  configurable: true,
};

/**
 * One real instance of each node class serves as the prototype of the nodes built here: they
 * inherit its node-type mark (what the library's `isScalar`/`isPair`/`isMap`/`isSeq` read) and
 * are `instanceof` the class, without each running the constructor (a `defineProperty` per
 * node, a tenth of the build time); the range accessor sits on that prototype.
 */
function protoOf(instance: object): object {
  const proto = Object.create(instance) as object;
  Object.defineProperty(proto, 'range', RANGE_ACCESSOR);
  return proto;
}
const SCALAR_PROTO: object = protoOf(new Scalar(null));
const PAIR_PROTO: object = new Pair(null);

/**
 * Per scalar style, a constructor whose `prototype` carries the `type` (on top of the Scalar
 * prototype), so a node's own fields are its value and range numbers. Plain constructor
 * functions: `new` allocates the object with its fields in place, quicker than `Object.create`
 * followed by property additions; the nodes' `constructor` is still the library's class, found
 * up the chain.
 */
type ScalarCtor = new (value: unknown, start: number, end: number, nodeEnd: number) => Scalar<unknown>;
function scalarCtor(type: Scalar.Type): ScalarCtor {
  const proto = Object.create(SCALAR_PROTO) as { type: Scalar.Type };
  proto.type = type;
  const ctor = function (this: RangeFields & { value: unknown }, value: unknown, start: number, end: number, nodeEnd: number) {
    this.value = value;
    this.rs = start;
    this.re = end;
    this.rn = nodeEnd;
  } as unknown as { prototype: object };
  ctor.prototype = proto;
  return ctor as unknown as ScalarCtor;
}
/** The constructor of each scalar style, by its index in SCALAR_TYPES (a CompactTree's `style`). */
const SCALAR_CTORS: readonly ScalarCtor[] = SCALAR_TYPES.map(scalarCtor);

type PairCtor = new (key: Scalar, value: YamlNode) => Pair;
const FastPair = (function () {
  const ctor = function (this: { key: Scalar; value: YamlNode }, key: Scalar, value: YamlNode) {
    this.key = key;
    this.value = value;
  } as unknown as { prototype: object };
  ctor.prototype = PAIR_PROTO;
  return ctor as unknown as PairCtor;
})();

/**
 * A map or sequence of a CompactTree as a yaml node: its range numbers are copied in; its items
 * (pairs and nodes of the same kind) are made when first read, then kept as its own `items`.
 */
interface LazyCollection extends RangeFields {
  ct: CompactTree;
  ci: number;
}
type CollectionCtor = new (ct: CompactTree, ci: number) => (YAMLMap | YAMLSeq) & LazyCollection;

const ITEMS_ACCESSOR: PropertyDescriptor = {
  get(this: LazyCollection): unknown[] {
    const items = itemsOf(this.ct, this.ci);
    Object.defineProperty(this, 'items', { value: items, writable: true, enumerable: true, configurable: true });
    return items;
  },
  set(this: LazyCollection, v: unknown) {
    Object.defineProperty(this, 'items', { value: v, writable: true, enumerable: true, configurable: true });
  },
  enumerable: false,
  configurable: true,
};

function collectionCtor(instance: object): CollectionCtor {
  const proto = protoOf(instance);
  Object.defineProperty(proto, 'items', ITEMS_ACCESSOR);
  const ctor = function (this: LazyCollection, ct: CompactTree, ci: number) {
    this.rs = ct.rs[ci] as number;
    this.re = ct.re[ci] as number;
    this.rn = ct.rn[ci] as number;
    this.ct = ct;
    this.ci = ci;
  } as unknown as { prototype: object };
  ctor.prototype = proto;
  return ctor as unknown as CollectionCtor;
}
const LazyMap = collectionCtor(new YAMLMap());
const LazySeq = collectionCtor(new YAMLSeq());

/** The yaml node of node `i` of a CompactTree (a new object on each call; collections fill their items lazily). */
export function yamlNode(ct: CompactTree, i: number): YamlNode {
  const kind = ct.kind[i];
  if (kind === K_SCALAR) {
    const Ctor = SCALAR_CTORS[ct.style[i] as number] as ScalarCtor;
    return new Ctor(ct.values[i], ct.rs[i] as number, ct.re[i] as number, ct.rn[i] as number);
  }
  const node = kind === K_MAP ? new LazyMap(ct, i) : new LazySeq(ct, i);
  if (ct.style[i] === 1) node.flow = true;
  return node;
}

function itemsOf(ct: CompactTree, i: number): unknown[] {
  const first = ct.first[i] as number;
  const count = ct.count[i] as number;
  if (ct.kind[i] === K_MAP) {
    const out = new Array<unknown>(count >> 1);
    for (let k = 0; k < count; k += 2) out[k >> 1] = new FastPair(yamlNode(ct, ct.items[first + k] as number) as Scalar, yamlNode(ct, ct.items[first + k + 1] as number));
    return out;
  }
  const out = new Array<unknown>(count);
  for (let k = 0; k < count; k++) out[k] = yamlNode(ct, ct.items[first + k] as number);
  return out;
}

/** Options the tags' resolve functions read (the yaml library's parse defaults). */
const RESOLVE_OPTIONS = { intAsBigInt: false };

/** First characters a core-schema null, bool, int or float can start with (else: a string). */
const MAYBE_TYPED = new Uint8Array(128);
for (const c of '~nNtTfF0123456789-+.') MAYBE_TYPED[c.charCodeAt(0)] = 1;

class NotFast extends Error {}

/** A sequence frame's data until its end. */
const EMPTY: unknown[] = [];

function bail(): never {
  throw new NotFast();
}

const SPACE = 32;
const NL = 10;
const HASH = 35;

/** A collection under construction. */
interface Frame {
  /** Its node index. */
  idx: number;
  isMap: boolean;
  /** Map: its plain object (filled as pairs come); sequence: filled at its end. */
  data: Record<string, unknown> | unknown[];
  /**
   * Where its items (and, for a sequence, their data) start in the shared item buffers: items
   * are gathered there and copied into the tree's item list at the collection's end.
   */
  base: number;
  flow: boolean;
  /** Map only: the key node of the pair being built (-1 = next scalar is a key). */
  key: number;
  /** Offset after the last item's node (block) / value (flow), for the collection's end. */
  lastEnd: number;
  /** Offset just after the last item's indicator or key (`:`/`-`), for an empty value. */
  start: number;
  /** Where the collection starts (its first key or `-`, or its bracket). */
  cs: number;
  /** Flow only: where the text between its tokens starts (after the last key or value). */
  gap: number;
  /** Block only: the column of its first key or `-` (computed on first use). */
  col: number;
}

/**
 * The tree of `text` as yaml nodes (made as they are read) and its data, or undefined when the
 * text is outside the fast subset (the caller then uses the yaml library). Never throws.
 */
export function fastTree(text: string): FastTree | undefined {
  const c = compactTree(text);
  return c ? { root: yamlNode(c.tree, c.tree.root), data: c.data } : undefined;
}

/**
 * The compact tree of `text` and its data, or undefined when the text is outside the fast
 * subset. Never throws.
 */
export function compactTree(text: string): { tree: CompactTree; data: unknown } | undefined {
  if (text.length === 0 || text.includes('\t') || text.includes('\r') || text.charCodeAt(0) === 0xfeff) return undefined;
  let events: Event[];
  try {
    events = parseEvents(text, { maxDepth: 1000 });
  } catch {
    return undefined;
  }
  try {
    return build(text, events);
  } catch {
    // NotFast (outside the subset), or anything unexpected: the yaml library decides
    return undefined;
  }
}

/**
 * A block-context value's node end (the third number of a yaml range) when the value ends at
 * `end`: past its trailing spaces, a comment and the line break, then past the comment lines
 * (and blank lines before them) indented deeper than its collection's column `col`.
 */
function nodeEndAfter(text: string, end: number, col: number): number {
  let i = end;
  while (text.charCodeAt(i) === SPACE) i++;
  if (text.charCodeAt(i) === HASH) {
    if (i === end && end > 0) return end;
    while (i < text.length && text.charCodeAt(i) !== NL) i++;
  }
  if (text.charCodeAt(i) !== NL) return i;
  i++;
  for (;;) {
    let j = i;
    let lineStart = j;
    for (;;) {
      while (text.charCodeAt(j) === SPACE) j++;
      if (text.charCodeAt(j) !== NL) break;
      j++;
      lineStart = j;
    }
    if (text.charCodeAt(j) !== HASH || j - lineStart <= col) return i;
    while (j < text.length && text.charCodeAt(j) !== NL) j++;
    if (j >= text.length) return j;
    i = j + 1;
  }
}

/**
 * A node's end in flow context: past the spaces, line breaks and comments up to the next token.
 * (The yaml library sometimes stops earlier; nothing reads this number of a flow-context node:
 * only a block collection's end comes from its last item's node end.)
 */
function flowNodeEnd(text: string, end: number): number {
  let i = end;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === SPACE || c === NL) i++;
    else if (c === HASH) {
      while (i < text.length && text.charCodeAt(i) !== NL) i++;
    } else return i;
  }
}

/** Column of the collection a block-context value belongs to (the root has none: infinite). */
function columnOfFrame(text: string, frame: Frame | undefined): number {
  if (!frame) return Number.POSITIVE_INFINITY;
  if (frame.col < 0) frame.col = columnOf(text, frame.cs);
  return frame.col;
}

/** Column of an offset (its distance from the line start). */
function columnOf(text: string, at: number): number {
  return at - (text.lastIndexOf('\n', at - 1) + 1);
}

/**
 * A flow collection in a block collection must be indented past it on every line it continues
 * on (the closing bracket may sit at the block collection's column); else the yaml library
 * reports an error, so the slow path takes the text.
 */
function checkFlowIndent(text: string, start: number, end: number, parent: Frame | undefined): void {
  // the root collection has no column to keep to (no indentation is less than none)
  if (!parent) return;
  let nl = text.indexOf('\n', start);
  if (nl < 0 || nl >= end) return;
  const min = columnOfFrame(text, parent);
  while (nl >= 0 && nl < end) {
    let i = nl + 1;
    while (text.charCodeAt(i) === SPACE) i++;
    const indent = i - nl - 1;
    const c = text.charCodeAt(i);
    if (c !== NL) {
      if (i === end - 1 ? indent < min : indent <= min) bail();
    }
    nl = text.indexOf('\n', nl + 1);
  }
}

/** Whether the next non-blank line after `at` (a line start) is a comment line. */
function commentFollows(text: string, at: number): boolean {
  let i = at;
  for (;;) {
    while (text.charCodeAt(i) === SPACE) i++;
    const c = text.charCodeAt(i);
    if (c === NL) {
      i++;
      continue;
    }
    return c === HASH;
  }
}

/** The growing arrays of a CompactTree (one node per event at most). */
class Nodes {
  n = 0;
  itemsLen = 0;
  readonly kind: Uint8Array;
  readonly style: Uint8Array;
  readonly rs: Int32Array;
  readonly re: Int32Array;
  readonly rn: Int32Array;
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly items: Int32Array;
  readonly values: unknown[];

  constructor(cap: number) {
    this.kind = new Uint8Array(cap);
    this.style = new Uint8Array(cap);
    this.rs = new Int32Array(cap);
    this.re = new Int32Array(cap);
    this.rn = new Int32Array(cap);
    this.first = new Int32Array(cap);
    this.count = new Int32Array(cap);
    this.items = new Int32Array(cap);
    this.values = new Array<unknown>(cap).fill(undefined);
  }

  scalar(style: number, value: unknown, start: number, end: number, nodeEnd: number): number {
    const i = this.n++;
    if (i >= this.kind.length) bail();
    this.kind[i] = K_SCALAR;
    this.style[i] = style;
    this.values[i] = value;
    this.rs[i] = start;
    this.re[i] = end;
    this.rn[i] = nodeEnd;
    return i;
  }

  collection(kind: number, start: number, flow: boolean): number {
    const i = this.n++;
    if (i >= this.kind.length) bail();
    this.kind[i] = kind;
    this.style[i] = flow ? 1 : 0;
    this.rs[i] = start;
    return i;
  }

  tree(text: string, root: number): CompactTree {
    const n = this.n;
    // exact-length views, not copies (the arrays were sized by the event count, which also
    // counts each collection's end)
    const values = this.values;
    if (values.length > n) values.length = n;
    return {
      text,
      root,
      kind: this.kind.subarray(0, n),
      style: this.style.subarray(0, n),
      rs: this.rs.subarray(0, n),
      re: this.re.subarray(0, n),
      rn: this.rn.subarray(0, n),
      first: this.first.subarray(0, n),
      count: this.count.subarray(0, n),
      items: this.items.subarray(0, this.itemsLen),
      values,
    };
  }
}

const PLAIN = 0;
const QUOTE_SINGLE = 1;
const QUOTE_DOUBLE = 2;
const BLOCK_LITERAL = 3;
const BLOCK_FOLDED = 4;

function build(text: string, events: Event[]): { tree: CompactTree; data: unknown } {
  const tags = plainTags();
  let n = events.length;
  if (n < 2 || (events[0] as Event).type !== EVENT_ID.DOCUMENT) bail();
  const doc = events[0] as Extract<Event, { type: 1 }>;
  if (doc.explicitStart || doc.explicitEnd || doc.directives.length > 0) bail();
  // the stream: DOCUMENT, the root node's events, POP (document)
  if ((events[n - 1] as Event).type !== EVENT_ID.POP) bail();
  n -= 1;
  const nodes = new Nodes(n);
  const kinds = nodes.kind;
  const values = nodes.values;
  const stack: Frame[] = [];
  // the items of the open collections, innermost last (see Frame.base), and at the same
  // index a sequence item's data
  const itemBuf: number[] = [];
  const dataBuf: unknown[] = [];
  let root = -1;
  let rootData: unknown;
  // every `#` of the text, ascending (a JSON text usually has none)
  const hashes: number[] = [];
  for (let h = text.indexOf('#'); h >= 0; h = text.indexOf('#', h + 1)) hashes.push(h);

  const attach = (node: number, data: unknown, start: number, end: number, nodeEnd: number): void => {
    const top = stack[stack.length - 1];
    // inside a flow collection, the separators before a node hold no comment (the yaml library's
    // rules for comments there differ from js-yaml's)
    if (top?.flow) {
      if (hashes.length > 0 && hashBetween(hashes, top.gap, start)) bail();
      top.gap = end;
    }
    if (!top) {
      if (root !== -1) bail();
      root = node;
      rootData = data;
      return;
    }
    if (top.isMap) {
      if (top.key === -1) {
        // a key: scalars only
        if (kinds[node] !== K_SCALAR) bail();
        const k = values[node];
        const ks = keyText(k) ?? bail();
        // duplicates (the slow path reports them) and `__proto__` (toJS defines it specially)
        if (ks === '__proto__') bail();
        const base = top.base;
        if (itemBuf.length - base < 64) {
          for (let j = base; j < itemBuf.length; j += 2) {
            const v = values[itemBuf[j] as number];
            if (keyText(v) === ks) bail();
          }
        } else if (Object.prototype.hasOwnProperty.call(top.data, ks)) bail();
        top.key = node;
        top.start = end;
        return;
      }
      itemBuf.push(top.key, node);
      dataBuf.push(null, null);
      const key = values[top.key];
      (top.data as Record<string, unknown>)[keyText(key) as string] = data;
      top.key = -1;
    } else {
      itemBuf.push(node);
      dataBuf.push(data);
    }
    top.lastEnd = top.flow ? end : nodeEnd;
  };

  for (let i = 1; i < n; i++) {
    const ev = events[i] as Event;
    // each event is read once: letting it go now keeps the garbage collector from copying the
    // whole event list while the tree grows
    (events as unknown[])[i] = undefined;
    switch (ev.type) {
      case EVENT_ID.SCALAR: {
        if (ev.anchorStart >= 0 || ev.tagStart >= 0) bail();
        const top = stack[stack.length - 1];
        const isKey = top !== undefined && top.isMap && top.key === -1;
        const inFlow = top !== undefined && top.flow;
        scalar(text, ev, tags, isKey, inFlow, top, nodes, attach);
        break;
      }
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        if (ev.anchorStart >= 0 || ev.tagStart >= 0) bail();
        const top = stack[stack.length - 1];
        if (top && top.isMap && top.key === -1) bail(); // complex key
        const flow = ev.style === 2;
        if (!flow && top?.flow) bail();
        const isMap = ev.type === EVENT_ID.MAPPING;
        // a block collection starts at its first key or `-`; a flow one at its bracket
        const start = ev.start;
        if (flow && text.charCodeAt(start) !== (isMap ? 123 : 91)) bail();
        const idx = nodes.collection(isMap ? K_MAP : K_SEQ, start, flow);
        stack.push({ idx, isMap, data: isMap ? {} : EMPTY, base: itemBuf.length, flow, key: -1, lastEnd: -1, start, cs: start, gap: start, col: -1 });
        break;
      }
      case EVENT_ID.POP: {
        const frame = stack.pop();
        if (!frame) bail();
        if (frame.key !== -1) bail();
        const idx = frame.idx;
        // the items, into the tree's item list; a sequence's data into an array of its exact length
        const base = frame.base;
        const len = itemBuf.length - base;
        const at = nodes.itemsLen;
        if (at + len > nodes.items.length) bail();
        for (let k = 0; k < len; k++) nodes.items[at + k] = itemBuf[base + k] as number;
        nodes.itemsLen = at + len;
        nodes.first[idx] = at;
        nodes.count[idx] = len;
        if (!frame.isMap) frame.data = dataBuf.slice(base, itemBuf.length);
        itemBuf.length = base;
        dataBuf.length = base;
        const start = frame.cs;
        let end: number;
        let nodeEnd: number;
        if (frame.flow) {
          // the closing bracket: after the last item, past spaces, line breaks, commas and comments
          let j = frame.lastEnd >= 0 ? frame.lastEnd : start + 1;
          const close = frame.isMap ? 125 : 93;
          for (;;) {
            const c = text.charCodeAt(j);
            if (c === SPACE || c === NL || c === 44 /* , */) j++;
            else break;
          }
          if (text.charCodeAt(j) !== close) bail();
          end = j + 1;
          const parent = stack[stack.length - 1];
          if (!parent || !parent.flow) {
            checkFlowIndent(text, start, end, parent);
            nodeEnd = nodeEndAfter(text, end, columnOfFrame(text, parent));
          } else nodeEnd = flowNodeEnd(text, end);
        } else {
          if (frame.lastEnd < 0) bail();
          end = frame.lastEnd;
          // comment lines after the last item belong to it by rules not modelled here
          if (commentFollows(text, end)) bail();
          nodeEnd = end;
        }
        nodes.re[idx] = end;
        nodes.rn[idx] = nodeEnd;
        attach(idx, frame.data, start, end, nodeEnd);
        break;
      }
      default:
        // aliases, nested documents
        bail();
    }
  }
  if (stack.length > 0 || root === -1) bail();
  // the document's root: the yaml library's root map/seq range is the same (block) or bracketed (flow)
  if (kinds[root] === K_SCALAR) bail();
  return { tree: nodes.tree(text, root), data: rootData };
}

/** Whether an offset of `sorted` (ascending) lies in [from, to). */
function hashBetween(sorted: number[], from: number, to: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && (sorted[lo] as number) < to;
}

function scalar(
  text: string,
  ev: ScalarEvent,
  tags: CoreTag[],
  isKey: boolean,
  inFlow: boolean,
  top: Frame | undefined,
  nodes: Nodes,
  attach: (node: number, data: unknown, start: number, end: number, nodeEnd: number) => void,
): void {
  let start: number;
  let end: number;
  let value: unknown;
  let style: number;
  if (ev.valueStart < 0) {
    // an empty value: just after its `:` or `-` and the spaces after it
    if (isKey || !top || top.flow) bail();
    let j = top.start;
    if (top.isMap) {
      if (text.charCodeAt(j) !== 58 /* : */) bail();
      j++;
    } else bail();
    while (text.charCodeAt(j) === SPACE) j++;
    // a comment after an empty value extends its node end by rules not modelled here
    if (text.charCodeAt(j) === HASH || (text.charCodeAt(j) === NL && commentFollows(text, j + 1))) bail();
    attach(nodes.scalar(PLAIN, null, j, j, j), null, j, j, j);
    return;
  }
  switch (ev.style) {
    case SCALAR_STYLE.PLAIN: {
      start = ev.valueStart;
      end = ev.valueEnd;
      const source = ev.fast ? text.slice(start, end) : getScalarValue(text, ev);
      value = source;
      if (source.length === 0 || MAYBE_TYPED[source.charCodeAt(0)] === 1) {
        for (const tag of tags) {
          if (tag.test.test(source)) {
            value = tag.resolve(source, bail, RESOLVE_OPTIONS);
            // some tags (float) resolve to a Scalar carrying formatting hints
            if (value instanceof Scalar) value = value.value;
            break;
          }
        }
      }
      style = PLAIN;
      break;
    }
    case SCALAR_STYLE.SINGLE_QUOTED:
    case SCALAR_STYLE.DOUBLE_QUOTED: {
      const q = ev.style === SCALAR_STYLE.SINGLE_QUOTED ? 39 : 34;
      start = ev.valueStart - 1;
      end = ev.valueEnd + 1;
      if (text.charCodeAt(start) !== q || text.charCodeAt(end - 1) !== q) bail();
      // a multi-line double-quoted scalar with escapes: escaped line breaks before empty lines
      // decode differently in the two libraries
      if (q === 34 && !ev.fast) {
        const nl = text.indexOf('\n', ev.valueStart);
        if (nl >= 0 && nl < ev.valueEnd) {
          const esc = text.indexOf('\\', ev.valueStart);
          if (esc >= 0 && esc < ev.valueEnd) bail();
        }
      }
      value = getScalarValue(text, ev);
      style = q === 39 ? QUOTE_SINGLE : QUOTE_DOUBLE;
      break;
    }
    default: {
      // block scalars: only as a block map value, `key: |` / `key: >` with an optional chomping
      // indicator and nothing else on the header line
      if (isKey || inFlow || !top || !top.isMap) bail();
      let j = top.start;
      if (text.charCodeAt(j) !== 58 /* : */) bail();
      j++;
      while (text.charCodeAt(j) === SPACE) j++;
      const ind = text.charCodeAt(j);
      if (ind !== 124 /* | */ && ind !== 62 /* > */) bail();
      start = j;
      j++;
      const chomp = text.charCodeAt(j);
      if (chomp === 45 /* - */ || chomp === 43 /* + */) j++;
      if (text.charCodeAt(j) !== NL || j + 1 !== ev.valueStart) bail();
      // the range ends after the last content line's break (keep: after the trailing empty
      // lines); trailing lines holding only spaces follow rules not modelled here
      let k = ev.valueEnd;
      while (k > ev.valueStart && text.charCodeAt(k - 1) === NL) k--;
      if (k === ev.valueStart || text.charCodeAt(k - 1) === SPACE) bail();
      end = chomp === 43 ? ev.valueEnd : text.charCodeAt(k) === NL ? k + 1 : k;
      if (commentFollows(text, ev.valueEnd)) bail();
      value = getScalarValue(text, ev);
      attach(nodes.scalar(ind === 124 ? BLOCK_LITERAL : BLOCK_FOLDED, value, start, end, end), value, start, end, end);
      return;
    }
  }
  const nodeEnd = isKey ? end : inFlow ? flowNodeEnd(text, end) : nodeEndAfter(text, end, columnOfFrame(text, top));
  attach(nodes.scalar(style, value, start, end, nodeEnd), value, start, end, nodeEnd);
}

/** One instance of the class a build makes and drops (see `keepShapes` in parse.ts). @internal */
export function shapeKeepers(): unknown[] {
  // plain scalars the core tags resolve to a yaml Scalar (floats, with their formatting hints)
  const resolved: unknown[] = [];
  for (const source of ['1.5', '1e3', '.inf', '.nan', '0x1f', '0o7', '7', 'true', 'null']) {
    for (const tag of plainTags()) {
      if (!tag.test.test(source)) continue;
      try {
        resolved.push(tag.resolve(source, () => undefined, RESOLVE_OPTIONS));
      } catch {
        // not kept
      }
      break;
    }
  }
  return [new Nodes(1), ...resolved];
}
