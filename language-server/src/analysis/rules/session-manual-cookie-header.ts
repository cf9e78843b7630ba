import { removeEntry } from '../helpers.js';
import type { Finding, Rule } from '../types.js';

export const rule: Rule = {
  name: 'session/manual-cookie-header',
  defaultSeverity: 'warning',
  docs: {
    summary: 'A step sets a `Cookie` header by hand while session handling is on.',
    why: 'The session\'s cookie jar sends the session cookies itself; a hand-written Cookie header replaces or duplicates them, so the backend sees a stale or foreign session.',
    example: 'runtime:\n  sessionHandling: onExchange\nsteps:\n  - call: erp\n    headers: { Cookie: "JSESSIONID=${property.sid}" }',
    fix: 'Remove the header (quick fix) and let the session handle cookies.',
  },
  check(ctx) {
    if (!ctx.mode || ctx.mode === 'none') return [];
    const anyCapable = ctx.receivers.some((r) => r.sessionCapable);
    const out: Finding[] = [];
    for (const { kind, info, headers } of ctx.index.nodes) {
      let target = '';
      if (kind === 'call' || kind === 'send') {
        if (!info?.sessionCapable) continue;
        target = ` to receiver "${info.receiver.name}"`;
      } else if (kind === 'set') {
        if (!anyCapable) continue;
      } else {
        continue;
      }
      for (const h of headers ?? []) {
        // the length test first: it spares lower-casing every other header name
        if (typeof h.name !== 'string' || h.name.length !== 6 || h.name.toLowerCase() !== 'cookie') continue;
        out.push({
          range: h.keyRange,
          message: `this step sets a Cookie header by hand${target} while sessionHandling is ${ctx.mode}: it fights the session's cookie jar, so the backend may see a stale or foreign session`,
          data: { mapPath: h.value.path.slice(0, -1), name: h.name },
        });
      }
    }
    return out;
  },
  fixes(doc, d) {
    const { mapPath, name } = d.data ?? {};
    if (!Array.isArray(mapPath) || typeof name !== 'string') return [];
    const e = removeEntry(doc, mapPath as (string | number)[], name);
    return e ? [{ title: `Remove the ${name} header`, edits: [e], isPreferred: true }] : [];
  },
};
