import { closest, replacementText } from '../helpers.js';
import type { QuickFix, Rule } from '../types.js';

/** Unquoted text of a range (the current value a replacement competes with). */
function currentText(text: string, start: number, end: number): string {
  const raw = text.slice(start, end).trim();
  return raw.replace(/^(["'])(.*)\1$/s, '$2');
}

export const rule: Rule = {
  name: 'flow/schema',
  defaultSeverity: 'error',
  docs: {
    summary: 'The file violates the flow schema.',
    why: 'An unknown field, a wrong type, a missing required field or a value outside an enum means the runner cannot execute the flow as written: it would refuse the file or silently ignore the setting.',
    example: 'runtime:\n  sessionHandling: onExchnage   # not one of none, onExchange, onIntegrationFlow',
    fix: 'Use the field names and values the message lists; the quick fix replaces a misspelt value or field name with the closest allowed one.',
  },
  check(ctx) {
    return (ctx.doc.problems ?? [])
      .filter((p) => p.code === 'flow/schema')
      .map((p) => ({ range: p.range, message: p.message, data: { ...(p.data ?? {}), ...(p.path ? { path: p.path } : {}) } }));
  },
  fixes(doc, d) {
    if (d.range.end <= d.range.start) return [];
    const data = d.data ?? {};
    const scalar = (x: unknown): x is string | number | boolean => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';
    const allowed = Array.isArray(data.allowed) ? data.allowed.filter(scalar) : [];
    const current = currentText(doc.text, d.range.start, d.range.end);
    const suggestion = scalar(data.suggestion) ? data.suggestion : closest(current, allowed.map(String));
    const make = (value: string | number | boolean, isPreferred: boolean): QuickFix => ({
      title: `Replace with ${JSON.stringify(value)}`,
      edits: [{ range: d.range, newText: replacementText(doc, d.range, value) }],
      ...(isPreferred ? { isPreferred } : {}),
    });
    if (suggestion !== undefined && String(suggestion) !== current) {
      // Keep the allowed value's own type (a number stays a number).
      return [make(allowed.find((a) => String(a) === String(suggestion)) ?? suggestion, true)];
    }
    if (allowed.length > 0 && allowed.length <= 6) return allowed.filter((a) => String(a) !== current).map((a) => make(a, false));
    return [];
  },
};
