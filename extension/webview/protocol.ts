/**
 * Typed messages between the designer webview and the extension host, and the graph model
 * the host sends. Types only (no runtime code): imported by the webview bundle, the host
 * (extension/src/designer) and the harness tests.
 */
import type { EditOperation } from '../../language-server/src/edits/types.js';

export type { EditOperation };

export type NodePath = (string | number)[];
export interface Range {
  start: number;
  end: number;
}

/** How a call behaves towards the backend session (derived from the flow's mode and the adapter). */
export type SessionBehaviour = 'new' | 'new-per-item' | 'reused' | 'none';

export type StepKind = 'call' | 'send' | 'set' | 'script' | 'split' | 'multicast' | 'loop' | 'route' | 'process' | 'unknown';

/** A list of steps inside a composite step (split/loop body, a multicast branch, a route branch). */
export interface StepLane {
  /** Stable node id of the lane. */
  id: string;
  label: string;
  /** Path of the step list in the document (for addStep). */
  path: NodePath;
  steps: GraphStep[];
}

export interface GraphStep {
  /** Stable node id: the document path, e.g. `steps.1.split.steps.0`. */
  id: string;
  path: NodePath;
  /** From the step's `-` item: key or value range covering the whole step. */
  range: Range;
  kind: StepKind;
  /** `id:` of the step, if any. */
  stepId?: string;
  name?: string;
  /** One line under the kind, e.g. `GET erp`, `$.items (parallel)`. */
  detail: string;
  /** call/send: the receiver name. */
  receiver?: string;
  session?: SessionBehaviour;
  lanes?: StepLane[];
}

export interface GraphReceiver {
  id: string;
  name: string;
  path: NodePath;
  range: Range;
  adapter?: string;
  variant?: string;
  authType: string;
  address?: string;
  /** The adapter (variant) reuses sessions and the receiver did not opt out. */
  sessionCapable: boolean;
  optedOut: boolean;
  /** The adapter id is installed. */
  known: boolean;
}

export interface GraphSender {
  id: 'sender';
  path: NodePath;
  range: Range;
  adapter?: string;
  detail: string;
}

export interface GraphProcess {
  id: string;
  name: string;
  path: NodePath;
  range: Range;
  steps: GraphStep[];
}

export interface FlowGraph {
  flowId?: string;
  /** Effective session mode (`none` for legacy flows); the raw value when invalid. */
  mode: string;
  legacy: boolean;
  sender?: GraphSender;
  /** Path of the main step list. */
  stepsPath: NodePath;
  steps: GraphStep[];
  processes: GraphProcess[];
  receivers: GraphReceiver[];
  /** Range of the flow header (for diagnostics that concern no node). */
  range: Range;
}

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface DiagnosticView {
  /** Identifies the diagnostic within one update (for quick-fix requests). */
  id: string;
  rule: string;
  severity: Severity;
  message: string;
  range: Range;
}

/** One property-form field, generated from the flow schema (or an adapter's config schema). */
export interface FormField {
  path: NodePath;
  label: string;
  description?: string;
  kind: 'string' | 'number' | 'boolean' | 'enum' | 'receiver' | 'readonly';
  options?: string[];
  /** Current value (`undefined` = not set). */
  value?: string | number | boolean;
  /** Set by an adapter config schema. */
  group?: string;
  required?: boolean;
}

export interface ParseErrorView {
  message: string;
  line: number;
  character: number;
}

// ---------------------------------------------------------------------------------------------
// host → webview
// ---------------------------------------------------------------------------------------------

export interface UpdateMessage {
  type: 'update';
  /** Document version the graph was computed from. */
  version: number;
  /** `null` when the text has YAML syntax errors: the webview keeps showing the last good graph. */
  graph: FlowGraph | null;
  parseError?: ParseErrorView;
  diagnostics: DiagnosticView[];
  /** Installed adapter ids (for the add-receiver form). */
  adapters: string[];
}

export interface DiagnosticsMessage {
  type: 'diagnostics';
  version: number;
  diagnostics: DiagnosticView[];
}

export interface QuickFixesMessage {
  type: 'quickFixes';
  diagnosticId: string;
  fixes: { index: number; title: string }[];
}

export interface InspectResultMessage {
  type: 'inspectResult';
  nodeId: string;
  fields: FormField[];
}

export interface EditResultMessage {
  type: 'editResult';
  ok: boolean;
  /** Present when `ok` is false: what went wrong, naming what and where. */
  message?: string;
}

/** The text cursor moved: highlight the node at this offset. */
export interface HighlightMessage {
  type: 'highlight';
  offset: number;
}

export type HostMessage = UpdateMessage | DiagnosticsMessage | QuickFixesMessage | InspectResultMessage | EditResultMessage | HighlightMessage;

// ---------------------------------------------------------------------------------------------
// webview → host
// ---------------------------------------------------------------------------------------------

export interface ReadyMessage {
  type: 'ready';
}

export interface EditRequestMessage {
  type: 'edit';
  /** Version of the document the webview saw. */
  version: number;
  op: EditOperation;
}

export interface RevealMessage {
  type: 'reveal';
  range: Range;
}

export interface InspectMessage {
  type: 'inspect';
  nodeId: string;
  path: NodePath;
  nodeKind: 'step' | 'receiver' | 'sender';
}

export interface RequestQuickFixesMessage {
  type: 'requestQuickFixes';
  diagnosticId: string;
}

export interface ApplyQuickFixMessage {
  type: 'applyQuickFix';
  diagnosticId: string;
  index: number;
}

/** Layout finished (used by the harness and the benchmark; the host ignores it). */
export interface RenderedMessage {
  type: 'rendered';
  version: number;
  nodes: number;
  layoutMs: number;
}

export type WebviewMessage = ReadyMessage | EditRequestMessage | RevealMessage | InspectMessage | RequestQuickFixesMessage | ApplyQuickFixMessage | RenderedMessage;
