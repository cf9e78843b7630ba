import { migrationEdits } from '../edits.js';
import type { Rule } from '../types.js';

export const rule: Rule = {
  name: 'flow/legacy-format',
  defaultSeverity: 'warning',
  docs: {
    summary: 'The flow uses format version 1 (or has no formatVersion).',
    why: 'Format 1 predates session handling: such a flow always runs with sessionHandling none, so every call authenticates again and CSRF tokens or server state are not kept between calls.',
    example: 'flow: orders\n# no formatVersion: a legacy flow\nsteps:\n  - call: erp',
    fix: 'Migrate to format 2: the quick fix (or `sessionflow migrate FILE`) adds `formatVersion: 2` and `runtime.sessionHandling: none`, which keeps today\'s behaviour and keeps comments; then choose a session mode.',
  },
  check(ctx) {
    if (!ctx.doc.isLegacy) return [];
    const fv = ctx.flow.formatVersion;
    const range = fv?.range ?? ctx.flow.id?.keyRange ?? { start: ctx.flow.range?.start ?? 0, end: ctx.flow.range?.start ?? 0 };
    const what = fv ? `formatVersion is ${JSON.stringify(fv.value)}` : 'the flow has no formatVersion';
    return [
      {
        range,
        message: `${what}, so this is a legacy (format 1) flow: it predates session handling and runs with sessionHandling none, so every call authenticates again. Migrate it to formatVersion 2 to choose a session mode.`,
      },
    ];
  },
  fixes(doc) {
    const edits = migrationEdits(doc, 'none');
    return edits.length > 0 ? [{ title: 'Migrate to format 2 (formatVersion: 2, runtime.sessionHandling: none)', edits, isPreferred: true }] : [];
  },
};
