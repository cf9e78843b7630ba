/**
 * Session jars: one per session scope. A jar keeps, per origin (scheme, host, port):
 * a tough-cookie cookie jar, the cached CSRF token, and the in-flight authentication and
 * token-fetch promises that let concurrent calls share one login and one token fetch.
 *
 * Cookies are kept per origin: a cookie is only ever sent back to the origin whose response
 * set it (within that origin tough-cookie applies domain, path, secure and expiry rules).
 * This is stricter than RFC 6265, which ignores ports; it keeps two receivers on one host
 * from overwriting each other's session cookie and never sends a cookie to another host.
 */
import { Cookie, CookieJar, cookieCompare } from 'tough-cookie';
import type { ScopeKind } from './types.js';
import { originOf, urlParts } from './url.js';

export type SessionScope = { kind: 'none' } | { kind: 'exchange'; id: string } | { kind: 'flow' };

/** Per-origin state inside a jar. Internal to the http module. */
export interface OriginState {
  cookies: CookieJar;
  /** Bumped whenever the cookies of this origin may have changed (store, clear). */
  version: number;
  /**
   * `Cookie` header per request path, valid while `version` is unchanged and until the first
   * of its cookies expires. Only cookies whose expiry does not move on access are cached
   * (tough-cookie counts Max-Age from the last access).
   */
  headers?: Map<string, { value: string; version: number; validUntil: number }>;
  csrfToken?: string;
  /** Resolves when the call that is authenticating for this origin has its response. */
  authInFlight?: Promise<void>;
  /** Shared CSRF token fetch. */
  csrfInFlight?: Promise<string | undefined>;
}

interface JarState {
  origins: Map<string, OriginState>;
  cookieDomains: Map<string, string>;
}

const states = new WeakMap<SessionJar, JarState>();

function normalizeDomain(d: string): string {
  return d.trim().replace(/^\./, '').toLowerCase();
}

function toMapping(record: Record<string, string> | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const [from, to] of Object.entries(record ?? {})) m.set(normalizeDomain(from), normalizeDomain(to));
  return m;
}

