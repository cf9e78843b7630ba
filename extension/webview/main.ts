/**
 * The designer webview: renders the flow graph (SVG), shows diagnostics as badges, and turns
 * user actions into typed `edit` requests for the host. It never edits text itself: the host
 * computes minimal edits, applies them to the document, and sends the new graph back.
 */
import type {
  DiagnosticView,
  EditOperation,
  FlowGraph,
  FormField,
  HostMessage,
  NodePath,
  ParseErrorView,
  Severity,
  WebviewMessage,
} from './protocol.js';
import { flatten, lastElkMs, layout, visualTree, warmUp, type Box, type VNode } from './layout.js';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (m: WebviewMessage): void => vscode.postMessage(m);

const SEVERITY_ORDER: Severity[] = ['error', 'warning', 'info', 'hint'];
const SESSION_LABEL: Record<string, string> = { new: 'new session', 'new-per-item': 'new session per item', reused: 'reuses session', none: 'no session' };
const MODES = ['none', 'onExchange', 'onIntegrationFlow'];

interface State {
  version: number;
  graph: FlowGraph | null;
  parseError?: ParseErrorView;
  diagnostics: DiagnosticView[];
  adapters: string[];
  cols: VNode[];
  flat: VNode[];
  byId: Map<string, VNode>;
  boxes: Map<string, Box>;
  /** Node id → diagnostics on it. */
  badges: Map<string, DiagnosticView[]>;
  flowLevel: DiagnosticView[];
  selected?: string;
  /** Extra sibling steps selected with Shift (for wrap in split), as indexes in the same list. */
  rangeTo?: string;
  fields: Map<string, FormField[]>;
  fixes: Map<string, { index: number; title: string }[]>;
  panelMode: 'node' | 'addReceiver' | 'addStep' | 'wrap';
  editError?: string;
}

const state: State = {
  version: -1,
  graph: null,
  diagnostics: [],
  adapters: [],
  cols: [],
  flat: [],
  byId: new Map(),
  boxes: new Map(),
  badges: new Map(),
  flowLevel: [],
  fields: new Map(),
  fixes: new Map(),
  panelMode: 'node',
};

// ---------------------------------------------------------------------------------------------
// DOM skeleton
// ---------------------------------------------------------------------------------------------

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

const app = document.getElementById('app') ?? document.body.appendChild(el('div', { id: 'app' }));
const toolbar = el('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Flow' });
const banner = el('div', { class: 'banner', role: 'alert', hidden: '' });
const canvas = el('div', { class: 'canvas', 'aria-label': 'Flow graph' });
const panel = el('aside', { class: 'panel', 'aria-label': 'Properties' });
app.append(toolbar, banner, el('div', { class: 'main' }, canvas, panel));

const title = el('span', { class: 'title' });
const modeSelect = el('select', { id: 'mode', 'aria-label': 'Session handling' });
for (const m of MODES) modeSelect.append(el('option', { value: m }, m));
const flowBadge = el('button', { class: 'flow-problems', hidden: '', type: 'button' });
const addReceiverBtn = el('button', { type: 'button', id: 'add-receiver' }, 'Add receiver');
toolbar.append(title, el('label', { for: 'mode' }, 'Session handling'), modeSelect, addReceiverBtn, flowBadge);

modeSelect.addEventListener('change', () => edit({ op: 'setSessionMode', mode: modeSelect.value as 'none' }));
addReceiverBtn.addEventListener('click', () => {
  state.panelMode = 'addReceiver';
  renderPanel();
});
flowBadge.addEventListener('click', () => {
  state.selected = undefined;
  state.panelMode = 'node';
  renderPanel();
});

