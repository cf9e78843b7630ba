/**
 * OData wire helpers: key predicates, query strings, `$batch` bodies (multipart/mixed with
 * change sets) and their answers, and OData error payloads. Pure functions, no I/O; exported
 * for other adapters (odc, successfactors) and for adapter authors.
 */
import { randomBytes } from 'node:crypto';

export type ODataVersion = 'v2' | 'v4';
export type KeyValue = string | number | boolean;
export type ODataKey = KeyValue | Record<string, KeyValue>;

/** Encodes a path segment, keeping the characters OData uses in key predicates readable. */
function encodePathPart(text: string): string {
  return encodeURIComponent(text).replace(/%3D/gi, '=').replace(/%2C/gi, ',').replace(/%3A/gi, ':').replace(/%40/gi, '@');
}

/** An OData literal: numbers and booleans as written, strings in single quotes (quotes doubled). */
export function odataLiteral(value: KeyValue): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * The key predicate inside the parentheses of `EntitySet(...)`:
 * - a number or boolean as is: `42`;
 * - a string that already is a literal or predicate (`'quoted'`, `guid'…'`, `datetime'…'`, or
 *   `Name=value` pairs) as written; any other string is quoted: `ABC` → `'ABC'`, `0042` → `'0042'`
 *   (SAP document numbers are strings; give a JSON number for a numeric key);
 * - an object: composite key `OrderID=1,Item='10'`.
 */
export function keyPredicate(key: ODataKey): string {
  if (typeof key === 'number' || typeof key === 'boolean') return String(key);
  if (typeof key === 'string') {
    const t = key.trim();
    if (/^[A-Za-z]*'.*'$/.test(t) || /^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(t)) return encodePathPart(t);
    return encodePathPart(odataLiteral(t));
  }
  return Object.entries(key)
    .map(([name, v]) => `${name}=${encodePathPart(odataLiteral(v))}`)
    .join(',');
}

/** `EntitySet` or `EntitySet(key)`, relative to the service root. */
export function resourcePath(entitySet: string, key?: ODataKey): string {
  const set = encodePathPart(entitySet);
  return key === undefined ? set : `${set}(${keyPredicate(key)})`;
}

/** Encodes a query value: spaces as %20 (never `+`), `&`, `=`, `+` and `#` escaped; commas, quotes, slashes, colons and parentheses kept. */
export function encodeQueryValue(value: string): string {
  return encodeURIComponent(value).replace(/%2C/gi, ',').replace(/%2F/gi, '/').replace(/%3A/gi, ':').replace(/%40/gi, '@').replace(/%24/g, '$');
}

/** Appends query options to a URL (names such as `$filter` are kept as written). Existing names are replaced. */
export function withQuery(url: URL, options: Record<string, string>): URL {
  const out = new URL(url.href);
  const kept = out.search.replace(/^\?/, '').split('&').filter((p) => p !== '' && !(decodeURIComponent(p.split('=')[0] ?? '') in options));
  const added = Object.entries(options).map(([k, v]) => `${encodeQueryValue(k)}=${encodeQueryValue(v)}`);
  const all = [...kept, ...added];
  out.search = all.length > 0 ? `?${all.join('&')}` : '';
  return out;
}

// ---- errors ----

export interface ODataErrorInfo {
  code?: string;
  message?: string;
}

/**
 * Reads an OData error payload: V2 JSON `{error: {code, message: {value}}}`, V4 JSON
 * `{error: {code, message}}`, or the XML form `<error><code/><message/></error>`.
 */
export function parseODataError(body: Uint8Array | string): ODataErrorInfo | undefined {
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const data = JSON.parse(trimmed) as { error?: { code?: unknown; message?: unknown } };
      const err = data.error;
      if (err && typeof err === 'object') {
        const info: ODataErrorInfo = {};
        if (typeof err.code === 'string' && err.code !== '') info.code = err.code;
        const m = err.message;
        if (typeof m === 'string') info.message = m;
        else if (m && typeof m === 'object' && typeof (m as { value?: unknown }).value === 'string') info.message = (m as { value: string }).value;
        return info;
      }
    } catch {
      return undefined;
    }
    return undefined;
  }
  if (trimmed.startsWith('<')) {
    const code = /<(?:\w+:)?code>([^<]*)<\/(?:\w+:)?code>/.exec(trimmed)?.[1];
    const message = /<(?:\w+:)?message[^>]*>([^<]*)<\/(?:\w+:)?message>/.exec(trimmed)?.[1];
    if (code === undefined && message === undefined) return undefined;
    return { ...(code ? { code: unescapeXml(code) } : {}), ...(message !== undefined ? { message: unescapeXml(message) } : {}) };
  }
  return undefined;
}

