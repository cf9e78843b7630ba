/**
 * OData operations over `context.http`: query (with client- or server-driven paging), read,
 * create, update, merge, patch, delete and `$batch`. Shared by the odata, odc and
 * successfactors adapters; sessions, credentials and (when the receiver has `csrf: true`)
 * CSRF tokens are the session client's business.
 */
import { AdapterError, displayUrl, outboundHeaders } from '@sessionflow/sdk';
import type { AdapterContext, AdapterResult, HttpResponse, JsonSchema, OutboundMessage } from '@sessionflow/sdk';
import {
  BatchFormatError,
  buildBatch,
  parseBatchResponse,
  parseODataError,
  resourcePath,
  withQuery,
  type BatchItem,
  type BatchMethod,
  type BatchOperation,
  type BatchOperationResult,
  type ODataKey,
  type ODataVersion,
} from './protocol.js';

export const OPERATIONS = ['query', 'read', 'create', 'update', 'merge', 'patch', 'delete', 'batch'] as const;
export type ODataOperation = (typeof OPERATIONS)[number];
export type PagingMode = 'none' | 'client' | 'server';

export interface ODataOperationConfig {
  operation?: ODataOperation;
  entitySet?: string;
  key?: ODataKey;
  query: Record<string, string>;
  paging: PagingMode;
  pageSize: number;
  maxPages: number;
  mergeMethod: 'x-http-method' | 'merge';
  csrf: boolean;
  batch?: BatchItem[];
}

const BATCH_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'MERGE', 'DELETE'];

const batchOperationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['method', 'url'],
  properties: {
    method: { type: 'string', enum: BATCH_METHODS, description: 'HTTP method of the operation (MERGE for an OData V2 merge).' },
    url: { type: 'string', minLength: 1, description: 'Resource path relative to the service root, with its query, e.g. "Products(1)" or "Products?$filter=Price eq 5".' },
    headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'Extra headers of the operation.' },
    body: { description: 'Entity payload (sent as JSON).' },
    contentId: { type: 'string', description: 'Content-ID of a change-set operation (later operations may refer to it as $<id>).' },
  },
} as const;

