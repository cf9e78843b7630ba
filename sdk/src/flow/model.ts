/**
 * Typed model of a `*.flow.yaml` file (format version 2, legacy 1 accepted).
 *
 * Every node carries the source `range` of its YAML value (byte offsets into the text,
 * taken from the `yaml` library's CST/node ranges — never found by searching the text),
 * and map entries also carry the range of their key. The model is *partial*: a field is
 * `undefined` when it is missing or has the wrong shape; the problem is reported in
 * `FlowDocument.problems`, never thrown.
 */
import type { Template } from './expression.js';

/** Half-open offset range `[start, end)` into the document text. */
export interface Range {
  start: number;
  end: number;
}

/** Zero-based line/character position (LSP-compatible, UTF-16 code units). */
export interface Position {
  line: number;
  character: number;
}

/** A JSON-pointer-like path into the document, e.g. `['receivers', 'erp', 'auth', 'type']`. */
export type NodePath = (string | number)[];

export interface Node {
  /** Range of the value node. */
  range: Range;
  /** Range of the key when the node is the value of a map entry. */
  keyRange?: Range;
  /**
   * Path of the node in the document. Scalar fields made by `parseFlow` (ModelScalar,
   * ModelTemplate) make it when read: a new array each time, not an own property (their JSON
   * has it).
   */
  path: NodePath;
}

export interface Scalar<T> extends Node {
  value: T;
}

/** A string scalar that may contain `${...}` expressions. */
export interface TemplateScalar extends Scalar<string> {
  template: Template;
}

export type SessionHandling = 'none' | 'onExchange' | 'onIntegrationFlow';
export const SESSION_HANDLING_MODES: readonly SessionHandling[] = ['none', 'onExchange', 'onIntegrationFlow'];
export type LogLevel = 'none' | 'info' | 'debug';

export type AuthType =
  | 'none'
  | 'basic'
  | 'client-certificate'
  | 'oauth2-client-credentials'
  | 'oauth2-saml-bearer'
  | 'principal-propagation';
export const AUTH_TYPES: readonly AuthType[] = [
  'none',
  'basic',
  'client-certificate',
  'oauth2-client-credentials',
  'oauth2-saml-bearer',
  'principal-propagation',
];

export interface Flow extends Node {
  id?: Scalar<string>;
  /** Absent in legacy files. */
  formatVersion?: Scalar<number>;
  description?: Scalar<string>;
  runtime?: Runtime;
  sender?: Sender;
  credentials: CredentialDecl[];
  /** Range of the `credentials` map value when present. */
  credentialsNode?: Node;
  receivers: Receiver[];
  receiversNode?: Node;
  processes: ProcessDecl[];
  processesNode?: Node;
  steps: Step[];
  stepsNode?: Node;
}

export interface Runtime extends Node {
  sessionHandling?: Scalar<string>;
  log?: Scalar<string>;
  sessionStore?: Scalar<string>;
}

export interface Sender extends Node {
  adapter?: Scalar<string>;
  /** The `path` field (named `urlPath` because `Node.path` is the node's document path). */
  urlPath?: Scalar<string>;
  csrf?: Scalar<boolean>;
  /** Any other fields, raw. */
  raw: Record<string, unknown>;
}

export interface CredentialDecl extends Node {
  /** The map key. `keyRange` is its range. */
  name: string;
  type?: Scalar<string>;
}

export interface Auth extends Node {
  type?: Scalar<string>;
  credential?: Scalar<string>;
  user?: TemplateScalar;
  password?: TemplateScalar;
  tokenUrl?: Scalar<string>;
}

export interface Proxy extends Node {
  type?: Scalar<string>;
  virtualHost?: Scalar<string>;
  locationId?: Scalar<string>;
  /** BACKEND_DOMAIN -> VIRTUAL_DOMAIN */
  cookieDomains?: Scalar<Record<string, string>>;
}

export interface Logoff extends Node {
  method?: Scalar<string>;
  /** The `path` field (named `urlPath` because `Node.path` is the node's document path). */
  urlPath?: Scalar<string>;
}

export interface Receiver extends Node {
  /** The map key; `keyRange` is its range. */
  name: string;
  adapter?: Scalar<string>;
  variant?: Scalar<string>;
  address?: TemplateScalar;
  auth?: Auth;
  csrf?: Scalar<boolean>;
  stateful?: Scalar<boolean>;
  parallelCallsInSession?: Scalar<boolean>;
  proxy?: Proxy;
  logoff?: Logoff;
  session?: Scalar<string>;
  timeoutMs?: Scalar<number>;
  /** Adapter-specific config, as plain JS value; use `path` + document to find inner ranges. */
  config?: Scalar<Record<string, unknown>>;
}

export interface ProcessDecl extends Node {
  name: string;
  steps: Step[];
}

export type StepKind = 'call' | 'send' | 'set' | 'script' | 'split' | 'multicast' | 'loop' | 'route' | 'process';
export const STEP_KINDS: readonly StepKind[] = ['call', 'send', 'set', 'script', 'split', 'multicast', 'loop', 'route', 'process'];

interface StepBase extends Node {
  id?: Scalar<string>;
  name?: Scalar<string>;
  /** Range of the key that names the kind (`call`, `split`, ...). */
  kindKeyRange: Range;
}

/** Name/value pairs whose values may contain expressions (headers, query, properties). */
export interface TemplateEntry {
  name: string;
  keyRange: Range;
  value: TemplateScalar;
}

export interface CallStep extends StepBase {
  kind: 'call' | 'send';
  receiver: Scalar<string>;
  method?: Scalar<string>;
  /** Path appended to / resolved against the receiver address. */
  urlPath?: TemplateScalar;
  headers: TemplateEntry[];
  query: TemplateEntry[];
  /** String body template, or a structured value (serialised as JSON at run time). */
  body?: TemplateScalar | Scalar<unknown>;
}

export interface SetStep extends StepBase {
  kind: 'set';
  headers: TemplateEntry[];
  properties: TemplateEntry[];
  body?: TemplateScalar | Scalar<unknown>;
}

export interface ScriptStep extends StepBase {
  kind: 'script';
  script: Scalar<string>;
}

export interface SplitStep extends StepBase {
  kind: 'split';
  splitPath?: Scalar<string>;
  parallel?: Scalar<boolean>;
  maxConcurrency?: Scalar<number>;
  steps: Step[];
}

export interface MulticastStep extends StepBase {
  kind: 'multicast';
  parallel?: Scalar<boolean>;
  branches: Step[][];
}

export interface LoopStep extends StepBase {
  kind: 'loop';
  while?: TemplateScalar;
  max?: Scalar<number>;
  steps: Step[];
}

export interface RouteWhen extends Node {
  if?: TemplateScalar;
  steps: Step[];
}

export interface RouteStep extends StepBase {
  kind: 'route';
  when: RouteWhen[];
  otherwise?: Step[];
}

export interface ProcessStep extends StepBase {
  kind: 'process';
  process: Scalar<string>;
}

export type Step = CallStep | SetStep | ScriptStep | SplitStep | MulticastStep | LoopStep | RouteStep | ProcessStep;

export type ProblemCode = 'flow/yaml-syntax' | 'flow/schema';

/** A problem found while parsing or schema-validating. Never thrown. */
export interface ParseProblem {
  code: ProblemCode;
  message: string;
  range: Range;
  path?: NodePath;
  /** Extra data a quick fix needs, e.g. `{ allowed: [...], suggestion: 'onExchange' }`. */
  data?: Record<string, unknown>;
}
