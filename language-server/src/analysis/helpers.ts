/**
 * Helpers shared by the rules: model walkers (steps with their enclosing split/loop/multicast
 * context, exchange-order walks with local processes expanded), receiver facts (session
 * capability, origin, auth identity), name suggestions, and minimal text edits computed from
 * the `yaml` library's node ranges.
 *
 * Pure functions: no I/O, no LSP types.
 */
import { isMap, isPair, isScalar, isSeq, type Node as YamlNode, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { parseTemplate, type CallStep, type Flow, type FlowDocument, type NodePath, type Range, type Receiver, type Step, type Template, type TemplateEntry, type TemplateScalar } from '@sessionflow/sdk';
import type { ReceiverInfo, TextEdit } from './types.js';

// ---------------------------------------------------------------------------------------------
// Step walkers
// ---------------------------------------------------------------------------------------------

export type EnclosingKind = 'split' | 'loop' | 'multicast' | 'route' | 'process';

export interface Enclosing {
  kind: EnclosingKind;
  step: Step;
  /** For split/multicast: whether items/branches run concurrently. */
  parallel: boolean;
}

export interface StepVisit {
  step: Step;
  /** Enclosing composite steps, outermost first (within its own definition for `allSteps`). */
  enclosing: Enclosing[];
  /** The local process that defines the step, if not the main process. */
  processName?: string;
}

/** Whether a split runs in parallel (default: sequential). */
export function splitIsParallel(step: Extract<Step, { kind: 'split' }>): boolean {
  return step.parallel?.value === true;
}

/** Whether a multicast runs its branches in parallel (default: parallel, as on the platform). */
export function multicastIsParallel(step: Extract<Step, { kind: 'multicast' }>): boolean {
  return step.parallel?.value !== false;
}

/** Direct child step lists of a composite step, with the enclosing entry children get. */
export function childLists(step: Step): { steps: Step[]; enclosing: Enclosing }[] {
  switch (step.kind) {
    case 'split':
      return [{ steps: step.steps ?? [], enclosing: { kind: 'split', step, parallel: splitIsParallel(step) } }];
    case 'loop':
      return [{ steps: step.steps ?? [], enclosing: { kind: 'loop', step, parallel: false } }];
    case 'multicast': {
      const parallel = multicastIsParallel(step);
      return (step.branches ?? []).map((b) => ({ steps: b ?? [], enclosing: { kind: 'multicast' as const, step, parallel } }));
    }
    case 'route': {
      const lists = (step.when ?? []).map((w) => ({ steps: w.steps ?? [], enclosing: { kind: 'route' as const, step, parallel: false } }));
      if (step.otherwise) lists.push({ steps: step.otherwise, enclosing: { kind: 'route', step, parallel: false } });
      return lists;
    }
    default:
      return [];
  }
}

/** Every step in the file (main process, then each local process), each exactly once. */
export function allSteps(flow: Flow): StepVisit[] {
  const out: StepVisit[] = [];
  const walk = (steps: Step[], enclosing: Enclosing[], processName: string | undefined, depth: number): void => {
    if (depth > 64) return;
    for (const step of steps) {
      if (!step) continue;
      out.push({ step, enclosing, ...(processName !== undefined ? { processName } : {}) });
      for (const child of childLists(step)) walk(child.steps, [...enclosing, child.enclosing], processName, depth + 1);
    }
  };
  walk(flow.steps ?? [], [], undefined, 0);
  for (const p of flow.processes ?? []) walk(p.steps ?? [], [], p.name, 0);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The step index: every step read once per analysis, shared by the rules
// ---------------------------------------------------------------------------------------------

/**
 * One step with what the rules read from it, read once when the context is built. Reading a
 * field of a step object is slow (the model's step objects come in very many hidden classes,
 * so every read is a megamorphic lookup); these nodes all have one shape.
 */
export interface StepNode {
  step: Step;
  kind: Step['kind'];
  /** The step's `id` scalar. */
  id: Step['id'];
  /** call/send: the `receiver` value as written (any type); undefined for other kinds. */
  receiver: unknown;
  /** call/send: the receiver it names (the first of that name), when declared. */
  info: ReceiverInfo | undefined;
  /** process: the `process` value as written (any type); undefined for other kinds. */
  process: unknown;
  /** call/send/set: the step's `headers`; undefined for other kinds. */
  headers: TemplateEntry[] | undefined;
  /** split: `splitIsParallel`; multicast: `multicastIsParallel`; else false. */
  parallel: boolean;
  /** Direct child step lists, as `childLists` gives them. */
  children: StepList[];
}

export interface StepList {
  nodes: StepNode[];
  enclosing: Enclosing;
}

export interface StepIndex {
  /** The nodes of the steps `allSteps` visits, in its order. */
  nodes: StepNode[];
  /** The nodes of the call and send steps among `nodes`, same order. */
  calls: StepNode[];
  /** The main process's steps (the whole tree hangs below). */
  main: StepNode[];
  /** Every local process with its steps, in file order. */
  processList: { name: string; nodes: StepNode[] }[];
  /** Local process name → its steps (the first process of that name). */
  processes: Map<string, StepNode[] | undefined>;
}

const NO_CHILDREN: StepList[] = [];

/** Reads every step once: the nodes `allSteps` visits plus the step tree the exchange walks use. */
export function buildStepIndex(flow: Flow, receiverByName: ReadonlyMap<string, ReceiverInfo>): StepIndex {
  const nodes: StepNode[] = [];
  const calls: StepNode[] = [];
  /**
   * `visible`: within the depth `allSteps` stops at (the tree goes on below). Reads each field
   * of a step once (step objects are slow to read: see `StepNode`); the child lists are the
   * ones `childLists` gives.
   */
  const build = (steps: Step[], depth: number): StepNode[] => {
    const list: StepNode[] = [];
    const visible = depth <= 64;
    for (const step of steps) {
      if (!step) continue;
      const kind = step.kind;
      let receiver: unknown;
      let info: ReceiverInfo | undefined;
      let process: unknown;
      let parallel = false;
      let headers: TemplateEntry[] | undefined;
      if (kind === 'call' || kind === 'send') {
        receiver = step.receiver?.value;
        info = receiverByName.get(receiver as string);
        headers = step.headers;
      } else if (kind === 'set') {
        headers = step.headers;
      } else if (kind === 'process') {
        process = step.process?.value;
      } else if (kind === 'split') {
        parallel = splitIsParallel(step);
      } else if (kind === 'multicast') {
        parallel = multicastIsParallel(step);
      }
      const node: StepNode = { step, kind, id: step.id, receiver, info, process, headers, parallel, children: NO_CHILDREN };
      list.push(node);
      if (visible) {
        nodes.push(node);
        if (kind === 'call' || kind === 'send') calls.push(node);
      }
      switch (kind) {
        case 'split':
          node.children = [{ nodes: build(step.steps ?? [], depth + 1), enclosing: { kind: 'split', step, parallel } }];
          break;
        case 'loop':
          node.children = [{ nodes: build(step.steps ?? [], depth + 1), enclosing: { kind: 'loop', step, parallel: false } }];
          break;
        case 'multicast': {
          const children: StepList[] = [];
          for (const b of step.branches ?? []) children.push({ nodes: build(b ?? [], depth + 1), enclosing: { kind: 'multicast', step, parallel } });
          node.children = children;
          break;
        }
        case 'route': {
          const children: StepList[] = [];
          for (const w of step.when ?? []) children.push({ nodes: build(w.steps ?? [], depth + 1), enclosing: { kind: 'route', step, parallel: false } });
          const otherwise = step.otherwise;
          if (otherwise) children.push({ nodes: build(otherwise, depth + 1), enclosing: { kind: 'route', step, parallel: false } });
          node.children = children;
          break;
        }
        default:
          break;
      }
    }
    return list;
  };
  const main = build(flow.steps ?? [], 0);
  const processList: { name: string; nodes: StepNode[] }[] = [];
  const processes = new Map<string, StepNode[] | undefined>();
  for (const p of flow.processes ?? []) {
    const list = build(p.steps ?? [], 0);
    processList.push({ name: p.name, nodes: list });
    if (!processes.has(p.name)) processes.set(p.name, p.steps ? list : undefined);
  }
  return { nodes, calls, main, processList, processes };
}

/** `allSteps(flow)` from the index (same steps, order and enclosing composites). */
export function stepVisits(index: StepIndex): StepVisit[] {
  const out: StepVisit[] = [];
  const walk = (nodes: StepNode[], enclosing: Enclosing[], processName: string | undefined, depth: number): void => {
    if (depth > 64) return;
    for (const { step, children } of nodes) {
      out.push(processName === undefined ? { step, enclosing } : { step, enclosing, processName });
      for (const child of children) walk(child.nodes, [...enclosing, child.enclosing], processName, depth + 1);
    }
  };
  walk(index.main, [], undefined, 0);
  for (const p of index.processList) walk(p.nodes, [], p.name, 0);
  return out;
}

/** The enclosing composites of a step, innermost first (a linked list: walks share the tails). */
export interface EnclosingChain {
  enclosing: Enclosing;
  outer: EnclosingChain | undefined;
}

/** The innermost entry of `chain` that `pred` accepts. */
export function innermost(chain: EnclosingChain | undefined, pred: (e: Enclosing) => boolean): Enclosing | undefined {
  for (let c = chain; c; c = c.outer) if (pred(c.enclosing)) return c.enclosing;
  return undefined;
}

/**
 * Walks the steps one exchange runs, in order, over the step index, expanding `process:` calls
 * in place (a recursive process once per call chain), with the enclosing composites as a chain.
 * With `outerKey`, a local process is not walked again for a call whose chain has the same key
 * and whose process stack contains one it was already walked with: use it when the visitor's
 * findings depend on the chain only through that key and repeat visits add nothing (the visitor
 * dedupes), so a process called from many places is walked once.
 */
export function walkExchangeTree(
  index: StepIndex,
  visit: (node: StepNode, chain: EnclosingChain | undefined) => void,
  outerKey?: (chain: EnclosingChain | undefined) => unknown,
): void {
  const walked = new Map<string, Map<unknown, string[][]>>();
  const alreadyWalked = (name: string, key: unknown, stack: string[]): boolean => {
    let byKey = walked.get(name);
    if (!byKey) walked.set(name, (byKey = new Map()));
    const stacks = byKey.get(key);
    if (stacks?.some((s) => s.every((n) => stack.includes(n)))) return true;
    if (stacks) stacks.push(stack);
    else byKey.set(key, [stack]);
    return false;
  };
  const walk = (nodes: StepNode[], chain: EnclosingChain | undefined, stack: string[]): void => {
    if (stack.length > 32) return;
    for (const node of nodes) {
      visit(node, chain);
      if (node.kind === 'process') {
        const name = node.process;
        if (typeof name !== 'string' || stack.includes(name)) continue;
        const inner = index.processes.get(name);
        if (!inner) continue;
        const innerStack = [...stack, name];
        if (outerKey && alreadyWalked(name, outerKey(chain), innerStack)) continue;
        walk(inner, { enclosing: { kind: 'process', step: node.step, parallel: false }, outer: chain }, innerStack);
        continue;
      }
      for (const child of node.children) walk(child.nodes, { enclosing: child.enclosing, outer: chain }, stack);
    }
  };
  walk(index.main, undefined, []);
}

/**
 * How often one exchange runs the steps matching `pred`, capped at 2 ("more than once"), over
 * the step index. Loops and splits multiply by "many"; route branches are alternatives (maximum,
 * not sum); multicast branches all run (sum); local processes are expanded.
 */
export function countPerExchangeTree(index: StepIndex, nodes: StepNode[], pred: (n: StepNode) => boolean, stack: string[] = []): number {
  let total = 0;
  for (const node of nodes) {
    if (pred(node)) total += 1;
    switch (node.kind) {
      case 'split':
      case 'loop': {
        const inner = countPerExchangeTree(index, node.children[0]?.nodes ?? [], pred, stack);
        if (inner > 0) total += 2;
        break;
      }
      case 'multicast':
        for (const b of node.children) total += countPerExchangeTree(index, b.nodes, pred, stack);
        break;
      case 'route': {
        let best = 0;
        for (const b of node.children) best = Math.max(best, countPerExchangeTree(index, b.nodes, pred, stack));
        total += best;
        break;
      }
      case 'process': {
        const name = node.process;
        if (typeof name === 'string' && !stack.includes(name) && stack.length < 32) {
          const inner = index.processes.get(name);
          if (inner) total += countPerExchangeTree(index, inner, pred, [...stack, name]);
        }
        break;
      }
      default:
        break;
    }
    if (total >= 2) return 2;
  }
  return Math.min(total, 2);
}

/** Whether the node is a call/send step naming receiver `name`. */
export function callsReceiver(node: StepNode, name: string): boolean {
  return typeof node.receiver === 'string' && node.receiver === name;
}

export function isCallStep(step: Step): step is CallStep {
  return step.kind === 'call' || step.kind === 'send';
}

// ---------------------------------------------------------------------------------------------
// Receivers
// ---------------------------------------------------------------------------------------------

/** Expression sources whose value can change between exchanges or within one. */
const DYNAMIC_SOURCES = new Set(['header', 'property', 'body', 'response.header']);

/** True when the template reads per-exchange data (`${header.*}`, `${property.*}`, `${body*}`, `${response.header.*}`). */
export function templateIsDynamic(t: Template | undefined): boolean {
  return !!t && Array.isArray(t.parts) && t.parts.some((p) => p.kind === 'expr' && DYNAMIC_SOURCES.has(p.expr.source));
}

/** True when the template has any `${...}` expression (dynamic or `${env.*}`). */
export function templateHasExpr(t: Template | undefined): boolean {
  return !!t && Array.isArray(t.parts) && t.parts.some((p) => p.kind === 'expr');
}

/** Literal source text of a template scalar when it has no expressions. */
export function staticText(s: TemplateScalar | undefined): string | undefined {
  if (!s || typeof s.value !== 'string') return undefined;
  if (templateHasExpr(s.template)) return undefined;
  return s.value;
}

/** `scheme://host:port` of a static http(s) address (default ports made explicit), lower-case. */
export function originOf(address: TemplateScalar | undefined): { origin: string; host: string; scheme: string } | undefined {
  const text = staticText(address);
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  const port = url.port !== '' ? url.port : scheme === 'https' ? '443' : '80';
  const host = url.hostname.toLowerCase();
  return { origin: `${scheme}://${host}:${port}`, host, scheme };
}

/** Loopback host names and addresses. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::1';
}

/** A string identifying "who authenticates": same key = same user. */
export function authIdentity(r: Receiver): string {
  const a = r.auth;
  if (!a) return 'none';
  const type = typeof a.type?.value === 'string' ? a.type.value : 'none';
  if (type === 'none') return 'none';
  if (a.credential && typeof a.credential.value === 'string') return `${type}:credential:${a.credential.value}`;
  const user = a.user?.value ?? '';
  const password = a.password?.value ?? '';
  if (user !== '' || password !== '') return `${type}:user:${String(user)}\u0000${String(password)}`;
  return type;
}

/** Human description of a receiver's auth for messages (never includes secret values). */
export function describeAuth(r: Receiver): string {
  const a = r.auth;
  const type = typeof a?.type?.value === 'string' ? a.type.value : 'none';
  if (a?.credential && typeof a.credential.value === 'string') return `${type} auth with credential "${a.credential.value}"`;
  if (a?.user) return templateIsDynamic(a.user.template) ? `${type} auth with a dynamic user` : `${type} auth with user "${String(a.user.value)}"`;
  return `${type} auth`;
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? Math.max(a.length, b.length);
}

/**
 * The candidate closest to `name`, if close enough to be a plausible typo: a case-insensitive
 * match, a prefix, or within an edit distance of about a third of the name's length.
 */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  const lower = name.toLowerCase();
  for (const c of candidates) {
    if (c === name) continue;
    const cl = c.toLowerCase();
    let score: number;
    if (cl === lower) score = 0;
    else if (lower.length >= 2 && (cl.startsWith(lower) || lower.startsWith(cl))) score = 0.5 + Math.abs(cl.length - lower.length) / 100;
    else score = levenshtein(lower, cl);
    if (score < bestScore) {
      bestScore = score;
      best = c;
    }
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  return best !== undefined && bestScore <= limit ? best : undefined;
}

export function quoteList(items: readonly string[]): string {
  return items.map((i) => `"${i}"`).join(', ');
}

// ---------------------------------------------------------------------------------------------
// Text positions
// ---------------------------------------------------------------------------------------------

export function lineStart(text: string, offset: number): number {
  const o = Math.max(0, Math.min(offset, text.length));
  return text.lastIndexOf('\n', o - 1) + 1;
}

/** Offset of the `\n` ending the line containing `offset` (or the text length). */
export function lineEnd(text: string, offset: number): number {
  const i = text.indexOf('\n', Math.max(0, offset));
  return i < 0 ? text.length : i;
}

/** Start of the line after the one containing `offset` (text length on the last line). */
export function nextLineStart(text: string, offset: number): number {
  const e = lineEnd(text, offset);
  return e >= text.length ? text.length : e + 1;
}

export function columnOf(text: string, offset: number): number {
  return offset - lineStart(text, offset);
}

/** The end of a block node: the start of the line after its last character. */
function blockEnd(text: string, end: number): number {
  if (end > 0 && text[end - 1] === '\n') return end;
  return nextLineStart(text, end);
}

// ---------------------------------------------------------------------------------------------
// YAML nodes
// ---------------------------------------------------------------------------------------------

function nodeRange(n: unknown): [number, number] | undefined {
  const r = (n as { range?: unknown } | null | undefined)?.range;
  if (Array.isArray(r) && typeof r[0] === 'number' && typeof r[1] === 'number') return [r[0], r[1]];
  return undefined;
}

function keyName(pair: Pair): string | undefined {
  const k = pair.key;
  if (isScalar(k)) return k.value === null || k.value === undefined ? undefined : String(k.value);
  return typeof k === 'string' ? k : undefined;
}

export function findPair(map: YAMLMap, key: string): { pair: Pair; index: number } | undefined {
  const index = map.items.findIndex((p) => isPair(p) && keyName(p) === key);
  const pair = map.items[index];
  return pair ? { pair, index } : undefined;
}

/**
 * The root YAML node of a parsed flow: `doc.root` (the tree the model was built from, same
 * nodes and ranges as the yaml Document without building it), else the yaml Document's.
 */
export function rootNode(doc: FlowDocument): unknown {
  if (doc && 'root' in doc && doc.root !== undefined) return doc.root;
  return doc?.yaml?.contents;
}

/** The YAML node at a document path (map keys compared as strings, sequence indexes). */
export function yamlNodeAt(doc: FlowDocument, path: NodePath): YamlNode | undefined {
  let cur: unknown = rootNode(doc);
  for (const seg of path) {
    if (isMap(cur)) {
      const found = findPair(cur, String(seg));
      cur = found?.pair.value;
    } else if (isSeq(cur) && typeof seg === 'number') {
      cur = cur.items[seg];
    } else {
      return undefined;
    }
    if (cur === undefined || cur === null) return undefined;
  }
  return (cur ?? undefined) as YamlNode | undefined;
}

function yamlMapAt(doc: FlowDocument, path: NodePath): YAMLMap | undefined {
  const n = yamlNodeAt(doc, path);
  return isMap(n) ? n : undefined;
}

/** Indentation step the document uses for block maps (default 2). */
export function indentUnit(doc: FlowDocument): number {
  const root = rootNode(doc);
  if (!isMap(root) || root.flow) return 2;
  for (const p of root.items) {
    if (!isPair(p) || !isMap(p.value) || p.value.flow) continue;
    const first = p.value.items[0];
    const kr = first ? nodeRange(first.key) : undefined;
    const pr = nodeRange(p.key);
    if (kr && pr) {
      const d = columnOf(doc.text, kr[0]) - columnOf(doc.text, pr[0]);
      if (d > 0 && d <= 8) return d;
    }
  }
  return 2;
}

/** A value to render into YAML. `Inline` renders as a flow map `{ a: b }`. */
export type YamlValue = string | number | boolean | Inline | { [key: string]: YamlValue };
export class Inline {
  constructor(readonly entries: Record<string, YamlValue>) {}
}

const PLAIN_SAFE = /^[A-Za-z_/.][\w\-./:@]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

export function renderScalar(v: string | number | boolean): string {
  if (typeof v !== 'string') return String(v);
  if (PLAIN_SAFE.test(v) && !RESERVED.test(v) && !v.endsWith(':')) return v;
  return JSON.stringify(v);
}

function toPlain(v: YamlValue): unknown {
  if (v instanceof Inline) return Object.fromEntries(Object.entries(v.entries).map(([k, x]) => [k, toPlain(x)]));
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlain(x)]));
  return v;
}

