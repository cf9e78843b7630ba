/**
 * An in-memory OData service (V2 JSON verbose or V4 JSON) for tests, demos and adapter authors.
 *
 * - Entity sets held in memory: query (`$filter` with `eq` joined by `and`, `$select`, `$top`,
 *   `$skip`, `$orderby`, `$inlinecount`/`$count`), read by key, create, update (PUT), merge
 *   (`MERGE`, or POST with `X-HTTP-Method: MERGE`), patch and delete.
 * - Server-driven paging: at most `pageSize` entities per answer, then `__next` (V2) or
 *   `@odata.nextLink` (V4) with a `$skiptoken` that is only valid in the session that started
 *   the query (as SuccessFactors and SAP Gateway do), so a client without a session fails.
 * - `$batch` (`multipart/mixed`) with change sets, executed atomically: a failing change set is
 *   rolled back and answered by its single error response.
 * - CSRF protection of modifying calls (`X-CSRF-Token: Fetch` on a GET returns the session's token).
 * - Basic auth with sessions (cookie), counted like the SDK's test backend.
 *
 * The multipart parser here is deliberately independent of the adapters' one. The engine
 * (`ODataEngine`) is reusable behind other authentication (the SuccessFactors mock uses it).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SessionAuth, readRequestBody, reply, startMockServer, type MockSessionStats } from './session-auth.js';

export type ODataVersion = 'v2' | 'v4';
export type ODataRow = Record<string, unknown>;

export interface ODataEntitySetDefinition {
  /** Key property name(s). */
  key: string | string[];
  /** Initial entities (copied). */
  rows?: ODataRow[];
  /** Entity type name (default: the set name without a trailing "s"). */
  type?: string;
}

export interface ODataEngineOptions {
  version: ODataVersion;
  entitySets: Record<string, ODataEntitySetDefinition>;
  /** Server-driven page size; default: no server paging. */
  pageSize?: number;
  /** A `$skiptoken` is only valid in the session that started the query (default true). */
  pagingRequiresSession?: boolean;
  /** Namespace of entity types in metadata (default 'TEST'). */
  namespace?: string;
}

/** One request as the engine sees it: target is the path and query relative to the service root. */
export interface ODataEngineRequest {
  method: string;
  target: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface ODataEngineResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ODataPrincipal {
  user: string;
  /** Stable id of the caller's session (a hash), or undefined without a session. */
  session?: string;
}

interface PageToken {
  owner: string | undefined;
  set: string;
  query: string;
  offset: number;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  500: 'Internal Server Error',
};

export class ODataEngine {
  readonly version: ODataVersion;
  readonly #sets = new Map<string, { key: string[]; type: string; rows: ODataRow[] }>();
  readonly #pageSize: number | undefined;
  readonly #pagingRequiresSession: boolean;
  readonly #namespace: string;
  readonly #tokens = new Map<string, PageToken>();
  /** Absolute service root URL used in links (set by the server wrapper). */
  serviceRoot = 'http://localhost/';
  /** Counters for tests. */
  readonly counters = { batches: 0, changesets: 0, rolledBackChangesets: 0, pagesServed: 0, invalidSkiptokens: 0 };

