import type { Finding, Rule } from '../types.js';

export const rule: Rule = {
  name: 'flow/unsupported-auth',
  defaultSeverity: 'error',
  docs: {
    summary: 'The auth type is not supported by the adapter variant, or not with that proxy type.',
    why: 'Adapters declare which authentication they can perform and through which connection: a client certificate cannot pass an on-premise connector, principal propagation needs one, OAuth2 client credentials need the internet. Such a receiver fails on its first call.',
    example: 'receivers:\n  hr:\n    adapter: successfactors\n    variant: rest\n    auth: { type: basic, credential: hr-user }   # rest supports oauth2-client-credentials only',
    fix: 'Choose an auth type the message lists for this variant and proxy type, or change the proxy/variant.',
  },
  check(ctx) {
    const out: Finding[] = [];
    for (const { receiver, definition, variant } of ctx.receivers) {
      const t = receiver.auth?.type;
      if (!definition || !variant || !t || typeof t.value !== 'string') continue;
      const label = `adapter "${definition.id}"${definition.variants.length > 1 ? ` variant "${variant.id}"` : ''}`;
      const supported = variant.auth.map((a) => a.type);
      const support = variant.auth.find((a) => a.type === t.value);
      if (!support) {
        out.push({
          range: t.range,
          message: `receiver "${receiver.name}": auth type "${t.value}" is not supported by ${label}, so every call to it would fail to authenticate; supported: ${supported.join(', ') || '(none)'}`,
          data: { authType: t.value, supported },
        });
        continue;
      }
      const proxyValue = receiver.proxy?.type?.value;
      const proxy = typeof proxyValue === 'string' ? proxyValue : 'internet';
      if (support.proxies && support.proxies.length > 0 && !(support.proxies as string[]).includes(proxy)) {
        const how = proxy === 'onPremise' ? 'through an on-premise connector' : 'over the internet';
        out.push({
          range: t.range,
          message: `receiver "${receiver.name}": ${label} supports auth type "${t.value}" only with proxy type ${support.proxies.join(' or ')}, not ${how}${support.note ? ` (${support.note})` : ''}; the call would fail to authenticate`,
          data: { authType: t.value, proxy, proxies: support.proxies },
        });
      }
    }
    return out;
  },
};
