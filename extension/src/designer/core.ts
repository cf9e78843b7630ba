/**
 * The designer's host-side core, free of VS Code APIs (so the harness tests and the benchmark
 * use exactly what the extension uses): flow text → graph model for the webview, property
 * forms from the flow schema and adapter config schemas, and edit operations → text edits.
 *
 * Bundled as dist/designer.mjs and loaded on first use (like runner.mjs): it imports the SDK
 * copy under dist/node_modules, so extension.js stays free of parser code.
 */
import { SESSION_HANDLING_MODES, parseFlow, schemaAtPath, type FlowDocument, type NodePath, type Receiver, type Step } from '@sessionflow/sdk';
import { buildContext, type AdapterCatalog, type Diagnostic, type ReceiverInfo, type TextEdit } from '@sessionflow/language-server';
import { computeEdits, type EditOperation } from '../../../language-server/src/edits/index.js';
import type {
  DiagnosticView,
  FlowGraph,
  FormField,
  GraphProcess,
  GraphReceiver,
  GraphStep,
  SessionBehaviour,
  StepLane,
  UpdateMessage,
} from '../../webview/protocol.js';

export type { AdapterCatalog };

/** A catalog with no adapters (receivers then show as unknown and sessions as `none`). */
export const EMPTY_CATALOG: AdapterCatalog = { get: () => undefined, ids: () => [] };

const idOf = (path: NodePath): string => path.map(String).join('.');

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

function stepRange(step: Step): { start: number; end: number } {
  const s = Math.min(step.range.start, step.keyRange?.start ?? step.range.start);
  return { start: s, end: step.range.end };
}

// ---------------------------------------------------------------------------------------------
// Session behaviour of each call: a walk in exchange order
// ---------------------------------------------------------------------------------------------

interface SessionWalk {
  mode: string;
  receivers: Map<string, ReceiverInfo>;
  result: Map<Step, SessionBehaviour>;
}

/** Key under which a session is held: the receiver's origin (sessions are per origin), else its name. */
function sessionKey(info: ReceiverInfo): string {
  return info.origin ?? `receiver:${info.receiver.name}`;
}

