/**
 * The exchange: one message travelling through a flow.
 *
 * - `body` is bytes plus a content type; it is decoded lazily (and cached) as text, and as
 *   JSON when the content type says JSON (`application/json`, `*+json`) or, with no content
 *   type at all, when the text parses as JSON. XML bodies are available as text.
 * - `headers` are case-insensitive (the first spelling of a name is kept for output).
 * - `properties` are exchange-scoped values that are never sent.
 * - `responseHeaders` are the headers of the last call's response (`${response.header.X}`).
 *
 * An Exchange is also the EvaluationContext its expressions are evaluated against.
 */
import type { EvaluationContext } from '../flow/expression.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type BodyInput = Uint8Array | string | undefined;

let lastJsonType: { contentType: string; json: boolean } | undefined;

/** True when a content type denotes JSON (`application/json`, `application/problem+json`, ...). */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  // Most bodies of a run share one content type: remember the last answer.
  if (lastJsonType !== undefined && lastJsonType.contentType === contentType) return lastJsonType.json;
  const mime = contentType.split(';')[0]!.trim().toLowerCase();
  const json = mime === 'application/json' || mime.endsWith('+json') || mime === 'text/json';
  lastJsonType = { contentType, json };
  return json;
}

/** True when a content type denotes XML (`application/xml`, `text/xml`, `*+xml`). */
export function isXmlContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mime = contentType.split(';')[0]!.trim().toLowerCase();
  return mime === 'application/xml' || mime === 'text/xml' || mime.endsWith('+xml');
}

export function toBytes(body: BodyInput): Uint8Array {
  if (body === undefined) return new Uint8Array(0);
  if (typeof body === 'string') return encoder.encode(body);
  return body;
}

/** Case-insensitive header map that remembers the first spelling of each name. */
export class Headers {
  private entries: Map<string, { name: string; value: string }> | undefined;
  /** Headers not read yet (a reply's headers): turned into the map on first use. */
  private pending: Record<string, string> | undefined;
  /** The map is shared with a copy (split item, branch): replace it before changing it. */
  private shared = false;

  constructor(init?: Record<string, string> | Headers) {
    if (init instanceof Headers) {
      // Copy on write: entries are never changed in place, so both can read the same map.
      this.entries = init.map;
      init.shared = true;
      this.shared = true;
    } else if (init) {
      // A snapshot now (the caller may change its object later), the map when first needed.
      this.pending = Object.assign({}, init);
    }
  }

  private get map(): Map<string, { name: string; value: string }> {
    let map = this.entries;
    if (map === undefined) {
      map = new Map();
      this.entries = map;
      const pending = this.pending;
      if (pending !== undefined) {
        this.pending = undefined;
        for (const name of Object.keys(pending)) {
          const key = name.toLowerCase();
          const existing = map.get(key);
          map.set(key, { name: existing?.name ?? name, value: String(pending[name]) });
        }
      }
    }
    return map;
  }

  get(name: string): string | undefined {
    return this.map.get(name.toLowerCase())?.value;
  }

  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }

  set(name: string, value: string): void {
    const key = name.toLowerCase();
    const map = this.own();
    const existing = map.get(key);
    map.set(key, { name: existing?.name ?? name, value: String(value) });
  }

  delete(name: string): void {
    const key = name.toLowerCase();
    if (this.map.has(key)) this.own().delete(key);
  }

  /** Plain object with the remembered spellings. */
  toRecord(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const { name, value } of this.map.values()) out[name] = value;
    return out;
  }

  private own(): Map<string, { name: string; value: string }> {
    const map = this.map;
    if (this.shared) {
      this.entries = new Map(map);
      this.shared = false;
      return this.entries;
    }
    return map;
  }
}

const UNDECODED = Symbol('undecoded');

export class Exchange implements EvaluationContext {
  readonly headers: Headers;
  properties: Record<string, unknown>;
  responseHeaders: Headers;
  private bodyBytes: Uint8Array;
  private contentTypeValue: string | undefined;
  private textCache: string | typeof UNDECODED = UNDECODED;
  private jsonCache: unknown = UNDECODED;

  constructor(
    readonly id: string,
    init: {
      body?: BodyInput;
      contentType?: string;
      headers?: Record<string, string> | Headers;
      properties?: Record<string, unknown>;
      responseHeaders?: Headers;
    },
    private readonly envSource: Record<string, string | undefined> = {},
  ) {
    this.headers = new Headers(init.headers);
    this.properties = { ...(init.properties ?? {}) };
    this.responseHeaders = new Headers(init.responseHeaders);
    this.bodyBytes = toBytes(init.body);
    this.contentTypeValue = init.contentType ?? this.headers.get('content-type');
  }

  get body(): Uint8Array {
    return this.bodyBytes;
  }

  get contentType(): string | undefined {
    return this.contentTypeValue;
  }

  /** Replaces the body. `contentType` undefined keeps the current one unless `resetType`. */
  setBody(body: BodyInput, contentType?: string, resetType = false): void {
    this.bodyBytes = toBytes(body);
    if (contentType !== undefined || resetType) this.contentTypeValue = contentType;
    this.textCache = UNDECODED;
    this.jsonCache = UNDECODED;
  }

  /** Sets a JSON value as body (content type `application/json`). */
  setJsonBody(value: unknown): void {
    this.setBody(JSON.stringify(value === undefined ? null : value), 'application/json');
    this.jsonCache = value === undefined ? null : value;
  }

  /** A copy for a split item, multicast branch: same headers and properties (shallow copy). */
  copy(id: string, body?: { body: BodyInput; contentType?: string }): Exchange {
    return new Exchange(
      id,
      {
        body: body ? body.body : this.bodyBytes,
        contentType: body ? body.contentType : this.contentTypeValue,
        headers: this.headers,
        properties: this.properties,
        responseHeaders: this.responseHeaders,
      },
      this.envSource,
    );
  }

  // ---- EvaluationContext ----
  header(name: string): string | undefined {
    return this.headers.get(name);
  }

  property(name: string): unknown {
    return this.properties[name];
  }

  bodyText(): string {
    if (this.textCache === UNDECODED) this.textCache = decoder.decode(this.bodyBytes);
    return this.textCache;
  }

  bodyJson(): unknown {
    if (this.jsonCache !== UNDECODED) return this.jsonCache;
    let value: unknown = undefined;
    const ct = this.contentTypeValue;
    if (isJsonContentType(ct) || (ct === undefined && this.bodyBytes.length > 0)) {
      try {
        value = JSON.parse(this.bodyText());
      } catch {
        value = undefined;
      }
    }
    this.jsonCache = value;
    return value;
  }

  /** The body as a value for gathering: JSON when it is JSON, else text, `null` when empty. */
  bodyValue(): unknown {
    if (this.bodyBytes.length === 0) return null;
    const json = this.bodyJson();
    return json !== undefined ? json : this.bodyText();
  }

  responseHeader(name: string): string | undefined {
    return this.responseHeaders.get(name);
  }

  env(name: string): string | undefined {
    return this.envSource[name];
  }
}
