/**
 * Graph model → visual tree → ELK layout → absolute boxes. The flow's steps are a column
 * (direction DOWN, chained in order); composite steps are nested groups whose lanes sit side
 * by side; receivers form a column to the right; local processes get their own columns.
 * Call edges (step → receiver) are drawn by the renderer from the boxes, so ELK lays out each
 * compound on its own (fast: no cross-hierarchy routing).
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkNode, ElkExtendedEdge } from 'elkjs/lib/elk-api.js';
import type { FlowGraph, GraphStep, NodePath, Range } from './protocol.js';

export type VKind = 'sender' | 'step' | 'group' | 'lane' | 'receiver' | 'column';

export interface VNode {
  id: string;
  kind: VKind;
  title: string;
  detail: string;
  path: NodePath;
  range?: Range;
  step?: GraphStep;
  children: VNode[];
  /** Parent lane/column id (for sibling navigation and step lists). */
  parent?: VNode;
  /** Index in the parent's step list. */
  index?: number;
  /** For lanes and columns holding steps: the list path. */
  listPath?: NodePath;
  receiverName?: string;
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

const CHAR_W = 6.6;
const STEP_H = 42;
const MIN_W = 150;
const MAX_W = 320;

export function stepTitle(s: GraphStep): string {
  const name = s.stepId ?? s.name;
  return name ? `${s.kind} · ${name}` : s.kind;
}

function textWidth(...texts: string[]): number {
  const longest = Math.max(...texts.map((t) => t.length));
  return Math.max(MIN_W, Math.min(MAX_W, Math.ceil(longest * CHAR_W) + 40));
}

function stepNode(s: GraphStep, parent: VNode, index: number): VNode {
  const v: VNode = { id: s.id, kind: s.lanes ? 'group' : 'step', title: stepTitle(s), detail: s.detail, path: s.path, range: s.range, step: s, children: [], parent, index };
  if (s.lanes) {
    v.children = s.lanes.map((l) => {
      const lane: VNode = { id: `lane:${l.id}`, kind: 'lane', title: l.label, detail: '', path: l.path, listPath: l.path, children: [], parent: v };
      lane.children = l.steps.map((c, i) => stepNode(c, lane, i));
      return lane;
    });
  }
  return v;
}

/** The visual tree: columns for the main flow, each local process and the receivers. */
export function visualTree(g: FlowGraph): VNode[] {
  const main: VNode = { id: 'col:flow', kind: 'column', title: g.flowId ?? 'flow', detail: '', path: g.stepsPath, listPath: g.stepsPath, children: [] };
  if (g.sender) main.children.push({ id: g.sender.id, kind: 'sender', title: 'sender', detail: g.sender.detail, path: g.sender.path, range: g.sender.range, children: [], parent: main });
  main.children.push(...g.steps.map((s, i) => stepNode(s, main, i)));
  const cols = [main];
  for (const p of g.processes) {
    const col: VNode = { id: `col:${p.id}`, kind: 'column', title: `process ${p.name}`, detail: '', path: p.path, listPath: p.path, range: p.range, children: [] };
    col.children = p.steps.map((s, i) => stepNode(s, col, i));
    cols.push(col);
  }
  const rec: VNode = { id: 'col:receivers', kind: 'column', title: 'receivers', detail: '', path: ['receivers'], children: [] };
  rec.children = g.receivers.map((r) => ({
    id: r.id,
    kind: 'receiver' as const,
    title: r.name,
    detail: [r.adapter ?? '?', r.variant, `auth: ${r.authType}`].filter(Boolean).join(' · '),
    path: r.path,
    range: r.range,
    children: [],
    parent: rec,
    receiverName: r.name,
  }));
  cols.push(rec);
  return cols;
}

/** Every node in document order (depth first), for keyboard navigation and badges. */
export function flatten(cols: VNode[]): VNode[] {
  const out: VNode[] = [];
  const walk = (v: VNode): void => {
    if (v.kind !== 'column' && v.kind !== 'lane') out.push(v);
    for (const c of v.children) walk(c);
  };
  for (const c of cols) walk(c);
  return out;
}