function renderFlow(v: YamlValue): string {
  if (v instanceof Inline || (typeof v === 'object' && v !== null)) {
    const entries = Object.entries(v instanceof Inline ? v.entries : v);
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([k, x]) => `${renderScalar(k)}: ${renderFlow(x)}`).join(', ')} }`;
  }
  return renderScalar(v);
}

/** Renders block entries at `indent` columns, each ending in a newline. */
function renderBlock(entries: [string, YamlValue][], indent: number, unit: number): string {
  const pad = ' '.repeat(indent);
  let out = '';
  for (const [k, v] of entries) {
    if (typeof v === 'object' && !(v instanceof Inline)) {
      out += `${pad}${renderScalar(k)}:\n${renderBlock(Object.entries(v), indent + unit, unit)}`;
    } else {
      out += `${pad}${renderScalar(k)}: ${renderFlow(v)}\n`;
    }
  }
  return out;
}

/** Text of a scalar replacement that keeps the original's quote style. */
export function replacementText(doc: FlowDocument, range: Range, value: string | number | boolean): string {
  const first = doc.text[range.start];
  if (typeof value === 'string' && (first === '"' || first === "'")) {
    return first === '"' ? JSON.stringify(value) : `'${value.replace(/'/g, "''")}'`;
  }
  return renderScalar(value);
}