function edit(op: EditOperation): void {
  if (!state.graph || state.parseError) return;
  state.editError = undefined;
  post({ type: 'edit', version: state.version, op });
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

window.addEventListener('message', (ev: MessageEvent) => {
  const m = ev.data as HostMessage;
  if (!m || typeof m !== 'object' || typeof (m as { type?: unknown }).type !== 'string') return;
  switch (m.type) {
    case 'update': {
      const t0 = performance.now();
      state.version = m.version;
      state.diagnostics = m.diagnostics;
      state.adapters = m.adapters;
      state.parseError = m.parseError;
      state.fixes.clear();
      if (m.graph) {
        state.graph = m.graph;
        state.fields.clear();
        void rebuild().then(() => rendered(t0));
      } else {
        // Invalid YAML: keep the last good graph, show the error.
        renderBanner();
        renderToolbar();
        renderPanel();
        rendered(t0);
      }
      break;
    }
    case 'diagnostics':
      state.diagnostics = m.diagnostics;
      state.fixes.clear();
      assignBadges();
      drawBadges();
      renderToolbar();
      renderPanel();
      break;
    case 'quickFixes':
      state.fixes.set(m.diagnosticId, m.fixes);
      renderPanel();
      break;
    case 'inspectResult':
      state.fields.set(m.nodeId, m.fields);
      renderPanel();
      break;
    case 'editResult':
      state.editError = m.ok ? undefined : m.message;
      renderPanel();
      break;
    case 'highlight': {
      const v = nodeAtOffset(m.offset);
      for (const e of canvas.querySelectorAll('.node.highlight')) e.classList.remove('highlight');
      if (v) canvas.querySelector(`[data-id="${cssEscape(v.id)}"]`)?.classList.add('highlight');
      break;
    }
    default:
      break;
  }
});

function rendered(t0: number): void {
  const layoutMs = performance.now() - t0;
  document.body.dataset.version = String(state.version);
  (window as unknown as { __designer: unknown }).__designer = { version: state.version, layoutMs, elkMs: lastElkMs, nodes: state.flat.length };
  post({ type: 'rendered', version: state.version, nodes: state.flat.length, layoutMs });
}

// ---------------------------------------------------------------------------------------------
// Graph rendering
// ---------------------------------------------------------------------------------------------

async function rebuild(): Promise<void> {
  const g = state.graph as FlowGraph;
  state.cols = visualTree(g);
  state.flat = flatten(state.cols);
  state.byId = new Map();
  const index = (v: VNode): void => {
    state.byId.set(v.id, v);
    for (const c of v.children) index(c);
  };
  for (const c of state.cols) index(c);
  if (state.selected && !state.byId.has(state.selected)) state.selected = undefined;
  if (state.rangeTo && !state.byId.has(state.rangeTo)) state.rangeTo = undefined;
  state.boxes = await layout(state.cols);
  assignBadges();
  drawGraph();
  renderBanner();
  renderToolbar();
  renderPanel();
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function cssEscape(s: string): string {
  return s.replace(/["\\]/g, '\\$&');
}

function clip(s: string, w: number): string {
  const max = Math.max(4, Math.floor((w - 20) / 6.6));
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function worst(ds: DiagnosticView[]): Severity {
  return SEVERITY_ORDER.find((s) => ds.some((d) => d.severity === s)) ?? 'hint';
}

function nodeAtOffset(offset: number): VNode | undefined {
  let best: VNode | undefined;
  for (const v of state.flat) {
    const r = v.range;
    if (!r || offset < r.start || offset > r.end) continue;
    if (!best || (best.range && r.end - r.start <= best.range.end - best.range.start)) best = v;
  }
  return best;
}

function assignBadges(): void {
  state.badges = new Map();
  state.flowLevel = [];
  for (const d of state.diagnostics) {
    const v = nodeAtOffset(d.range.start);
    if (!v) {
      state.flowLevel.push(d);
      continue;
    }
    const list = state.badges.get(v.id) ?? [];
    list.push(d);
    state.badges.set(v.id, list);
  }
}

function nodeSvg(v: VNode, b: Box): string {
  const sel = v.id === state.selected || inRange(v) ? ' selected' : '';
  const kind = v.step?.kind ?? v.kind;
  const label = `${v.kind === 'receiver' ? 'receiver ' : ''}${v.title}${v.detail ? `, ${v.detail}` : ''}`;
  const tab = v.id === (state.selected ?? state.flat[0]?.id) ? '0' : '-1';
  if (v.kind === 'group') {
    return (
      `<g class="node group kind-${kind}${sel}" data-id="${esc(v.id)}" tabindex="${tab}" role="button" aria-label="${esc(label)}">` +
      `<rect class="frame" x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="6"/>` +
      `<text class="title" x="${b.x + 10}" y="${b.y + 17}">${esc(clip(`${v.title}  ${v.detail}`, b.w))}</text></g>`
    );
  }
  return (
    `<g class="node ${v.kind} kind-${kind}${sel}" data-id="${esc(v.id)}" tabindex="${tab}" role="button" aria-label="${esc(label)}">` +
    `<rect class="frame" x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="4"/>` +
    `<rect class="stripe" x="${b.x}" y="${b.y}" width="4" height="${b.h}"/>` +
    `<text class="title" x="${b.x + 12}" y="${b.y + 17}">${esc(clip(v.title, b.w))}</text>` +
    `<text class="detail" x="${b.x + 12}" y="${b.y + 33}">${esc(clip(v.detail, b.w))}</text></g>`
  );
}

function drawGraph(): void {
  const root = state.boxes.get('root') ?? { x: 0, y: 0, w: 400, h: 300 };
  const parts: string[] = [];
  parts.push(
    '<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" class="arrowhead"/></marker></defs>',
  );
  // Columns and lanes (backgrounds).
  for (const c of state.cols) {
    const b = state.boxes.get(c.id);
    if (!b) continue;
    parts.push(`<g class="column" data-col="${esc(c.id)}"><rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="8"/><text x="${b.x + 10}" y="${b.y + 19}">${esc(c.title)}</text></g>`);
  }
  const seq: string[] = [];
  const nodes: string[] = [];
  const groups: string[] = [];
  const walk = (v: VNode): void => {
    const b = state.boxes.get(v.id);
    if (v.kind === 'lane' && b) {
      groups.push(`<g class="lane" data-lane="${esc(v.id)}"><rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="4"/><text x="${b.x + 8}" y="${b.y + 16}">${esc(clip(v.title, b.w))}</text></g>`);
      if (v.children.length === 0) {
        const e = state.boxes.get(`empty:${v.id}`);
        if (e) groups.push(`<text class="empty" x="${e.x + 8}" y="${e.y + 17}">(no steps)</text>`);
      }
    }
    if (v.kind !== 'column' && v.kind !== 'lane' && b) (v.kind === 'group' ? groups : nodes).push(nodeSvg(v, b));
    if ((v.kind === 'column' && v.id !== 'col:receivers') || v.kind === 'lane') {
      for (let i = 1; i < v.children.length; i++) {
        const a = state.boxes.get((v.children[i - 1] as VNode).id);
        const z = state.boxes.get((v.children[i] as VNode).id);
        if (!a || !z) continue;
        const x1 = a.x + a.w / 2;
        const y1 = a.y + a.h;
        const x2 = z.x + z.w / 2;
        const y2 = z.y;
        const my = (y1 + y2) / 2;
        seq.push(`<path class="seq" d="M${x1},${y1} V${my} H${x2} V${y2 - 1}" marker-end="url(#arrow)"/>`);
      }
    }
    for (const c of v.children) walk(c);
  };
  for (const c of state.cols) walk(c);
  // Call edges: step → receiver, labelled with the session behaviour.
  const calls: string[] = [];
  const labels: string[] = [];
  for (const v of state.flat) {
    const s = v.step;
    if (!s || (s.kind !== 'call' && s.kind !== 'send') || !s.receiver) continue;
    const a = state.boxes.get(v.id);
    const z = state.boxes.get(`receivers.${s.receiver}`);
    if (!a || !z) continue;
    const x1 = a.x + a.w;
    const y1 = a.y + a.h / 2;
    const x2 = z.x;
    const y2 = z.y + z.h / 2;
    const dx = Math.max(40, (x2 - x1) / 2);
    const sess = s.session ?? 'none';
    const label = `${s.kind === 'send' ? 'send' : 'call'} · ${SESSION_LABEL[sess] ?? sess}`;
    calls.push(
      `<g class="call session-${sess}" data-from="${esc(v.id)}" data-to="${esc(z ? `receivers.${s.receiver}` : '')}">` +
        `<path d="M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2 - 1},${y2}" marker-end="url(#arrow)"/></g>`,
    );
    labels.push(`<text class="session-label session-${sess}" data-from="${esc(v.id)}" x="${x1 + 6}" y="${y1 - 5}">${esc(label)}</text>`);
  }
  const w = root.w + 40;
  const h = root.h + 40;
  canvas.innerHTML =
    `<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">` +
    parts.join('') +
    groups.join('') +
    seq.join('') +
    `<g class="calls">${calls.join('')}</g>` +
    nodes.join('') +
    `<g class="call-labels">${labels.join('')}</g>` +
    '<g class="badges"></g></svg>';
  drawBadges();
}

function drawBadges(): void {
  const g = canvas.querySelector('g.badges');
  if (!g) return;
  const parts: string[] = [];
  for (const [id, ds] of state.badges) {
    const b = state.boxes.get(id);
    if (!b) continue;
    const sev = worst(ds);
    const cx = b.x + b.w - 2;
    const cy = b.y + 2;
    const label = `${ds.length} problem${ds.length === 1 ? '' : 's'} on ${state.byId.get(id)?.title ?? id}: ${ds.map((d) => d.message).join('; ')}`;
    parts.push(
      `<g class="badge sev-${sev}" data-badge="${esc(id)}" role="button" tabindex="-1" aria-label="${esc(label)}">` +
        `<title>${esc(ds.map((d) => `${d.rule}: ${d.message}`).join('\n'))}</title>` +
        `<circle cx="${cx}" cy="${cy}" r="9"/><text x="${cx}" y="${cy + 4}">${ds.length}</text></g>`,
    );
  }
  g.innerHTML = parts.join('');
}

function renderBanner(): void {
  const e = state.parseError;
  if (!e) {
    banner.hidden = true;
    banner.textContent = '';
    return;
  }
  banner.hidden = false;
  banner.textContent = `YAML error at line ${e.line + 1}, column ${e.character + 1}: ${e.message}${state.graph ? ' — showing the last valid graph; editing is paused until the text parses.' : ''}`;
}

function renderToolbar(): void {
  const g = state.graph;
  title.textContent = g ? `${g.flowId ?? '(no flow id)'}${g.legacy ? ' (legacy format)' : ''}` : '';
  if (g) modeSelect.value = MODES.includes(g.mode) ? g.mode : 'none';
  const disabled = !g || !!state.parseError;
  modeSelect.disabled = disabled;
  addReceiverBtn.disabled = disabled;
  if (state.flowLevel.length > 0) {
    flowBadge.hidden = false;
    flowBadge.className = `flow-problems sev-${worst(state.flowLevel)}`;
    flowBadge.textContent = `${state.flowLevel.length} flow problem${state.flowLevel.length === 1 ? '' : 's'}`;
  } else {
    flowBadge.hidden = true;
  }
}

// ---------------------------------------------------------------------------------------------
// Selection, keyboard, pointer
// ---------------------------------------------------------------------------------------------

function inRange(v: VNode): boolean {
  if (!state.rangeTo || !state.selected) return false;
  const a = state.byId.get(state.selected);
  const b = state.byId.get(state.rangeTo);
  if (!a || !b || a.parent !== b.parent || v.parent !== a.parent || v.index === undefined) return false;
  const lo = Math.min(a.index ?? 0, b.index ?? 0);
  const hi = Math.max(a.index ?? 0, b.index ?? 0);
  return v.index >= lo && v.index <= hi;
}

function focusNode(id: string): void {
  for (const e of canvas.querySelectorAll('.node[tabindex="0"]')) e.setAttribute('tabindex', '-1');
  const e = canvas.querySelector<SVGGElement>(`.node[data-id="${cssEscape(id)}"]`);
  if (e) {
    e.setAttribute('tabindex', '0');
    e.focus();
    const b = state.boxes.get(id);
    if (b) {
      const c = canvas;
      if (b.y < c.scrollTop || b.y + b.h > c.scrollTop + c.clientHeight) c.scrollTop = Math.max(0, b.y - c.clientHeight / 3);
      if (b.x < c.scrollLeft || b.x + b.w > c.scrollLeft + c.clientWidth) c.scrollLeft = Math.max(0, b.x - 40);
    }
  }
}

function select(id: string | undefined, opts: { extend?: boolean; focus?: boolean } = {}): void {
  if (opts.extend && state.selected && id) {
    state.rangeTo = id;
  } else {
    state.selected = id;
    state.rangeTo = undefined;
  }
  state.panelMode = 'node';
  for (const e of canvas.querySelectorAll('.node.selected')) e.classList.remove('selected');
  for (const v of state.flat) {
    if (v.id === state.selected || inRange(v)) canvas.querySelector(`.node[data-id="${cssEscape(v.id)}"]`)?.classList.add('selected');
  }
  vscode.setState({ selected: state.selected });
  const v = id ? state.byId.get(id) : undefined;
  if (v) {
    if (opts.focus !== false) focusNode(v.id);
    if (v.range) post({ type: 'reveal', range: v.range });
    if (!opts.extend) {
      const nodeKind = v.kind === 'receiver' ? 'receiver' : v.kind === 'sender' ? 'sender' : 'step';
      post({ type: 'inspect', nodeId: v.id, path: v.path, nodeKind });
      for (const d of state.badges.get(v.id) ?? []) post({ type: 'requestQuickFixes', diagnosticId: d.id });
    }
  }
  renderPanel();
}

canvas.addEventListener('click', (ev) => {
  const t = ev.target as Element;
  const badge = t.closest('[data-badge]');
  if (badge) {
    select(badge.getAttribute('data-badge') ?? undefined);
    panel.querySelector<HTMLElement>('.problems')?.scrollIntoView();
    return;
  }
  const n = t.closest('.node');
  if (n) select(n.getAttribute('data-id') ?? undefined, { extend: ev.shiftKey });
});

canvas.addEventListener('keydown', (ev) => {
  const focusedId = (ev.target as Element | null)?.closest?.('.node')?.getAttribute('data-id');
  const curId = focusedId ?? state.selected;
  const cur = curId ? state.byId.get(curId) : undefined;
  const i = cur ? state.flat.indexOf(cur) : -1;
  const go = (v: VNode | undefined): void => {
    if (v) select(v.id, { extend: ev.shiftKey && (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') });
  };
  if (ev.altKey && (ev.key === 'ArrowUp' || ev.key === 'ArrowDown') && cur?.step && cur.index !== undefined) {
    ev.preventDefault();
    const to = cur.index + (ev.key === 'ArrowUp' ? -1 : 1);
    const n = stepSiblings(cur).length;
    if (to >= 0 && to < n) edit({ op: 'moveStep', path: cur.path, to });
    return;
  }
  switch (ev.key) {
    case 'ArrowDown':
      ev.preventDefault();
      go(state.flat[Math.min(state.flat.length - 1, i + 1)] ?? state.flat[0]);
      break;
    case 'ArrowUp':
      ev.preventDefault();
      go(state.flat[Math.max(0, i - 1)]);
      break;
    case 'ArrowRight':
      ev.preventDefault();
      if (cur?.step?.receiver) go(state.byId.get(`receivers.${cur.step.receiver}`));
      else if (cur?.kind === 'group') go(cur.children.flatMap((l) => l.children)[0]);
      break;
    case 'ArrowLeft':
      ev.preventDefault();
      if (cur?.parent?.kind === 'lane') go(cur.parent.parent);
      break;
    case 'Home':
      ev.preventDefault();
      go(state.flat[0]);
      break;
    case 'End':
      ev.preventDefault();
      go(state.flat[state.flat.length - 1]);
      break;
    case 'Enter':
    case ' ':
      ev.preventDefault();
      if (cur) select(cur.id);
      else go(state.flat[0]);
      break;
    case 'Delete':
      if (cur?.step) {
        ev.preventDefault();
        edit({ op: 'deleteStep', path: cur.path });
      }
      break;
    default:
      break;
  }
});

function stepSiblings(v: VNode): VNode[] {
  return (v.parent?.children ?? []).filter((c) => c.step);
}

function listPathOf(v: VNode): NodePath | undefined {
  return v.parent?.listPath;
}

// ---------------------------------------------------------------------------------------------
// Side panel
// ---------------------------------------------------------------------------------------------

function button(label: string, onClick: () => void, attrs: Record<string, string> = {}): HTMLButtonElement {
  const b = el('button', { type: 'button', ...attrs }, label);
  b.disabled = !state.graph || !!state.parseError;
  b.addEventListener('click', onClick);
  return b;
}

function fieldInput(f: FormField): HTMLElement {
  const id = `f-${f.path.join('-')}`;
  const wrap = el('div', { class: 'field' });
  wrap.append(el('label', { for: id, title: f.description ?? '' }, f.label + (f.required ? ' *' : '')));
  let input: HTMLInputElement | HTMLSelectElement;
  const commit = (value: string | number | boolean | undefined): void => {
    if (value === undefined || value === '') {
      if (f.value !== undefined) edit({ op: 'removeField', path: f.path });
    } else if (value !== f.value) {
      edit(f.kind === 'receiver' && (f.path[f.path.length - 1] === 'call' || f.path[f.path.length - 1] === 'send') ? { op: 'setCallTarget', path: f.path.slice(0, -1), receiver: String(value) } : { op: 'setField', path: f.path, value });
    }
  };
  if (f.kind === 'enum' || f.kind === 'receiver' || f.kind === 'boolean') {
    const sel = el('select', { id, 'data-path': JSON.stringify(f.path) });
    const opts = f.kind === 'boolean' ? ['true', 'false'] : (f.options ?? []);
    if (!f.required) sel.append(el('option', { value: '' }, '(not set)'));
    for (const o of opts) sel.append(el('option', { value: o }, o));
    if (f.value !== undefined && !opts.includes(String(f.value))) sel.append(el('option', { value: String(f.value) }, `${String(f.value)} (unknown)`));
    sel.value = f.value === undefined ? '' : String(f.value);
    sel.addEventListener('change', () => commit(f.kind === 'boolean' ? (sel.value === '' ? undefined : sel.value === 'true') : sel.value));
    input = sel;
  } else {
    const inp = el('input', { id, type: f.kind === 'number' ? 'number' : 'text', 'data-path': JSON.stringify(f.path) });
    inp.value = f.value === undefined ? '' : String(f.value);
    if (f.kind === 'readonly') {
      inp.readOnly = true;
      inp.title = 'Edit this value in the text editor';
    } else {
      inp.addEventListener('change', () => commit(f.kind === 'number' ? (inp.value === '' ? undefined : Number(inp.value)) : inp.value));
    }
    input = inp;
  }
  input.disabled = !!state.parseError;
  wrap.append(input);
  return wrap;
}

function uniqueStepId(base: string): string {
  const used = new Set(state.flat.map((v) => v.step?.stepId).filter(Boolean));
  for (let i = 1; i < 10_000; i++) if (!used.has(`${base}-${i}`)) return `${base}-${i}`;
  return `${base}-${Date.now()}`;
}

function addStepForm(list: NodePath, index: number): HTMLElement {
  const form = el('form', { class: 'add-step' });
  const kind = el('select', { id: 'new-step-kind', 'aria-label': 'Step kind' });
  for (const k of ['call', 'send', 'set', 'script', 'process']) kind.append(el('option', { value: k }, k));
  const target = el('select', { id: 'new-step-target', 'aria-label': 'Receiver' });
  for (const r of state.graph?.receivers ?? []) target.append(el('option', { value: r.name }, r.name));
  const arg = el('input', { id: 'new-step-arg', type: 'text', placeholder: 'script path / process name', 'aria-label': 'Argument' });
  const sid = el('input', { id: 'new-step-id', type: 'text', 'aria-label': 'Step id' });
  sid.value = uniqueStepId('step');
  form.append(el('label', {}, 'Kind'), kind, el('label', {}, 'Receiver'), target, el('label', {}, 'Script / process'), arg, el('label', {}, 'Id'), sid, el('button', { type: 'submit' }, 'Add step'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const k = kind.value;
    const step: Record<string, string | Record<string, Record<string, never>>> = {};
    if (sid.value.trim()) step.id = sid.value.trim();
    if (k === 'call' || k === 'send') step[k] = target.value || 'receiver';
    else if (k === 'set') step.set = { properties: {} };
    else step[k] = arg.value.trim() || (k === 'script' ? './script.js' : 'process');
    edit({ op: 'addStep', list, index, step: step as never });
    state.panelMode = 'node';
  });
  return form;
}

function renderPanel(): void {
  panel.replaceChildren();
  if (state.editError) panel.append(el('div', { class: 'edit-error', role: 'alert' }, state.editError));
  if (!state.graph) {
    panel.append(el('p', { class: 'hint' }, state.parseError ? 'The file does not parse yet.' : 'Loading…'));
    return;
  }
  if (state.panelMode === 'addReceiver') {
    const form = el('form', { class: 'add-receiver' });
    const name = el('input', { id: 'new-receiver-name', type: 'text', required: '', pattern: '[A-Za-z0-9_.-]+', 'aria-label': 'Receiver name' });
    const adapter = el('select', { id: 'new-receiver-adapter', 'aria-label': 'Adapter' });
    for (const a of state.adapters.length > 0 ? state.adapters : ['http']) adapter.append(el('option', { value: a }, a));
    if (state.adapters.includes('http')) adapter.value = 'http';
    const address = el('input', { id: 'new-receiver-address', type: 'text', placeholder: 'https://…', 'aria-label': 'Address' });
    form.append(el('h2', {}, 'New receiver'), el('label', {}, 'Name'), name, el('label', {}, 'Adapter'), adapter, el('label', {}, 'Address'), address, el('button', { type: 'submit' }, 'Add receiver'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!name.value.trim()) return;
      const fields: Record<string, string | Record<string, string>> = { adapter: adapter.value };
      if (address.value.trim()) fields.address = address.value.trim();
      fields.auth = { type: 'none' };
      edit({ op: 'addReceiver', name: name.value.trim(), fields: fields as never });
      state.panelMode = 'node';
    });
    panel.append(form);
    return;
  }
  const v = state.selected ? state.byId.get(state.selected) : undefined;
  if (!v) {
    panel.append(el('h2', {}, 'Flow'));
    panel.append(el('p', { class: 'hint' }, 'Select a node (click, or Tab then arrow keys). Delete removes a step, Alt+↑/↓ moves it, Shift selects a range to wrap in a split.'));
    if (state.flowLevel.length > 0) panel.append(problemsList(state.flowLevel));
    const list = state.graph.stepsPath;
    panel.append(button('Add step at the end', () => showAddStep(list, state.graph?.steps.length ?? 0), { id: 'add-step-end' }));
    return;
  }
  panel.append(el('h2', {}, v.kind === 'receiver' ? `Receiver ${v.title}` : v.title));
  if (v.detail) panel.append(el('p', { class: 'detail' }, v.detail));
  const ds = state.badges.get(v.id) ?? [];
  if (ds.length > 0) panel.append(problemsList(ds));
  const actions = el('div', { class: 'actions' });
  if (v.step && v.index !== undefined) {
    const list = listPathOf(v);
    const n = stepSiblings(v).length;
    if (state.rangeTo && inRange(v)) {
      const a = state.byId.get(state.selected ?? '');
      const b = state.byId.get(state.rangeTo);
      const lo = Math.min(a?.index ?? 0, b?.index ?? 0);
      const hi = Math.max(a?.index ?? 0, b?.index ?? 0);
      actions.append(button(`Wrap ${hi - lo + 1} steps in a split`, () => showWrap(list ?? [], lo, hi), { id: 'wrap' }));
    } else if (list) {
      actions.append(
        button('Add step after', () => showAddStep(list, (v.index ?? 0) + 1), { id: 'add-after' }),
        button('Move up', () => edit({ op: 'moveStep', path: v.path, to: (v.index ?? 0) - 1 }), { id: 'move-up', ...(v.index === 0 ? { disabled: '' } : {}) }),
        button('Move down', () => edit({ op: 'moveStep', path: v.path, to: (v.index ?? 0) + 1 }), { id: 'move-down', ...(v.index >= n - 1 ? { disabled: '' } : {}) }),
        button('Wrap in split', () => showWrap(list, v.index ?? 0, v.index ?? 0), { id: 'wrap' }),
        button('Delete step', () => edit({ op: 'deleteStep', path: v.path }), { id: 'delete-step', class: 'danger' }),
      );
      if (v.index === 0) (actions.querySelector('#move-up') as HTMLButtonElement).disabled = true;
      if (v.index >= n - 1) (actions.querySelector('#move-down') as HTMLButtonElement).disabled = true;
    }
    if (v.kind === 'group') {
      for (const lane of v.children) {
        if (lane.listPath) actions.append(button(`Add step to ${lane.title}`, () => showAddStep(lane.listPath as NodePath, lane.children.length), { class: 'lane-add' }));
      }
    }
  }
  if (v.kind === 'receiver') actions.append(button('Remove receiver', () => edit({ op: 'removeField', path: v.path }), { id: 'remove-receiver', class: 'danger' }));
  panel.append(actions);
  if (state.panelMode === 'addStep' && pendingAdd) panel.append(addStepForm(pendingAdd.list, pendingAdd.index));
  if (state.panelMode === 'wrap' && pendingWrap) panel.append(wrapForm(pendingWrap.list, pendingWrap.from, pendingWrap.to));
  const fields = state.fields.get(v.id);
  if (fields) {
    const form = el('div', { class: 'form' });
    let group = '';
    for (const f of fields) {
      if ((f.group ?? '') !== group) {
        group = f.group ?? '';
        form.append(el('h3', {}, group));
      }
      form.append(fieldInput(f));
    }
    panel.append(form);
  }
}

let pendingAdd: { list: NodePath; index: number } | undefined;
let pendingWrap: { list: NodePath; from: number; to: number } | undefined;

function showAddStep(list: NodePath, index: number): void {
  pendingAdd = { list, index };
  state.panelMode = 'addStep';
  if (!state.selected) {
    panel.append(addStepForm(list, index));
    return;
  }
  renderPanel();
  state.panelMode = 'node';
}

function showWrap(list: NodePath, from: number, to: number): void {
  pendingWrap = { list, from, to };
  state.panelMode = 'wrap';
  renderPanel();
  state.panelMode = 'node';
}

function wrapForm(list: NodePath, from: number, to: number): HTMLElement {
  const form = el('form', { class: 'wrap-form' });
  const path = el('input', { id: 'split-path', type: 'text', value: '$.items', 'aria-label': 'Split path' });
  const parallel = el('input', { id: 'split-parallel', type: 'checkbox', 'aria-label': 'Parallel' });
  form.append(el('label', { for: 'split-path' }, 'Split path'), path, el('label', { for: 'split-parallel' }, 'Parallel'), parallel, el('button', { type: 'submit' }, 'Wrap'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    edit({ op: 'wrapInSplit', list, from, to, split: { path: path.value.trim() || '$.items', ...(parallel.checked ? { parallel: true } : {}) } });
  });
  return form;
}

function problemsList(ds: DiagnosticView[]): HTMLElement {
  const box = el('div', { class: 'problems' }, el('h3', {}, 'Problems'));
  for (const d of ds) {
    const item = el('div', { class: `problem sev-${d.severity}`, 'data-diagnostic': d.id });
    item.append(el('div', { class: 'message' }, el('span', { class: 'rule' }, `${d.severity} ${d.rule}`), ' ', d.message));
    const fixes = state.fixes.get(d.id);
    if (fixes === undefined) {
      item.append(button('Show quick fixes', () => post({ type: 'requestQuickFixes', diagnosticId: d.id }), { class: 'fixes-request' }));
    } else {
      for (const f of fixes) item.append(button(f.title, () => post({ type: 'applyQuickFix', diagnosticId: d.id, index: f.index }), { class: 'quick-fix' }));
      if (fixes.length === 0) item.append(el('span', { class: 'hint' }, 'No quick fix.'));
    }
    box.append(item);
  }
  return box;
}

// Restore the selection after the webview was hidden and shown again.
const saved = vscode.getState() as { selected?: string } | undefined;
if (saved?.selected) state.selected = saved.selected;
renderPanel();
post({ type: 'ready' });
void warmUp();
