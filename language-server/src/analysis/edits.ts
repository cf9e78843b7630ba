/**
 * Edits shared by several rules' quick fixes: migrating a legacy flow to format 2 and setting
 * the session mode. All edits are minimal text insertions/replacements at node offsets; the
 * document is never re-stringified, so comments and formatting survive.
 */
import type { FlowDocument, SessionHandling } from '@sessionflow/sdk';
import { insertEntries, replaceValue, yamlNodeAt } from './helpers.js';
import type { QuickFix, RuleContext, TextEdit } from './types.js';

/** Top-level keys after which a new `runtime` block goes (the last one present wins). */
const RUNTIME_AFTER = ['flow', 'formatVersion', 'description'];

/**
 * Edits that turn a legacy flow into format 2: `formatVersion: 2` (replacing 1, or inserted
 * after `flow`) and `runtime.sessionHandling` (inserted into an existing `runtime` map, or a
 * new `runtime` block). An existing `runtime.sessionHandling` is kept unless `force` is set.
 */
export function migrationEdits(doc: FlowDocument, mode: SessionHandling = 'none', force = false): TextEdit[] {
  const edits: TextEdit[] = [];
  const hasVersion = yamlNodeAt(doc, ['formatVersion']) !== undefined;
  const runtimeNode = yamlNodeAt(doc, ['runtime']);
  const hasMode = yamlNodeAt(doc, ['runtime', 'sessionHandling']) !== undefined;
  if (hasVersion) {
    const e = replaceValue(doc, ['formatVersion'], 2);
    if (e) edits.push(e);
  }
  if (hasMode) {
    if (force) {
      const e = replaceValue(doc, ['runtime', 'sessionHandling'], mode);
      if (e) edits.push(e);
    }
  } else if (runtimeNode !== undefined) {
    const e = insertEntries(doc, ['runtime'], [['sessionHandling', mode]], { first: true });
    if (e) edits.push(e);
  }
  if (!hasVersion) {
    const entries: [string, number | { sessionHandling: string }][] = [['formatVersion', 2]];
    if (runtimeNode === undefined) entries.push(['runtime', { sessionHandling: mode }]);
    const e = insertEntries(doc, [], entries, { after: ['flow'] });
    if (e) edits.push(e);
  } else if (runtimeNode === undefined) {
    const e = insertEntries(doc, [], [['runtime', { sessionHandling: mode }]], { after: RUNTIME_AFTER });
    if (e) edits.push(e);
  }
  return edits;
}

/** Edits that set `runtime.sessionHandling` to `mode` (migrating a legacy flow on the way). */
export function setModeEdits(doc: FlowDocument, mode: SessionHandling): TextEdit[] {
  if (doc.isLegacy) return migrationEdits(doc, mode, true);
  if (yamlNodeAt(doc, ['runtime', 'sessionHandling']) !== undefined) {
    const e = replaceValue(doc, ['runtime', 'sessionHandling'], mode);
    return e ? [e] : [];
  }
  const e = insertEntries(doc, ['runtime'], [['sessionHandling', mode]], { first: true }, { after: RUNTIME_AFTER });
  return e ? [e] : [];
}

/** A quick fix that sets the session mode, or none when the edit cannot be computed. */
export function setModeFix(ctx: RuleContext, mode: SessionHandling, isPreferred = true): QuickFix[] {
  const edits = setModeEdits(ctx.doc, mode);
  if (edits.length === 0) return [];
  const suffix = ctx.doc.isLegacy ? ' (migrates the flow to format 2)' : '';
  return [{ title: `Set runtime.sessionHandling to ${mode}${suffix}`, edits, isPreferred }];
}