function toElk(v: VNode): ElkNode {
  if (v.kind === 'step' || v.kind === 'sender' || v.kind === 'receiver') {
    return { id: v.id, width: textWidth(v.title, v.detail), height: STEP_H };
  }
  const children = v.children.map(toElk);
  const edges: ElkExtendedEdge[] = [];
  const chain = v.kind !== 'group';
  if (chain) {
    for (let i = 1; i < v.children.length; i++) {
      edges.push({ id: `e:${v.id}:${i}`, sources: [(v.children[i - 1] as VNode).id], targets: [(v.children[i] as VNode).id] });
    }
  }
  if (v.kind === 'lane' && children.length === 0) children.push({ id: `empty:${v.id}`, width: 120, height: 26 });
  const top = v.kind === 'column' ? 30 : 26;
  const minW = v.kind === 'group' ? textWidth(`${v.title}  ${v.detail}`) : v.kind === 'lane' ? textWidth(v.title) - 20 : 0;
  return {
    id: v.id,
    children,
    edges,
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.padding': `[top=${top},left=10,bottom=10,right=10]`,
      // Lanes side by side leave room for the session labels of the calls in the lane to their left.
      'elk.spacing.nodeNode': v.kind === 'group' && v.children.length > 1 ? '150' : '12',
      'elk.layered.spacing.nodeNodeBetweenLayers': '18',
      // Lanes keep their document order; chains are ordered by their edges already.
      ...(chain ? { 'elk.layered.crossingMinimization.strategy': 'INTERACTIVE' } : { 'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES' }),
      // One component per group: its lanes share one layer, i.e. sit side by side.
      'elk.separateConnectedComponents': 'false',
      // Chains need no optimisation: cheap layering and placement keep 500 steps well under a second.
      'elk.layered.layering.strategy': 'LONGEST_PATH',
      'elk.layered.nodePlacement.strategy': 'SIMPLE',
      'elk.layered.thoroughness': '1',
      'elk.edgeRouting': 'POLYLINE',
      ...(minW > 0 ? { 'elk.nodeSize.constraints': 'MINIMUM_SIZE', 'elk.nodeSize.minimum': `(${minW}, 40)` } : {}),
    },
  };
}

let elk: InstanceType<typeof ELK> | undefined;
/** Duration of the last ELK run (for the benchmark's breakdown). */
export let lastElkMs = 0;

/** Lays out a small chain once so ELK's code is compiled before the first real graph arrives. */
export function warmUp(): Promise<unknown> {
  elk ??= new ELK();
  const children = Array.from({ length: 12 }, (_, i) => ({ id: `w${i}`, width: 150, height: 42 }));
  const edges = children.slice(1).map((c, i) => ({ id: `we${i}`, sources: [`w${i}`], targets: [c.id] }));
  return elk.layout({ id: 'warm', children: [{ id: 'wc', children, edges, layoutOptions: { 'elk.algorithm': 'layered', 'elk.direction': 'DOWN' } }], layoutOptions: { 'elk.algorithm': 'layered' } }).catch(() => undefined);
}

/** Runs ELK and returns absolute boxes by node id. */
export async function layout(cols: VNode[]): Promise<Map<string, Box>> {
  elk ??= new ELK();
  const root: ElkNode = {
    id: 'root',
    children: cols.map(toElk),
    edges: [],
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
      'elk.layered.spacing.nodeNodeBetweenLayers': '140',
      'elk.spacing.nodeNode': '40',
    },
  };
  // Columns side by side: chain them with edges that are not drawn.
  for (let i = 1; i < cols.length; i++) (root.edges as ElkExtendedEdge[]).push({ id: `col-edge:${i}`, sources: [(cols[i - 1] as VNode).id], targets: [(cols[i] as VNode).id] });
  const t0 = performance.now();
  const out = await elk.layout(root);
  lastElkMs = performance.now() - t0;
  const boxes = new Map<string, Box>();
  const walk = (n: ElkNode, ox: number, oy: number): void => {
    const x = ox + (n.x ?? 0);
    const y = oy + (n.y ?? 0);
    boxes.set(n.id, { x, y, w: n.width ?? 0, h: n.height ?? 0 });
    for (const c of n.children ?? []) walk(c, x, y);
  };
  walk(out, 0, 0);
  return boxes;
}
