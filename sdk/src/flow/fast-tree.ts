/**
 * Fast path of `parseFlow`: builds the yaml node tree (the `yaml` library's own `YAMLMap`,
 * `YAMLSeq`, `Pair` and `Scalar` classes, with the same `range` triples the library's composer
 * gives) from js-yaml's low-level event stream, which is about twenty times quicker than the
 * `yaml` library's parser on large files.
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
import { EVENT_ID, SCALAR_STYLE, getScalarValue, parseEvents } from 'js-yaml';
import type { Event, ScalarEvent } from 'js-yaml';
import { Pair, Scalar, Schema, YAMLMap, YAMLSeq } from 'yaml';
import type { Node as YamlNode } from 'yaml';

export interface FastTree {
  /** Root node, in the yaml library's classes, with the library's ranges. */
  root: YamlNode;
  /** The document as plain JS data (what `doc.toJS()` gives). */
  data: unknown;
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
const MAP_PROTO: object = protoOf(new YAMLMap());
const SEQ_PROTO: object = protoOf(new YAMLSeq());

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
const STYLE_CTORS = new Map<Scalar.Type, ScalarCtor>(
  ([Scalar.PLAIN, Scalar.QUOTE_SINGLE, Scalar.QUOTE_DOUBLE, Scalar.BLOCK_LITERAL, Scalar.BLOCK_FOLDED] as Scalar.Type[]).map((type): [Scalar.Type, ScalarCtor] => [type, scalarCtor(type)]),
);
const PlainScalar = STYLE_CTORS.get(Scalar.PLAIN) as ScalarCtor;

function newScalar(type: Scalar.Type, value: unknown, start: number, end: number, nodeEnd: number): Scalar<unknown> {
  const Ctor = type === Scalar.PLAIN ? PlainScalar : (STYLE_CTORS.get(type) as ScalarCtor);
  return new Ctor(value, start, end, nodeEnd);
}

type PairCtor = new (key: Scalar, value: YamlNode) => Pair;
const FastPair = (function () {
  const ctor = function (this: { key: Scalar; value: YamlNode }, key: Scalar, value: YamlNode) {
    this.key = key;
    this.value = value;
  } as unknown as { prototype: object };
  ctor.prototype = PAIR_PROTO;
  return ctor as unknown as PairCtor;
})();

function newPair(key: Scalar, value: YamlNode): Pair {
  return new FastPair(key, value);
}

/** A map or sequence (items set at its end; `flow` only on flow collections, as the library does). */
type CollectionCtor = new (start: number) => (YAMLMap | YAMLSeq) & RangeFields;
function collectionCtor(proto: object): CollectionCtor {
  const ctor = function (this: RangeFields & { items: unknown[] }, start: number) {
    this.items = EMPTY;
    this.rs = start;
    this.re = start;
    this.rn = start;
  } as unknown as { prototype: object };
  ctor.prototype = proto;
  return ctor as unknown as CollectionCtor;
}
const FastMap = collectionCtor(MAP_PROTO);
const FastSeq = collectionCtor(SEQ_PROTO);

/** Options the tags' resolve functions read (the yaml library's parse defaults). */
const RESOLVE_OPTIONS = { intAsBigInt: false };

/** First characters a core-schema null, bool, int or float can start with (else: a string). */
const MAYBE_TYPED = new Uint8Array(128);
for (const c of '~nNtTfF0123456789-+.') MAYBE_TYPED[c.charCodeAt(0)] = 1;

class NotFast extends Error {}

/** A sequence frame's data until its end (and a collection's items until then). */
const EMPTY: unknown[] = [];

function bail(): never {
  throw new NotFast();
}

const SPACE = 32;
const NL = 10;
const HASH = 35;

/** A collection under construction. */
interface Frame {
  node: (YAMLMap | YAMLSeq) & RangeFields;
  isMap: boolean;
  /** Map: its plain object (filled as pairs come); sequence: filled at its end. */
  data: Record<string, unknown> | unknown[];
  /**
   * Where its items (and, for a sequence, their data) start in the shared item buffers: items
   * are gathered there and copied into an array of their exact length at the collection's end
   * (an array grown by `push` keeps room for 17 items, and most collections hold a few).
   */
  base: number;
  flow: boolean;
  /** Map only: the key of the pair being built (null = next scalar is a key). */
  key: Scalar | null;
  /** Offset after the last item's node (block) / value (flow), for the collection's end. */
  lastEnd: number;
  /** Offset just after the last item's indicator or key (`:`/`-`), for an empty value. */
  start: number;
  /** Flow only: where the text between its tokens starts (after the last key or value). */
  gap: number;
  /** Block only: the column of its first key or `-` (computed on first use). */
  col: number;
}

/**
 * The tree of `text`, or undefined when the text is outside the fast subset (the caller then
 * uses the yaml library). Never throws.
 */
