/**
 * Helpers every adapter needs, so that the built-in adapters and third-party ones follow the
 * same rules: credentials and cookies belong to the session client (`context.http`), framing
 * headers to the HTTP stack; a step path never leaves the receiver's origin; URLs appear in
 * messages only without user info and query values.
 */
import { STATUS_CODES } from 'node:http';
import { displayUrl } from '../http/url.js';
import { AdapterError } from './types.js';

export { displayUrl };

/**
 * Request headers an adapter never sends, whatever the step or the message says (lower case):
 * credentials and cookies belong to the session client, framing headers to the HTTP stack.
 */
export const NEVER_SENT_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
]);

/**
 * Message headers that are never forwarded to the backend even when forwarding is asked for:
 * the CSRF token is the session client's, `Set-Cookie` is a response header, and the request's
 * Content-Type is the adapter's to set.
 */
export const NEVER_FORWARDED_HEADERS: ReadonlySet<string> = new Set(['x-csrf-token', 'set-cookie', 'content-type']);

/** True for a header an adapter must never set itself (any case): see `NEVER_SENT_HEADERS`. */
export function isForbiddenRequestHeader(name: string): boolean {
  return NEVER_SENT_HEADERS.has(name.toLowerCase());
}

/** Case-insensitive lookup of a header in a step, message or response header map (first match). */
export function headerValue(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

export interface OutboundHeadersOptions {
  /** Header names the adapter sets itself (any case): dropped from the step and the message. */
  owned?: Iterable<string>;
  /** The message headers, of which those named in `forward` are sent along. */
  message?: Readonly<Record<string, string>>;
  /** Message headers to forward: names (any case) or `*` for all. Default: none. */
  forward?: readonly string[];
}

/**
 * The headers an adapter may send for a step: the forwarded message headers, then the step
 * headers (which win, compared case-insensitively). Dropped, and listed in `dropped` by the name
 * they were given under: `NEVER_SENT_HEADERS`, the `owned` names, and from the message also
 * `NEVER_FORWARDED_HEADERS`. Log `dropped` (names only), never the values.
 */
export function outboundHeaders(
  stepHeaders: Readonly<Record<string, string>>,
  options: OutboundHeadersOptions = {},
): { headers: Record<string, string>; dropped: string[] } {
  const owned = new Set([...(options.owned ?? [])].map((h) => h.toLowerCase()));
  const out = new Map<string, [string, string]>();
  const dropped: string[] = [];
  const forward = options.forward ?? [];
  if (options.message !== undefined && forward.length > 0) {
    const all = forward.includes('*');
    const names = new Set(forward.map((h) => h.toLowerCase()));
    for (const [name, value] of Object.entries(options.message)) {
      const lower = name.toLowerCase();
      if (!all && !names.has(lower)) continue;
      if (NEVER_SENT_HEADERS.has(lower) || NEVER_FORWARDED_HEADERS.has(lower) || owned.has(lower)) dropped.push(name);
      else out.set(lower, [name, value]);
    }
  }
  for (const [name, value] of Object.entries(stepHeaders)) {
    const lower = name.toLowerCase();
    if (NEVER_SENT_HEADERS.has(lower) || owned.has(lower)) dropped.push(name);
    else out.set(lower, [name, value]);
  }
  return { headers: Object.fromEntries([...out.values()]), dropped };
}

export interface ReceiverUrlOptions {
  /** Receiver name for error messages. */
  receiver?: string;
  /** Error code of the AdapterError thrown for a bad address or path. Default `SF_HTTP_INVALID_URL`. */
  code?: string;
}

function receiverLabel(options: ReceiverUrlOptions): string {
  return options.receiver !== undefined ? `receiver "${options.receiver}"` : 'the receiver';
}

/**
 * The receiver address as a URL. Throws AdapterError (`options.code`, default
 * `SF_HTTP_INVALID_URL`) when it is not an absolute http(s) URL; the message never shows it.
 */
export function receiverAddressUrl(address: string, options: ReceiverUrlOptions = {}): URL {
  const code = options.code ?? 'SF_HTTP_INVALID_URL';
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new AdapterError(code, `${receiverLabel(options)} has an invalid address: not an absolute http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AdapterError(code, `${receiverLabel(options)} has an invalid address: scheme "${url.protocol.slice(0, -1)}" is not http or https`);
  }
  return url;
}

/**
 * The request URL of a step: `path` resolved like a link against the receiver address (`/x` on
 * the same origin, `x` next to the address, `../x` one level up), the fragment removed, then
 * `query` appended. A path that leads to another origin is refused with AdapterError
 * (`options.code`, default `SF_HTTP_INVALID_URL`): credentials and the session belong to the
 * receiver's origin. Without a path the address itself is used.
 */
export function resolveStepUrl(
  address: string,
  path?: string,
  query: Readonly<Record<string, string>> = {},
  options: ReceiverUrlOptions = {},
): URL {
  const code = options.code ?? 'SF_HTTP_INVALID_URL';
  const base = cachedAddressUrl(address, options);
  let url: URL;
  if (path !== undefined && path !== '') {
    try {
      url = new URL(path, base.href);
    } catch {
      throw new AdapterError(code, `the path for ${receiverLabel(options)} is not a valid URL path`);
    }
    if (url.origin !== base.origin) {
      throw new AdapterError(code, `the path for ${receiverLabel(options)} leads to ${url.origin}, outside the receiver's origin ${base.origin}; use a path, or another receiver`);
    }
  } else {
    url = new URL(base.href);
  }
  if (url.hash !== '') url.hash = '';
  for (const name in query) {
    if (Object.prototype.hasOwnProperty.call(query, name)) url.searchParams.append(name, query[name]!);
  }
  return url;
}

