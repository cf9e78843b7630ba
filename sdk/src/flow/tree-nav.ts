/**
 * Read access to a node tree for the model builder (parse.ts), over either tree a parse makes:
 * the `yaml` library's nodes (the slow path, and the incremental re-parse) or the fast path's
 * CompactTree (fast-tree.ts), read in place without making a yaml node per value. Both give the
 * same answers for the same document: `test/fast-tree.test.ts` builds every model both ways.
 */
import { isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, Node as YamlNode, Scalar as YamlScalar, YAMLMap, YAMLSeq } from 'yaml';
import type { Range } from './model.js';
import { K_MAP, K_SCALAR, K_SEQ, yamlNode } from './fast-tree.js';
import type { CompactTree } from './fast-tree.js';
import { keyString, keyText, nodeRange } from './paths.js';

/** A node handle `H`: a yaml node (or null) for YamlNav, a node index (or -1) for CompactNav. */
export interface TreeNav<H> {
  /** The handle of no node. */
  readonly none: H;
  /** The node an alias stands for (bounded); any other node itself. */
  deref(h: H): H;
  isScalar(h: H): boolean;
  isMap(h: H): boolean;
  isSeq(h: H): boolean;
  /** A scalar's value. */
  value(h: H): unknown;
  /** `nodeRange` of the node (paths.ts): a block collection ends where its last item ends. */
  range(h: H): Range | undefined;
  /** A map's number of items (pairs), a sequence's number of items, else 0. */
  size(h: H): number;
  /** Item `i` of a sequence. */
  item(h: H, i: number): H;
  /** The key of item `i` of a map as a string (`keyString`); undefined for a non-scalar key or a non-pair. */
  pairKey(h: H, i: number): string | undefined;
  pairKeyRange(h: H, i: number): Range | undefined;
  /** The value node of item `i` of a map (aliases not followed). */
  pairValue(h: H, i: number): H;
  /** The node as plain JS data (what the yaml library's `toJS` gives); undefined when that fails. */
  toJS(h: H): unknown;
  /** The node as a yaml Scalar (for source offsets of its characters), when it is a scalar. */
  yamlScalar(h: H): YamlScalar | undefined;
}

/** Over the yaml library's nodes of `doc` (aliases followed within a budget). */
export class YamlNav implements TreeNav<unknown> {
  readonly none: unknown = null;
  /** Alias resolutions left: bounds the model of alias-bomb input (each alias may expand a subtree). */
  private aliasBudget = 2_000;
  private readonly aliasTargets = new Map<object, unknown>();

  constructor(private readonly doc: Document) {}

  deref(node: unknown): unknown {
    let n = node;
    for (let i = 0; i < 16 && isAlias(n); i++) {
      if (this.aliasBudget-- <= 0) return null;
      const alias = n;
      if (!this.aliasTargets.has(alias)) {
        let target: unknown;
        try {
          target = alias.resolve(this.doc);
        } catch {
          target = null;
        }
        this.aliasTargets.set(alias, target);
      }
      n = this.aliasTargets.get(alias);
    }
    return isAlias(n) ? null : (n ?? null);
  }

  isScalar(h: unknown): boolean {
    return isScalar(h);
  }

  isMap(h: unknown): boolean {
    return isMap(h);
  }

  isSeq(h: unknown): boolean {
    return isSeq(h);
  }

  value(h: unknown): unknown {
    return isScalar(h) ? h.value : undefined;
  }

  range(h: unknown): Range | undefined {
    return nodeRange(h);
  }

  size(h: unknown): number {
    return isMap(h) || isSeq(h) ? h.items.length : 0;
  }

  item(h: unknown, i: number): unknown {
    return isSeq(h) ? ((h as YAMLSeq).items[i] ?? null) : null;
  }

  pairKey(h: unknown, i: number): string | undefined {
    const item = (h as YAMLMap).items[i];
    return isPair(item) ? keyString(item.key) : undefined;
  }

  pairKeyRange(h: unknown, i: number): Range | undefined {
    const item = (h as YAMLMap).items[i];
    return isPair(item) ? nodeRange(item.key) : undefined;
  }

