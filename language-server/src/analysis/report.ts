/**
 * Output formats for diagnostics of several files: text (`file:line:col severity rule message`),
 * JSON and SARIF 2.1.0 (as GitHub code scanning accepts it). Pure: the caller reads files and
 * passes the path to show (relative to the working directory, `/` separators).
 */
import { rules } from './registry.js';
import type { Diagnostic, Rule, Severity } from './types.js';
import { INTERNAL_RULE } from './analyze.js';

export interface FileReport {
  /** Path to show and to put into SARIF `artifactLocation.uri` (relative, `/` separators). */
  path: string;
  /** Zero-based line/character (UTF-16) of an offset, e.g. `FlowDocument.positionAt`. */
  positionAt(offset: number): { line: number; character: number };
  diagnostics: Diagnostic[];
}

export interface ToolInfo {
  name?: string;
  version?: string;
  informationUri?: string;
}

interface Located {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  d: Diagnostic;
}

function locate(reports: readonly FileReport[]): Located[] {
  const out: Located[] = [];
  for (const r of reports) {
    for (const d of r.diagnostics) {
      const s = r.positionAt(d.range.start);
      const e = r.positionAt(d.range.end);
      out.push({ file: r.path, line: s.line + 1, column: s.character + 1, endLine: e.line + 1, endColumn: e.character + 1, d });
    }
  }
  return out;
}

/** One line per diagnostic: `file:line:col severity rule message` (1-based line and column). */
export function formatText(reports: readonly FileReport[]): string {
  return locate(reports)
    .map((l) => `${l.file}:${l.line}:${l.column} ${l.d.severity} ${l.d.rule} ${l.d.message.replace(/\s*\n\s*/g, ' ')}`)
    .join('\n');
}

/** A JSON array of diagnostics with 1-based positions and the raw offsets. */
export function formatJson(reports: readonly FileReport[]): string {
  const items = locate(reports).map((l) => ({
    file: l.file,
    line: l.line,
    column: l.column,
    endLine: l.endLine,
    endColumn: l.endColumn,
    severity: l.d.severity,
    rule: l.d.rule,
    message: l.d.message,
    range: l.d.range,
  }));
  return JSON.stringify(items, null, 2);
}

export function sarifLevel(severity: Severity): 'error' | 'warning' | 'note' {
  return severity === 'error' ? 'error' : severity === 'warning' ? 'warning' : 'note';
}

function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((x) => x !== '')
    .map((x) => x[0]?.toUpperCase() + x.slice(1))
    .join('');
}

function ruleHelpMarkdown(rule: Rule): string {
  return [
    `**${rule.name}** (default: ${rule.defaultSeverity})`,
    '',
    rule.docs.summary,
    '',
    `**Why it matters:** ${rule.docs.why}`,
    '',
    '**Example**',
    '',
    '```yaml',
    rule.docs.example,
    '```',
    '',
    `**Fix:** ${rule.docs.fix}`,
  ].join('\n');
}

function sarifRule(rule: Rule, severities: Record<string, Severity | 'off'>): Record<string, unknown> {
  const configured = severities[rule.name];
  const level = configured === 'off' ? 'none' : sarifLevel(configured ?? rule.defaultSeverity);
  return {
    id: rule.name,
    name: pascal(rule.name),
    shortDescription: { text: rule.docs.summary },
    fullDescription: { text: `${rule.docs.summary} ${rule.docs.why}` },
    help: {
      text: `${rule.docs.summary}\nWhy it matters: ${rule.docs.why}\nExample:\n${rule.docs.example}\nFix: ${rule.docs.fix}`,
      markdown: ruleHelpMarkdown(rule),
    },
    defaultConfiguration: { level, enabled: configured !== 'off' },
    properties: { tags: [rule.name.split('/')[0] ?? 'sessionflow'], precision: 'high' },
  };
}

const INTERNAL_SARIF_RULE = {
  id: INTERNAL_RULE,
  name: 'InternalRuleError',
  shortDescription: { text: 'A rule failed while analysing the file.' },
  fullDescription: { text: 'A rule threw an exception; its findings for this file are missing. This is a bug in sessionflow.' },
  help: { text: 'Report the file and the message to the sessionflow maintainers.', markdown: 'Report the file and the message to the sessionflow maintainers.' },
  defaultConfiguration: { level: 'warning' },
};

/** A SARIF 2.1.0 log with one run. */
export function formatSarif(reports: readonly FileReport[], options: { tool?: ToolInfo; severities?: Record<string, Severity | 'off'> } = {}): string {
  const severities = options.severities ?? {};
  const driverRules: Record<string, unknown>[] = rules.map((r) => sarifRule(r, severities));
  const index = new Map(rules.map((r, i) => [r.name, i]));
  const located = locate(reports);
  if (located.some((l) => !index.has(l.d.rule))) {
    index.set(INTERNAL_RULE, driverRules.length);
    driverRules.push(INTERNAL_SARIF_RULE);
  }
  const results = located.map((l) => {
    const ruleIndex = index.get(l.d.rule) ?? index.get(INTERNAL_RULE) ?? 0;
    return {
      ruleId: index.has(l.d.rule) ? l.d.rule : INTERNAL_RULE,
      ruleIndex,
      level: sarifLevel(l.d.severity),
      message: { text: l.d.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: encodeURI(l.file), uriBaseId: '%SRCROOT%' },
            region: { startLine: l.line, startColumn: l.column, endLine: l.endLine, endColumn: l.endColumn },
          },
        },
      ],
    };
  });
  const tool = options.tool ?? {};
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: tool.name ?? 'sessionflow',
            ...(tool.version ? { version: tool.version, semanticVersion: tool.version } : {}),
            informationUri: tool.informationUri ?? 'https://github.com/sessionflow/sessionflow',
            rules: driverRules,
          },
        },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2);
}
