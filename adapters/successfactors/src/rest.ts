/** The REST variant: one HTTP call per step with an OAuth2 bearer token (from context.http), no session. */
import { AdapterError } from '@sessionflow/sdk';
import type { AdapterContext, AdapterResult, OutboundMessage } from '@sessionflow/sdk';
import { parseODataError, safeUrl } from '@sessionflow/adapter-odata';

const NEVER_SENT = new Set(['authorization', 'proxy-authorization', 'cookie', 'host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'te', 'upgrade']);

export async function sendRest(message: OutboundMessage, context: AdapterContext): Promise<AdapterResult> {
  const { receiver, step } = context;
  const who = `receiver "${receiver.name}" (successfactors rest)`;
  let base: URL;
  try {
    base = new URL(receiver.address);
  } catch {
    throw new AdapterError('SF_HTTP_INVALID_URL', `${who} has an invalid address: not an absolute http(s) URL`);
  }
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  let url = base;
  if (step.path !== undefined && step.path !== '') {
    url = new URL(step.path.replace(/^\/+/, ''), base);
    if (url.origin !== base.origin) throw new AdapterError('SF_HTTP_INVALID_URL', `${who}: the step path leads outside the receiver's origin`);
  }
  for (const [k, v] of Object.entries(step.query)) url.searchParams.append(k, v);
  const method = (step.method ?? 'GET').toUpperCase();
  const withBody = !['GET', 'HEAD', 'DELETE'].includes(method);
  const headers: Record<string, string> = { Accept: 'application/json' };
  for (const [k, v] of Object.entries(step.headers)) if (!NEVER_SENT.has(k.toLowerCase())) headers[k] = v;
  if (withBody && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = message.contentType ?? 'application/json';
  const res = await context.http.request({ method, url: url.href, headers, ...(withBody ? { body: message.body } : {}), signal: context.signal });
  if (res.status < 200 || res.status > 299) {
    const info = parseODataError(res.body);
    throw new AdapterError('SF_HTTP_STATUS', `${who} answered ${res.status}${info?.code ? ` ${info.code}` : ''}${info?.message ? `: ${info.message}` : ''} for ${method} ${safeUrl(url)}`, {
      status: res.status,
      ...(info?.code ? { code: info.code } : {}),
      method,
      url: safeUrl(url),
      body: res.body,
    });
  }
  const contentType = res.headers['content-type'];
  return { status: res.status, headers: res.headers, body: res.body, ...(contentType !== undefined ? { contentType } : {}) };
}
