/**
 * Request helpers shared by the SOAP-based adapters (soap, idoc, xi): the endpoint URL, the
 * step headers that may be sent, a display form of URLs without secrets, message ids.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { AdapterError } from '@sessionflow/sdk';
import type { AdapterContext } from '@sessionflow/sdk';

/** Headers never sent from a step: credentials and cookies belong to the session client, framing to the HTTP stack. */
export const NEVER_SENT = new Set([
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

/** `scheme://host/path?key=***`: no user info, no query values (they may hold tokens). */
export function safeUrl(url: URL): string {
  let out = `${url.protocol}//${url.host}${url.pathname}`;
  const keys = [...url.searchParams.keys()];
  if (keys.length > 0) out += `?${keys.map((k) => `${encodeURIComponent(k)}=***`).join('&')}`;
  return out;
}

export function statusText(status: number): string {
  const reason = STATUS_CODES[status];
  return reason !== undefined ? `${status} ${reason}` : String(status);
}

/**
 * The endpoint: the receiver address, the path (step or adapter default) resolved like a link
 * against it, then the query parameters appended. A path that leaves the receiver's origin is
 * refused: credentials and the session belong to that origin.
 */
export function endpointUrl(code: string, receiverName: string, address: string, path: string | undefined, query: Record<string, string>): URL {
  let base: URL;
  try {
    base = new URL(address);
  } catch {
    throw new AdapterError(code, `receiver "${receiverName}" has an invalid address: not an absolute http(s) URL`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new AdapterError(code, `receiver "${receiverName}" has an invalid address: scheme "${base.protocol.slice(0, -1)}" is not http or https`);
  }
  let url = base;
  if (path !== undefined && path !== '') {
    try {
      url = new URL(path, base);
    } catch {
      throw new AdapterError(code, `path "${path}" for receiver "${receiverName}" is not a valid URL path`);
    }
    if (url.origin !== base.origin) {
      throw new AdapterError(code, `path for receiver "${receiverName}" leads to ${url.origin}, outside the receiver's origin ${base.origin}; use a path, or another receiver`);
    }
  }
  url.hash = '';
  for (const [name, value] of Object.entries(query)) url.searchParams.append(name, value);
  return url;
}

/** Step headers that may be sent (no credentials, cookies, framing, or the names in `owned`). */
export function stepHeaders(context: AdapterContext, owned: string[]): { headers: Record<string, string>; dropped: string[] } {
  const own = new Set(owned.map((h) => h.toLowerCase()));
  const headers: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [name, value] of Object.entries(context.step.headers)) {
    const lower = name.toLowerCase();
    if (NEVER_SENT.has(lower) || own.has(lower)) dropped.push(name);
    else headers[name] = value;
  }
  return { headers, dropped };
}

/** Case-insensitive lookup of a step or message header. */
export function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

const UUID_DASHED = /^(?:uuid:)?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})$/i;

/** Normalises a message id given as a UUID (with or without dashes or `uuid:`) to the dashed lower-case form; undefined if it is none. */
export function normaliseUuid(value: string): string | undefined {
  const m = UUID_DASHED.exec(value.trim());
  return m ? m.slice(1, 6).join('-').toLowerCase() : undefined;
}

/**
 * The message id for a reliable (exactly-once) message: reused from the named message header
 * so that a retried exchange is recognised as a duplicate by the receiver, else a new UUID.
 */
export function reliableMessageId(code: string, receiverName: string, messageHeaders: Record<string, string>, headerName: string): { id: string; reused: boolean } {
  const given = headerName !== '' ? headerValue(messageHeaders, headerName) : undefined;
  if (given === undefined || given.trim() === '') return { id: randomUUID(), reused: false };
  const id = normaliseUuid(given);
  if (id === undefined) {
    throw new AdapterError(code, `message header "${headerName}" for receiver "${receiverName}" is not a UUID (32 hex digits, dashes optional); it is used as the message id for duplicate detection`);
  }
  return { id, reused: true };
}

export function truncate(text: string, max = 500): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
