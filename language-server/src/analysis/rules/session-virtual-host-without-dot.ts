import type { Finding, Rule } from '../types.js';

/** Host name of `HOST[:PORT]` (undefined for bracketed IPv6 literals). */
export function virtualHostName(value: string): string | undefined {
  const v = value.trim();
  if (v.startsWith('[')) return undefined;
  const host = v.replace(/:\d*$/, '');
  return host === '' ? undefined : host.toLowerCase();
}

export const rule: Rule = {
  name: 'session/virtual-host-without-dot',
  defaultSeverity: 'warning',
  docs: {
    summary: 'An on-premise virtual host without a dot.',
    why: 'Cookie stores that follow the old Netscape domain rules drop cookies for host names without a dot, so the session cookie never comes back and every call re-authenticates.',
    example: 'receivers:\n  erp:\n    adapter: http\n    address: http://erp:8000/api\n    proxy: { type: onPremise, virtualHost: erp:8000 }',
    fix: 'Use a virtual host with a dot in the connector and the receiver (e.g. `erp.internal:8000`).',
  },
  check(ctx) {
    if (!ctx.mode || ctx.mode === 'none') return [];
    const out: Finding[] = [];
    for (const { receiver, sessionCapable } of ctx.receivers) {
      const p = receiver.proxy;
      if (!sessionCapable || p?.type?.value !== 'onPremise' || !p.virtualHost || typeof p.virtualHost.value !== 'string') continue;
      const host = virtualHostName(p.virtualHost.value);
      if (!host || host.includes('.')) continue;
      out.push({
        range: p.virtualHost.range,
        message: `receiver "${receiver.name}": virtual host "${host}" has no dot; cookie stores that follow the old Netscape domain rules drop its session cookies, so every call re-authenticates. Use a name such as "${host}.internal"`,
      });
    }
    return out;
  },
};
