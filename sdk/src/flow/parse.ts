/**
 * `parseFlow`: text → FlowDocument (yaml Document, typed Flow model with ranges, problems).
 *
 * Never throws, whatever the input. Every range comes from the `yaml` library's node ranges
 * (CST offsets, i.e. UTF-16 indexes into the text); nothing here searches the text.
 */
import { Document, LineCounter, Scalar as YamlScalar, isMap, isScalar, parseDocument } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { checkCondition, parseTemplate } from './expression.js';
import type { TemplateError } from './expression.js';
import type {
  Auth,
  CallStep,
  CredentialDecl,
  Flow,
  Logoff,
  Node,
  NodePath,
  ParseProblem,
  Position,
  ProcessDecl,
  Proxy,
  Range,
  Receiver,
  RouteWhen,
  Runtime,
  Scalar,
  Sender,
  Step,
  StepKind,
  TemplateEntry,
  TemplateScalar,
} from './model.js';
import { STEP_KINDS } from './model.js';
import { formatPath, keyRangeOf, locate, pathAtOffset, valueRangeOf } from './paths.js';
import type { NodeTree } from './paths.js';
import { validateFlowSchema } from './schema.js';
import { compactTree, shapeKeepers, yamlNode } from './fast-tree.js';
import { CompactNav, YamlNav } from './tree-nav.js';
import type { TreeNav } from './tree-nav.js';

export interface ParseFlowOptions {
  /** Document URI, kept on the result. */
  uri?: string;
  /** Validate against the flow JSON Schema (default true). */
  schema?: boolean;
  /**
   * Build the node tree from js-yaml's event stream when the text is in its plain subset
   * (default true; see fast-tree.ts). Same tree, model and problems either way; false always
   * uses the yaml library's parser (tests compare the two).
   */
  fastPath?: boolean;
}

export interface FlowDocument {
  uri?: string;
  text: string;
  /**
   * The parsed yaml Document (with comments and CST details), for minimal edits (designer,
   * quick fixes). When the fast path built `root`, the Document is parsed on first use.
   */
  readonly yaml: Document.Parsed;
  /** Line table of the yaml parse (made with `yaml`). */
  readonly lineCounter: LineCounter;
  /**
   * The root node of the document's tree (same nodes and ranges as `yaml.contents`). On the
   * fast path its collections make their items when first read (fast-tree.ts), so walking a
   * part of it costs that part only.
   */
  root: YamlNode | null;
  /** Typed model; partial when the input is bad. */
  flow: Flow;
  /** YAML syntax problems (`flow/yaml-syntax`) and schema problems (`flow/schema`). */
  problems: ParseProblem[];
  /** `formatVersion` is 1 or absent. */
  isLegacy: boolean;
  /** Zero-based line/character (UTF-16) of an offset. */
  positionAt(offset: number): Position;
  /** Offset of a zero-based line/character position (clamped to the text). */
  offsetAt(pos: Position): number;
  /** Range of the value (default) or key at a path, from the yaml node ranges. */
  rangeAt(path: NodePath, part?: 'key' | 'value'): Range | undefined;
  /** The deepest key or value at an offset (for hover and completion). */
  pathAt(offset: number): { path: NodePath; part: 'key' | 'value' } | undefined;
}

const STEP_KIND_SET: ReadonlySet<string> = new Set(STEP_KINDS);

/** Nesting depth beyond which steps are not modelled (guards against pathological input). */
const MAX_STEP_DEPTH = 64;

// ---------------------------------------------------------------------------------------------
// Line table (LSP semantics: lines end at \n, \r\n or \r)
// ---------------------------------------------------------------------------------------------

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 /* \r */) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    } else if (c === 10 /* \n */) {
      starts.push(i + 1);
    }
  }
  return starts;
}

function makePositionAt(text: string, starts: number[]): (offset: number) => Position {
  return (offset: number) => {
    const o = Math.max(0, Math.min(Number.isFinite(offset) ? Math.floor(offset) : 0, text.length));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - (starts[lo] as number) };
  };
}

function makeOffsetAt(text: string, starts: number[]): (pos: Position) => number {
  return (pos: Position) => {
    if (!pos || !Number.isFinite(pos.line) || pos.line < 0) return 0;
    if (pos.line >= starts.length) return text.length;
    const start = starts[pos.line] as number;
    let end = pos.line + 1 < starts.length ? (starts[pos.line + 1] as number) : text.length;
    // exclude the line break
    while (end > start && (text.charCodeAt(end - 1) === 10 || text.charCodeAt(end - 1) === 13)) end--;
    const ch = Number.isFinite(pos.character) ? Math.max(0, Math.floor(pos.character)) : 0;
    return Math.min(start + ch, end);
  };
}

/** positionAt / offsetAt of a text (LSP semantics); shared by parseFlow and the incremental re-parse. @internal */
export function lineTable(text: string): { positionAt: (offset: number) => Position; offsetAt: (pos: Position) => number } {
  const starts = lineStarts(text);
  return { positionAt: makePositionAt(text, starts), offsetAt: makeOffsetAt(text, starts) };
}

// ---------------------------------------------------------------------------------------------
// Scalar content offsets: where each character of a scalar's value sits in the source
// ---------------------------------------------------------------------------------------------

const SIMPLE_ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
};