function walkSessions(w: SessionWalk, steps: Step[], primed: Set<string>, parallel: boolean, depth: number): void {
  if (depth > 64) return;
  for (const step of steps) {
    if (!step) continue;
    if (step.kind === 'call' || step.kind === 'send') {
      const name = str(step.receiver?.value);
      const info = name !== undefined ? w.receivers.get(name) : undefined;
      let b: SessionBehaviour = 'none';
      if (info && info.sessionCapable && (w.mode === 'onExchange' || w.mode === 'onIntegrationFlow')) {
        const key = sessionKey(info);
        if (primed.has(key)) b = 'reused';
        else b = parallel && w.mode === 'onExchange' ? 'new-per-item' : 'new';
        if (!parallel) primed.add(key);
      }
      w.result.set(step, b);
      continue;
    }
    switch (step.kind) {
      case 'split':
      case 'loop': {
        const par = step.kind === 'split' && step.parallel?.value === true;
        const inner = new Set(primed);
        walkSessions(w, step.steps ?? [], inner, parallel || par, depth + 1);
        for (const k of inner) primed.add(k);
        break;
      }
      case 'multicast': {
        const par = step.parallel?.value !== false;
        const after = new Set(primed);
        for (const branch of step.branches ?? []) {
          const inner = new Set(par ? primed : after);
          walkSessions(w, branch ?? [], inner, parallel || par, depth + 1);
          for (const k of inner) after.add(k);
        }
        for (const k of after) primed.add(k);
        break;
      }
      case 'route': {
        const lists = [...(step.when ?? []).map((x) => x.steps ?? []), ...(step.otherwise ? [step.otherwise] : [])];
        const after = new Set(primed);
        for (const list of lists) {
          const inner = new Set(primed);
          walkSessions(w, list, inner, parallel, depth + 1);
          for (const k of inner) after.add(k);
        }
        for (const k of after) primed.add(k);
        break;
      }
      default:
        break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Graph
// ---------------------------------------------------------------------------------------------

function detailOf(step: Step): string {
  switch (step.kind) {
    case 'call':
    case 'send': {
      const m = str(step.method?.value);
      const p = str(step.urlPath?.value);
      return [m, str(step.receiver?.value) ?? '?', p].filter((x) => x !== undefined && x !== '').join(' ');
    }
    case 'set': {
      const parts = [];
      if (step.headers.length > 0) parts.push(`${step.headers.length} header${step.headers.length === 1 ? '' : 's'}`);
      if (step.properties.length > 0) parts.push(`${step.properties.length} propert${step.properties.length === 1 ? 'y' : 'ies'}`);
      if (step.body) parts.push('body');
      return parts.join(', ') || 'content modifier';
    }
    case 'script':
      return str(step.script?.value) ?? '';
    case 'split':
      return `${str(step.splitPath?.value) ?? '?'}${step.parallel?.value === true ? ' · parallel' : ''}`;
    case 'multicast':
      return `${step.branches.length} branch${step.branches.length === 1 ? '' : 'es'}${step.parallel?.value === false ? ' · sequential' : ' · parallel'}`;
    case 'loop':
      return `while ${str(step.while?.value) ?? '?'}${step.max ? ` · max ${String(step.max.value)}` : ''}`;
    case 'route':
      return `${step.when.length} condition${step.when.length === 1 ? '' : 's'}${step.otherwise ? ' + otherwise' : ''}`;
    case 'process':
      return str(step.process?.value) ?? '';
    default:
      return '';
  }
}

function lanesOf(step: Step, sessions: Map<Step, SessionBehaviour>): StepLane[] | undefined {
  const lane = (label: string, path: NodePath, steps: Step[]): StepLane => ({ id: idOf(path), label, path, steps: stepsOf(steps, path, sessions) });
  const p = step.path;
  switch (step.kind) {
    case 'split':
      return [lane(step.parallel?.value === true ? 'each item (parallel)' : 'each item', [...p, 'split', 'steps'], step.steps ?? [])];
    case 'loop':
      return [lane('loop body', [...p, 'loop', 'steps'], step.steps ?? [])];
    case 'multicast':
      return (step.branches ?? []).map((b, i) => lane(`branch ${i + 1}`, [...p, 'multicast', 'branches', i], b ?? []));
    case 'route': {
      const lanes = (step.when ?? []).map((w, i) => lane(`if ${str(w.if?.value) ?? '?'}`, [...p, 'route', 'when', i, 'steps'], w.steps ?? []));
      if (step.otherwise) lanes.push(lane('otherwise', [...p, 'route', 'otherwise'], step.otherwise));
      return lanes;
    }
    default:
      return undefined;
  }
}

function stepsOf(steps: Step[], listPath: NodePath, sessions: Map<Step, SessionBehaviour>): GraphStep[] {
  const out: GraphStep[] = [];
  steps.forEach((step, i) => {
    if (!step) return;
    const path = step.path?.length ? step.path : [...listPath, i];
    const g: GraphStep = { id: idOf(path), path, range: stepRange(step), kind: step.kind ?? 'unknown', detail: detailOf(step) };
    const sid = str(step.id?.value);
    if (sid !== undefined) g.stepId = sid;
    const name = str(step.name?.value);
    if (name !== undefined) g.name = name;
    if (step.kind === 'call' || step.kind === 'send') {
      const r = str(step.receiver?.value);
      if (r !== undefined) g.receiver = r;
      g.session = sessions.get(step) ?? 'none';
    }
    const lanes = lanesOf(step, sessions);
    if (lanes) g.lanes = lanes;
    out.push(g);
  });
  return out;
}

function receiverView(info: ReceiverInfo): GraphReceiver {
  const r: Receiver = info.receiver;
  const range = { start: Math.min(r.keyRange?.start ?? r.range.start, r.range.start), end: r.range.end };
  const v: GraphReceiver = {
    id: idOf(['receivers', r.name]),
    name: r.name,
    path: ['receivers', r.name],
    range,
    authType: str(r.auth?.type?.value) ?? 'none',
    sessionCapable: info.sessionCapable,
    optedOut: info.optedOut,
    known: info.definition !== undefined,
  };
  const adapter = str(r.adapter?.value);
  if (adapter !== undefined) v.adapter = adapter;
  const variant = info.variant?.id ?? str(r.variant?.value);
  if (variant !== undefined) v.variant = variant;
  const address = str(r.address?.value);
  if (address !== undefined) v.address = address;
  return v;
}

/** The graph model of a parsed flow. */
export function buildGraph(doc: FlowDocument, catalog: AdapterCatalog = EMPTY_CATALOG): FlowGraph {
  const ctx = buildContext(doc, { adapters: catalog });
  const flow = doc.flow;
  const rawMode = str(flow.runtime?.sessionHandling?.value);
  const mode = doc.isLegacy ? 'none' : (ctx.mode ?? rawMode ?? 'none');
  const sessions = new Map<Step, SessionBehaviour>();
  const walk: SessionWalk = { mode, receivers: ctx.receiverByName, result: sessions };
  walkSessions(walk, flow.steps ?? [], new Set(), false, 0);
  for (const p of flow.processes ?? []) walkSessions(walk, p.steps ?? [], new Set(), false, 0);
  const graph: FlowGraph = {
    mode,
    legacy: doc.isLegacy,
    stepsPath: ['steps'],
    steps: stepsOf(flow.steps ?? [], ['steps'], sessions),
    processes: (flow.processes ?? []).map(
      (p): GraphProcess => ({
        id: idOf(['processes', p.name]),
        name: p.name,
        path: ['processes', p.name, 'steps'],
        range: { start: p.keyRange?.start ?? p.range.start, end: p.range.end },
        steps: stepsOf(p.steps ?? [], ['processes', p.name, 'steps'], sessions),
      }),
    ),
    receivers: ctx.receivers.map(receiverView),
    range: flow.id ? { start: flow.id.keyRange?.start ?? flow.id.range.start, end: flow.id.range.end } : { start: 0, end: 0 },
  };
  const id = str(flow.id?.value);
  if (id !== undefined) graph.flowId = id;
  if (flow.sender) {
    const s = flow.sender;
    const adapter = str(s.adapter?.value);
    graph.sender = {
      id: 'sender',
      path: ['sender'],
      range: { start: Math.min(s.keyRange?.start ?? s.range.start, s.range.start), end: s.range.end },
      detail: [adapter, str(s.urlPath?.value)].filter((x) => x !== undefined).join(' '),
      ...(adapter !== undefined ? { adapter } : {}),
    };
  }
  return graph;
}

/** Analysis diagnostics (offsets) → the webview's view, with ids stable within one update. */
export function diagnosticViews(diagnostics: readonly Pick<Diagnostic, 'rule' | 'severity' | 'message' | 'range'>[]): DiagnosticView[] {
  return diagnostics.map((d, i) => ({ id: `d${i}`, rule: d.rule, severity: d.severity, message: d.message, range: { start: d.range.start, end: d.range.end } }));
}

/** The `update` message for a text: a graph, or `null` plus the parse error when the YAML does not parse. */
export function buildUpdate(
  text: string,
  version: number,
  diagnostics: readonly Pick<Diagnostic, 'rule' | 'severity' | 'message' | 'range'>[],
  catalog: AdapterCatalog = EMPTY_CATALOG,
): { message: UpdateMessage; doc: FlowDocument } {
  const doc = parseFlow(text);
  const syntax = doc.problems.find((p) => p.code === 'flow/yaml-syntax');
  const adapters = safeIds(catalog);
  if (syntax) {
    const pos = doc.positionAt(syntax.range.start);
    return {
      doc,
      message: { type: 'update', version, graph: null, parseError: { message: syntax.message, line: pos.line, character: pos.character }, diagnostics: diagnosticViews(diagnostics), adapters },
    };
  }
  return { doc, message: { type: 'update', version, graph: buildGraph(doc, catalog), diagnostics: diagnosticViews(diagnostics), adapters } };
}

function safeIds(catalog: AdapterCatalog): string[] {
  try {
    return catalog.ids().slice().sort();
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Property forms
// ---------------------------------------------------------------------------------------------

type Schema = Record<string, unknown>;

function isObj(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function valueAt(doc: FlowDocument, path: NodePath): unknown {
  let cur: unknown = doc.yaml.toJS({ maxAliasCount: 100 });
  for (const seg of path) {
    if (Array.isArray(cur) && typeof seg === 'number') cur = cur[seg];
    else if (isObj(cur)) cur = cur[String(seg)];
    else return undefined;
  }
  return cur;
}

function fieldFor(path: NodePath, schema: Schema | undefined, current: unknown, extra: Partial<FormField> = {}): FormField {
  const key = String(path[path.length - 1]);
  const label = (typeof schema?.title === 'string' ? schema.title : key) + (schema?.title && schema.title !== key ? ` (${key})` : '');
  const f: FormField = { path, label, kind: 'string', ...extra };
  if (typeof schema?.description === 'string') f.description = schema.description;
  const type = schema?.type;
  if (Array.isArray(schema?.enum) && schema.enum.every((x) => typeof x === 'string')) {
    f.kind = 'enum';
    f.options = schema.enum as string[];
  } else if (type === 'boolean') f.kind = 'boolean';
  else if (type === 'number' || type === 'integer') f.kind = 'number';
  else if (type === 'object' || type === 'array' || Array.isArray(type)) f.kind = 'readonly';
  if (extra.kind) f.kind = extra.kind;
  if (current !== undefined && current !== null) {
    if (typeof current === 'string' || typeof current === 'number' || typeof current === 'boolean') f.value = current;
    else {
      f.kind = 'readonly';
      f.value = JSON.stringify(current);
    }
  }
  return f;
}

/** Scalar properties of an object schema, as fields under `base`. */
function scalarFields(doc: FlowDocument, base: NodePath, schema: Schema | undefined, skip: Set<string>, extra: Partial<FormField> = {}): FormField[] {
  const props = isObj(schema?.properties) ? (schema.properties as Record<string, unknown>) : {};
  const required = new Set(Array.isArray(schema?.required) ? (schema.required as string[]) : []);
  const out: FormField[] = [];
  for (const key of Object.keys(props)) {
    if (skip.has(key)) continue;
    const path = [...base, key];
    const sub = schemaAtPath(path) ?? (isObj(props[key]) ? (props[key] as Schema) : undefined);
    const f = fieldFor(path, sub, valueAt(doc, path), extra);
    if (f.kind === 'readonly' && f.value === undefined) continue; // nested objects not set: edit them in the text
    if (required.has(key)) f.required = true;
    out.push(f);
  }
  return out;
}

/** Fields by step kind: the step-level keys that belong to it, plus its options object. */
const STEP_FIELDS: Record<string, string[]> = {
  call: ['call', 'method', 'path'],
  send: ['send', 'method', 'path'],
  set: [],
  script: ['script'],
  split: [],
  multicast: [],
  loop: [],
  route: [],
  process: ['process'],
};

/** The property form of a node: steps and the sender from the flow schema, receivers also from the adapter's config schema. */
export function inspectNode(doc: FlowDocument, path: NodePath, catalog: AdapterCatalog = EMPTY_CATALOG): FormField[] {
  if (path[0] === 'sender' && path.length === 1) return scalarFields(doc, ['sender'], schemaAtPath(['sender']), new Set());
  if (path[0] === 'receivers' && path.length === 2) {
    const fields = scalarFields(doc, path, schemaAtPath(path), new Set(['config', 'auth']));
    fields.push(...scalarFields(doc, [...path, 'auth'], schemaAtPath([...path, 'auth']), new Set(), { group: 'auth' }));
    const adapter = str(valueAt(doc, [...path, 'adapter']));
    let configSchema: unknown;
    try {
      configSchema = adapter !== undefined ? catalog.get(adapter)?.definition.configSchema : undefined;
    } catch {
      configSchema = undefined;
    }
    if (isObj(configSchema)) {
      const props = isObj(configSchema.properties) ? configSchema.properties : {};
      const required = new Set(Array.isArray(configSchema.required) ? (configSchema.required as string[]) : []);
      for (const [key, sub] of Object.entries(props)) {
        const p = [...path, 'config', key];
        const f = fieldFor(p, isObj(sub) ? sub : undefined, valueAt(doc, p), { group: `${adapter} config` });
        if (f.kind === 'readonly' && f.value === undefined) continue;
        if (required.has(key)) f.required = true;
        fields.push(f);
      }
    }
    return fields;
  }
  const raw = valueAt(doc, path);
  if (!isObj(raw)) return [];
  const kind = Object.keys(STEP_FIELDS).find((k) => k in raw);
  const fields: FormField[] = [];
  const receivers = doc.flow.receivers.map((r) => r.name);
  const processes = doc.flow.processes.map((p) => p.name);
  for (const key of ['id', 'name', ...(kind ? (STEP_FIELDS[kind] ?? []) : [])]) {
    const p = [...path, key];
    const extra: Partial<FormField> = key === 'call' || key === 'send' ? { kind: 'receiver', options: receivers } : key === 'process' ? { kind: 'enum', options: processes } : {};
    fields.push(fieldFor(p, schemaAtPath(p), raw[key], extra));
  }
  if (kind && ['split', 'multicast', 'loop'].includes(kind)) {
    fields.push(...scalarFields(doc, [...path, kind], schemaAtPath([...path, kind]), new Set(['steps', 'branches'])));
  }
  return fields;
}

/** `inspectNode` on a text (the host's entry point). */
export function inspectText(text: string, path: NodePath, catalog: AdapterCatalog = EMPTY_CATALOG): FormField[] {
  return inspectNode(parseFlow(text, { schema: false }), path, catalog);
}

// ---------------------------------------------------------------------------------------------
// Edits
// ---------------------------------------------------------------------------------------------

/** Text edits for one designer operation on `text` (throws EditError with a clear message). */
export function editsFor(text: string, op: EditOperation): TextEdit[] {
  const doc = parseFlow(text, { schema: false });
  return computeEdits(doc, op);
}

export { SESSION_HANDLING_MODES };