function unescapeXml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

// ---- $batch ----

export type BatchMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'MERGE' | 'DELETE';

export interface BatchOperation {
  method: BatchMethod;
  /** Resource path relative to the service root, with its query, e.g. `Products(1)?$select=Name`. */
  url: string;
  headers?: Record<string, string>;
  /** Object/array bodies are sent as JSON; strings as written. */
  body?: unknown;
  /** Content-ID of a change-set operation (referenced as `$<id>` by later operations). */
  contentId?: string;
}

export type BatchItem = BatchOperation | { changeset: BatchOperation[] };

export interface BatchRequest {
  contentType: string;
  body: string;
  boundary: string;
}

const CRLF = '\r\n';

function isChangeset(item: BatchItem): item is { changeset: BatchOperation[] } {
  return 'changeset' in item;
}

function operationText(op: BatchOperation, version: ODataVersion): string {
  const lines = [`${op.method} ${op.url} HTTP/1.1`];
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body = '';
  if (op.body !== undefined && op.method !== 'GET' && op.method !== 'DELETE') {
    body = typeof op.body === 'string' ? op.body : JSON.stringify(op.body);
    headers['Content-Type'] = 'application/json';
  }
  if (version === 'v4') headers['OData-Version'] = '4.0';
  else headers.DataServiceVersion = '2.0';
  for (const [k, v] of Object.entries(op.headers ?? {})) {
    for (const existing of Object.keys(headers)) if (existing.toLowerCase() === k.toLowerCase()) delete headers[existing];
    headers[k] = v;
  }
  if (body !== '') headers['Content-Length'] = String(Buffer.byteLength(body, 'utf8'));
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return lines.join(CRLF) + CRLF + CRLF + body;
}

function partHeader(contentId?: string): string {
  return `Content-Type: application/http${CRLF}Content-Transfer-Encoding: binary${CRLF}${contentId !== undefined ? `Content-ID: ${contentId}${CRLF}` : ''}${CRLF}`;
}

/**
 * Builds a `$batch` body: `multipart/mixed; boundary=batch_…`, retrievals as their own parts,
 * each change set as a nested `multipart/mixed; boundary=changeset_…` part; every operation is
 * an `application/http` part with `Content-Transfer-Encoding: binary`.
 */
export function buildBatch(items: BatchItem[], version: ODataVersion, random: () => string = () => randomBytes(8).toString('hex')): BatchRequest {
  const boundary = `batch_${random()}`;
  const chunks: string[] = [];
  for (const item of items) {
    if (isChangeset(item)) {
      const cs = `changeset_${random()}`;
      const inner = item.changeset
        .map((op, i) => `--${cs}${CRLF}${partHeader(op.contentId ?? String(i + 1))}${operationText(op, version)}${CRLF}`)
        .join('');
      chunks.push(`--${boundary}${CRLF}Content-Type: multipart/mixed; boundary=${cs}${CRLF}${CRLF}${inner}--${cs}--${CRLF}${CRLF}`);
    } else {
      chunks.push(`--${boundary}${CRLF}${partHeader(item.contentId)}${operationText(item, version)}${CRLF}`);
    }
  }
  return { boundary, contentType: `multipart/mixed; boundary=${boundary}`, body: `${chunks.join('')}--${boundary}--${CRLF}` };
}

/** The `boundary` parameter of a multipart Content-Type. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !/^\s*multipart\//i.test(contentType)) return undefined;
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

export interface MultipartPart {
  headers: Record<string, string>;
  body: string;
}

export class BatchFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchFormatError';
  }
}

/** Splits a multipart body (CRLF or LF line ends; preamble and epilogue ignored). */
export function parseMultipart(text: string, boundary: string): MultipartPart[] {
  const delimiter = `--${boundary}`;
  const parts: MultipartPart[] = [];
  let pos = text.startsWith(delimiter) ? 0 : text.indexOf(`\n${delimiter}`);
  if (pos < 0) throw new BatchFormatError(`the multipart body has no part with boundary "${boundary}"`);
  if (pos > 0) pos += 1;
  let closed = false;
  for (let guard = 0; guard < 100_000; guard++) {
    let cursor = pos + delimiter.length;
    if (text.startsWith('--', cursor)) {
      closed = true;
      break;
    }
    // Skip transport padding and the line break after the delimiter.
    const eol = text.indexOf('\n', cursor);
    if (eol < 0) break;
    cursor = eol + 1;
    const next = text.indexOf(`\n${delimiter}`, cursor - 1);
    if (next < 0) throw new BatchFormatError(`the multipart body ends inside a part (no closing boundary "${boundary}--")`);
    let raw = text.slice(cursor, next);
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    parts.push(splitHeaders(raw));
    pos = next + 1;
  }
  if (!closed) throw new BatchFormatError(`the multipart body has no closing boundary "${boundary}--"`);
  return parts;
}

