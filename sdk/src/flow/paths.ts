/**
 * Helpers shared by the parser and the schema validator: document paths in plain words and
 * navigation of a parsed `yaml` Document by path. Every range comes from a node's `.range`
 * (CST offsets); nothing here searches the text.
 */
import { isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Node as YamlNode, Pair } from 'yaml';
import type { NodePath, Range } from './model.js';

const IDENT_RE = /^[A-Za-z_$][\w$-]*$/;

/**
 * A path in plain words, as messages show it: `receivers.erp.auth.type`,
 * `steps[1].split.steps[0].method`, `receivers["a.b"]`; the empty path is `(flow file)`.
 */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENT_RE.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(flow file)' : out;
}

/**
 * The range `[start, valueEnd)` of a yaml node, or undefined when it has none. A block map or
 * sequence ends where its last item ends (yaml's own end includes the trailing line break and
 * comments, which would make a highlight spill onto the next line).
 */
export function nodeRange(node: unknown): Range | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const r = (node as { range?: [number, number, number] | null }).range;
  if (!r) return undefined;
  let end = r[1];
  let cur: unknown = node;
  for (let depth = 0; depth < 10_000 && (isMap(cur) || isSeq(cur)) && !cur.flow && cur.items.length > 0; depth++) {
    const last: unknown = cur.items[cur.items.length - 1];
    const lastNode: unknown = isPair(last) ? (last.value ?? last.key) : last;
    const lr = (lastNode as { range?: [number, number, number] | null } | null)?.range;
    if (!lr) break;
    end = lr[1];
    cur = lastNode;
  }
  return { start: r[0], end: Math.max(r[0], Math.min(end, r[1])) };
}

/** String form of a map key (scalar keys only; complex keys have none). */
export function keyString(key: unknown): string | undefined {
  return isScalar(key) ? keyText(key.value) : undefined;
}

/**
 * String form of a scalar key's value, as the model and `toJS` use it: null is the empty
 * string; an object (a complex key) has none.
 */
export function keyText(v: unknown): string | undefined {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return undefined;
  return String(v);
}

/** What path navigation needs of a document: its root node (a yaml `Document` qualifies). */
export interface NodeTree {
  contents: unknown;
}

export interface Located {
  /** The node at the path (undefined for a pair whose value is empty). */
  node: YamlNode | null | undefined;
  /** The pair holding the node when its parent is a map. */
  pair?: Pair<unknown, unknown>;
  /** The parent collection node. */
  parent?: YamlNode;
}

/** Finds the first pair of `map` whose key is `key` (as a string). */
export function findPair(map: YamlNode, key: string | number): Pair<unknown, unknown> | undefined {
  if (!isMap(map)) return undefined;
  const want = String(key);
  for (const item of map.items) {
    if (isPair(item) && keyString(item.key) === want) return item as Pair<unknown, unknown>;
  }
  return undefined;
}

/** Navigates a document by path (map keys, sequence indexes). Aliases are not followed. */
export function locate(doc: NodeTree, path: NodePath): Located | undefined {
  let current: Located = { node: doc.contents as YamlNode | null };
  for (const seg of path) {
    const node = current.node;
    if (!node) return undefined;
    if (isMap(node)) {
      const pair = findPair(node, seg);
      if (!pair) return undefined;
      current = { node: pair.value as YamlNode | null, pair, parent: node };
    } else if (isSeq(node)) {
      const index = typeof seg === 'number' ? seg : /^\d+$/.test(seg) ? Number(seg) : NaN;
      if (!Number.isInteger(index)) return undefined;
      const item = node.items[index] as YamlNode | null | undefined;
      if (item === undefined) return undefined;
      current = { node: item, parent: node };
    } else {
      return undefined;
    }
  }
  return current;
}

/** Range of the value at `path`; an empty value is the empty range just after its key. */
export function valueRangeOf(located: Located): Range | undefined {
  const r = nodeRange(located.node);
  if (r) return r;
  const k = located.pair ? nodeRange(located.pair.key) : undefined;
  return k ? { start: k.end, end: k.end } : undefined;
}

/** Range of the key at `path` (the node itself when it is not a map value). */
export function keyRangeOf(located: Located): Range | undefined {
  if (located.pair) return nodeRange(located.pair.key) ?? valueRangeOf(located);
  return valueRangeOf(located);
}

function contains(r: Range | undefined, offset: number): boolean {
  return r !== undefined && r.start <= offset && offset <= r.end;
}

/** The deepest node at `offset`: a key or a value, with its path. */
export function pathAtOffset(doc: NodeTree, offset: number): { path: NodePath; part: 'key' | 'value' } | undefined {
  const root = doc.contents as YamlNode | null;
  if (!root || !contains(nodeRange(root), offset)) return undefined;
  const path: NodePath = [];
  let node: unknown = root;
  for (let depth = 0; depth < 10_000; depth++) {
    if (isMap(node)) {
      let next: unknown;
      for (const item of node.items) {
        if (!isPair(item)) continue;
        const key = keyString(item.key);
        if (key === undefined) continue;
        if (contains(nodeRange(item.key), offset)) {
          path.push(key);
          return { path, part: 'key' };
        }
        if (item.value && contains(nodeRange(item.value), offset)) {
          path.push(key);
          next = item.value;
          break;
        }
      }
      if (next === undefined) return { path, part: 'value' };
      node = next;
    } else if (isSeq(node)) {
      let next: unknown;
      for (let i = 0; i < node.items.length; i++) {
        const item = node.items[i];
        if (contains(nodeRange(item), offset)) {
          path.push(i);
          next = item;
          break;
        }
      }
      if (next === undefined) return { path, part: 'value' };
      node = next;
    } else {
      return { path, part: 'value' };
    }
  }
  return { path, part: 'value' };
}