  pairValue(h: unknown, i: number): unknown {
    const item = (h as YAMLMap).items[i];
    return isPair(item) ? (item.value ?? null) : null;
  }

  toJS(node: unknown): unknown {
    try {
      if (!node || typeof node !== 'object' || !('toJS' in node)) return null;
      return (node as YamlNode).toJS(this.doc, { maxAliasCount: 100 });
    } catch {
      return undefined;
    }
  }

  yamlScalar(h: unknown): YamlScalar | undefined {
    return isScalar(h) ? h : undefined;
  }
}

/** Over a CompactTree: handles are node indexes, -1 is none. */
export class CompactNav implements TreeNav<number> {
  readonly none = -1;
  private readonly kind: Uint8Array;
  private readonly style: Uint8Array;
  private readonly rs: Int32Array;
  private readonly re: Int32Array;
  private readonly first: Int32Array;
  private readonly count: Int32Array;
  private readonly items: Int32Array;
  private readonly values: unknown[];

  constructor(private readonly tree: CompactTree) {
    this.kind = tree.kind;
    this.style = tree.style;
    this.rs = tree.rs;
    this.re = tree.re;
    this.first = tree.first;
    this.count = tree.count;
    this.items = tree.items;
    this.values = tree.values;
  }

  deref(h: number): number {
    return h;
  }

  isScalar(h: number): boolean {
    return h >= 0 && this.kind[h] === K_SCALAR;
  }

  isMap(h: number): boolean {
    return h >= 0 && this.kind[h] === K_MAP;
  }

  isSeq(h: number): boolean {
    return h >= 0 && this.kind[h] === K_SEQ;
  }

  value(h: number): unknown {
    return h >= 0 && this.kind[h] === K_SCALAR ? this.values[h] : undefined;
  }

  range(h: number): Range | undefined {
    if (h < 0) return undefined;
    const start = this.rs[h] as number;
    let end = this.re[h] as number;
    let cur = h;
    // a block collection ends where its last item (a map: its last value) ends, all the way down
    for (;;) {
      const k = this.kind[cur];
      const n = this.count[cur] as number;
      if ((k !== K_MAP && k !== K_SEQ) || this.style[cur] === 1 || n === 0) break;
      cur = this.items[(this.first[cur] as number) + n - 1] as number;
      end = this.re[cur] as number;
    }
    const own = this.re[h] as number;
    return { start, end: Math.max(start, Math.min(end, own)) };
  }

  size(h: number): number {
    if (h < 0) return 0;
    const k = this.kind[h];
    return k === K_MAP ? (this.count[h] as number) >> 1 : k === K_SEQ ? (this.count[h] as number) : 0;
  }

  item(h: number, i: number): number {
    return this.items[(this.first[h] as number) + i] ?? -1;
  }

  pairKey(h: number, i: number): string | undefined {
    return keyText(this.values[this.items[(this.first[h] as number) + 2 * i] as number]);
  }

  pairKeyRange(h: number, i: number): Range | undefined {
    const k = this.items[(this.first[h] as number) + 2 * i] as number;
    return { start: this.rs[k] as number, end: this.re[k] as number };
  }

  pairValue(h: number, i: number): number {
    return this.items[(this.first[h] as number) + 2 * i + 1] as number;
  }

  toJS(h: number): unknown {
    if (h < 0) return null;
    const k = this.kind[h];
    if (k === K_SCALAR) return this.values[h];
    const first = this.first[h] as number;
    const n = this.count[h] as number;
    if (k === K_SEQ) {
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = this.toJS(this.items[first + i] as number);
      return out;
    }
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i += 2) {
      const key = this.values[this.items[first + i] as number];
      out[keyText(key) as string] = this.toJS(this.items[first + i + 1] as number);
    }
    return out;
  }

  yamlScalar(h: number): YamlScalar | undefined {
    return this.isScalar(h) ? (yamlNode(this.tree, h) as YamlScalar) : undefined;
  }
}
