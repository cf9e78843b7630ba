/**
 * The analysis entry points: `analyze()` runs every rule on a parsed flow and returns sorted
 * diagnostics; `quickFixes()` computes the fixes for one diagnostic. Both never throw: a rule
 * that throws is isolated and reported as an `internal/rule-error` diagnostic.
 */
import { isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import { SESSION_HANDLING_MODES, type FlowDocument, type SessionHandling } from '@sessionflow/sdk';
import { buildStepIndex, lineStart, originOf, rootNode, stepVisits, type StepVisit } from './helpers.js';
import { ruleByName, rules } from './registry.js';
import type { AnalysisOptions, Diagnostic, Finding, QuickFix, ReceiverInfo, Rule, RuleContext, Severity } from './types.js';

export const INTERNAL_RULE = 'internal/rule-error';
export const DISABLE_COMMENT = 'sessionflow-disable-next-line';

/** Builds what every rule reads: the effective mode and the receivers resolved against the catalog. */
export function buildContext(doc: FlowDocument, options: AnalysisOptions): RuleContext {
  const flow = doc.flow;
  let mode: SessionHandling | undefined = 'none';
  if (!doc.isLegacy) {
    const v = flow.runtime?.sessionHandling?.value;
    if (v !== undefined) mode = (SESSION_HANDLING_MODES as readonly unknown[]).includes(v) ? (v as SessionHandling) : undefined;
  }
  const receivers: ReceiverInfo[] = [];
  for (const receiver of flow.receivers ?? []) {
    if (!receiver) continue;
    const adapterId = receiver.adapter?.value;
    let definition;
    try {
      definition = typeof adapterId === 'string' ? options.adapters.get(adapterId)?.definition : undefined;
    } catch {
      definition = undefined;
    }
    const variantId = receiver.variant?.value;
    const variant = definition ? definition.variant(typeof variantId === 'string' ? variantId : undefined) : undefined;
    const optedOut = receiver.session?.value === 'none';
    const origin = originOf(receiver.address);
    receivers.push({
      receiver,
      ...(definition ? { definition } : {}),
      ...(variant ? { variant } : {}),
      sessionCapable: !!variant && variant.sessionReuse !== 'unsupported' && !optedOut,
      optedOut,
      ...(origin ? { origin: origin.origin, host: origin.host } : {}),
    });
  }
  const receiverByName = new Map<string, ReceiverInfo>();
  for (const r of receivers) if (!receiverByName.has(r.receiver.name)) receiverByName.set(r.receiver.name, r);
  const index = buildStepIndex(flow, receiverByName);
  let steps: StepVisit[] | undefined;
  return {
    doc,
    flow,
    adapters: options.adapters,
    mode,
    receivers,
    receiverByName,
    // Built on first use: the rules read `index`; quick fixes and tools may read this.
    get steps(): StepVisit[] {
      return (steps ??= stepVisits(index));
    },
    index,
  };
}

interface Suppression {
  /** 0-based line the comment silences. */
  line: number;
  /** Rule names; empty = every rule. */
  rules: Set<string>;
}

/**
 * Whether `offset` lies inside a scalar of the node tree (a key or a value: quoted, block or
 * plain text), i.e. a `#` there is text, not a comment. Descends only into collections whose
 * range holds the offset.
 */
function holds(n: unknown, offset: number): boolean {
  const r = (n as { range?: unknown } | null | undefined)?.range;
  return Array.isArray(r) && typeof r[0] === 'number' && typeof r[1] === 'number' && r[0] <= offset && offset < Math.max(r[1], r[0] + 1);
}

function insideScalar(root: unknown, offset: number): boolean {
  let node: unknown = root;
  for (let depth = 0; depth < 10_000 && node; depth++) {
    if (isScalar(node)) {
      const r = node.range;
      return !!r && r[0] <= offset && offset < r[1];
    }
    let next: unknown;
    if (isMap(node)) {
      for (const p of node.items) {
        if (!isPair(p)) continue;
        if (holds(p.key, offset)) next = p.key;
        else if (holds(p.value, offset)) next = p.value;
        if (next) break;
      }
    } else if (isSeq(node)) {
      next = node.items.find((item) => holds(item, offset));
    } else if (isAlias(node)) {
      return false;
    }
    node = next;
  }
  return false;
}

/**
 * The comments that hold a disable marker: `#` at the start of a line or after white space,
 * not inside a scalar. Only lines containing the marker are looked at, so a file without
 * one costs a single text search.
 */
function markerComments(doc: FlowDocument, text: string): { offset: number; source: string }[] {
  const out: { offset: number; source: string }[] = [];
  let root: unknown;
  try {
    root = rootNode(doc);
  } catch {
    root = undefined;
  }
  for (let at = text.indexOf(DISABLE_COMMENT); at >= 0; at = text.indexOf(DISABLE_COMMENT, at + DISABLE_COMMENT.length)) {
    let lineStart = text.lastIndexOf('\n', at) + 1;
    const cr = text.lastIndexOf('\r', at) + 1;
    if (cr > lineStart) lineStart = cr;
    // the comment may start anywhere before the marker on its line: find a `#` that starts one
    for (let h = text.indexOf('#', lineStart); h >= 0 && h < at; h = text.indexOf('#', h + 1)) {
      const before = h === lineStart ? ' ' : text[h - 1];
      if (before !== ' ' && before !== '\t') continue;
      if (insideScalar(root, h)) continue;
      let end = text.indexOf('\n', at);
      if (end < 0) end = text.length;
      const source = text.slice(h, end).replace(/\r$/, '');
      out.push({ offset: h, source });
      break;
    }
  }
  return out;
}

/** Start offsets of every line. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineAt(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * `# sessionflow-disable-next-line RULE[, RULE]` silences those rules (all rules when none is
 * named) on the next line that is not blank or comment-only, so several such comments can
 * be stacked. Text after ` -- ` is a free-form reason.
 */
function suppressions(doc: FlowDocument, text: string, starts: number[]): Suppression[] {
  const out: Suppression[] = [];
  if (!text.includes(DISABLE_COMMENT)) return out;
  for (const c of markerComments(doc, text)) {
    const m = /^#\s*sessionflow-disable-next-line\b(.*)$/.exec(c.source);
    if (!m) continue;
    const list = (m[1] ?? '').split(/\s--\s?/)[0] ?? '';
    const names = list.split(/[\s,]+/).filter((x) => x !== '');
    let line = lineAt(starts, c.offset) + 1;
    while (line < starts.length) {
      const s = starts[line] ?? text.length;
      const e = starts[line + 1] ?? text.length;
      const content = text.slice(s, e).trim();
      if (content !== '' && !content.startsWith('#')) break;
      line++;
    }
    out.push({ line, rules: new Set(names) });
  }
  return out;
}

function clampRange(range: { start: number; end: number } | undefined, length: number): { start: number; end: number } {
  const s = Number.isFinite(range?.start) ? Math.max(0, Math.min(range?.start ?? 0, length)) : 0;
  const e = Number.isFinite(range?.end) ? Math.max(s, Math.min(range?.end ?? s, length)) : s;
  return { start: s, end: e };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function runRule(rule: Rule, ctx: RuleContext): { findings: Finding[]; error?: unknown } {
  try {
    const findings = rule.check(ctx);
    return { findings: Array.isArray(findings) ? findings : [] };
  } catch (error) {
    return { findings: [], error };
  }
}

/** Runs every rule; diagnostics sorted by offset. Never throws. */
export function analyze(doc: FlowDocument, options: AnalysisOptions): Diagnostic[] {
  return analyzeWith(doc, options, rules);
}

/** `analyze` with an explicit rule list (tests, tools that run a subset). Never throws. */
export function analyzeWith(doc: FlowDocument, options: AnalysisOptions, ruleList: readonly Rule[]): Diagnostic[] {
  const text = typeof doc?.text === 'string' ? doc.text : '';
  const out: Diagnostic[] = [];
  let ctx: RuleContext;
  try {
    ctx = buildContext(doc, options);
  } catch (err) {
    return [{ rule: INTERNAL_RULE, severity: 'warning', message: `the analysis could not start on this file (${errorMessage(err)}); this is a bug in sessionflow, please report it`, range: { start: 0, end: 0 } }];
  }
  const severities = options.severities ?? {};
  for (const rule of ruleList) {
    const configured = severities[rule.name];
    if (configured === 'off') continue;
    const { findings, error } = runRule(rule, ctx);
    if (error !== undefined) {
      out.push({
        rule: INTERNAL_RULE,
        severity: 'warning',
        message: `rule ${rule.name} failed on this file (${errorMessage(error)}); its findings are missing. This is a bug in sessionflow, please report it`,
        range: { start: 0, end: 0 },
        data: { failedRule: rule.name },
      });
      continue;
    }
    for (const f of findings) {
      if (!f || typeof f.message !== 'string') continue;
      const severity: Severity = configured ?? f.severity ?? rule.defaultSeverity;
      out.push({ rule: rule.name, severity, message: f.message, range: clampRange(f.range, text.length), ...(f.data ? { data: f.data } : {}) });
    }
  }
  let result = out;
  try {
    // Without the marker there is nothing to suppress: skip the line table too.
    const starts = text.includes(DISABLE_COMMENT) ? lineStarts(text) : [];
    const sup = starts.length > 0 ? suppressions(doc, text, starts) : [];
    if (sup.length > 0) {
      result = out.filter((d) => {
        const line = lineAt(starts, d.range.start);
        return !sup.some((s) => s.line === line && (s.rules.size === 0 || s.rules.has(d.rule)));
      });
    }
  } catch {
    // Suppression is best effort; never lose the diagnostics because of it.
  }
  return result.sort((a, b) => a.range.start - b.range.start || a.range.end - b.range.end || a.rule.localeCompare(b.rule));
}

/** The quick fixes for one diagnostic (from `analyze` on the same text). Never throws. */
export function quickFixes(doc: FlowDocument, diagnostic: Diagnostic, options: AnalysisOptions): QuickFix[] {
  const out: QuickFix[] = [];
  const rule = ruleByName(diagnostic.rule);
  const text = typeof doc?.text === 'string' ? doc.text : '';
  if (rule?.fixes) {
    try {
      const ctx = buildContext(doc, options);
      for (const fix of rule.fixes(doc, diagnostic, ctx)) {
        if (!fix || !Array.isArray(fix.edits) || fix.edits.length === 0) continue;
        out.push({ ...fix, edits: fix.edits.map((e) => ({ range: clampRange(e.range, text.length), newText: e.newText })) });
      }
    } catch {
      // A failing fix offers nothing rather than breaking the editor.
    }
  }
  if (rule && rule.name !== 'flow/yaml-syntax') {
    const at = lineStart(text, clampRange(diagnostic.range, text.length).start);
    const indent = /^[ \t]*/.exec(text.slice(at))?.[0] ?? '';
    out.push({ title: `Disable ${rule.name} for this line`, edits: [{ range: { start: at, end: at }, newText: `${indent}# ${DISABLE_COMMENT} ${rule.name}\n` }] });
  }
  return out;
}
