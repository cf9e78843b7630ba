/**
 * The one place the server imports the SDK and the analysis core. Everything in
 * `src/server` talks to these through the names re-exported here, so a change in
 * either API touches one file.
 */
export {
  parseFlow,
  tryReparseFlow,
  schemaAtPath,
  flowSchema,
  AdapterRegistry,
  SESSION_HANDLING_MODES,
  AUTH_TYPES,
  STEP_KINDS,
} from '@sessionflow/sdk';
export type {
  FlowDocument,
  TextChange,
  Flow,
  Step,
  Receiver,
  ProcessDecl,
  CredentialDecl,
  NodePath,
  Range,
  Scalar,
  AdapterDefinition,
  JsonSchema,
} from '@sessionflow/sdk';
export { analyze, quickFixes, rules, ruleByName } from '../analysis/index.js';
export type { Diagnostic, QuickFix, TextEdit, Severity, Rule, AdapterCatalog, AnalysisOptions } from '../analysis/index.js';

export { loadProjectConfig } from '../config.js';
export type { ProjectConfig } from '../config.js';