/**
 * For a string scalar, an array `offs` with `offs[i]` = source offset of value character `i`
 * and `offs[value.length]` = end of the content; undefined when the scalar is not plain or
 * simply quoted on one line (block scalars, folded lines), so callers use the node range.
 */
export function scalarContentOffsets(node: YamlScalar, text: string): number[] | undefined {
  const value = node.value;
  const r = node.range;
  if (typeof value !== 'string' || !r) return undefined;
  const start = r[0];
  const tok = node.srcToken as { offset?: number; source?: string } | undefined;
  const raw = tok && tok.offset === start && typeof tok.source === 'string' ? tok.source : text.slice(start, r[1]);
  const offs: number[] = [];
  if (node.type === YamlScalar.PLAIN || node.type === undefined) {
    if (raw !== value) return undefined;
    for (let i = 0; i <= value.length; i++) offs.push(start + i);
    return offs;
  }
  if (node.type === YamlScalar.QUOTE_SINGLE) {
    if (raw.length < 2 || raw[0] !== "'" || raw[raw.length - 1] !== "'") return undefined;
    let decoded = '';
    for (let k = 1; k < raw.length - 1; k++) {
      const c = raw[k] as string;
      if (c === '\n' || c === '\r') return undefined;
      offs.push(start + k);
      decoded += c;
      if (c === "'" && raw[k + 1] === "'") k++;
    }
    offs.push(start + raw.length - 1);
    return decoded === value ? offs : undefined;
  }
  if (node.type === YamlScalar.QUOTE_DOUBLE) {
    if (raw.length < 2 || raw[0] !== '"' || raw[raw.length - 1] !== '"') return undefined;
    let decoded = '';
    for (let k = 1; k < raw.length - 1; k++) {
      const c = raw[k] as string;
      if (c === '\n' || c === '\r') return undefined;
      if (c !== '\\') {
        offs.push(start + k);
        decoded += c;
        continue;
      }
      const e = raw[k + 1];
      if (e === undefined) return undefined;
      const hexLen = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
      let ch: string;
      let width: number;
      if (hexLen > 0) {
        const hex = raw.slice(k + 2, k + 2 + hexLen);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== hexLen) return undefined;
        try {
          ch = String.fromCodePoint(parseInt(hex, 16));
        } catch {
          return undefined;
        }
        width = 2 + hexLen;
      } else {
        const s = SIMPLE_ESCAPES[e];
        if (s === undefined) return undefined;
        ch = s;
        width = 2;
      }
      for (let u = 0; u < ch.length; u++) offs.push(start + k);
      decoded += ch;
      k += width - 1;
    }
    offs.push(start + raw.length - 1);
    return decoded === value ? offs : undefined;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Model builder
// ---------------------------------------------------------------------------------------------

interface Entry<H = unknown> {
  key: string;
  keyRange: Range | undefined;
  /** The value node (aliases followed); the nav's `none` when the pair has no value. */
  value: H;
}

/**
 * A map's entries with string keys, first occurrence of a key only (duplicates are a yaml
 * error), in document order. Maps in flows are small: a list searched in order is cheaper to
 * build than a Map, and a lookup table is added only for large maps.
 */
class Entries<H = unknown> {
  private index: Map<string, Entry<H>> | undefined;

  constructor(
    readonly list: Entry<H>[] = [],
    index?: Map<string, Entry<H>>,
  ) {
    this.index = index ?? (list.length > 16 ? new Map(list.map((x) => [x.key, x])) : undefined);
  }

  get(key: string): Entry<H> | undefined {
    if (this.index) return this.index.get(key);
    const list = this.list;
    for (let i = 0; i < list.length; i++) if ((list[i] as Entry<H>).key === key) return list[i];
    return undefined;
  }

  values(): Entry<H>[] {
    return this.list;
  }
}

const NO_ENTRIES: Entries<never> = new Entries<never>();

/**
 * `[...path, key]`, written as a copy loop: model nodes each carry their own path, and the
 * spread was a sixth of the model builder's time.
 */
function childPath(path: NodePath, key: string | number): NodePath {
  const n = path.length;
  const out = new Array<string | number>(n + 1);
  for (let i = 0; i < n; i++) out[i] = path[i] as string | number;
  out[n] = key;
  return out;
}

/**
 * A scalar field of the model (`Scalar` / `TemplateScalar`): its `path` is made when read, from
 * the path of the node holding it and its key. These are most of the model's nodes, and their
 * path arrays were a third of its objects, which nearly nothing reads (a finding, a quick fix, a
 * hover). `toJSON` writes the path like a plain model node; a copy with other ranges keeps the
 * class (`shifted`, for the incremental re-parse).
 */
export class ModelScalar<T> implements Scalar<T> {
  constructor(
    public value: T,
    public range: Range,
    public keyRange: Range | undefined,
    /** Path of the node holding this field. */
    readonly at: NodePath,
    /** Its key there. */
    readonly key: string | number,
  ) {}

  get path(): NodePath {
    return childPath(this.at, this.key);
  }

  /** The same field with `shift` applied to its ranges. */
  shifted(shift: (r: Range) => Range): ModelScalar<T> {
    return new ModelScalar(this.value, shift(this.range), this.keyRange && shift(this.keyRange), this.at, this.key);
  }

  toJSON(): Scalar<T> {
    return { value: this.value, range: this.range, keyRange: this.keyRange, path: this.path };
  }
}

/** A `TemplateScalar` field of the model, with its path made when read (see ModelScalar). */
export class ModelTemplate extends ModelScalar<string> implements TemplateScalar {
  constructor(
    value: string,
    public template: TemplateScalar['template'],
    range: Range,
    keyRange: Range | undefined,
    at: NodePath,
    key: string | number,
  ) {
    super(value, range, keyRange, at, key);
  }

  override shifted(shift: (r: Range) => Range): ModelTemplate {
    return new ModelTemplate(this.value, this.template, shift(this.range), this.keyRange && shift(this.keyRange), this.at, this.key);
  }

  override toJSON(): TemplateScalar {
    return { value: this.value, template: this.template, range: this.range, keyRange: this.keyRange, path: this.path };
  }
}

interface TemplateOptions {
  /** Numbers and booleans are accepted as their text. */
  loose?: boolean;
  /** The value is a condition (`while`, `if`). */
  condition?: boolean;
}
const PLAIN_TEMPLATE: TemplateOptions = {};
const LOOSE_TEMPLATE: TemplateOptions = { loose: true };
const CONDITION_TEMPLATE: TemplateOptions = { condition: true };

// value checks of `str`/`num`/`bool` (module functions: an arrow written at the call would be
// a new closure per call)
const isString = (v: unknown): v is string => typeof v === 'string';
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';

// The Builder's scratch lists: gathered there, then copied into arrays of their exact length (an
// array grown by `push` keeps room for 17 items, and most lists in a flow hold a few).
const ENTRY_BUF: Entry<unknown>[] = [];
const TEMPLATE_ENTRY_BUF: TemplateEntry[] = [];
const STEP_BUF: Step[] = [];

/**
 * Builds the typed model from a node tree, read through a TreeNav (tree-nav.ts): the yaml
 * library's nodes, or the fast path's CompactTree. `H` is the nav's node handle.
 */
class Builder<H> {
  /**
   * The kept objects (see `keepShapes` at the end of this module): held here, on a class every
   * parse uses, because a module-level constant nothing reads is not kept alive.
   */
  static shapeKeepers: readonly unknown[] = [];

  readonly problems: ParseProblem[] = [];

  constructor(
    private readonly nav: TreeNav<H>,
    private readonly root: H,
    private readonly text: string,
  ) {
    // left over only when a build threw
    STEP_BUF.length = 0;
  }

  private rangeOf(node: H, fallback?: Range): Range {
    return this.nav.range(node) ?? fallback ?? { start: 0, end: 0 };
  }

  /** Scratch list of `entries` (shared: builds are synchronous and never nested). */
  private readonly entryBuf = ENTRY_BUF as Entry<H>[];
  /** Scratch list of `templateEntries`. */
  private readonly templateEntryBuf: TemplateEntry[] = TEMPLATE_ENTRY_BUF;
  /** Steps of the open `steps` lists, innermost last (copied out at each list's end). */
  private readonly stepBuf: Step[] = STEP_BUF;

  /** Map entries with string keys (first occurrence wins; duplicates are a yaml error). */
  private entries(node: H): Entries<H> {
    const nav = this.nav;
    const map = nav.deref(node);
    if (!nav.isMap(map)) return NO_ENTRIES;
    const n = nav.size(map);
    const list = this.entryBuf;
    list.length = 0;
    let index: Map<string, Entry<H>> | undefined;
    for (let i = 0; i < n; i++) {
      const key = nav.pairKey(map, i);
      if (key === undefined) continue;
      // first occurrence wins
      if (index) {
        if (index.has(key)) continue;
      } else {
        let dup = false;
        for (let j = 0; j < list.length; j++) {
          if ((list[j] as Entry<H>).key === key) {
            dup = true;
            break;
          }
        }
        if (dup) continue;
      }
      const e: Entry<H> = { key, keyRange: nav.pairKeyRange(map, i), value: nav.deref(nav.pairValue(map, i)) };
      list.push(e);
      if (index) index.set(key, e);
      else if (list.length > 16) index = new Map(list.map((x) => [x.key, x]));
    }
    const out = new Entries<H>(list.slice(), index);
    list.length = 0;
    return out;
  }

  private valueRange(e: Entry<H>): Range {
    const r = this.nav.range(e.value);
    if (r) return r;
    const k = e.keyRange;
    return k ? { start: k.end, end: k.end } : { start: 0, end: 0 };
  }

  private scalarOf<T>(e: Entry<H> | undefined, path: NodePath, check: (v: unknown) => v is T): Scalar<T> | undefined {
    if (!e || !this.nav.isScalar(e.value)) return undefined;
    const value = this.nav.value(e.value);
    if (!check(value)) return undefined;
    return new ModelScalar(value, this.valueRange(e), e.keyRange, path, e.key);
  }

  private str(e: Entry<H> | undefined, path: NodePath): Scalar<string> | undefined {
    return this.scalarOf(e, path, isString);
  }

  private num(e: Entry<H> | undefined, path: NodePath): Scalar<number> | undefined {
    return this.scalarOf(e, path, isFiniteNumber);
  }

  private bool(e: Entry<H> | undefined, path: NodePath): Scalar<boolean> | undefined {
    return this.scalarOf(e, path, isBoolean);
  }

  /** A scalar name (receiver, process, script path): strings, or other scalars as text. */
  private name(e: Entry<H>, path: NodePath): Scalar<string> {
    const v = this.nav.isScalar(e.value) ? this.nav.value(e.value) : undefined;
    const value = typeof v === 'string' ? v : v === null || v === undefined || typeof v === 'object' ? '' : String(v);
    return new ModelScalar(value, this.valueRange(e), e.keyRange, path, e.key);
  }

  private reportTemplateErrors(node: H, range: Range, path: NodePath, errors: TemplateError[], what: string): void {
    if (errors.length === 0) return;
    const scalar = this.nav.yamlScalar(node);
    const offs = scalar ? scalarContentOffsets(scalar, this.text) : undefined;
    for (const err of errors) {
      let r = range;
      if (offs) {
        const s = offs[Math.max(0, Math.min(err.start, offs.length - 1))];
        const t = offs[Math.max(0, Math.min(err.end, offs.length - 1))];
        if (s !== undefined && t !== undefined && t >= s) r = { start: s, end: t };
      }
      this.problems.push({
        code: 'flow/schema',
        message: `${formatPath(path)}: invalid ${what}: ${err.message}`,
        range: r,
        path,
        data: { field: formatPath(path) },
      });
    }
  }

  /**
   * A string value that may hold expressions. With `loose`, numbers and booleans are accepted
   * as their text (header values such as `X-Count: 5`).
   */
  private template(e: Entry<H> | undefined, path: NodePath, opts: TemplateOptions = PLAIN_TEMPLATE): TemplateScalar | undefined {
    if (!e || !this.nav.isScalar(e.value)) return undefined;
    const v = this.nav.value(e.value);
    let value: string;
    if (typeof v === 'string') value = v;
    else if (opts.loose && (typeof v === 'number' || typeof v === 'boolean')) value = String(v);
    else return undefined;
    const range = this.valueRange(e);
    const { template, errors } = this.parsedTemplate(value);
    if (typeof v === 'string') {
      if (errors.length > 0) this.reportTemplateErrors(e.value, range, childPath(path, e.key), errors, 'expression');
      else if (opts.condition) {
        const err = checkCondition(value);
        if (err) this.reportTemplateErrors(e.value, range, childPath(path, e.key), [err], 'condition');
      }
    }
    return new ModelTemplate(value, template, range, e.keyRange, path, e.key);
  }

  /**
   * Templates by source text: flows repeat the same values (`${header.X-Request-Id}`, content
   * types) many times; a Template is never mutated, so one parse serves every occurrence.
   */
  private readonly templates = new Map<string, ReturnType<typeof parseTemplate>>();

  private parsedTemplate(value: string): ReturnType<typeof parseTemplate> {
    let t = this.templates.get(value);
    if (!t) {
      t = parseTemplate(value);
      if (this.templates.size < 10_000) this.templates.set(value, t);
    }
    return t;
  }

  private templateEntries(e: Entry<H> | undefined, path: NodePath): TemplateEntry[] {
    if (!e) return [];
    const p = childPath(path, e.key);
    const out = this.templateEntryBuf;
    out.length = 0;
    const list = this.entries(e.value).list;
    for (let i = 0; i < list.length; i++) {
      const entry = list[i] as Entry<H>;
      const value = this.template(entry, p, LOOSE_TEMPLATE);
      if (value && entry.keyRange) out.push({ name: entry.key, keyRange: entry.keyRange, value });
    }
    const result = out.slice();
    out.length = 0;
    return result;
  }

  private body(e: Entry<H> | undefined, path: NodePath): TemplateScalar | Scalar<unknown> | undefined {
    if (!e) return undefined;
    if (this.nav.isScalar(e.value) && typeof this.nav.value(e.value) === 'string') return this.template(e, path);
    this.checkNestedExpressions(e.value, childPath(path, e.key), 0);
    return new ModelScalar(this.nav.toJS(e.value), this.valueRange(e), e.keyRange, path, e.key);
  }

  /**
   * Reports invalid `${...}` in the strings of a structured value (a map or list body).
   * `path` is a scratch array (pushed and popped while walking), copied only for a problem.
   */
  private checkNestedExpressions(node: H, path: NodePath, depth: number): void {
    if (depth > 32) return;
    const nav = this.nav;
    if (nav.isScalar(node)) {
      const v = nav.value(node);
      if (typeof v !== 'string' || !v.includes('${')) return;
      const { errors } = parseTemplate(v);
      if (errors.length > 0) this.reportTemplateErrors(node, this.rangeOf(node), [...path], errors, 'expression');
    } else if (nav.isMap(node)) {
      const n = nav.size(node);
      for (let i = 0; i < n; i++) {
        const key = nav.pairKey(node, i);
        if (key === undefined) continue;
        path.push(key);
        this.checkNestedExpressions(nav.pairValue(node, i), path, depth + 1);
        path.pop();
      }
    } else if (nav.isSeq(node)) {
      const n = nav.size(node);
      for (let i = 0; i < n; i++) {
        path.push(i);
        this.checkNestedExpressions(nav.item(node, i), path, depth + 1);
        path.pop();
      }
    }
  }

  private nodeOf(e: Entry<H>, path: NodePath): Node {
    return { range: this.valueRange(e), keyRange: e.keyRange, path: childPath(path, e.key) };
  }

  build(): Flow {
    const root = this.root;
    const f = this.entries(root);
    const rootRange = this.rangeOf(root, { start: 0, end: this.text.length });
    const flow: Flow = {
      range: rootRange,
      path: [],
      id: this.str(f.get('flow'), []),
      formatVersion: this.num(f.get('formatVersion'), []),
      description: this.str(f.get('description'), []),
      runtime: this.runtime(f.get('runtime')),
      sender: this.sender(f.get('sender')),
      credentials: [],
      receivers: [],
      processes: [],
      steps: [],
    };
    const creds = f.get('credentials');
    if (creds) {
      flow.credentialsNode = this.nodeOf(creds, []);
      for (const c of this.entries(creds.value).values()) flow.credentials.push(this.credential(c));
    }
    const recs = f.get('receivers');
    if (recs) {
      flow.receiversNode = this.nodeOf(recs, []);
      for (const r of this.entries(recs.value).values()) flow.receivers.push(this.receiver(r));
    }
    const procs = f.get('processes');
    if (procs) {
      flow.processesNode = this.nodeOf(procs, []);
      for (const p of this.entries(procs.value).values()) flow.processes.push(this.process(p));
    }
    const steps = f.get('steps');
    if (steps) {
      flow.stepsNode = this.nodeOf(steps, []);
      flow.steps = this.steps(steps.value, ['steps'], 0);
    }
    return flow;
  }

  private runtime(e: Entry<H> | undefined): Runtime | undefined {
    if (!e || !this.nav.isMap(e.value)) return undefined;
    const p: NodePath = ['runtime'];
    const m = this.entries(e.value);
    return {
      ...this.nodeOf(e, []),
      sessionHandling: this.str(m.get('sessionHandling'), p),
      log: this.str(m.get('log'), p),
      sessionStore: this.str(m.get('sessionStore'), p),
    };
  }

  private sender(e: Entry<H> | undefined): Sender | undefined {
    if (!e || !this.nav.isMap(e.value)) return undefined;
    const p: NodePath = ['sender'];
    const m = this.entries(e.value);
    const raw: Record<string, unknown> = {};
    for (const { key: k, value: v } of m.values()) if (k !== 'adapter' && k !== 'path' && k !== 'csrf') raw[k] = this.nav.toJS(v);
    return {
      ...this.nodeOf(e, []),
      adapter: this.str(m.get('adapter'), p),
      urlPath: this.str(m.get('path'), p),
      csrf: this.bool(m.get('csrf'), p),
      raw,
    };
  }

  private credential(e: Entry<H>): CredentialDecl {
    const p: NodePath = ['credentials', e.key];
    const m = this.entries(e.value);
    return { ...this.nodeOf(e, ['credentials']), name: e.key, type: this.str(m.get('type'), p) };
  }

  private receiver(e: Entry<H>): Receiver {
    const p: NodePath = ['receivers', e.key];
    const m = this.entries(e.value);
    const rec: Receiver = {
      ...this.nodeOf(e, ['receivers']),
      name: e.key,
      adapter: this.str(m.get('adapter'), p),
      variant: this.str(m.get('variant'), p),
      address: this.template(m.get('address'), p),
      csrf: this.bool(m.get('csrf'), p),
      stateful: this.bool(m.get('stateful'), p),
      parallelCallsInSession: this.bool(m.get('parallelCallsInSession'), p),
      session: this.str(m.get('session'), p),
      timeoutMs: this.num(m.get('timeoutMs'), p),
    };
    const auth = m.get('auth');
    if (auth && this.nav.isMap(auth.value)) {
      const ap = childPath(p, 'auth');
      const a = this.entries(auth.value);
      const node: Auth = {
        ...this.nodeOf(auth, p),
        type: this.str(a.get('type'), ap),
        credential: this.str(a.get('credential'), ap),
        user: this.template(a.get('user'), ap),
        password: this.template(a.get('password'), ap),
        tokenUrl: this.str(a.get('tokenUrl'), ap),
      };
      rec.auth = node;
    }
    const proxy = m.get('proxy');
    if (proxy && this.nav.isMap(proxy.value)) {
      const pp = childPath(p, 'proxy');
      const x = this.entries(proxy.value);
      const node: Proxy = {
        ...this.nodeOf(proxy, p),
        type: this.str(x.get('type'), pp),
        virtualHost: this.str(x.get('virtualHost'), pp),
        locationId: this.str(x.get('locationId'), pp),
      };
      const cd = x.get('cookieDomains');
      if (cd && this.nav.isMap(cd.value)) {
        const value: Record<string, string> = {};
        for (const d of this.entries(cd.value).values()) {
          const v = this.nav.isScalar(d.value) ? this.nav.value(d.value) : undefined;
          if (typeof v === 'string') value[d.key] = v;
        }
        node.cookieDomains = { ...this.nodeOf(cd, pp), value };
      }
      rec.proxy = node;
    }
    const logoff = m.get('logoff');
    if (logoff && this.nav.isMap(logoff.value)) {
      const lp = childPath(p, 'logoff');
      const l = this.entries(logoff.value);
      const node: Logoff = { ...this.nodeOf(logoff, p), method: this.str(l.get('method'), lp), urlPath: this.str(l.get('path'), lp) };
      rec.logoff = node;
    }
    const config = m.get('config');
    if (config && this.nav.isMap(config.value)) {
      const value = this.nav.toJS(config.value);
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        rec.config = { ...this.nodeOf(config, p), value: value as Record<string, unknown> };
      }
    }
    return rec;
  }

  private process(e: Entry<H>): ProcessDecl {
    const p: NodePath = ['processes', e.key];
    const m = this.entries(e.value);
    const steps = m.get('steps');
    return { ...this.nodeOf(e, ['processes']), name: e.key, steps: steps ? this.steps(steps.value, childPath(p, 'steps'), 0) : [] };
  }

  /** One top-level step item (for incremental re-parsing); undefined when it is not a step. */
  topLevelStep(item: H, path: NodePath): Step | undefined {
    return this.step(item, path, 0);
  }

  private steps(node: H, path: NodePath, depth: number): Step[] {
    const nav = this.nav;
    const seq = nav.deref(node);
    if (!nav.isSeq(seq) || depth > MAX_STEP_DEPTH) return [];
    // nested lists push after this one's steps and truncate back when they end
    const buf = this.stepBuf;
    const base = buf.length;
    const n = nav.size(seq);
    for (let i = 0; i < n; i++) {
      const step = this.step(nav.item(seq, i), childPath(path, i), depth);
      if (step) buf.push(step);
    }
    const out = buf.slice(base);
    buf.length = base;
    return out;
  }

  private step(item: H, path: NodePath, depth: number): Step | undefined {
    const nav = this.nav;
    const node = nav.deref(item);
    if (!nav.isMap(node)) return undefined;
    const m = this.entries(node);
    // the kind is the first kind key in document order
    let kindEntry: Entry<H> | undefined;
    const list = m.list;
    for (let i = 0; i < list.length; i++) {
      const e = list[i] as Entry<H>;
      if (STEP_KIND_SET.has(e.key)) {
        kindEntry = e;
        break;
      }
    }
    if (!kindEntry) return undefined;
    const kind = kindEntry.key as StepKind;
    // Every step object is an explicit literal with its fields in one order: a spread of shared
    // fields would give each object its own V8 hidden class, making every later read of a step
    // field (analysis, runner, designer) a slow megamorphic lookup.
    const range = this.rangeOf(node);
    const id = this.str(m.get('id'), path);
    const name = this.str(m.get('name'), path);
    const kindKeyRange = kindEntry.keyRange ?? this.rangeOf(node);
    const kp = childPath(path, kind);
    const inner = this.entries(kindEntry.value);
    switch (kind) {
      case 'call':
      case 'send': {
        const receiver = this.name(kindEntry, path);
        const method = this.str(m.get('method'), path);
        const urlPath = this.template(m.get('path'), path);
        const headers = this.templateEntries(m.get('headers'), path);
        const query = this.templateEntries(m.get('query'), path);
        const body = this.body(m.get('body'), path);
        const step: CallStep = { range, path, id, name, kindKeyRange, kind, receiver, method, urlPath, headers, query, body };
        return step;
      }
      case 'set': {
        const headers = this.templateEntries(inner.get('headers'), kp);
        const properties = this.templateEntries(inner.get('properties'), kp);
        const body = this.body(inner.get('body'), kp);
        return { range, path, id, name, kindKeyRange, kind, headers, properties, body };
      }
      case 'script':
        return { range, path, id, name, kindKeyRange, kind, script: this.name(kindEntry, path) };
      case 'process':
        return { range, path, id, name, kindKeyRange, kind, process: this.name(kindEntry, path) };
      case 'split': {
        const splitPath = this.str(inner.get('path'), kp);
        const parallel = this.bool(inner.get('parallel'), kp);
        const maxConcurrency = this.num(inner.get('maxConcurrency'), kp);
        const steps = this.steps(inner.get('steps')?.value ?? nav.none, childPath(kp, 'steps'), depth + 1);
        return { range, path, id, name, kindKeyRange, kind, splitPath, parallel, maxConcurrency, steps };
      }
      case 'multicast': {
        const branches: Step[][] = [];
        const seq = nav.deref(inner.get('branches')?.value ?? nav.none);
        if (nav.isSeq(seq)) {
          const n = nav.size(seq);
          for (let bi = 0; bi < n; bi++) branches.push(this.steps(nav.item(seq, bi), childPath(childPath(kp, 'branches'), bi), depth + 1));
        }
        return { range, path, id, name, kindKeyRange, kind, parallel: this.bool(inner.get('parallel'), kp), branches };
      }
      case 'loop': {
        const whileCond = this.template(inner.get('while'), kp, CONDITION_TEMPLATE);
        const max = this.num(inner.get('max'), kp);
        const steps = this.steps(inner.get('steps')?.value ?? nav.none, childPath(kp, 'steps'), depth + 1);
        return { range, path, id, name, kindKeyRange, kind, while: whileCond, max, steps };
      }
      case 'route': {
        const when: RouteWhen[] = [];
        const whenEntry = inner.get('when');
        const seq = nav.deref(whenEntry?.value ?? nav.none);
        if (nav.isSeq(seq)) {
          const n = nav.size(seq);
          for (let wi = 0; wi < n; wi++) {
            const wnode = nav.deref(nav.item(seq, wi));
            if (!nav.isMap(wnode)) continue;
            const wp = childPath(childPath(kp, 'when'), wi);
            const wm = this.entries(wnode);
            when.push({
              range: this.rangeOf(wnode),
              path: wp,
              if: this.template(wm.get('if'), wp, CONDITION_TEMPLATE),
              steps: this.steps(wm.get('steps')?.value ?? nav.none, childPath(wp, 'steps'), depth + 1),
            });
          }
        }
        const otherwise = inner.get('otherwise');
        return {
          range,
          path,
          id,
          name,
          kindKeyRange,
          kind,
          when,
          otherwise: otherwise ? this.steps(otherwise.value, childPath(kp, 'otherwise'), depth + 1) : undefined,
        };
      }
    }
  }
}

