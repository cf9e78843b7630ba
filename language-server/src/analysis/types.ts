/**
 * Types of the analysis core. Pure data: offsets into the document text, no LSP types.
 */
import type { AdapterDefinition, Flow, FlowDocument, Range, Receiver, SessionHandling, VariantDeclaration } from '@sessionflow/sdk';
import type { StepIndex, StepVisit } from './helpers.js';

export type { Range } from '@sessionflow/sdk';

export type Severity = 'error' | 'warning' | 'info' | 'hint';
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info', 'hint'];

export interface Diagnostic {
  /** Stable rule code, e.g. `session/unprimed-parallel`. */
  rule: string;
  severity: Severity;
  message: string;
  /** Offsets into the document text. */
  range: Range;
  /** What the quick fix needs; JSON-serialisable. */
  data?: Record<string, unknown>;
}

export interface TextEdit {
  range: Range;
  newText: string;
}

export interface QuickFix {
  title: string;
  edits: TextEdit[];
  isPreferred?: boolean;
}

export interface RuleDocs {
  /** One line. */
  summary: string;
  /** Why it matters. */
  why: string;
  /** A short YAML example that triggers the rule. */
  example: string;
  /** How to fix it. */
  fix: string;
}

/** What a rule's check returns; `analyze()` adds the rule name and the effective severity. */
export interface Finding {
  range: Range;
  message: string;
  data?: Record<string, unknown>;
  /** Overrides the rule's default severity for this finding (rare). */
  severity?: Severity;
}

export interface AdapterCatalogProblem {
  packageName: string;
  message: string;
  code: string;
  /** Adapter ids the refused package declares, when known. */
  adapterIds?: string[];
}

export interface AdapterCatalog {
  get(id: string): { definition: AdapterDefinition } | undefined;
  ids(): string[];
  problems?: readonly AdapterCatalogProblem[];
}

export interface AnalysisOptions {
  adapters: AdapterCatalog;
  /** Per-rule severity overrides; `off` removes the rule's findings. */
  severities?: Record<string, Severity | 'off'>;
}

/** A receiver with its adapter resolved against the catalog. */
export interface ReceiverInfo {
  receiver: Receiver;
  /** The adapter definition, when the adapter id is installed. */
  definition?: AdapterDefinition;
  /** The variant in effect (explicit or default), when it resolves. */
  variant?: VariantDeclaration;
  /** Adapter variant reuses sessions (supported/required) and the receiver did not opt out. */
  sessionCapable: boolean;
  /** `session: none` on the receiver. */
  optedOut: boolean;
  /** `scheme://host:port` of a static address, lower-cased; undefined when dynamic or invalid. */
  origin?: string;
  /** Host name of a static address. */
  host?: string;
}

export interface RuleContext {
  doc: FlowDocument;
  flow: Flow;
  adapters: AdapterCatalog;
  /** Effective session mode: legacy flows and a missing runtime are `none`; undefined when the value is invalid. */
  mode: SessionHandling | undefined;
  /** Every receiver, in file order. */
  receivers: ReceiverInfo[];
  receiverByName: Map<string, ReceiverInfo>;
  /** Every step of the main process and of every local process, with its context. */
  steps: StepVisit[];
  /** The steps read once (the nodes of `steps`, the call steps, the tree for exchange walks). */
  index: StepIndex;
}

export type FixContext = RuleContext;

export interface Rule {
  name: string;
  defaultSeverity: Severity;
  docs: RuleDocs;
  check(ctx: RuleContext): Finding[];
  fixes?(doc: FlowDocument, d: Diagnostic, ctx: FixContext): QuickFix[];
}