function splitHeaders(raw: string): MultipartPart {
  const m = /\r?\n\r?\n/.exec(raw);
  const head = m ? raw.slice(0, m.index) : raw;
  const body = m ? raw.slice(m.index + m[0].length) : '';
  const headers: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

export interface HttpPartResponse {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: string;
}

/** Reads an `application/http` part holding an HTTP response. */
export function parseHttpResponsePart(text: string): HttpPartResponse {
  const lines = text.replace(/^(\r?\n)+/, '');
  const m = /^HTTP\/\d\.\d\s+(\d{3})(?:[ \t]+([^\r\n]*))?\r?\n/.exec(lines);
  if (!m) throw new BatchFormatError(`a batch answer part has no HTTP status line (starts with "${lines.slice(0, 40).replace(/\s+/g, ' ')}")`);
  const after = lines.slice(m[0].length);
  // A response without headers starts with the blank line.
  const rest = /^\r?\n/.test(after) ? { headers: {}, body: after.replace(/^\r?\n/, '') } : splitHeaders(after);
  return { status: Number(m[1]), statusText: (m[2] ?? '').trim(), headers: rest.headers, body: rest.body };
}

export interface BatchOperationResult {
  /** Index of the request item (0-based) this answer belongs to. */
  item: number;
  /** For change-set operations: index inside the change set (0-based). */
  operation?: number;
  /** The answer stands for the whole change set (the server rejected it as a unit). */
  changesetFailed?: boolean;
  contentId?: string;
  status: number;
  statusText: string;
  headers: Record<string, string>;
  /** Parsed JSON when the part is JSON, else the text. */
  body: unknown;
  error?: ODataErrorInfo;
}

function decodeBody(part: HttpPartResponse): unknown {
  const ct = part.headers['content-type'] ?? '';
  if (/json/i.test(ct) || /^\s*[{[]/.test(part.body)) {
    try {
      return JSON.parse(part.body) as unknown;
    } catch {
      return part.body;
    }
  }
  return part.body;
}

function toResult(part: HttpPartResponse, item: number, extra: Partial<BatchOperationResult>): BatchOperationResult {
  const r: BatchOperationResult = { item, ...extra, status: part.status, statusText: part.statusText, headers: part.headers, body: decodeBody(part) };
  if (part.status >= 400) {
    const e = parseODataError(part.body);
    if (e) r.error = e;
  }
  return r;
}

/**
 * Parses a `$batch` answer into one result per operation, in request order. A change set the
 * server answered with a single response (it failed as a unit) gives one result with
 * `changesetFailed`. `items` is the request, used to pair answers with operations.
 */
export function parseBatchResponse(contentType: string | undefined, body: string, items: BatchItem[]): BatchOperationResult[] {
  const boundary = multipartBoundary(contentType);
  if (boundary === undefined) throw new BatchFormatError(`the $batch answer is not multipart/mixed (Content-Type: ${contentType ?? 'none'})`);
  const parts = parseMultipart(body, boundary);
  const results: BatchOperationResult[] = [];
  parts.forEach((part, index) => {
    const item = items[index];
    const ct = part.headers['content-type'] ?? '';
    const inner = multipartBoundary(ct);
    if (inner !== undefined) {
      parseMultipart(part.body, inner).forEach((op, i) => {
        const contentId = op.headers['content-id'];
        results.push(toResult(parseHttpResponsePart(op.body), index, { operation: i, ...(contentId !== undefined ? { contentId } : {}) }));
      });
      return;
    }
    if (!/^application\/http/i.test(ct)) throw new BatchFormatError(`batch answer part ${index + 1} has Content-Type "${ct}", expected application/http or multipart/mixed`);
    const res = parseHttpResponsePart(part.body);
    const isCs = item !== undefined && isChangeset(item);
    results.push(toResult(res, index, isCs ? { changesetFailed: true } : {}));
  });
  return results;
}
