import { authType, removeEntry } from '../helpers.js';
import type { Finding, Rule } from '../types.js';

export const rule: Rule = {
  name: 'security/principal-propagation-auth-header',
  defaultSeverity: 'error',
  docs: {
    summary: 'A step sets an `Authorization` header for a principal-propagation receiver.',
    why: 'Principal propagation forwards the message\'s user through the connector; a hand-set Authorization header overrides it, so the call runs as whoever the header names instead of the propagated user.',
    example: 'receivers:\n  erp: { adapter: http, address: https://erp.internal, auth: { type: principal-propagation }, proxy: { type: onPremise, virtualHost: erp.internal:443 } }\nsteps:\n  - call: erp\n    headers: { Authorization: "${header.auth}" }',
    fix: 'Remove the header (quick fix).',
  },
  check(ctx) {
    const out: Finding[] = [];
    if (!ctx.receivers.some((r) => authType(r.receiver) === 'principal-propagation')) return out;
    for (const { info, headers } of ctx.index.calls) {
      if (!info || authType(info.receiver) !== 'principal-propagation') continue;
      for (const h of headers ?? []) {
        if (typeof h.name !== 'string' || h.name.length !== 13 || h.name.toLowerCase() !== 'authorization') continue;
        out.push({
          range: h.keyRange,
          message: `receiver "${info.receiver.name}" uses principal propagation, but this step sets an Authorization header: it overrides the propagated user, so the call runs as someone else`,
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