  constructor(options: ODataEngineOptions) {
    this.version = options.version;
    this.#pageSize = options.pageSize;
    this.#pagingRequiresSession = options.pagingRequiresSession ?? true;
    this.#namespace = options.namespace ?? 'TEST';
    for (const [name, def] of Object.entries(options.entitySets)) {
      this.#sets.set(name, {
        key: Array.isArray(def.key) ? def.key : [def.key],
        type: def.type ?? name.replace(/s$/, ''),
        rows: structuredClone(def.rows ?? []),
      });
    }
  }

  /** A copy of the entities of a set (undefined for an unknown set). */
  rows(set: string): ODataRow[] | undefined {
    const s = this.#sets.get(set);
    return s ? structuredClone(s.rows) : undefined;
  }

  handle(req: ODataEngineRequest, who: ODataPrincipal): ODataEngineResponse {
    try {
      return this.#handle(req, who);
    } catch (e) {
      if (e instanceof ODataFault) return this.error(e.status, e.code, e.message);
      throw e;
    }
  }

  error(status: number, code: string, message: string): ODataEngineResponse {
    const body =
      this.version === 'v2'
        ? { error: { code, message: { lang: 'en', value: message } } }
        : { error: { code, message } };
    return json(status, body, this.#versionHeaders());
  }

  #versionHeaders(): Record<string, string> {
    return this.version === 'v2' ? { DataServiceVersion: '2.0' } : { 'OData-Version': '4.0' };
  }

  #handle(req: ODataEngineRequest, who: ODataPrincipal): ODataEngineResponse {
    let method = req.method.toUpperCase();
    const tunnel = headerValue(req.headers, 'x-http-method');
    if (method === 'POST' && tunnel !== undefined) method = tunnel.toUpperCase();
    const q = req.target.indexOf('?');
    const rawPath = decodeURIComponent(q >= 0 ? req.target.slice(0, q) : req.target).replace(/^\/+/, '');
    const params = new URLSearchParams(q >= 0 ? req.target.slice(q + 1) : '');

    if (rawPath === '' && method === 'GET') {
      const names = [...this.#sets.keys()];
      return this.version === 'v2'
        ? json(200, { d: { EntitySets: names } }, this.#versionHeaders())
        : json(200, { '@odata.context': '$metadata', value: names.map((n) => ({ name: n, kind: 'EntitySet', url: n })) }, this.#versionHeaders());
    }
    if (rawPath === '$metadata') return { status: 200, headers: { 'Content-Type': 'application/xml', ...this.#versionHeaders() }, body: this.#metadata() };
    if (rawPath === '$batch') {
      if (method !== 'POST') throw new ODataFault(405, 'METHOD_NOT_ALLOWED', '$batch needs POST');
      return this.#batch(req, who);
    }

    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?(\/\$count)?$/.exec(rawPath);
    if (!m) throw new ODataFault(404, 'RESOURCE_NOT_FOUND', `resource path "${rawPath}" is not supported`);
    const setName = m[1]!;
    const set = this.#sets.get(setName);
    if (!set) throw new ODataFault(404, 'RESOURCE_NOT_FOUND', `entity set "${setName}" does not exist`);
    const keyText = m[2];
    if (keyText === undefined) {
      if (m[3] !== undefined) {
        if (method !== 'GET') throw new ODataFault(405, 'METHOD_NOT_ALLOWED', `${method} not allowed on $count`);
        return { status: 200, headers: { 'Content-Type': 'text/plain', ...this.#versionHeaders() }, body: String(this.#filter(set.rows, params).length) };
      }
      if (method === 'GET') return this.#query(setName, set, params, who);
      if (method === 'POST') return this.#create(setName, set, req.body);
      throw new ODataFault(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on the entity set ${setName}`);
    }
    const key = parseKey(keyText, set.key);
    const index = set.rows.findIndex((r) => set.key.every((k) => String(r[k]) === String(key[k])));
    if (index < 0) throw new ODataFault(404, 'RESOURCE_NOT_FOUND', `no ${setName} entity with key ${keyText}`);
    const row = set.rows[index]!;
    switch (method) {
      case 'GET':
        return this.#entity(200, setName, set, this.#select(row, params));
      case 'PUT': {
        const data = parseEntity(req.body);
        const next: ODataRow = { ...data };
        for (const k of set.key) next[k] = row[k];
        set.rows[index] = next;
        return { status: 204, headers: this.#versionHeaders(), body: '' };
      }
      case 'MERGE':
      case 'PATCH': {
        const data = parseEntity(req.body);
        for (const k of set.key) {
          if (k in data && String(data[k]) !== String(row[k])) throw new ODataFault(400, 'KEY_CHANGE', `the key property ${k} cannot be changed`);
        }
        set.rows[index] = { ...row, ...stripMetadata(data) };
        return { status: 204, headers: this.#versionHeaders(), body: '' };
      }
      case 'DELETE':
        set.rows.splice(index, 1);
        return { status: 204, headers: this.#versionHeaders(), body: '' };
      default:
        throw new ODataFault(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on an entity`);
    }
  }

  #metadata(): string {
    const types = [...this.#sets.entries()]
      .map(([, s]) => `<EntityType Name="${s.type}"><Key>${s.key.map((k) => `<PropertyRef Name="${k}"/>`).join('')}</Key></EntityType>`)
      .join('');
    const sets = [...this.#sets.entries()].map(([n, s]) => `<EntitySet Name="${n}" EntityType="${this.#namespace}.${s.type}"/>`).join('');
    return `<?xml version="1.0" encoding="utf-8"?><edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="${this.version === 'v2' ? '1.0' : '4.0'}"><edmx:DataServices><Schema Namespace="${this.#namespace}">${types}<EntityContainer Name="Container">${sets}</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>`;
  }

  #filter(rows: ODataRow[], params: URLSearchParams): ODataRow[] {
    const filter = params.get('$filter');
    if (filter === null || filter.trim() === '') return rows;
    const clauses = filter.split(/\s+and\s+/i).map((c) => {
      const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s+eq\s+(.+?)\s*$/.exec(c);
      if (!m) throw new ODataFault(400, 'INVALID_FILTER', `unsupported $filter clause "${c.trim()}" (this mock knows "Property eq value" joined by "and")`);
      return { prop: m[1]!, value: parseLiteral(m[2]!) };
    });
    return rows.filter((r) => clauses.every((c) => String(r[c.prop]) === String(c.value)));
  }

  #select(row: ODataRow, params: URLSearchParams): ODataRow {
    const select = params.get('$select');
    if (select === null || select.trim() === '') return { ...row };
    const out: ODataRow = {};
    for (const p of select.split(',').map((s) => s.trim())) if (p in row) out[p] = row[p];
    return out;
  }

  #decorate(setName: string, set: { key: string[]; type: string }, row: ODataRow, full: ODataRow): ODataRow {
    if (this.version === 'v4') return row;
    const keyText = set.key.length === 1 ? literal(full[set.key[0]!]) : set.key.map((k) => `${k}=${literal(full[k])}`).join(',');
    return { __metadata: { uri: `${this.serviceRoot}${setName}(${keyText})`, type: `${this.#namespace}.${set.type}` }, ...row };
  }

  #entity(status: number, setName: string, set: { key: string[]; type: string }, row: ODataRow, full = row): ODataEngineResponse {
    const body =
      this.version === 'v2'
        ? { d: this.#decorate(setName, set, row, full) }
        : { '@odata.context': `$metadata#${setName}/$entity`, ...row };
    return json(status, body, this.#versionHeaders());
  }

  #query(setName: string, set: { key: string[]; type: string; rows: ODataRow[] }, params: URLSearchParams, who: ODataPrincipal): ODataEngineResponse {
    let offset = 0;
    const skiptoken = params.get('$skiptoken');
    const queryKey = canonicalQuery(params);
    if (skiptoken !== null) {
      const t = this.#tokens.get(skiptoken);
      const sameSession = t !== undefined && (!this.#pagingRequiresSession || (t.owner !== undefined && t.owner === who.session));
      if (!t || !sameSession || t.set !== setName || t.query !== queryKey) {
        this.counters.invalidSkiptokens++;
        throw new ODataFault(400, 'INVALID_SKIPTOKEN', 'the $skiptoken is not valid in this session (server-side paging needs the session that started the query)');
      }
      offset = t.offset;
    }
    let rows = this.#filter(set.rows, params);
    const orderby = params.get('$orderby');
    if (orderby !== null && orderby.trim() !== '') {
      const [prop, dir] = orderby.trim().split(/\s+/);
      const sign = dir?.toLowerCase() === 'desc' ? -1 : 1;
      rows = [...rows].sort((a, b) => {
        const x = a[prop!];
        const y = b[prop!];
        if (typeof x === 'number' && typeof y === 'number') return (x - y) * sign;
        return String(x).localeCompare(String(y)) * sign;
      });
    }
    const total = rows.length;
    const skip = Number(params.get('$skip') ?? '0');
    const top = params.get('$top');
    if (Number.isFinite(skip) && skip > 0) rows = rows.slice(skip);
    if (top !== null && Number.isFinite(Number(top))) rows = rows.slice(0, Number(top));
    let next: string | undefined;
    let page = rows.slice(offset);
    if (this.#pageSize !== undefined && page.length > this.#pageSize) {
      page = page.slice(0, this.#pageSize);
      const token = randomBytes(9).toString('base64url');
      this.#tokens.set(token, { owner: who.session, set: setName, query: queryKey, offset: offset + this.#pageSize });
      const nextParams = new URLSearchParams(params);
      nextParams.set('$skiptoken', token);
      next = `${this.serviceRoot}${setName}?${nextParams.toString().replace(/%24/g, '$')}`;
    }
    this.counters.pagesServed++;
    const out = page.map((r) => this.#decorate(setName, set, this.#select(r, params), r));
    const wantCount = this.version === 'v2' ? params.get('$inlinecount') === 'allpages' : params.get('$count') === 'true';
    if (this.version === 'v2') {
      const d: Record<string, unknown> = { results: out };
      if (wantCount) d.__count = String(total);
      if (next !== undefined) d.__next = next;
      return json(200, { d }, this.#versionHeaders());
    }
    const body: Record<string, unknown> = { '@odata.context': `$metadata#${setName}` };
    if (wantCount) body['@odata.count'] = total;
    body.value = out;
    if (next !== undefined) body['@odata.nextLink'] = next;
    return json(200, body, this.#versionHeaders());
  }

  #create(setName: string, set: { key: string[]; type: string; rows: ODataRow[] }, body: Buffer): ODataEngineResponse {
    const data = stripMetadata(parseEntity(body));
    for (const k of set.key) {
      if (data[k] === undefined || data[k] === null || data[k] === '') throw new ODataFault(400, 'KEY_MISSING', `the key property ${k} is missing`);
    }
    if (set.rows.some((r) => set.key.every((k) => String(r[k]) === String(data[k])))) {
      throw new ODataFault(409, 'DUPLICATE_KEY', `a ${setName} entity with this key already exists`);
    }
    set.rows.push(data);
    const res = this.#entity(201, setName, set, data);
    const keyText = set.key.length === 1 ? literal(data[set.key[0]!]) : set.key.map((k) => `${k}=${literal(data[k])}`).join(',');
    res.headers.Location = `${this.serviceRoot}${setName}(${keyText})`;
    return res;
  }

  // ---- $batch ----

  #batch(req: ODataEngineRequest, who: ODataPrincipal): ODataEngineResponse {
    this.counters.batches++;
    const boundary = boundaryOf(headerValue(req.headers, 'content-type'));
    if (boundary === undefined) throw new ODataFault(400, 'BATCH_CONTENT_TYPE', '$batch needs Content-Type multipart/mixed with a boundary');
    const parts = splitMultipart(req.body.toString('utf8'), boundary);
    const outBoundary = `batchresponse_${randomBytes(6).toString('hex')}`;
    const out: string[] = [];
    for (const part of parts) {
      const ct = headerValue(part.headers, 'content-type') ?? '';
      if (/^multipart\/mixed/i.test(ct)) {
        this.counters.changesets++;
        const csBoundary = boundaryOf(ct);
        if (csBoundary === undefined) throw new ODataFault(400, 'BATCH_CHANGESET', 'a change set has no boundary');
        const inner = splitMultipart(part.body, csBoundary);
        const snapshot = new Map([...this.#sets.entries()].map(([n, s]) => [n, structuredClone(s.rows)]));
        const responses: { res: ODataEngineResponse; contentId: string | undefined }[] = [];
        let failed: ODataEngineResponse | undefined;
        for (const op of inner) {
          const request = parseHttpPart(op.body);
          if (request.method === 'GET') {
            failed = this.error(400, 'BATCH_GET_IN_CHANGESET', 'a change set must not contain GET requests');
            break;
          }
          const res = this.handle({ ...request, target: this.#relativeTarget(request.target) }, who);
          if (res.status >= 400) {
            failed = res;
            break;
          }
          responses.push({ res, contentId: headerValue(op.headers, 'content-id') ?? headerValue(request.headers, 'content-id') });
        }
        if (failed) {
          this.counters.rolledBackChangesets++;
          for (const [n, rows] of snapshot) this.#sets.get(n)!.rows = rows;
          out.push(`--${outBoundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n${httpPart(failed)}`);
        } else {
          const csOut = `changesetresponse_${randomBytes(6).toString('hex')}`;
          const items = responses.map(
            (r) =>
              `--${csOut}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n${r.contentId !== undefined ? `Content-ID: ${r.contentId}\r\n` : ''}\r\n${httpPart(r.res)}`,
          );
          out.push(`--${outBoundary}\r\nContent-Type: multipart/mixed; boundary=${csOut}\r\n\r\n${items.join('\r\n')}\r\n--${csOut}--`);
        }
      } else {
        const request = parseHttpPart(part.body);
        const res =
          request.method === 'GET'
            ? this.handle({ ...request, target: this.#relativeTarget(request.target) }, who)
            : this.error(400, 'BATCH_WRITE_OUTSIDE_CHANGESET', `${request.method} must be inside a change set`);
        out.push(`--${outBoundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n${httpPart(res)}`);
      }
    }
    return {
      status: 202,
      headers: { 'Content-Type': `multipart/mixed; boundary=${outBoundary}`, ...this.#versionHeaders() },
      body: `${out.join('\r\n')}\r\n--${outBoundary}--\r\n`,
    };
  }

  /** Batch parts may use a path relative to the root, an absolute path or an absolute URL. */
  #relativeTarget(target: string): string {
    const root = new URL(this.serviceRoot);
    if (/^https?:\/\//i.test(target)) {
      const u = new URL(target);
      target = u.pathname + u.search;
    }
    if (target.startsWith('/')) {
      if (!target.startsWith(root.pathname)) throw new ODataFault(400, 'BATCH_TARGET', `batch request target ${target} is outside the service`);
      return target.slice(root.pathname.length);
    }
    return target;
  }
}

class ODataFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function json(status: number, value: unknown, headers: Record<string, string>): ODataEngineResponse {
  return { status, headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value) };
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

function canonicalQuery(params: URLSearchParams): string {
  return [...params.entries()]
    .filter(([k]) => k !== '$skiptoken')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function literal(v: unknown): string {
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : `'${String(v).replace(/'/g, "''")}'`;
}

function parseLiteral(text: string): unknown {
  const t = text.trim();
  const quoted = /^(?:[A-Za-z]+)?'((?:[^']|'')*)'$/.exec(t);
  if (quoted) return quoted[1]!.replace(/''/g, "'");
  if (/^-?\d+(\.\d+)?[LMDd]?$/.test(t)) return Number(t.replace(/[LMDd]$/, ''));
  if (t === 'true' || t === 'false') return t === 'true';
  if (t === 'null') return null;
  throw new ODataFault(400, 'INVALID_LITERAL', `cannot read the literal ${t}`);
}

function parseKey(text: string, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Split on commas outside quotes.
  const parts: string[] = [];
  let cur = '';
  let inQuote = false;
  for (const ch of text) {
    if (ch === "'") inQuote = !inQuote;
    if (ch === ',' && !inQuote) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  if (parts.length === 1 && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(parts[0]!)) {
    if (keys.length !== 1) throw new ODataFault(400, 'INVALID_KEY', `the key needs ${keys.join(', ')}`);
    out[keys[0]!] = parseLiteral(parts[0]!);
    return out;
  }
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new ODataFault(400, 'INVALID_KEY', `cannot read the key predicate (${text})`);
    out[p.slice(0, eq).trim()] = parseLiteral(p.slice(eq + 1));
  }
  for (const k of keys) if (!(k in out)) throw new ODataFault(400, 'INVALID_KEY', `the key predicate lacks ${k}`);
  return out;
}

function parseEntity(body: Buffer): ODataRow {
  let data: unknown;
  try {
    data = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ODataFault(400, 'INVALID_JSON', 'the request body is not JSON');
  }
  if (data !== null && typeof data === 'object' && !Array.isArray(data) && 'd' in data && typeof (data as { d: unknown }).d === 'object') {
    data = (data as { d: unknown }).d;
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new ODataFault(400, 'INVALID_JSON', 'the request body is not a JSON object');
  return data as ODataRow;
}

function stripMetadata(row: ODataRow): ODataRow {
  const out: ODataRow = {};
  for (const [k, v] of Object.entries(row)) if (k !== '__metadata' && !k.startsWith('@odata.')) out[k] = v;
  return out;
}

function boundaryOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

interface RawPart {
  headers: Record<string, string>;
  body: string;
}

/** Splits a multipart body into parts (headers + raw body), tolerant of LF-only line ends. */
function splitMultipart(text: string, boundary: string): RawPart[] {
  const lines = text.split(/\r?\n/);
  const parts: RawPart[] = [];
  let current: string[] | undefined;
  for (const line of lines) {
    if (line === `--${boundary}` || line === `--${boundary}--`) {
      if (current) parts.push(readPart(current));
      if (line === `--${boundary}--`) break;
      current = [];
      continue;
    }
    if (current) current.push(line);
  }
  if (parts.length === 0) throw new ODataFault(400, 'BATCH_SYNTAX', `the multipart body has no part with boundary ${boundary}`);
  return parts;
}

function readPart(lines: string[]): RawPart {
  const headers: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  // The line break before a boundary belongs to the boundary.
  const body = lines.slice(i + 1);
  while (body.length > 0 && body[body.length - 1] === '') body.pop();
  return { headers, body: body.join('\r\n') };
}

function parseHttpPart(text: string): ODataEngineRequest {
  const lines = text.split(/\r?\n/);
  const requestLine = lines.shift() ?? '';
  const m = /^([A-Z]+)\s+(\S+)\s+HTTP\/1\.[01]$/.exec(requestLine.trim());
  if (!m) throw new ODataFault(400, 'BATCH_SYNTAX', `a batch part has no HTTP request line (got "${requestLine.slice(0, 60)}")`);
  const headers: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { method: m[1]!, target: m[2]!, headers, body: Buffer.from(lines.slice(i + 1).join('\r\n'), 'utf8') };
}

function httpPart(res: ODataEngineResponse): string {
  const headers = Object.entries(res.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const length = res.body === '' ? '' : `Content-Length: ${Buffer.byteLength(res.body)}\r\n`;
  return `HTTP/1.1 ${res.status} ${STATUS_TEXT[res.status] ?? ''}\r\n${headers}${length}\r\n${res.body}`;
}

// ---- the HTTP server ----

export interface ODataMockOptions extends ODataEngineOptions {
  /** Path of the service root, e.g. '/odata/v2' or '/sap/opu/odata/SAP/ZORDERS_SRV;v=0002'. Default '/odata'. */
  servicePath?: string;
  /** user -> password; default { alice: 'alice-pw', bob: 'bob-pw' }. */
  users?: Record<string, string>;
  /** `basic` (default) or `none` (anyone gets a session). */
  auth?: 'basic' | 'none';
  /** Modifying calls need the session's CSRF token (default true). */
  csrf?: boolean;
  /** Session cookie name; default 'SAP_SESSIONID'. */
  cookieName?: string;
  sessionIdleTimeoutMs?: number;
  now?: () => number;
  /** When set, every request must carry `sap-client=<this>` (else 400). */
  sapClient?: string;
}

export interface ODataRecordedRequest {
  method: string;
  /** Path as sent (percent-encoding kept). */
  path: string;
  query: Record<string, string>;
  /** Lower-case header names sent. */
  headerNames: string[];
  /** Selected header values (never Authorization, Cookie or CSRF token values). */
  headers: Record<string, string>;
  authorization?: 'basic' | 'bearer' | 'other';
  cookie: boolean;
  csrfToken: 'none' | 'fetch' | 'token';
  body: string;
  status: number;
}

export interface ODataMockStats extends MockSessionStats {
  csrfFetches: number;
  csrfRejections: number;
  batches: number;
  changesets: number;
  rolledBackChangesets: number;
  pagesServed: number;
  invalidSkiptokens: number;
}

export interface ODataMock {
  /** Origin, e.g. http://127.0.0.1:PORT */
  url: string;
  /** Service root URL with a trailing slash (no sap-client). */
  serviceUrl: string;
  engine: ODataEngine;
  stats(): ODataMockStats;
  requests(): ODataRecordedRequest[];
  resetStats(): void;
  forgetSessions(): void;
  close(): Promise<void>;
}

const RECORDED_HEADERS = ['accept', 'content-type', 'x-http-method', 'dataserviceversion', 'maxdataserviceversion', 'odata-version', 'odata-maxversion', 'if-match', 'prefer'];

/** Records a request without secrets: Authorization, Cookie and CSRF token values are never kept. */
export function recordODataRequest(req: IncomingMessage, body: Buffer): ODataRecordedRequest {
  const url = new URL(req.url ?? '/', 'http://mock.invalid');
  const headers: Record<string, string> = {};
  for (const h of RECORDED_HEADERS) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  const auth = req.headers.authorization;
  const csrf = req.headers['x-csrf-token'];
  const csrfValue = Array.isArray(csrf) ? csrf[0] : csrf;
  const rec: ODataRecordedRequest = {
    method: (req.method ?? 'GET').toUpperCase(),
    path: (req.url ?? '/').split('?')[0]!,
    query: Object.fromEntries(url.searchParams),
    headerNames: Object.keys(req.headers),
    headers,
    cookie: req.headers.cookie !== undefined,
    csrfToken: csrfValue === undefined ? 'none' : csrfValue.toLowerCase() === 'fetch' ? 'fetch' : 'token',
    body: body.toString('utf8'),
    status: 0,
  };
  if (auth !== undefined) rec.authorization = /^basic\s/i.test(auth) ? 'basic' : /^bearer\s/i.test(auth) ? 'bearer' : 'other';
  return rec;
}

export async function startODataMock(options: ODataMockOptions): Promise<ODataMock> {
  let servicePath = options.servicePath ?? '/odata';
  if (!servicePath.startsWith('/')) servicePath = `/${servicePath}`;
  if (!servicePath.endsWith('/')) servicePath += '/';
  const engine = new ODataEngine(options);
  const auth = new SessionAuth({
    ...(options.users ? { users: options.users } : {}),
    ...(options.auth ? { auth: options.auth } : {}),
    ...(options.cookieName ? { cookieName: options.cookieName } : {}),
    ...(options.sessionIdleTimeoutMs !== undefined ? { sessionIdleTimeoutMs: options.sessionIdleTimeoutMs } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const csrfOn = options.csrf ?? true;
  const csrfTokens = new Map<string, string>();
  let csrf = { fetches: 0, rejections: 0 };
  let recorded: ODataRecordedRequest[] = [];

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readRequestBody(req);
    const rec = recordODataRequest(req, body);
    recorded.push(rec);
    const send = (r: ODataEngineResponse): void => {
      rec.status = r.status;
      reply(res, r.status, r.headers, r.body);
    };
    const rawPath = (req.url ?? '/').split('?')[0]!;
    // Matrix parameters such as ;v=0002 may arrive percent-encoded or not.
    const decodedPath = decodeURIComponent(rawPath);
    if (!decodedPath.startsWith(servicePath) && `${decodedPath}/` !== servicePath) {
      return send(engine.error(404, 'SERVICE_NOT_FOUND', `no service at ${decodedPath}`));
    }
    const who = auth.authenticate(req, res);
    if (!who) {
      rec.status = 401;
      return;
    }
    if (options.sapClient !== undefined && rec.query['sap-client'] !== options.sapClient) {
      return send(engine.error(400, 'SAP_CLIENT', `sap-client ${rec.query['sap-client'] ?? '(none)'} is not served here (expected ${options.sapClient})`));
    }
    const method = rec.method;
    const csrfHeader = req.headers['x-csrf-token'];
    const csrfValue = Array.isArray(csrfHeader) ? csrfHeader[0] : csrfHeader;
    if ((method === 'GET' || method === 'HEAD') && csrfValue?.toLowerCase() === 'fetch') {
      let token = csrfTokens.get(who.sessionHash);
      if (token === undefined) {
        token = randomBytes(16).toString('base64url');
        csrfTokens.set(who.sessionHash, token);
      }
      csrf.fetches++;
      res.setHeader('X-CSRF-Token', token);
    }
    if (csrfOn && !['GET', 'HEAD', 'OPTIONS'].includes(method)) {
      const expected = csrfTokens.get(who.sessionHash);
      if (expected === undefined || csrfValue !== expected) {
        csrf.rejections++;
        res.setHeader('X-CSRF-Token', 'Required');
        return send(engine.error(403, 'CSRF_TOKEN', 'CSRF token validation failed'));
      }
    }
    const origin = `http://${req.headers.host ?? 'localhost'}`;
    engine.serviceRoot = `${origin}${servicePath}`;
    const rest = encodeURI(decodedPath.slice(servicePath.length));
    const search = (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?')) : '';
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    send(engine.handle({ method, target: rest + search, headers, body }, { user: who.user, session: who.sessionHash }));
  };

  const server = await startMockServer(handler);
  return {
    url: server.url,
    serviceUrl: `${server.url}${servicePath}`,
    engine,
    stats: () => ({ ...auth.stats(), csrfFetches: csrf.fetches, csrfRejections: csrf.rejections, ...engine.counters }),
    requests: () => structuredClone(recorded),
    resetStats: () => {
      auth.resetStats();
      csrf = { fetches: 0, rejections: 0 };
      recorded = [];
      for (const k of Object.keys(engine.counters) as (keyof ODataEngine['counters'])[]) engine.counters[k] = 0;
    },
    forgetSessions: () => auth.forgetSessions(),
    close: () => server.close(),
  };
}