export function fastTree(text: string): FastTree | undefined {
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
  if (frame.col < 0) frame.col = columnOf(text, frame.node.rs);
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
  let nl = text.indexOf('\n', start);
  if (nl < 0 || nl >= end) return;
  const min = parent ? columnOfFrame(text, parent) : -1;
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

function build(text: string, events: Event[]): FastTree {
  const tags = plainTags();
  let n = events.length;
  if (n < 2 || (events[0] as Event).type !== EVENT_ID.DOCUMENT) bail();
  const doc = events[0] as Extract<Event, { type: 1 }>;
  if (doc.explicitStart || doc.explicitEnd || doc.directives.length > 0) bail();
  // the stream: DOCUMENT, the root node's events, POP (document)
  if ((events[n - 1] as Event).type !== EVENT_ID.POP) bail();
  n -= 1;
  const stack: Frame[] = [];
  // the items of the open collections, innermost last (see Frame.base), and at the same
  // index a sequence item's data
  const itemBuf: unknown[] = [];
  const dataBuf: unknown[] = [];
  let root: YamlNode | undefined;
  let rootData: unknown;

  const attach = (node: YamlNode, data: unknown, start: number, end: number, nodeEnd: number): void => {
    const top = stack[stack.length - 1];
    // inside a flow collection, the separators before a node hold no comment (the yaml library's
    // rules for comments there differ from js-yaml's)
    if (top?.flow) {
      for (let i = top.gap; i < start; i++) if (text.charCodeAt(i) === HASH) bail();
      top.gap = end;
    }
    if (!top) {
      if (root !== undefined) bail();
      root = node;
      rootData = data;
      return;
    }
    if (top.isMap) {
      if (top.key === null) {
        // a key: scalars only
        if (!(node instanceof Scalar)) bail();
        const k = node.value;
        const ks = k === null ? '' : typeof k === 'object' ? bail() : String(k);
        // duplicates (the slow path reports them) and `__proto__` (toJS defines it specially)
        if (ks === '__proto__') bail();
        const base = top.base;
        if (itemBuf.length - base < 32) {
          for (let j = base; j < itemBuf.length; j++) {
            const v = ((itemBuf[j] as Pair).key as Scalar).value;
            if ((v === null ? '' : String(v)) === ks) bail();
          }
        } else if (Object.prototype.hasOwnProperty.call(top.data, ks)) bail();
        top.key = node;
        top.start = end;
        return;
      }
      itemBuf.push(newPair(top.key, node));
      dataBuf.push(null);
      const key = top.key.value;
      (top.data as Record<string, unknown>)[key === null ? '' : String(key)] = data;
      top.key = null;
    } else {
      itemBuf.push(node);
      dataBuf.push(data);
    }
    top.lastEnd = top.flow ? end : nodeEnd;
  };

  for (let i = 1; i < n; i++) {
    const ev = events[i] as Event;
    // each event is read once: letting it go now keeps the garbage collector from copying the
    // whole event list while the tree grows (the build allocates mostly long-lived nodes)
    (events as unknown[])[i] = undefined;
    switch (ev.type) {
      case EVENT_ID.SCALAR: {
        if (ev.anchorStart >= 0 || ev.tagStart >= 0) bail();
        const top = stack[stack.length - 1];
        const isKey = top !== undefined && top.isMap && top.key === null;
        const inFlow = top !== undefined && top.flow;
        scalar(text, ev, tags, isKey, inFlow, top, attach);
        break;
      }
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        if (ev.anchorStart >= 0 || ev.tagStart >= 0) bail();
        const top = stack[stack.length - 1];
        if (top && top.isMap && top.key === null) bail(); // complex key
        const flow = ev.style === 2;
        if (!flow && top?.flow) bail();
        const isMap = ev.type === EVENT_ID.MAPPING;
        // a block collection starts at its first key or `-`; a flow one at its bracket
        const start = ev.start;
        if (flow && text.charCodeAt(start) !== (isMap ? 123 : 91)) bail();
        const node = isMap ? new FastMap(start) : new FastSeq(start);
        if (flow) node.flow = true;
        stack.push({ node, isMap, data: isMap ? {} : EMPTY, base: itemBuf.length, flow, key: null, lastEnd: -1, start, gap: start, col: -1 });
        break;
      }
      case EVENT_ID.POP: {
        const frame = stack.pop();
        if (!frame) bail();
        if (frame.key !== null) bail();
        const node = frame.node;
        // the items, into an array of their exact length; a sequence's data likewise
        const base = frame.base;
        node.items = itemBuf.slice(base) as typeof node.items;
        if (!frame.isMap) frame.data = dataBuf.slice(base, itemBuf.length);
        itemBuf.length = base;
        dataBuf.length = base;
        const start = node.rs;
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
        node.re = end;
        node.rn = nodeEnd;
        attach(node, frame.data, start, end, nodeEnd);
        break;
      }
      default:
        // aliases, nested documents
        bail();
    }
  }
  if (stack.length > 0 || root === undefined) bail();
  // the document's root: the yaml library's root map/seq range is the same (block) or bracketed (flow)
  if (!(root instanceof YAMLMap) && !(root instanceof YAMLSeq)) bail();
  return { root, data: rootData };
}

function scalar(
  text: string,
  ev: ScalarEvent,
  tags: CoreTag[],
  isKey: boolean,
  inFlow: boolean,
  top: Frame | undefined,
  attach: (node: YamlNode, data: unknown, start: number, end: number, nodeEnd: number) => void,
): void {
  let start: number;
  let end: number;
  let value: unknown;
  let type: Scalar.Type;
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
    attach(newScalar(Scalar.PLAIN, null, j, j, j), null, j, j, j);
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
      type = Scalar.PLAIN;
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
      type = q === 39 ? Scalar.QUOTE_SINGLE : Scalar.QUOTE_DOUBLE;
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
      attach(newScalar(ind === 124 ? Scalar.BLOCK_LITERAL : Scalar.BLOCK_FOLDED, value, start, end, end), value, start, end, end);
      return;
    }
  }
  const nodeEnd = isKey ? end : inFlow ? flowNodeEnd(text, end) : nodeEndAfter(text, end, columnOfFrame(text, top));
  attach(newScalar(type, value, start, end, nodeEnd), value, start, end, nodeEnd);
}
