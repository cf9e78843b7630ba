import { Inline, insertEntries } from '../helpers.js';
import type { Finding, Rule } from '../types.js';
import { virtualHostName } from './session-virtual-host-without-dot.js';

export const rule: Rule = {
  name: 'session/cookie-domain-mapping',
  defaultSeverity: 'hint',
  docs: {
    summary: 'The on-premise virtual host differs from the backend host and no cookie domain mapping is set.',
    why: 'A backend that sets cookies for its internal domain (`Domain=erp.corp.local`) gets them back only if the client maps that domain to the virtual host; otherwise the session cookie is dropped and every call re-authenticates.',
    example: 'receivers:\n  erp:\n    adapter: http\n    address: https://erp.corp.local/api\n    proxy: { type: onPremise, virtualHost: erp-virtual.example:443 }',
    fix: 'Add a `cookieDomains` entry mapping the backend domain to the virtual one (quick fix).',
  },
  check(ctx) {
    if (!ctx.mode || ctx.mode === 'none') return [];
    const out: Finding[] = [];
    for (const { receiver, sessionCapable, host } of ctx.receivers) {
      const p = receiver.proxy;
      if (!sessionCapable || !host || p?.type?.value !== 'onPremise' || !p.virtualHost || typeof p.virtualHost.value !== 'string') continue;
      const virtual = virtualHostName(p.virtualHost.value);
      if (!virtual || virtual === host) continue;
      const domains = p.cookieDomains?.value;
      if (domains && typeof domains === 'object' && Object.keys(domains).length > 0) continue;
      out.push({
        range: p.virtualHost.range,
        message: `receiver "${receiver.name}": virtual host "${virtual}" differs from the backend host "${host}" and no cookieDomains are mapped, so cookies the backend sets for its own domain are not sent back and the session is lost`,
        data: { receiver: receiver.name, backend: host, virtual, hasCookieDomains: p.cookieDomains !== undefined },
      });
    }
    return out;
  },
  fixes(doc, d) {
    const { receiver, backend, virtual } = d.data ?? {};
    if (typeof receiver !== 'string' || typeof backend !== 'string' || typeof virtual !== 'string') return [];
    const e =
      d.data?.hasCookieDomains === true
        ? insertEntries(doc, ['receivers', receiver, 'proxy', 'cookieDomains'], [[backend, virtual]])
        : insertEntries(doc, ['receivers', receiver, 'proxy'], [['cookieDomains', new Inline({ [backend]: virtual })]]);
    return e ? [{ title: `Map cookie domain ${backend} to ${virtual}`, edits: [e], isPreferred: true }] : [];
  },
};