/** Config fields shared by every OData-speaking adapter (odata, odc, successfactors). */
export function odataConfigProperties(defaults: { paging?: PagingMode; csrf?: boolean } = {}): Record<string, JsonSchema> {
  return {
    operation: {
      title: 'Operation',
      description:
        'What the call does. Without it the step method decides: GET → query (read when a key is set), POST → create, PUT → update, ' +
        'MERGE → merge, PATCH → patch, DELETE → delete; no method → read when a key is set, else query. ' +
        'A key is set by config key or a step path ending in (...), e.g. Products(42).',
      type: 'string',
      enum: [...OPERATIONS],
      enumDescriptions: [
        'GET the entity set (with query options and paging)',
        'GET one entity by key',
        'POST the message body (JSON) as a new entity',
        'PUT the message body: replace the entity',
        'Merge the message body into the entity (V2: POST with X-HTTP-Method: MERGE; V4: PATCH)',
        'PATCH the message body into the entity',
        'DELETE the entity',
        'POST a $batch (multipart/mixed with change sets) built from `batch` or the message body',
      ],
    },
    entitySet: {
      title: 'Entity set',
      description: 'Entity set name, e.g. "Products". A step `path` (relative to the service root) replaces entitySet and key.',
      type: 'string',
      pattern: '^[A-Za-z_][A-Za-z0-9_.]*$',
    },
    key: {
      title: 'Key',
      description:
        'Entity key for read/update/merge/patch/delete: a number (42), a string (ABC and 0042 are sent quoted: \'ABC\', \'0042\'; \'ABC\', guid\'…\' and Name=value are sent as written) ' +
        'or an object for a composite key ({OrderID: 1, Item: "10"} → OrderID=1,Item=\'10\').',
      anyOf: [
        { type: 'string', minLength: 1 },
        { type: 'number' },
        { type: 'object', minProperties: 1, additionalProperties: { type: ['string', 'number', 'boolean'] } },
      ],
    },
    query: {
      title: 'Query options',
      description: 'System query options ($filter, $select, $expand, $top, $skip, $orderby, $inlinecount (V2), $count (V4), $search) and custom options; step `query` entries win.',
      type: 'object',
      properties: {
        $filter: { type: 'string', description: 'e.g. "Category eq \'Food\' and Price gt 5"' },
        $select: { type: 'string', description: 'Comma-separated properties' },
        $expand: { type: 'string', description: 'Navigation properties to expand' },
        $top: { type: ['integer', 'string'], description: 'At most this many entities (over all pages)' },
        $skip: { type: ['integer', 'string'] },
        $orderby: { type: 'string', description: 'e.g. "Name desc"' },
        $inlinecount: { type: 'string', enum: ['allpages', 'none'], description: 'OData V2: return the total count' },
        $count: { type: ['boolean', 'string'], description: 'OData V4: return the total count' },
        $search: { type: 'string' },
      },
      additionalProperties: { type: ['string', 'number', 'boolean'] },
      default: {},
    },
    paging: {
      title: 'Paging',
      description: 'How a query reads more than one page; the pages are concatenated into one result.',
      type: 'string',
      enum: ['none', 'client', 'server'],
      enumDescriptions: [
        'One request; a next link (__next / @odata.nextLink) is returned in the body and in property odataNextLink',
        'Client-driven: $top=pageSize and $skip per page until a short page',
        'Server-driven: follow __next (V2) / @odata.nextLink (V4) until there is none',
      ],
      default: defaults.paging ?? 'server',
    },
    pageSize: { title: 'Page size', description: 'Entities per page for client paging.', type: 'integer', minimum: 1, maximum: 100000, default: 100 },
    maxPages: {
      title: 'Maximum pages',
      description: 'Safety limit: a query that needs more pages fails with SF_ODATA_PAGING instead of running on.',
      type: 'integer',
      minimum: 1,
      maximum: 100000,
      default: 100,
    },
    mergeMethod: {
      title: 'MERGE method (V2)',
      description: 'How an OData V2 merge is sent: POST with X-HTTP-Method: MERGE (works through proxies that only know standard methods), or the MERGE method itself.',
      type: 'string',
      enum: ['x-http-method', 'merge'],
      default: 'x-http-method',
    },
    csrf: {
      title: 'CSRF token for writes',
      description:
        'Fetch a CSRF token (GET the service root with X-CSRF-Token: Fetch) before each write and send it. ' +
        'Not needed when the receiver has `csrf: true`, where the session client fetches one token per session instead.',
      type: 'boolean',
      default: defaults.csrf ?? true,
    },
    batch: {
      title: 'Batch requests',
      description:
        'For operation batch: the requests, each an operation {method, url, headers?, body?, contentId?} or a change set {changeset: [operations]}. ' +
        'Without it the message body (JSON, same shape) is the list.',
      type: 'array',
      minItems: 1,
      items: {
        anyOf: [
          batchOperationSchema,
          {
            type: 'object',
            additionalProperties: false,
            required: ['changeset'],
            properties: { changeset: { type: 'array', minItems: 1, items: batchOperationSchema } },
          },
        ],
      },
    },
  };
}

/** Reads the OData fields of a receiver config (defaults filled in by the runner or here). */
export function readODataConfig(raw: Record<string, unknown>, defaults: { paging?: PagingMode; csrf?: boolean } = {}): ODataOperationConfig {
  const query: Record<string, string> = {};
  if (raw.query && typeof raw.query === 'object' && !Array.isArray(raw.query)) {
    for (const [k, v] of Object.entries(raw.query as Record<string, unknown>)) {
      if (v !== undefined && v !== null) query[k] = String(v);
    }
  }
  const int = (v: unknown, d: number): number => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : d);
  const cfg: ODataOperationConfig = {
    query,
    paging: raw.paging === 'none' || raw.paging === 'client' || raw.paging === 'server' ? raw.paging : (defaults.paging ?? 'server'),
    pageSize: int(raw.pageSize, 100),
    maxPages: int(raw.maxPages, 100),
    mergeMethod: raw.mergeMethod === 'merge' ? 'merge' : 'x-http-method',
    csrf: typeof raw.csrf === 'boolean' ? raw.csrf : (defaults.csrf ?? true),
  };
  if (typeof raw.operation === 'string' && (OPERATIONS as readonly string[]).includes(raw.operation)) cfg.operation = raw.operation as ODataOperation;
  if (typeof raw.entitySet === 'string' && raw.entitySet !== '') cfg.entitySet = raw.entitySet;
  if (typeof raw.key === 'string' || typeof raw.key === 'number' || (raw.key !== null && typeof raw.key === 'object')) cfg.key = raw.key as ODataKey;
  if (Array.isArray(raw.batch)) cfg.batch = raw.batch as BatchItem[];
  return cfg;
}