/** Replaces the scalar value at `path`. */
export function replaceValue(doc: FlowDocument, path: NodePath, value: string | number | boolean): TextEdit | undefined {
  const node = yamlNodeAt(doc, path);
  const r = nodeRange(node);
  if (!r || !isScalar(node)) return undefined;
  const range = { start: r[0], end: r[1] };
  return { range, newText: replacementText(doc, range, value) };
}

export interface InsertOptions {
  /** Insert after the last present of these keys (by position); default: after the last entry. */
  after?: string[];
  /** Insert before the first entry instead. */
  first?: boolean;
}

/**
 * Inserts entries into the map at `mapPath` (block or flow style) as one text edit. When the
 * map does not exist, inserts it into its parent map (recursively) — pass `parentOptions`
 * to place it there.
 */
/** Uses the document's line ending (CRLF files stay CRLF). */
function withEol(doc: FlowDocument, edit: TextEdit | undefined): TextEdit | undefined {
  if (!edit || !doc.text.includes('\r\n')) return edit;
  return { range: edit.range, newText: edit.newText.replace(/\r?\n/g, '\r\n') };
}

export function insertEntries(
  doc: FlowDocument,
  mapPath: NodePath,
  entries: [string, YamlValue][],
  options: InsertOptions = {},
  parentOptions: InsertOptions = {},
): TextEdit | undefined {
  return withEol(doc, insertEntriesRaw(doc, mapPath, entries, options, parentOptions));
}