/**
 * Builds the model of one item of the top-level `steps` list (for `reparseFlow`): `doc` is the
 * yaml Document the item node belongs to, `text` the text its ranges index. Internal.
 */
export function buildTopLevelStep(doc: Document, item: unknown, path: NodePath, text: string): { step: Step | undefined; problems: ParseProblem[] } {
  const builder = new Builder<unknown>(new YamlNav(doc), doc.contents, text);
  const step = builder.topLevelStep(item, path);
  return { step, problems: builder.problems };
}

// ---------------------------------------------------------------------------------------------
// parseFlow
// ---------------------------------------------------------------------------------------------

function yamlProblems(doc: Document.Parsed, textLength: number): ParseProblem[] {
  const out: ParseProblem[] = [];
  const add = (e: { message: string; pos?: [number, number]; code?: string }, severity: 'error' | 'warning'): void => {
    const pos = Array.isArray(e.pos) ? e.pos : [0, 0];
    const start = Math.max(0, Math.min(pos[0] ?? 0, textLength));
    const end = Math.max(start, Math.min(pos[1] ?? start, textLength));
    const message = String(e.message).split('\n')[0] ?? 'YAML syntax error';
    out.push({
      code: 'flow/yaml-syntax',
      message: `YAML syntax: ${message}`,
      range: { start, end },
      data: { yamlCode: e.code, severity },
    });
  };
  for (const e of doc.errors) add(e, 'error');
  for (const w of doc.warnings) add(w, 'warning');
  return out;
}

