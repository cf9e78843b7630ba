/**
 * The built-in HTTP receiver adapter. Written only against `@sessionflow/sdk`'s public API,
 * exactly as a third-party adapter would be: sessions, credentials and CSRF tokens are the
 * business of `context.http`; this module only shapes the request and reads the answer.
 */
import { configWithDefaults, defineAdapter, displayUrl, headerValue, outboundHeaders, resolveStepUrl, statusError } from '@sessionflow/sdk';
import type { AdapterContext, AdapterDefinition, AdapterResult, HttpRequest, OutboundMessage } from '@sessionflow/sdk';

export type SendBodyMode = 'auto' | 'always' | 'never';

/** The receiver `config` of the http adapter (after defaults). */
export interface HttpAdapterConfig {
  forwardHeaders: string[];
  sendBody: SendBodyMode;
  throwOnHttpError: boolean;
  contentType?: string;
}

/** Methods that carry no body when `sendBody` is `auto`. */
const BODYLESS_METHODS = new Set(['GET', 'HEAD', 'DELETE']);

const HEADER_NAME = '^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$';

export const configSchema = {
  type: 'object',
  title: 'HTTP receiver settings',
  additionalProperties: false,
  properties: {
    forwardHeaders: {
      title: 'Forward message headers',
      description:
        'Message headers sent along with the request: header names (case-insensitive) or "*" for all. ' +
        'Authorization, Cookie, X-CSRF-Token and connection headers are never forwarded. Headers set on the step win.',
      type: 'array',
      items: {
        anyOf: [
          { const: '*', description: 'All message headers' },
          { type: 'string', pattern: HEADER_NAME, description: 'A header name' },
        ],
      },
      uniqueItems: true,
      default: [],
      examples: [['SapAuthenticatedUserName', 'X-Correlation-Id'], ['*']],
    },
    sendBody: {
      title: 'Send message body',
      description: 'When the message body is sent as the request body.',
      type: 'string',
      enum: ['auto', 'always', 'never'],
      enumDescriptions: [
        'Send the body, except for GET, HEAD and DELETE requests',
        'Always send the body, whatever the method',
        'Never send a body',
      ],
      default: 'auto',
    },
    throwOnHttpError: {
      title: 'Fail on HTTP error status',
      description:
        'When true, an answer outside 200-299 fails the step with error SF_HTTP_STATUS. ' +
        'When false, the status, headers and body are returned for the flow to handle.',
      type: 'boolean',
      default: true,
    },
    contentType: {
      title: 'Content-Type',
      description:
        'Content-Type of the request body, overriding the message\'s content type. A Content-Type header set on the step wins.',
      type: 'string',
      minLength: 1,
      examples: ['application/json', 'application/xml; charset=utf-8', 'text/plain'],
    },
  },
} as const;

/**
 * Settings read per receiver config object: the runner hands the same (already defaulted)
 * object to every call of a receiver, so defaults and checks are applied once. The cached
 * settings are frozen; a config object changed after its first call keeps its first reading.
 */
const configCache = new WeakMap<Record<string, unknown>, Readonly<HttpAdapterConfig>>();

function cachedConfig(raw: Record<string, unknown>): Readonly<HttpAdapterConfig> {
  let config = configCache.get(raw);
  if (config === undefined) {
    const read = readConfig(raw);
    Object.freeze(read.forwardHeaders);
    config = Object.freeze(read);
    configCache.set(raw, config);
  }
  return config;
}

function readConfig(raw: Record<string, unknown>): HttpAdapterConfig {
  const c = configWithDefaults(adapter, raw);
  const forward = Array.isArray(c.forwardHeaders) ? c.forwardHeaders.filter((h): h is string => typeof h === 'string') : [];
  const sendBody = c.sendBody === 'always' || c.sendBody === 'never' ? c.sendBody : 'auto';
  return {
    forwardHeaders: forward,
    sendBody,
    throwOnHttpError: c.throwOnHttpError !== false,
    ...(typeof c.contentType === 'string' && c.contentType !== '' ? { contentType: c.contentType } : {}),
  };
}

/** The request URL: the step path resolved like a link against the address, then the step query appended. */
export function requestUrl(receiverName: string, address: string, path: string | undefined, query: Record<string, string>): URL {
  return resolveStepUrl(address, path, query, { receiver: receiverName });
}

/**
 * Request URLs (`href`) of calls without a step query, by address and path: most calls of a
 * run go to a few such URLs, and resolving them is pure. Only URLs that resolved are kept
 * (an invalid one throws every time, with the receiver's name).
 */
const hrefCache = new Map<string, Map<string, string>>();
const HREF_CACHE_MAX = 256;

function hasKeys(record: Readonly<Record<string, string>>): boolean {
  for (const key in record) if (Object.prototype.hasOwnProperty.call(record, key)) return true;
  return false;
}