export interface ODataCallOptions {
  version: ODataVersion;
  /** Service root; its path should end with '/'. Its query (e.g. sap-client) is added to every request. */
  serviceRoot: URL;
  config: ODataOperationConfig;
  /** Error code for OData errors; default SF_ODATA_ERROR. */
  errorCode?: string;
}

const WRITE_OPERATIONS = new Set<ODataOperation>(['create', 'update', 'merge', 'patch', 'delete', 'batch']);

function versionHeaders(version: ODataVersion): Record<string, string> {
  return version === 'v2'
    ? { Accept: 'application/json', DataServiceVersion: '2.0', MaxDataServiceVersion: '2.0' }
    : { Accept: 'application/json', 'OData-Version': '4.0', 'OData-MaxVersion': '4.0' };
}

/**
 * The operation when the config names none: from the step method; GET and no method read one
 * entity when a key is set (config `key`, or a step path ending in `(...)`), else query the set.
 */
function operationFor(config: Pick<ODataOperationConfig, 'operation'>, method: string | undefined, hasKey: boolean): ODataOperation {
  if (config.operation) return config.operation;
  switch ((method ?? '').toUpperCase()) {
    case '':
    case 'GET':
      return hasKey ? 'read' : 'query';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'MERGE':
      return 'merge';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return hasKey ? 'read' : 'query';
  }
}

class Call {
  readonly ctx: AdapterContext;
  readonly o: ODataCallOptions;
  readonly who: string;
  readonly baseQuery: URLSearchParams;
  readonly extraHeaders: Record<string, string>;
  pagesRead = 0;

  constructor(ctx: AdapterContext, o: ODataCallOptions) {
    this.ctx = ctx;
    this.o = o;
    this.who = `receiver "${ctx.receiver.name}" (${ctx.receiver.adapter} ${ctx.receiver.variant})`;
    this.baseQuery = new URLSearchParams(o.serviceRoot.search);
    // The CSRF token is the session client's (receiver csrf: true), never the step's.
    this.extraHeaders = outboundHeaders(ctx.step.headers, { owned: ['x-csrf-token'] }).headers;
  }

  fail(status: number, method: string, url: URL, res: HttpResponse | undefined, what = ''): AdapterError {
    const info = res ? parseODataError(res.body) : undefined;
    const parts = [`${this.who} answered ${status}`];
    if (info?.code) parts.push(info.code);
    const text = `${parts.join(' ')}${info?.message ? `: ${info.message}` : ''} for ${what}${method} ${displayUrl(url)}`;
    return new AdapterError(this.o.errorCode ?? 'SF_ODATA_ERROR', text, {
      status,
      ...(info?.code ? { code: info.code } : {}),
      ...(info?.message ? { message: info.message } : {}),
      method,
      url: displayUrl(url),
      ...(res ? { headers: res.headers, body: res.body } : {}),
    });
  }

  /** A URL below the service root (relative path + query options), keeping the root's own query (e.g. sap-client). */
  url(path: string, query: Record<string, string>): URL {
    const clean = path.replace(/^\/+/, '');
    const q = clean.indexOf('?');
    const root = new URL(this.o.serviceRoot.href);
    root.search = '';
    if (!root.pathname.endsWith('/')) root.pathname += '/';
    let url: URL;
    try {
      url = new URL(q >= 0 ? clean.slice(0, q) : clean, root);
    } catch {
      throw new AdapterError('SF_ODATA_CONFIG', `${this.who}: the resource path "${clean}" is not a valid URL path`);
    }
    if (url.origin !== root.origin) throw new AdapterError('SF_ODATA_CONFIG', `${this.who}: the resource path "${clean}" leads outside the service`);
    const all: Record<string, string> = Object.fromEntries(this.baseQuery);
    if (q >= 0) for (const [k, v] of new URLSearchParams(clean.slice(q + 1))) all[k] = v;
    Object.assign(all, query);
    return withQuery(url, all);
  }