function safeParseDocument(text: string, lineCounter: LineCounter): Document.Parsed {
  try {
    return parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  } catch (e) {
    // The yaml library reports problems as errors on the document; this is a last resort.
    const doc = parseDocument('', { prettyErrors: false });
    (doc.errors as unknown[]).push({
      name: 'YAMLParseError',
      code: 'IMPOSSIBLE',
      message: `the YAML parser failed: ${e instanceof Error ? e.message : String(e)}`,
      pos: [0, Math.min(text.length, 1)],
    });
    return doc;
  }
}

/** `formatVersion` is 1 or absent (or the root is not a map). @internal */
export function isLegacyFlow(doc: NodeTree): boolean {
  try {
    if (!isMap(doc.contents)) return true;
    const loc = locate(doc, ['formatVersion']);
    if (!loc) return true;
    return isScalar(loc.node) && loc.node.value === 1;
  } catch {
    return true;
  }
}

/**
 * The JS data of documents whose node tree is alias-free (built by the fast path, or re-parsed
 * incrementally from such a document): what the incremental re-parse builds on. @internal
 */
export const documentData = new WeakMap<FlowDocument, unknown>();

/**
 * A FlowDocument over a yaml node tree whose ranges index `text`: navigation on that tree; the
 * line table and the yaml Document (from `yaml`, called on first use) made when first asked
 * for. Shared by parseFlow and the incremental re-parse. @internal
 */