/** `requestUrl(...).href`, remembered for calls without a query. */
function requestHref(receiverName: string, address: string, path: string | undefined, query: Record<string, string>): string {
  if (hasKeys(query)) return requestUrl(receiverName, address, path, query).href;
  const key = path ?? '';
  let byPath = hrefCache.get(address);
  const hit = byPath?.get(key);
  if (hit !== undefined) return hit;
  const href = requestUrl(receiverName, address, path, query).href;
  if (byPath === undefined) {
    if (hrefCache.size >= HREF_CACHE_MAX) hrefCache.clear();
    byPath = new Map();
    hrefCache.set(address, byPath);
  } else if (byPath.size >= HREF_CACHE_MAX) {
    byPath.clear();
  }
  byPath.set(key, href);
  return href;
}

/** Builds the request headers: forwarded message headers, then step headers (which win), then Content-Type. */
export function requestHeaders(
  message: OutboundMessage,
  stepHeaders: Record<string, string>,
  config: HttpAdapterConfig,
  withBody: boolean,
): { headers: Record<string, string>; dropped: string[] } {
  // Nothing to forward and no step headers: what outboundHeaders() would return, without its work.
  const { headers, dropped } =
    !hasKeys(stepHeaders) && (config.forwardHeaders.length === 0 || !hasKeys(message.headers))
      ? { headers: {} as Record<string, string>, dropped: [] as string[] }
      : outboundHeaders(stepHeaders, { message: message.headers, forward: config.forwardHeaders });
  if (withBody && headerValue(headers, 'content-type') === undefined) {
    const contentType = config.contentType ?? message.contentType ?? headerValue(message.headers, 'content-type');
    if (contentType !== undefined && contentType !== '') headers['Content-Type'] = contentType;
  }
  return { headers, dropped };
}

function shouldSendBody(mode: SendBodyMode, method: string): boolean {
  if (mode === 'always') return true;
  if (mode === 'never') return false;
  return !BODYLESS_METHODS.has(method);
}

async function send(message: OutboundMessage, context: AdapterContext): Promise<AdapterResult> {
  const { receiver, step } = context;
  const raw = receiver.config as Record<string, unknown> | undefined;
  const config = typeof raw === 'object' && raw !== null ? cachedConfig(raw) : readConfig({});
  const method = (step.method ?? 'POST').toUpperCase();
  const url = requestHref(receiver.name, receiver.address, step.path, step.query);
  const withBody = shouldSendBody(config.sendBody, method);
  const { headers, dropped } = requestHeaders(message, step.headers, config, withBody);
  // Debug arguments (display URL, data objects) are built only for someone who reads them.
  if (context.log.debugEnabled !== false) {
    if (dropped.length > 0) {
      context.log.debug('headers not sent (managed by the session client or the HTTP stack)', { headers: dropped });
    }
    context.log.debug(`${method} ${displayUrl(url)}`, { receiver: receiver.name, step: step.stepId, bodyBytes: withBody ? message.body.byteLength : 0 });
  }

  const request: HttpRequest = { method, url, headers, signal: context.signal };
  if (withBody) request.body = message.body;
  const response = await context.http.request(request);

  if (config.throwOnHttpError && (response.status < 200 || response.status > 299)) {
    throw statusError(receiver.name, method, url, response);
  }
  const result: AdapterResult = { status: response.status, headers: response.headers, body: response.body };
  const contentType = response.headers['content-type'];
  if (contentType !== undefined) result.contentType = contentType;
  return result;
}

export const adapter: AdapterDefinition = defineAdapter({
  id: 'http',
  displayName: 'HTTP',
  version: '0.1.0',
  apiVersion: 1,
  description: 'Calls an HTTP(S) endpoint: any method, query and headers from the step, the message body as request body.',
  variants: [
    {
      id: 'http',
      displayName: 'HTTP',
      direction: 'receiver',
      stepKinds: ['call', 'send'],
      sessionReuse: 'supported',
      csrf: true,
      auth: [
        { type: 'none' },
        { type: 'basic' },
        {
          type: 'client-certificate',
          proxies: ['internet'],
          note: 'a client certificate cannot be presented through an on-premise connector (the TLS session ends at the connector)',
        },
        {
          type: 'oauth2-client-credentials',
          proxies: ['internet'],
          note: 'the token endpoint must be reachable over the internet',
        },
        { type: 'oauth2-saml-bearer' },
        {
          type: 'principal-propagation',
          proxies: ['onPremise'],
          note: 'the user is propagated by the on-premise connector',
        },
      ],
      parallelSafe: true,
      streaming: false,
      contentTypes: { in: ['*/*'], out: ['*/*'] },
      description: 'Request-reply (call) or one-way (send) over HTTP(S).',
    },
  ],
  configSchema,
  send,
});

export default adapter;