  async request(method: string, url: URL, body?: Uint8Array | string, headers: Record<string, string> = {}): Promise<HttpResponse> {
    this.ctx.log.debug(`${method} ${displayUrl(url)}`, { receiver: this.ctx.receiver.name, step: this.ctx.step.stepId });
    return this.ctx.http.request({
      method,
      url: url.href,
      headers: { ...versionHeaders(this.o.version), ...this.extraHeaders, ...headers },
      ...(body !== undefined ? { body } : {}),
      signal: this.ctx.signal,
    });
  }

  /** Whether the adapter fetches CSRF tokens itself (the session client does when the receiver has csrf). */
  get ownCsrf(): boolean {
    return this.o.config.csrf && !this.ctx.receiver.csrf;
  }

  async fetchCsrfToken(): Promise<string | undefined> {
    const url = this.url('', {});
    const res = await this.request('GET', url, undefined, { 'X-CSRF-Token': 'Fetch' });
    const token = res.headers['x-csrf-token'];
    if (res.status >= 400 || token === undefined || token === '' || token.toLowerCase() === 'required') {
      this.ctx.log.debug('no CSRF token returned by the service root; sending the write without one', { status: res.status });
      return undefined;
    }
    return token;
  }

  /** A modifying request, with the adapter's own CSRF handling when enabled (one re-fetch on 403 Required). */
  async write(method: string, url: URL, body: Uint8Array | string | undefined, headers: Record<string, string>): Promise<HttpResponse> {
    if (!this.ownCsrf) return this.request(method, url, body, headers);
    let token = await this.fetchCsrfToken();
    let res = await this.request(method, url, body, { ...headers, ...(token !== undefined ? { 'X-CSRF-Token': token } : {}) });
    if (res.status === 403 && (res.headers['x-csrf-token'] ?? '').toLowerCase() === 'required') {
      token = await this.fetchCsrfToken();
      res = await this.request(method, url, body, { ...headers, ...(token !== undefined ? { 'X-CSRF-Token': token } : {}) });
      if (res.status === 403 && (res.headers['x-csrf-token'] ?? '').toLowerCase() === 'required') {
        throw new AdapterError(
          'SF_HTTP_CSRF',
          `${this.who} rejected the CSRF token twice for ${method} ${displayUrl(url)}; CSRF tokens are bound to the session, so the receiver needs session handling (runtime.sessionHandling onExchange or onIntegrationFlow)`,
          { status: 403, method, url: displayUrl(url) },
        );
      }
    }
    return res;
  }
}

function parseJson(body: Uint8Array): unknown {
  const text = new TextDecoder().decode(body);
  if (text.trim() === '') return undefined;
  return JSON.parse(text) as unknown;
}

function result(res: HttpResponse, extra: Partial<AdapterResult> = {}): AdapterResult {
  const contentType = res.headers['content-type'];
  return { status: res.status, headers: res.headers, body: res.body, ...(contentType !== undefined ? { contentType } : {}), ...extra };
}

function jsonResult(status: number, headers: Record<string, string>, value: unknown, properties: Record<string, unknown>): AdapterResult {
  const h = { ...headers };
  delete h['content-length'];
  h['content-type'] = 'application/json';
  return { status, headers: h, body: new TextEncoder().encode(JSON.stringify(value)), contentType: 'application/json', properties };
}

interface Page {
  rows: unknown[];
  next?: string;
  count?: unknown;
  context?: unknown;
}

