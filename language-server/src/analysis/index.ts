/**
 * The analysis core: pure functions from a parsed flow (and adapter capabilities) to
 * diagnostics and quick fixes. No I/O, no LSP types.
 */
export type {
  Severity,
  Diagnostic,
  TextEdit,
  QuickFix,
  RuleDocs,
  Rule,
  Finding,
  RuleContext,
  FixContext,
  ReceiverInfo,
  AdapterCatalog,
  AdapterCatalogProblem,
  AnalysisOptions,
  Range,
} from './types.js';
export { SEVERITIES } from './types.js';
export { analyze, analyzeWith, quickFixes, buildContext, INTERNAL_RULE, DISABLE_COMMENT } from './analyze.js';
export { rules, ruleByName } from './registry.js';
export { applyEdits, levenshtein, closest } from './helpers.js';
export { migrationEdits, setModeEdits } from './edits.js';
export { formatText, formatJson, formatSarif, type FileReport } from './report.js';