export function flowDocument(parts: {
  text: string;
  root: YamlNode | null;
  flow: Flow;
  problems: ParseProblem[];
  isLegacy: boolean;
  yaml: () => { doc: Document.Parsed; lineCounter: LineCounter };
  uri?: string;
}): FlowDocument {
  const { text, root, yaml } = parts;
  const tree: NodeTree = { contents: root };
  // the line table is made on first use (diagnostics without positions need none)
  let lines: ReturnType<typeof lineTable> | undefined;
  const linesOf = (): ReturnType<typeof lineTable> => (lines ??= lineTable(text));
  const result: FlowDocument = {
    text,
    root,
    flow: parts.flow,
    problems: parts.problems,
    isLegacy: parts.isLegacy,
    positionAt: (offset: number) => linesOf().positionAt(offset),
    offsetAt: (pos: Position) => linesOf().offsetAt(pos),
    rangeAt(path: NodePath, part: 'key' | 'value' = 'value'): Range | undefined {
      try {
        const loc = locate(tree, path);
        if (!loc) return undefined;
        return part === 'key' ? keyRangeOf(loc) : valueRangeOf(loc);
      } catch {
        return undefined;
      }
    },
    pathAt(offset: number) {
      try {
        return pathAtOffset(tree, offset);
      } catch {
        return undefined;
      }
    },
    get yaml(): Document.Parsed {
      return yaml().doc;
    },
    get lineCounter(): LineCounter {
      return yaml().lineCounter;
    },
  };
  if (parts.uri !== undefined) result.uri = parts.uri;
  return result;
}