function readPage(version: ODataVersion, data: unknown): Page | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  if (version === 'v2') {
    const d = (data as { d?: unknown }).d;
    if (Array.isArray(d)) return { rows: d }; // OData V1 style: d is the array
    if (d && typeof d === 'object' && Array.isArray((d as { results?: unknown }).results)) {
      const dd = d as { results: unknown[]; __next?: unknown; __count?: unknown };
      return { rows: dd.results, ...(typeof dd.__next === 'string' ? { next: dd.__next } : {}), ...(dd.__count !== undefined ? { count: dd.__count } : {}) };
    }
    return undefined;
  }
  const v = data as { value?: unknown; '@odata.nextLink'?: unknown; '@odata.count'?: unknown; '@odata.context'?: unknown };
  if (!Array.isArray(v.value)) return undefined;
  return {
    rows: v.value,
    ...(typeof v['@odata.nextLink'] === 'string' ? { next: v['@odata.nextLink'] } : {}),
    ...(v['@odata.count'] !== undefined ? { count: v['@odata.count'] } : {}),
    ...(v['@odata.context'] !== undefined ? { context: v['@odata.context'] } : {}),
  };
}

async function getPage(call: Call, url: URL): Promise<{ page: Page; res: HttpResponse }> {
  if (call.pagesRead >= call.o.config.maxPages) {
    throw new AdapterError(
      'SF_ODATA_PAGING',
      `${call.who}: the query needs more than maxPages (${call.o.config.maxPages}) pages; raise maxPages or narrow the query`,
      { maxPages: call.o.config.maxPages },
    );
  }
  call.pagesRead++;
  const res = await call.request('GET', url);
  if (res.status < 200 || res.status > 299) throw call.fail(res.status, 'GET', url, res);
  let data: unknown;
  try {
    data = parseJson(res.body);
  } catch {
    throw new AdapterError('SF_ODATA_RESPONSE', `${call.who} answered GET ${displayUrl(url)} with a body that is not JSON (Content-Type ${res.headers['content-type'] ?? 'none'})`, {
      status: res.status,
    });
  }
  const page = readPage(call.o.version, data);
  if (!page) {
    const shape = call.o.version === 'v2' ? '{"d": {"results": [...]}}' : '{"value": [...]}';
    throw new AdapterError('SF_ODATA_RESPONSE', `${call.who} answered GET ${displayUrl(url)} with JSON that is not an OData ${call.o.version.toUpperCase()} collection (expected ${shape})`, {
      status: res.status,
    });
  }
  return { page, res };
}

/** Resolves a next link against the request URL; it must stay on the receiver's origin, and keeps the root's query (sap-client). */
function nextUrl(call: Call, link: string, current: URL): URL {
  let url: URL;
  try {
    url = new URL(link, current);
  } catch {
    throw new AdapterError('SF_ODATA_RESPONSE', `${call.who} sent a next link that is not a URL`);
  }
  if (url.origin !== current.origin) {
    throw new AdapterError('SF_ODATA_RESPONSE', `${call.who} sent a next link to ${url.origin}, outside the receiver's origin ${current.origin}; not followed`);
  }
  for (const [k, v] of call.baseQuery) if (!url.searchParams.has(k)) url.searchParams.set(k, v);
  return url;
}

async function runQuery(call: Call, path: string, query: Record<string, string>): Promise<AdapterResult> {
  const { config, version } = call.o;
  const first = call.url(path, query);
  if (config.paging === 'none') {
    const { page, res } = await getPage(call, first);
    return result(res, { properties: { odataCount: page.rows.length, odataPages: 1, ...(page.next !== undefined ? { odataNextLink: page.next } : {}) } });
  }
  const rows: unknown[] = [];
  let head: Page | undefined;
  let lastRes: HttpResponse | undefined;
  const drain = async (start: URL): Promise<number> => {
    let url: URL | undefined = start;
    let n = 0;
    while (url) {
      const { page, res }: { page: Page; res: HttpResponse } = await getPage(call, url);
      head ??= page;
      lastRes = res;
      rows.push(...page.rows);
      n += page.rows.length;
      url = page.next !== undefined ? nextUrl(call, page.next, url) : undefined;
    }
    return n;
  };
  if (config.paging === 'server') {
    await drain(first);
  } else {
    const skip0 = Number(query.$skip ?? '0') || 0;
    const limit = query.$top !== undefined && Number.isFinite(Number(query.$top)) ? Number(query.$top) : Infinity;
    for (let skip = skip0; rows.length < limit; ) {
      const top = Math.min(config.pageSize, limit - rows.length);
      const n = await drain(call.url(path, { ...query, $top: String(top), $skip: String(skip) }));
      skip += n;
      if (n < top) break;
    }
  }
  const properties = { odataCount: rows.length, odataPages: call.pagesRead };
  const h = head!;
  const body =
    version === 'v2'
      ? { d: { results: rows, ...(h.count !== undefined ? { __count: h.count } : {}) } }
      : { ...(h.context !== undefined ? { '@odata.context': h.context } : {}), ...(h.count !== undefined ? { '@odata.count': h.count } : {}), value: rows };
  return jsonResult(200, lastRes!.headers, body, properties);
}

