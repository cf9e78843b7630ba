/**
 * Conversions between the analysis core's types (offsets, severities, quick fixes) and
 * LSP protocol types. This module and the handlers that call it are the only code that
 * knows about line/character positions.
 */
import {
  CodeAction,
  CodeActionKind,
  DiagnosticSeverity,
  type Diagnostic as LspDiagnostic,
  type Range as LspRange,
  type TextEdit as LspTextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver/node.js';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic, QuickFix, Range, Severity, TextEdit } from './core.js';

export const SOURCE = 'sessionflow';

export function toLspRange(doc: TextDocument, range: Range): LspRange {
  const length = doc.getText().length;
  const start = clamp(range.start, 0, length);
  const end = clamp(range.end, start, length);
  return { start: doc.positionAt(start), end: doc.positionAt(end) };
}

export function toOffsetRange(doc: TextDocument, range: LspRange): Range {
  const start = doc.offsetAt(range.start);
  const end = doc.offsetAt(range.end);
  return start <= end ? { start, end } : { start: end, end: start };
}

export function toLspSeverity(severity: Severity): DiagnosticSeverity {
  switch (severity) {
    case 'error':
      return DiagnosticSeverity.Error;
    case 'warning':
      return DiagnosticSeverity.Warning;
    case 'info':
      return DiagnosticSeverity.Information;
    case 'hint':
      return DiagnosticSeverity.Hint;
    default:
      return DiagnosticSeverity.Warning;
  }
}

/** What the server stores in `Diagnostic.data` so code actions can be computed statelessly. */
export interface DiagnosticData {
  rule: string;
  /** The analysis diagnostic's own data. */
  data?: Record<string, unknown>;
  /** Offsets of the diagnostic in the document version it was computed for. */
  start: number;
  end: number;
  version: number;
}

export function toLspDiagnostic(doc: TextDocument, d: Diagnostic): LspDiagnostic {
  const data: DiagnosticData = {
    rule: d.rule,
    start: d.range.start,
    end: d.range.end,
    version: doc.version,
    ...(d.data ? { data: d.data } : {}),
  };
  return {
    range: toLspRange(doc, d.range),
    severity: toLspSeverity(d.severity),
    code: d.rule,
    source: SOURCE,
    message: d.message,
    data,
  };
}

function severityFromLsp(severity: DiagnosticSeverity | undefined): Severity {
  switch (severity) {
    case DiagnosticSeverity.Error:
      return 'error';
    case DiagnosticSeverity.Information:
      return 'info';
    case DiagnosticSeverity.Hint:
      return 'hint';
    default:
      return 'warning';
  }
}

/**
 * Rebuilds an analysis diagnostic from one the client sends back in a code action request.
 * The range is taken from the client's (possibly moved) range; rule and data come from
 * `data`, falling back to `code` for clients that drop `data`.
 */
export function fromLspDiagnostic(doc: TextDocument, d: LspDiagnostic): Diagnostic | undefined {
  if (d.source !== undefined && d.source !== SOURCE) return undefined;
  const raw = (d.data ?? {}) as Partial<DiagnosticData>;
  const rule = typeof raw.rule === 'string' ? raw.rule : typeof d.code === 'string' ? d.code : undefined;
  if (!rule) return undefined;
  const result: Diagnostic = {
    rule,
    severity: severityFromLsp(d.severity),
    message: d.message,
    range: toOffsetRange(doc, d.range),
  };
  if (raw.data && typeof raw.data === 'object') result.data = raw.data;
  return result;
}

export function toLspTextEdit(doc: TextDocument, edit: TextEdit): LspTextEdit {
  return { range: toLspRange(doc, edit.range), newText: edit.newText };
}

export function toWorkspaceEdit(doc: TextDocument, edits: readonly TextEdit[]): WorkspaceEdit {
  return { changes: { [doc.uri]: edits.map((e) => toLspTextEdit(doc, e)) } };
}

export function toCodeAction(doc: TextDocument, fix: QuickFix, diagnostic: LspDiagnostic | undefined, kind: string = CodeActionKind.QuickFix): CodeAction {
  const action = CodeAction.create(fix.title, toWorkspaceEdit(doc, fix.edits), kind);
  if (diagnostic) action.diagnostics = [diagnostic];
  if (fix.isPreferred) action.isPreferred = true;
  return action;
}

/** Applies offset-based edits to a string (edits must not overlap). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.range.start - a.range.start || b.range.end - a.range.end);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.range.start) + e.newText + out.slice(e.range.end);
  return out;
}

function clamp(n: number, lo: number, hi: number): number {
  if (!Number.isFinite(n)) return lo;
  return Math.min(Math.max(n, lo), hi);
}