/** A Document for `toJS` of nodes built by the fast path (no anchors, default schema). */
let plainDocument: Document | undefined;

/**
 * The model of a whole alias-free yaml node tree whose ranges index `text` (for the
 * incremental re-parse after a scalar edit). @internal
 */
export function buildFlowModel(root: YamlNode, text: string): { flow: Flow; problems: ParseProblem[] } {
  const builder = new Builder<unknown>(new YamlNav((plainDocument ??= new Document())), root, text);
  const flow = builder.build();
  return { flow, problems: builder.problems };
}

/** The model of a tree read through `nav`; the builder's problems are added to `problems`. */
function buildModel<H>(nav: TreeNav<H>, root: H, text: string, problems: ParseProblem[]): Flow {
  const builder = new Builder<H>(nav, root, text);
  const flow = builder.build();
  for (const p of builder.problems) problems.push(p);
  return flow;
}

/** Parses a flow file (YAML or JSON). Never throws. */
export function parseFlow(text: string, options: ParseFlowOptions = {}): FlowDocument {
  const src = typeof text === 'string' ? text : text === undefined || text === null ? '' : String(text);
  // Every node and range comes from a YAML library: js-yaml's events for the plain subset
  // (fast-tree.ts, the yaml library's node classes and range rules), else the yaml library.
  const fast = options.fastPath === false ? undefined : compactTree(src);
  let parsed: { doc: Document.Parsed; lineCounter: LineCounter } | undefined;
  const fullParse = (): { doc: Document.Parsed; lineCounter: LineCounter } => {
    if (!parsed) {
      const lineCounter = new LineCounter();
      parsed = { doc: safeParseDocument(src, lineCounter), lineCounter };
    }
    return parsed;
  };
  let root: YamlNode | null;
  let problems: ParseProblem[];
  if (fast) {
    // the model is built from the compact tree; its yaml nodes are made as they are read
    root = yamlNode(fast.tree, fast.tree.root);
    problems = [];
  } else {
    const { doc } = fullParse();
    root = (doc.contents ?? null) as YamlNode | null;
    problems = yamlProblems(doc, src.length);
  }
  const tree: NodeTree = { contents: root };
  let flow: Flow;
  try {
    flow = fast ? buildModel(new CompactNav(fast.tree), fast.tree.root, src, problems) : buildModel<unknown>(new YamlNav(fullParse().doc), root, src, problems);
  } catch (e) {
    flow = { range: { start: 0, end: src.length }, path: [], credentials: [], receivers: [], processes: [], steps: [] };
    problems.push({
      code: 'flow/schema',
      message: `(flow file): the flow model could not be built: ${e instanceof Error ? e.message : String(e)}`,
      range: { start: 0, end: Math.min(src.length, 1) },
    });
  }
  if (options.schema !== false) {
    try {
      problems.push(...(fast ? validateFlowSchema(tree, { data: fast.data }) : validateFlowSchema(fullParse().doc)));
    } catch (e) {
      problems.push({
        code: 'flow/schema',
        message: `(flow file): schema validation failed: ${e instanceof Error ? e.message : String(e)}`,
        range: { start: 0, end: Math.min(src.length, 1) },
      });
    }
  }
  problems.sort((a, b) => a.range.start - b.range.start || a.range.end - b.range.end);
  const result = flowDocument({ text: src, root, flow, problems, isLegacy: isLegacyFlow(tree), yaml: fullParse });
  if (fast) documentData.set(result, fast.data);
  if (options.uri !== undefined) result.uri = options.uri;
  return result;
}