function insertEntriesRaw(
  doc: FlowDocument,
  mapPath: NodePath,
  entries: [string, YamlValue][],
  options: InsertOptions,
  parentOptions: InsertOptions,
): TextEdit | undefined {
  const text = doc.text;
  const map = yamlMapAt(doc, mapPath);
  if (!map) {
    if (mapPath.length === 0) return undefined;
    const key = mapPath[mapPath.length - 1];
    const parentPath = mapPath.slice(0, -1);
    if (typeof key !== 'string') return undefined;
    const existing = yamlNodeAt(doc, mapPath);
    if (existing !== undefined) return undefined; // present but not a map: leave it to flow/schema
    return insertEntriesRaw(doc, parentPath, [[key, Object.fromEntries(entries)]], parentOptions, {});
  }
  const mr = nodeRange(map);
  if (!mr) return undefined;
  const pairs = map.items.filter((p): p is Pair => isPair(p));
  if (map.flow) {
    const firstKey = pairs[0] ? nodeRange(pairs[0].key) : undefined;
    const json = firstKey !== undefined && text[firstKey[0]] === '"';
    const rendered = entries.map(([k, v]) => (json ? `${JSON.stringify(k)}: ${JSON.stringify(toPlain(v), null, 1).replace(/\n\s*/g, "")}` : `${renderScalar(k)}: ${renderFlow(v)}`)).join(', ');
    if (pairs.length === 0) return { range: { start: mr[0], end: mr[1] }, newText: `{ ${rendered} }` };
    const last = pairs[pairs.length - 1] as Pair;
    const end = nodeRange(last.value)?.[1] ?? nodeRange(last.key)?.[1];
    if (end === undefined) return undefined;
    return { range: { start: end, end }, newText: `, ${rendered}` };
  }
  const firstPair = pairs[0];
  const firstKey = firstPair ? nodeRange(firstPair.key) : undefined;
  if (!firstPair || !firstKey) return undefined;
  const indent = columnOf(text, firstKey[0]);
  const unit = indentUnit(doc);
  const block = renderBlock(entries, indent, unit);
  if (options.first) {
    const ls = lineStart(text, firstKey[0]);
    if (text.slice(ls, firstKey[0]).trim() !== '') return { range: { start: firstKey[0], end: firstKey[0] }, newText: `${block.trimStart()}${' '.repeat(indent)}` };
    return { range: { start: ls, end: ls }, newText: block };
  }
  let anchor: Pair = pairs[pairs.length - 1] as Pair;
  if (options.after && options.after.length > 0) {
    const idx = pairs.map((p, i) => (options.after?.includes(keyName(p) ?? '\u0000') ? i : -1)).filter((i) => i >= 0);
    const chosen = idx.length > 0 ? pairs[Math.max(...idx)] : undefined;
    if (chosen) anchor = chosen;
    else {
      const ls = lineStart(text, firstKey[0]);
      return { range: { start: ls, end: ls }, newText: block };
    }
  }
  const end = Math.max(nodeRange(anchor.value)?.[1] ?? 0, nodeRange(anchor.key)?.[1] ?? 0);
  const at = blockEnd(text, end);
  const needsNewline = at === text.length && text.length > 0 && text[text.length - 1] !== '\n';
  // A new top-level section follows the file's habit of blank lines between sections.
  const section = mapPath.length === 0 && entries.length === 1 && typeof entries[0]?.[1] === 'object';
  const blankBefore = section && at > 0 && /^[ \t]*\r?\n/.test(text.slice(at)) ? '\n' : '';
  return { range: { start: at, end: at }, newText: `${needsNewline ? '\n' : ''}${blankBefore}${block}` };
}