function messageJson(call: Call, message: OutboundMessage, operation: string): string {
  const text = new TextDecoder().decode(message.body);
  try {
    const data = JSON.parse(text) as unknown;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error('not an object');
  } catch {
    throw new AdapterError('SF_ODATA_BODY', `${call.who}: operation ${operation} needs a JSON object (the entity) as message body`);
  }
  return text;
}

function isBatchOperation(x: unknown): x is BatchOperation {
  if (x === null || typeof x !== 'object') return false;
  const o = x as Record<string, unknown>;
  return typeof o.method === 'string' && BATCH_METHODS.includes(o.method.toUpperCase()) && typeof o.url === 'string' && o.url !== '';
}

function batchItems(call: Call, message: OutboundMessage): BatchItem[] {
  let raw: unknown = call.o.config.batch;
  let where = 'config.batch';
  if (raw === undefined) {
    where = 'the message body';
    try {
      raw = JSON.parse(new TextDecoder().decode(message.body)) as unknown;
    } catch {
      throw new AdapterError('SF_ODATA_BODY', `${call.who}: operation batch needs config.batch or a JSON array of requests as message body`);
    }
    if (raw && typeof raw === 'object' && !Array.isArray(raw) && Array.isArray((raw as { requests?: unknown }).requests)) raw = (raw as { requests: unknown }).requests;
  }
  if (!Array.isArray(raw) || raw.length === 0) throw new AdapterError('SF_ODATA_BODY', `${call.who}: ${where} must be a non-empty array of batch requests`);
  return raw.map((item, i) => {
    if (item && typeof item === 'object' && Array.isArray((item as { changeset?: unknown }).changeset)) {
      const ops = (item as { changeset: unknown[] }).changeset;
      if (ops.length === 0) throw new AdapterError('SF_ODATA_BODY', `${call.who}: ${where}[${i}].changeset is empty`);
      return {
        changeset: ops.map((op, j) => {
          if (!isBatchOperation(op)) throw new AdapterError('SF_ODATA_BODY', `${call.who}: ${where}[${i}].changeset[${j}] needs method (${BATCH_METHODS.join(', ')}) and url`);
          const method = op.method.toUpperCase() as BatchMethod;
          if (method === 'GET') throw new AdapterError('SF_ODATA_BODY', `${call.who}: ${where}[${i}].changeset[${j}]: a change set cannot hold GET requests`);
          return { ...op, method };
        }),
      };
    }
    if (!isBatchOperation(item)) throw new AdapterError('SF_ODATA_BODY', `${call.who}: ${where}[${i}] needs method and url, or changeset`);
    const method = item.method.toUpperCase() as BatchMethod;
    if (method !== 'GET') throw new AdapterError('SF_ODATA_BODY', `${call.who}: ${where}[${i}]: ${method} must be inside a changeset`);
    return { ...item, method };
  });
}