function parseUrl(url: string | URL): URL | undefined {
  if (url instanceof URL) return url;
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function newCookieJar(): CookieJar {
  return new CookieJar(undefined, { looseMode: true, rejectPublicSuffixes: true, allowSpecialUseDomain: true });
}

export class SessionJar {
  constructor(options?: { cookieDomains?: Record<string, string> }) {
    states.set(this, { origins: new Map(), cookieDomains: toMapping(options?.cookieDomains) });
  }

  /** True when the jar holds any cookie that would be sent to this URL. */
  async hasSession(url: string): Promise<boolean> {
    return jarHasSession(this, url);
  }

  /** Drops the cookies and the CSRF token kept for the URL's origin. */
  async clearOrigin(url: string): Promise<void> {
    jarClearOrigin(this, url);
  }

  /** Number of (unexpired) cookies held, over all origins. */
  async cookieCount(): Promise<number> {
    let n = 0;
    for (const st of internal(this).origins.values()) {
      const serialized = st.cookies.serializeSync();
      const now = Date.now();
      for (const c of serialized?.cookies ?? []) {
        const cookie = Cookie.fromJSON(c);
        if (cookie && cookie.TTL(now) > 0) n++;
      }
    }
    return n;
  }
}

function internal(jar: SessionJar): JarState {
  const st = states.get(jar);
  if (!st) throw new Error('SessionJar used before construction');
  return st;
}

/** Per-origin state for a URL (created on first use). Internal to the http module. */
export function originState(jar: SessionJar, url: URL): OriginState {
  const { origins } = internal(jar);
  const origin = originOf(url);
  let st = origins.get(origin);
  if (!st) {
    st = { cookies: newCookieJar(), version: 0 };
    origins.set(origin, st);
  }
  return st;
}

/** Paths whose Cookie header an origin remembers at most (a cache, refilled on demand). */
const MAX_CACHED_PATHS = 64;

/** Synchronous `Cookie` header value for a URL ('' when none). */
export function jarCookieHeader(jar: SessionJar, url: URL): string {
  const { origin, pathname: path } = urlParts(url);
  const st = internal(jar).origins.get(origin);
  if (!st) return '';
  const cached = st.headers?.get(path);
  if (cached !== undefined && cached.version === st.version && Date.now() < cached.validUntil) return cached.value;
  // What tough-cookie's getCookieStringSync does, keeping the cookies to see how long the answer holds.
  const cookies = st.cookies.getCookiesSync(url.href);
  let validUntil = Infinity;
  for (const c of cookies) {
    if (c.maxAge !== null && c.maxAge !== undefined) {
      validUntil = 0; // expiry moves with every access: never cached
      break;
    }
    const expires = c.expiryTime();
    if (expires !== undefined && expires < validUntil) validUntil = expires;
  }
  const value = cookies.sort(cookieCompare).map((c) => c.cookieString()).join('; ');
  if (validUntil > Date.now()) {
    const headers = (st.headers ??= new Map());
    if (headers.size >= MAX_CACHED_PATHS && !headers.has(path)) headers.clear();
    headers.set(path, { value, version: st.version, validUntil });
  }
  return value;
}

export function jarHasSession(jar: SessionJar, url: string | URL): boolean {
  const u = parseUrl(url);
  return u ? jarCookieHeader(jar, u) !== '' : false;
}

export function jarClearOrigin(jar: SessionJar, url: string | URL): void {
  const u = parseUrl(url);
  if (!u) return;
  const st = internal(jar).origins.get(originOf(u));
  if (!st) return;
  st.cookies.removeAllCookiesSync();
  st.version++;
  delete st.csrfToken;
}

/**
 * Stores Set-Cookie header values received from `url`. `extraDomains` (the client's
 * on-premise mapping) is applied on top of the jar's own mapping: a cookie whose Domain is
 * a mapped backend domain is stored for the virtual domain (host-only when the virtual
 * domain is the request host). Returns how many live cookies were accepted; cookies the
 * jar rejects (foreign domain, public suffix) are dropped.
 */
export function jarStoreSetCookies(
  jar: SessionJar,
  url: URL,
  setCookies: readonly string[],
  extraDomains?: Record<string, string>,
): number {
  if (setCookies.length === 0) return 0;
  const st = originState(jar, url);
  st.version++;
  const mapping = new Map(internal(jar).cookieDomains);
  for (const [k, v] of toMapping(extraDomains)) mapping.set(k, v);
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  let accepted = 0;
  for (const header of setCookies) {
    const cookie = Cookie.parse(header, { loose: true });
    if (!cookie) continue;
    if (cookie.domain) {
      const mapped = mapping.get(normalizeDomain(cookie.domain));
      if (mapped !== undefined) {
        if (mapped === host) {
          cookie.domain = null;
          cookie.hostOnly = true;
        } else {
          cookie.domain = mapped;
        }
      }
    }
    let stored: Cookie | undefined;
    try {
      stored = st.cookies.setCookieSync(cookie, url.href);
    } catch {
      stored = undefined;
    }
    if (stored && stored.TTL() > 0) accepted++;
  }
  return accepted;
}

/** Creates jars lazily per scope: `none` has no jar, each exchange id one jar, the flow one jar. */
export class SessionStore {
  readonly #cookieDomains: Record<string, string> | undefined;
  readonly #exchanges = new Map<string, SessionJar>();
  #flow: SessionJar | undefined;

  constructor(options?: { cookieDomains?: Record<string, string> }) {
    this.#cookieDomains = options?.cookieDomains;
  }

  jarFor(scope: SessionScope): SessionJar | null {
    switch (scope.kind) {
      case 'none':
        return null;
      case 'exchange': {
        let jar = this.#exchanges.get(scope.id);
        if (!jar) {
          jar = this.#newJar();
          this.#exchanges.set(scope.id, jar);
        }
        return jar;
      }
      case 'flow':
        this.#flow ??= this.#newJar();
        return this.#flow;
      default:
        return null;
    }
  }

  /** Forgets the jar of an exchange (at exchange end); for `flow` drops the flow's jar. */
  release(scope: SessionScope): void {
    if (scope.kind === 'exchange') this.#exchanges.delete(scope.id);
    else if (scope.kind === 'flow') this.#flow = undefined;
  }

  get openJars(): number {
    return this.#exchanges.size + (this.#flow ? 1 : 0);
  }

  #newJar(): SessionJar {
    return new SessionJar(this.#cookieDomains ? { cookieDomains: this.#cookieDomains } : undefined);
  }
}

/** Maps the flow model's scope kind and an exchange id to a SessionScope. */
export function sessionScope(kind: ScopeKind, exchangeId?: string): SessionScope {
  if (kind === 'exchange') {
    if (exchangeId === undefined) throw new Error('sessionScope: an exchange scope needs an exchange id');
    return { kind: 'exchange', id: exchangeId };
  }
  return kind === 'flow' ? { kind: 'flow' } : { kind: 'none' };
}