// ---------------------------------------------------------------------------------------------
// Shapes kept alive
// ---------------------------------------------------------------------------------------------

/**
 * One instance of each kind of object a parse makes and then drops (the builder, the tree
 * readers, the compact tree's arrays, model fields, the lazy yaml nodes), kept for the life of
 * the process. V8 discards an object shape (hidden class) that no live object has when a full
 * garbage collection runs, and with it every optimized function that checks for that shape: a
 * parse after each major collection then ran in unoptimized code, about 1.4x slower (the
 * analysis benchmark, which collects before every run, showed it; a language server that has
 * dropped its last parse's temporaries is in the same place after every major collection).
 * About 15 KiB (13 KiB heap, 2 KiB array buffers), measured.
 */
Builder.shapeKeepers = keepShapes();

function keepShapes(): unknown[] {
  try {
    const text =
      'flow: f\nformatVersion: 2\nreceivers:\n  r:\n    adapter: http\n    address: https://h/\n    csrf: true\n    timeoutMs: 5\n' +
      'steps:\n  - id: a\n    call: r\n    method: GET\n    headers:\n      X-A: "${header.a}"\n    body: { x: 1 }\n';
    const compact = compactTree(text);
    if (!compact) return [];
    const nav = new CompactNav(compact.tree);
    const doc = parseFlow(text, { schema: false });
    // the lazy yaml nodes, with their items made
    const root = doc.root;
    const steps = isMap(root) ? (root.get('steps', true) as { items?: unknown } | undefined) : undefined;
    return [doc, root, steps?.items, nav, new Builder<number>(nav, compact.tree.root, text), new YamlNav(new Document()), ...shapeKeepers()];
  } catch {
    return [];
  }
}