/**
 * Removes the entry `key` from the map at `mapPath`. Removing the only entry of a block map
 * removes the map's own entry from its parent (so `headers:` does not stay behind empty).
 */
export function removeEntry(doc: FlowDocument, mapPath: NodePath, key: string): TextEdit | undefined {
  const text = doc.text;
  const map = yamlMapAt(doc, mapPath);
  if (!map) return undefined;
  const pairs = map.items.filter((p): p is Pair => isPair(p));
  const index = pairs.findIndex((p) => keyName(p) === key);
  const pair = pairs[index];
  if (!pair) return undefined;
  const kr = nodeRange(pair.key);
  if (!kr) return undefined;
  const valueEnd = Math.max(nodeRange(pair.value)?.[1] ?? 0, kr[1]);
  if (map.flow) {
    const mr = nodeRange(map);
    if (pairs.length === 1) return mr ? { range: { start: mr[0], end: mr[1] }, newText: '{}' } : undefined;
    const next = pairs[index + 1];
    if (next) {
      const nk = nodeRange(next.key);
      return nk ? { range: { start: kr[0], end: nk[0] }, newText: '' } : undefined;
    }
    const prev = pairs[index - 1] as Pair;
    const pe = Math.max(nodeRange(prev.value)?.[1] ?? 0, nodeRange(prev.key)?.[1] ?? 0);
    return { range: { start: pe, end: valueEnd }, newText: '' };
  }
  if (pairs.length === 1 && mapPath.length > 0) {
    const parentKey = mapPath[mapPath.length - 1];
    if (typeof parentKey === 'string') {
      const parent = removeEntry(doc, mapPath.slice(0, -1), parentKey);
      if (parent) return parent;
    }
  }
  const ls = lineStart(text, kr[0]);
  if (text.slice(ls, kr[0]).trim() !== '') {
    // The key shares its line with a sequence indicator (`- key: ...`): pull the next key up.
    const next = pairs[index + 1];
    const nk = next ? nodeRange(next.key) : undefined;
    if (!nk) return undefined;
    return { range: { start: kr[0], end: nk[0] }, newText: '' };
  }
  // Comment lines directly above the key, at its indentation, belong to the entry.
  let start = ls;
  const indent = kr[0] - ls;
  while (start > 0) {
    const prev = lineStart(text, start - 1);
    const line = text.slice(prev, start - 1).replace(/\r$/, '');
    if (!/^\s*#/.test(line) || columnOf(text, prev + line.search(/#/)) !== indent) break;
    start = prev;
  }
  return { range: { start, end: blockEnd(text, valueEnd) }, newText: '' };
}

/** Inserts a block-style map as a new item before item `index` of the sequence at `seqPath`. */
export function insertSeqItemBefore(doc: FlowDocument, seqPath: NodePath, index: number, entries: [string, YamlValue][]): TextEdit | undefined {
  const text = doc.text;
  const seq = yamlNodeAt(doc, seqPath);
  if (!isSeq(seq)) return undefined;
  const item = (seq as YAMLSeq).items[index];
  const ir = nodeRange(item);
  if (!ir) return undefined;
  if (seq.flow) {
    return { range: { start: ir[0], end: ir[0] }, newText: `${renderFlow(Object.fromEntries(entries))}, ` };
  }
  const ls = lineStart(text, ir[0]);
  const prefix = text.slice(ls, ir[0]);
  if (!/^[ ]*-[ ]+$/.test(prefix)) return undefined;
  const unit = indentUnit(doc);
  const body = renderBlock(entries, prefix.length, unit);
  return withEol(doc, { range: { start: ls, end: ls }, newText: prefix + body.slice(prefix.length) });
}

/** Applies non-overlapping edits to a text (edits at the same offset keep their order). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = edits.map((e, i) => ({ e, i })).sort((a, b) => a.e.range.start - b.e.range.start || a.e.range.end - b.e.range.end || a.i - b.i);
  let out = '';
  let pos = 0;
  for (const { e } of sorted) {
    const start = Math.max(pos, Math.min(e.range.start, text.length));
    const end = Math.max(start, Math.min(e.range.end, text.length));
    out += text.slice(pos, start) + e.newText;
    pos = end;
  }
  return out + text.slice(pos);
}

// ---------------------------------------------------------------------------------------------
// Session facts
// ---------------------------------------------------------------------------------------------

/** Where a diagnostic about the session mode points: the value, or the `runtime` key, or the flow id. */
export function modeRange(flow: Flow): Range {
  return flow.runtime?.sessionHandling?.range ?? flow.runtime?.keyRange ?? flow.id?.keyRange ?? { start: flow.range?.start ?? 0, end: flow.range?.start ?? 0 };
}

/** The receiver's first auth field whose value is dynamic (user, password or credential). */
export function dynamicAuthField(r: Receiver): { field: 'user' | 'password' | 'credential'; range: Range } | undefined {
  const a = r.auth;
  if (!a) return undefined;
  if (a.user && templateIsDynamic(a.user.template)) return { field: 'user', range: a.user.range };
  if (a.password && templateIsDynamic(a.password.template)) return { field: 'password', range: a.password.range };
  const c = a.credential;
  if (c && typeof c.value === 'string' && templateIsDynamic(parseTemplate(c.value).template)) return { field: 'credential', range: c.range };
  return undefined;
}

export function authType(r: Receiver): string | undefined {
  const t = r.auth?.type?.value;
  return typeof t === 'string' ? t : undefined;
}