/** Receiver addresses already checked, by address string: the `href` and `origin` of their URL. */
const addressCache = new Map<string, { href: string; origin: string }>();
/** Addresses are few (one per receiver, unless built from expressions): a bound keeps dynamic ones from piling up. */
const ADDRESS_CACHE_MAX = 256;

/**
 * `receiverAddressUrl()` remembered per address string. Only valid addresses are cached (an
 * invalid one throws every time, with the receiver's name), and only strings: callers get a
 * fresh URL each time, so nothing they change leaks into the next call.
 */
function cachedAddressUrl(address: string, options: ReceiverUrlOptions): { href: string; origin: string } {
  const hit = addressCache.get(address);
  if (hit !== undefined) return hit;
  const url = receiverAddressUrl(address, options);
  const entry = { href: url.href, origin: url.origin };
  if (addressCache.size >= ADDRESS_CACHE_MAX) {
    const oldest = addressCache.keys().next();
    if (oldest.done !== true) addressCache.delete(oldest.value);
  }
  addressCache.set(address, entry);
  return entry;
}

/** `500 Internal Server Error`; just the number for a status without a standard reason phrase. */
export function httpStatusText(status: number): string {
  const reason = STATUS_CODES[status];
  return reason !== undefined ? `${status} ${reason}` : String(status);
}

export interface StatusErrorOptions {
  /** Error code (default `SF_HTTP_STATUS`). */
  code?: string;
  /** Words after the status, e.g. `without a SOAP fault`. */
  note?: string;
  /** More details, placed after status, method and url (never put secrets here). */
  details?: Record<string, unknown>;
}

/**
 * The standard error for a backend answer outside 2xx:
 * `receiver "erp" answered 500 Internal Server Error for POST https://host/path?key=***`,
 * code `SF_HTTP_STATUS` unless given, details `{ status, method, url, ...details, headers, body }`
 * (URL without user info and query values; headers and body as received, for the flow's error handling).
 */
export function statusError(
  receiver: string,
  method: string,
  url: string | URL,
  response: { status: number; headers?: Record<string, string>; body?: Uint8Array },
  options: StatusErrorOptions = {},
): AdapterError {
  const shown = displayUrl(url);
  const note = options.note !== undefined && options.note !== '' ? ` ${options.note}` : '';
  return new AdapterError(options.code ?? 'SF_HTTP_STATUS', `receiver "${receiver}" answered ${httpStatusText(response.status)}${note} for ${method} ${shown}`, {
    status: response.status,
    method,
    url: shown,
    ...options.details,
    ...(response.headers !== undefined ? { headers: response.headers } : {}),
    ...(response.body !== undefined ? { body: response.body } : {}),
  });
}
