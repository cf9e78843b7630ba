import { authType, isLoopbackHost, originOf } from '../helpers.js';
import type { Finding, Rule } from '../types.js';

export const rule: Rule = {
  name: 'security/cleartext-basic-auth',
  defaultSeverity: 'warning',
  docs: {
    summary: 'Basic auth over plain `http://` to a host that is not loopback.',
    why: 'Basic auth sends user and password in every authenticating request, only base64-encoded: over plain HTTP anyone on the network path can read them (an on-premise connector tunnel is encrypted and exempt).',
    example: 'receivers:\n  erp:\n    adapter: http\n    address: http://erp.example.com/api\n    auth: { type: basic, credential: erp-user }',
    fix: 'Use `https://` (quick fix).',
  },
  check(ctx) {
    const out: Finding[] = [];
    for (const { receiver } of ctx.receivers) {
      if (authType(receiver) !== 'basic' || receiver.proxy?.type?.value === 'onPremise' || !receiver.address) continue;
      const o = originOf(receiver.address);
      if (!o || o.scheme !== 'http' || isLoopbackHost(o.host)) continue;
      out.push({
        range: receiver.address.range,
        message: `receiver "${receiver.name}" sends basic auth over plain http:// to ${o.host}: the user and password travel unencrypted and anyone on the network path can read them; use https://`,
        data: { receiver: receiver.name },
      });
    }
    return out;
  },
  fixes(doc, d) {
    const q = doc.text[d.range.start];
    const at = d.range.start + (q === '"' || q === "'" ? 1 : 0);
    if (doc.text.slice(at, at + 7).toLowerCase() !== 'http://') return [];
    return [{ title: 'Use https://', edits: [{ range: { start: at, end: at + 4 }, newText: 'https' }], isPreferred: true }];
  },
};
