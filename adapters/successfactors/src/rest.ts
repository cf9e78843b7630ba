/** The REST variant: one HTTP call per step with an OAuth2 bearer token (from context.http), no session. */
import { AdapterError, displayUrl, headerValue, outboundHeaders, receiverAddressUrl, resolveStepUrl } from '@sessionflow/sdk';
import type { AdapterContext, AdapterResult, OutboundMessage } from '@sessionflow/sdk';
import { parseODataError } from '@sessionflow/adapter-odata';

export async function sendRest(message: OutboundMessage, context: AdapterContext): Promise<AdapterResult> {
  const { receiver, step } = context;
  const who = `receiver "${receiver.name}" (successfactors rest)`;
  // The step path is relative to the address (a leading "/" too): the address is the API root.
  const base = receiverAddressUrl(receiver.address, { receiver: receiver.name });
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const url = resolveStepUrl(base.href, step.path?.replace(/^\/+/, ''), step.query, { receiver: receiver.name });
  const method = (step.method ?? 'GET').toUpperCase();
  const withBody = !['GET', 'HEAD', 'DELETE'].includes(method);
  const headers: Record<string, string> = { Accept: 'application/json', ...outboundHeaders(step.headers).headers };
  if (withBody && headerValue(headers, 'content-type') === undefined) headers['Content-Type'] = message.contentType ?? 'application/json';
  const res = await context.http.request({ method, url: url.href, headers, ...(withBody ? { body: message.body } : {}), signal: context.signal });
  if (res.status < 200 || res.status > 299) {
    const info = parseODataError(res.body);
    throw new AdapterError('SF_HTTP_STATUS', `${who} answered ${res.status}${info?.code ? ` ${info.code}` : ''}${info?.message ? `: ${info.message}` : ''} for ${method} ${displayUrl(url)}`, {
      status: res.status,
      ...(info?.code ? { code: info.code } : {}),
      method,
      url: displayUrl(url),
      body: res.body,
    });
  }
  const contentType = res.headers['content-type'];
  return { status: res.status, headers: res.headers, body: res.body, ...(contentType !== undefined ? { contentType } : {}) };
}