async function runBatch(call: Call, message: OutboundMessage): Promise<AdapterResult> {
  const items = batchItems(call, message);
  const batch = buildBatch(items, call.o.version);
  const url = call.url('$batch', {});
  const res = await call.write('POST', url, batch.body, { 'Content-Type': batch.contentType, Accept: 'multipart/mixed' });
  if (res.status < 200 || res.status > 299) throw call.fail(res.status, 'POST', url, res);
  let results: BatchOperationResult[];
  try {
    results = parseBatchResponse(res.headers['content-type'], new TextDecoder().decode(res.body), items);
  } catch (e) {
    if (e instanceof BatchFormatError) throw new AdapterError('SF_ODATA_RESPONSE', `${call.who}: cannot read the $batch answer: ${e.message}`, { status: res.status });
    throw e;
  }
  const failed = results.find((r) => r.status >= 400);
  if (failed) {
    const item = items[failed.item];
    const what = item && 'changeset' in item ? `change set (batch part ${failed.item + 1})` : `request ${failed.item + 1} (${(item as BatchOperation | undefined)?.method ?? '?'} ${(item as BatchOperation | undefined)?.url ?? '?'})`;
    const info = failed.error;
    throw new AdapterError(
      call.o.errorCode ?? 'SF_ODATA_ERROR',
      `${call.who}: $batch ${what} failed with ${failed.status}${info?.code ? ` ${info.code}` : ''}${info?.message ? `: ${info.message}` : ''}`,
      { status: failed.status, ...(info?.code ? { code: info.code } : {}), ...(info?.message ? { message: info.message } : {}), part: failed.item, results },
    );
  }
  const out = results.map((r) => ({
    status: r.status,
    ...(r.operation !== undefined ? { changeset: r.item, operation: r.operation } : { request: r.item }),
    ...(r.contentId !== undefined ? { contentId: r.contentId } : {}),
    headers: r.headers,
    body: r.body,
  }));
  return jsonResult(res.status, res.headers, { responses: out }, { odataBatchResponses: results.length });
}

/** Runs the configured OData operation for one step. */
export async function executeOData(message: OutboundMessage, context: AdapterContext, options: ODataCallOptions): Promise<AdapterResult> {
  const call = new Call(context, options);
  const { config } = options;
  const stepPath = context.step.path !== undefined && context.step.path !== '' ? context.step.path : undefined;
  const operation = operationFor(config, context.step.method, config.key !== undefined || (stepPath !== undefined && /\)$/.test(stepPath.split('?')[0] ?? '')));
  const query: Record<string, string> = { ...config.query, ...context.step.query };
  if (operation === 'batch') return runBatch(call, message);

  let path = stepPath;
  if (path === undefined) {
    if (config.entitySet === undefined) {
      throw new AdapterError('SF_ODATA_CONFIG', `${call.who}: operation ${operation} needs config.entitySet (or a step path relative to the service root)`);
    }
    const needsKey = operation !== 'query' && operation !== 'create';
    if (needsKey && config.key === undefined) throw new AdapterError('SF_ODATA_CONFIG', `${call.who}: operation ${operation} needs config.key (or a step path such as Products(1))`);
    path = resourcePath(config.entitySet, needsKey ? config.key : undefined);
  }
  if (operation === 'query') return runQuery(call, path, query);

  // Writes carry custom query options (e.g. sap-language) and the step's query, not the system query options.
  const url = call.url(path, operation === 'read' ? query : { ...customOptions(config.query), ...context.step.query });
  let method: string;
  let body: string | undefined;
  const headers: Record<string, string> = {};
  switch (operation) {
    case 'read':
      method = 'GET';
      break;
    case 'create':
      method = 'POST';
      body = messageJson(call, message, operation);
      break;
    case 'update':
      method = 'PUT';
      body = messageJson(call, message, operation);
      break;
    case 'merge':
      body = messageJson(call, message, operation);
      if (options.version === 'v4') method = 'PATCH';
      else if (config.mergeMethod === 'merge') method = 'MERGE';
      else {
        method = 'POST';
        headers['X-HTTP-Method'] = 'MERGE';
      }
      break;
    case 'patch':
      method = 'PATCH';
      body = messageJson(call, message, operation);
      break;
    case 'delete':
      method = 'DELETE';
      break;
  }
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const writes = WRITE_OPERATIONS.has(operation);
  const res = writes ? await call.write(method, url, body, headers) : await call.request(method, url, body, headers);
  if (res.status < 200 || res.status > 299) throw call.fail(res.status, headers['X-HTTP-Method'] ? `${method} (X-HTTP-Method: MERGE)` : method, url, res);
  return result(res);
}

function customOptions(q: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) if (!k.startsWith('$')) out[k] = v;
  return out;
}
