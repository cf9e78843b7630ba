/**
 * The session-aware HTTP client (undici + tough-cookie).
 *
 * Per call, in one session scope (jar):
 * - credentials go out only when the jar holds no cookie for the URL (with no jar: always);
 * - concurrent calls without a session share ONE authenticating request per origin;
 * - a 401 on a request that carried a session cookie clears the origin and retries once,
 *   and concurrent 401s share one re-authentication;
 * - a 401 on a request that carried a bearer token invalidates the token and retries once
 *   with a fresh one (OAuth2: tokens revoked or expired early);
 * - with `csrf`, modifying calls carry a token fetched once per session (shared fetch), and
 *   a 403 with `X-CSRF-Token: Required` triggers one re-fetch and one retry.
 *
 * Nothing secret (Authorization, cookie or token values) ever appears in errors, events or
 * traces: only `shortHash` fingerprints.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import { HttpClientError } from './errors.js';
import { shortHash } from './hash.js';
import {
  type SessionJar,
  jarClearOrigin,
  jarCookieHeader,
  jarHasSession,
  jarStoreSetCookies,
  originState,
} from './jar.js';
import type { CallTrace, HttpAuth, HttpEvent, HttpRequest, HttpResponse, SessionHttpClient } from './types.js';
import { displayUrl, redactRawUrl } from './url.js';

export interface SessionClientOptions {
  /** Receiver name, for messages and events. */
  receiver: string;
  /** Session scope's jar; null = no session: nothing is kept between calls. */
  jar: SessionJar | null;
  auth: HttpAuth;
  /** Fetch a CSRF token before the first modifying call of a session. */
  csrf?: boolean;
  /** Where to GET with `X-CSRF-Token: Fetch` (default: the request URL). */
  csrfUrl?: string;
  /** Default 30000. */
  timeoutMs?: number;
  /** On-premise connector: BACKEND_DOMAIN -> VIRTUAL_DOMAIN mapping of Set-Cookie Domain. */
  cookieDomains?: Record<string, string>;
  /** Extra trusted CA certificates (PEM) for https backends signed by a private CA. */
  ca?: string | Buffer | (string | Buffer)[];
  dispatcher?: Dispatcher;
  onEvent?: (e: HttpEvent) => void;
}

/** Diagnostics channel on which every HttpEvent is published. */
export const HTTP_DIAGNOSTICS_CHANNEL = 'sessionflow:http';
const channel = diagnosticsChannel.channel(HTTP_DIAGNOSTICS_CHANNEL);

export const DEFAULT_TIMEOUT_MS = 30_000;
const MODIFYING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'MERGE']);
const TOKEN_CHARS = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function isModifyingMethod(method: string): boolean {
  return MODIFYING_METHODS.has(method.toUpperCase());
}

export function createSessionClient(options: SessionClientOptions): SessionHttpClient {
  return new SessionClient(options);
}

// One undici Agent per TLS identity (client certificate and/or trusted CAs), keyed by
// fingerprints, never by the key itself.
const tlsAgents = new Map<string, Agent>();
function tlsAgent(cert: string | Buffer | undefined, key: string | Buffer | undefined, ca: string | Buffer | (string | Buffer)[] | undefined): Agent {
  const fp = (v: string | Buffer | undefined): string => (v === undefined ? '-' : shortHash(v.toString()));
  const cas = ca === undefined ? [] : Array.isArray(ca) ? ca : [ca];
  const id = `${fp(cert)}:${fp(key)}:${cas.map(fp).join(',')}`;
  let agent = tlsAgents.get(id);
  if (!agent) {
    agent = new Agent({
      connect: {
        ...(cert !== undefined ? { cert } : {}),
        ...(key !== undefined ? { key } : {}),
        ...(ca !== undefined ? { ca: cas } : {}),
      },
    });
    tlsAgents.set(id, agent);
  }
  return agent;
}

/** Closes the cached TLS agents (client certificates, private CAs), for tests and clean shutdown. */
export async function closeCertificateAgents(): Promise<void> {
  const agents = [...tlsAgents.values()];
  tlsAgents.clear();
  await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
}

interface AttemptResult {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  /** Hash of the Cookie header this attempt sent, if it sent one. */
  cookieSentHash?: string;
  /** This attempt carried the auth provider's credentials (e.g. a bearer token). */
  credentialsSent?: boolean;
}

interface Gate {
  credentials: boolean;
  release?: () => void;
}

interface CallState {
  trace: CallTrace;
  retried401: boolean;
  /** A fresh bearer token was already tried after a 401. */
  retriedBearer: boolean;
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

function newTrace(): CallTrace {
  return {
    attempts: 0,
    credentialsSent: false,
    sessionCookieSet: false,
    sessionOpened: false,
    csrfFetched: false,
    reauthenticated: false,
    csrfRefetched: false,
  };
}

function csrfRequired(headers: Record<string, string>): boolean {
  return (headers['x-csrf-token'] ?? '').trim().toLowerCase() === 'required';
}

class SessionClient implements SessionHttpClient {
  readonly #o: SessionClientOptions;
  readonly #dispatcher: Dispatcher | undefined;

  constructor(options: SessionClientOptions) {
    this.#o = options;
    if (options.dispatcher) this.#dispatcher = options.dispatcher;
    else if (options.auth.type === 'client-certificate') this.#dispatcher = tlsAgent(options.auth.cert, options.auth.key, options.ca);
    else if (options.ca !== undefined) this.#dispatcher = tlsAgent(undefined, undefined, options.ca);
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const receiver = this.#o.receiver;
    const url = this.#parseUrl(req.url);
    const method = (req.method ?? '').toUpperCase();
    if (!TOKEN_CHARS.test(method)) {
      throw new HttpClientError('SF_HTTP_INVALID_URL', receiver, url, `invalid HTTP method "${redactRawUrl(req.method ?? '')}" for {url}`);
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;

    const state: CallState = {
      trace: newTrace(),
      retried401: false,
      retriedBearer: false,
      timeoutMs: req.timeoutMs ?? this.#o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      signal: req.signal,
    };
    const needCsrf = this.#o.csrf === true && MODIFYING_METHODS.has(method) && headers['x-csrf-token'] === undefined;
    let sentToken: string | undefined;
    const prepare = needCsrf
      ? async (): Promise<Record<string, string>> => {
          sentToken = await this.#ensureCsrf(url, state);
          return sentToken !== undefined ? { 'x-csrf-token': sentToken } : {};
        }
      : undefined;

    let res = await this.#exchange(url, method, headers, req.body, state, prepare, true);
    if (needCsrf && res.status === 403 && csrfRequired(res.headers)) {
      // The server rejected the token: drop it (unless someone already replaced it), re-fetch once, retry once.
      if (this.#o.jar) {
        const st = originState(this.#o.jar, url);
        if (st.csrfToken === sentToken) delete st.csrfToken;
      }
      state.trace.csrfRefetched = true;
      res = await this.#exchange(url, method, headers, req.body, state, async (): Promise<Record<string, string>> => {
        sentToken = await this.#ensureCsrf(url, state, true);
        return sentToken !== undefined ? { 'x-csrf-token': sentToken } : {};
      }, true);
    }
    return { status: res.status, headers: res.headers, body: res.body, url: req.url, trace: state.trace };
  }

  #parseUrl(raw: string): URL {
    const receiver = this.#o.receiver;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new HttpClientError('SF_HTTP_INVALID_URL', receiver, raw, 'invalid URL "{url}": not an absolute http(s) URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new HttpClientError('SF_HTTP_INVALID_URL', receiver, url, `invalid URL {url}: scheme "${url.protocol.slice(0, -1)}" is not http or https`);
    }
    if (url.username !== '' || url.password !== '') {
      throw new HttpClientError('SF_HTTP_INVALID_URL', receiver, url, 'invalid URL {url}: user info in the URL is not allowed, configure the credentials in the receiver instead');
    }
    url.hash = '';
    return url;
  }

  /**
   * One logical request: pass the auth gate, send, and after a 401 on a session cookie
   * clear the origin (unless another call already re-authenticated) and retry once.
   */
  async #exchange(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: string | Uint8Array | undefined,
    state: CallState,
    prepare: (() => Promise<Record<string, string>>) | undefined,
    main: boolean,
  ): Promise<AttemptResult> {
    const jar = this.#o.jar;
    while (true) {
      const extra = prepare ? await prepare() : {};
      const gate = await this.#acquire(url);
      let res: AttemptResult;
      try {
        res = await this.#attempt(url, method, { ...headers, ...extra }, body, gate.credentials, state, main);
      } finally {
        gate.release?.();
      }
      if (res.status === 401 && jar && res.cookieSentHash !== undefined && !state.retried401) {
        state.retried401 = true;
        state.trace.reauthenticated = true;
        const current = jarCookieHeader(jar, url);
        // Same cookie still in the jar: nobody re-authenticated yet, the session is gone.
        if (current !== '' && shortHash(current) === res.cookieSentHash) jarClearOrigin(jar, url);
        this.#emit({ type: 'reauthenticate', receiver: this.#o.receiver, url: displayUrl(url) });
        continue;
      }
      // A rejected bearer token (revoked, or expired before its announced lifetime): fetch a fresh one and retry once.
      const auth = this.#o.auth;
      if (res.status === 401 && auth.type === 'bearer' && res.credentialsSent === true && !state.retriedBearer) {
        state.retriedBearer = true;
        auth.invalidate();
        continue;
      }
      return res;
    }
  }

  /**
   * Decides whether this attempt sends credentials. Without a session for the origin, the
   * first caller authenticates and later callers wait for its response.
   */
  async #acquire(url: URL): Promise<Gate> {
    const jar = this.#o.jar;
    const hasCredentials = this.#o.auth.type !== 'none';
    if (!jar) return { credentials: hasCredentials };
    if (!hasCredentials) return { credentials: false };
    if (jarHasSession(jar, url)) return { credentials: false };
    const st = originState(jar, url);
    if (st.authInFlight) {
      await st.authInFlight;
      // The server may have set no cookie (stateless backend or failed login): authenticate ourselves.
      return { credentials: !jarHasSession(jar, url) };
    }
    let done!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      done = resolve;
    });
    st.authInFlight = inFlight;
    return {
      credentials: true,
      release: () => {
        if (st.authInFlight === inFlight) delete st.authInFlight;
        done();
      },
    };
  }

  /** The CSRF token for this call: cached per jar and origin, fetched once (shared). */
  async #ensureCsrf(url: URL, state: CallState, refetch = false): Promise<string | undefined> {
    const jar = this.#o.jar;
    if (!jar) return this.#fetchToken(url, state, refetch);
    const st = originState(jar, url);
    if (st.csrfToken !== undefined) return st.csrfToken;
    if (st.csrfInFlight) return st.csrfInFlight;
    const p = this.#fetchToken(url, state, refetch).finally(() => {
      if (st.csrfInFlight === p) delete st.csrfInFlight;
    });
    st.csrfInFlight = p;
    return p;
  }

  async #fetchToken(url: URL, state: CallState, refetch: boolean): Promise<string | undefined> {
    const target = this.#o.csrfUrl !== undefined ? this.#parseUrl(this.#o.csrfUrl) : url;
    state.trace.csrfFetched = true;
    if (refetch) state.trace.csrfRefetched = true;
    this.#emit({ type: 'csrf-fetch', receiver: this.#o.receiver, url: displayUrl(target) });
    const res = await this.#exchange(target, 'GET', { 'x-csrf-token': 'Fetch' }, undefined, state, undefined, false);
    const token = res.headers['x-csrf-token'];
    if (token === undefined || token === '' || csrfRequired(res.headers) || res.status >= 400) return undefined;
    if (this.#o.jar && target.origin !== url.origin) originState(this.#o.jar, url).csrfToken = token;
    return token;
  }

  async #credentialHeader(url: URL): Promise<string | undefined> {
    const auth = this.#o.auth;
    switch (auth.type) {
      case 'basic':
        return `Basic ${Buffer.from(`${auth.user}:${auth.password}`, 'utf8').toString('base64')}`;
      case 'bearer': {
        let token: string;
        try {
          token = await auth.token();
        } catch (err) {
          const why = err instanceof HttpClientError ? `: ${err.message}` : '';
          throw new HttpClientError('SF_HTTP_UNAUTHORIZED', this.#o.receiver, url, `could not obtain an access token for {url}${why}`, { cause: err });
        }
        return `Bearer ${token}`;
      }
      default:
        return undefined;
    }
  }

  /** Sends one HTTP request and stores the cookies of its response. */
  async #attempt(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: string | Uint8Array | undefined,
    credentials: boolean,
    state: CallState,
    main: boolean,
  ): Promise<AttemptResult> {
    const jar = this.#o.jar;
    const { trace } = state;
    const sendHeaders = { ...headers };
    const cookie = jar ? jarCookieHeader(jar, url) : '';
    if (cookie !== '') sendHeaders.cookie = sendHeaders.cookie ? `${cookie}; ${sendHeaders.cookie}` : cookie;
    let credentialsSent = false;
    let providerCredentials = false;
    if (credentials && sendHeaders.authorization === undefined) {
      const value = await this.#credentialHeader(url);
      if (value !== undefined) sendHeaders.authorization = value;
      credentialsSent = true; // client certificate: presented on the connection
      providerCredentials = true;
    } else if (sendHeaders.authorization !== undefined) {
      credentialsSent = true;
    }
    const cookieSentHash = cookie !== '' ? shortHash(cookie) : undefined;
    if (credentialsSent) trace.credentialsSent = true;
    if (main) {
      if (cookieSentHash !== undefined) trace.sessionCookieSentHash = cookieSentHash;
      else delete trace.sessionCookieSentHash;
    }
    trace.attempts++;
    const shown = displayUrl(url);
    this.#emit({
      type: 'request',
      receiver: this.#o.receiver,
      method,
      url: shown,
      credentialsSent,
      ...(cookieSentHash !== undefined ? { sessionCookieHash: cookieSentHash } : {}),
    });

    const started = performance.now();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, state.timeoutMs);
    const callerSignal = state.signal;
    const onAbort = (): void => controller.abort();
    if (callerSignal) {
      if (callerSignal.aborted) controller.abort();
      else callerSignal.addEventListener('abort', onAbort, { once: true });
    }
    let status: number;
    let rawHeaders: Record<string, string | string[] | undefined>;
    let bytes: Uint8Array;
    try {
      if (callerSignal?.aborted) throw new Error('aborted before sending');
      const res = await undiciRequest(url, {
        method: method as Dispatcher.HttpMethod,
        headers: sendHeaders,
        body: body === undefined ? null : body,
        headersTimeout: state.timeoutMs,
        bodyTimeout: state.timeoutMs,
        signal: controller.signal,
        ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
      });
      status = res.statusCode;
      rawHeaders = res.headers;
      bytes = new Uint8Array(await res.body.arrayBuffer());
    } catch (err) {
      throw this.#classify(err, url, state.timeoutMs, timedOut, callerSignal?.aborted === true);
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onAbort);
    }

    const responseHeaders: Record<string, string> = {};
    let setCookies: string[] = [];
    for (const [name, value] of Object.entries(rawHeaders)) {
      if (value === undefined) continue;
      const key = name.toLowerCase();
      if (key === 'set-cookie') {
        setCookies = Array.isArray(value) ? value : [value];
        continue;
      }
      responseHeaders[key] = Array.isArray(value) ? value.join(', ') : value;
    }
    let cookieSet = false;
    if (jar) {
      // A 401 answering a session cookie ends that session: its cookies are not kept.
      if (!(status === 401 && cookieSentHash !== undefined)) {
        cookieSet = jarStoreSetCookies(jar, url, setCookies, this.#o.cookieDomains) > 0;
      }
      const sentFetch = (headers['x-csrf-token'] ?? '').trim().toLowerCase() === 'fetch';
      const token = responseHeaders['x-csrf-token'];
      if (sentFetch && status < 400 && token !== undefined && token !== '' && !csrfRequired(responseHeaders)) {
        originState(jar, url).csrfToken = token;
      }
    } else {
      cookieSet = setCookies.length > 0;
    }
    if (cookieSet) trace.sessionCookieSet = true;
    if (cookieSet && credentialsSent) trace.sessionOpened = true;
    this.#emit({
      type: 'response',
      receiver: this.#o.receiver,
      status,
      url: shown,
      cookieSet,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    });
    return {
      status,
      headers: responseHeaders,
      body: bytes,
      credentialsSent: providerCredentials,
      ...(cookieSentHash !== undefined ? { cookieSentHash } : {}),
    };
  }

  #classify(err: unknown, url: URL, timeoutMs: number, timedOut: boolean, aborted: boolean): HttpClientError {
    const r = this.#o.receiver;
    if (err instanceof HttpClientError) return err;
    const codes: string[] = [];
    const names: string[] = [];
    let e: unknown = err;
    for (let depth = 0; e && depth < 5; depth++) {
      const x = e as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
      if (typeof x.code === 'string') codes.push(x.code);
      if (typeof x.name === 'string') names.push(x.name);
      if (Array.isArray(x.errors)) {
        for (const inner of x.errors as { code?: unknown }[]) if (typeof inner?.code === 'string') codes.push(inner.code);
      }
      e = x.cause;
    }
    const has = (...c: string[]): boolean => c.some((v) => codes.includes(v));
    if (timedOut || has('UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT')) {
      return new HttpClientError('SF_HTTP_TIMEOUT', r, url, `timed out after ${timeoutMs} ms waiting for {url}`, { cause: err });
    }
    if (aborted) return new HttpClientError('SF_HTTP_ABORTED', r, url, 'request to {url} was aborted', { cause: err });
    if (has('ECONNREFUSED')) return new HttpClientError('SF_HTTP_CONNECT', r, url, 'cannot connect to {url}: connection refused', { cause: err });
    if (has('ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME')) return new HttpClientError('SF_HTTP_CONNECT', r, url, 'cannot connect to {url}: host not found', { cause: err });
    if (has('EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ECONNABORTED')) {
      return new HttpClientError('SF_HTTP_CONNECT', r, url, `cannot connect to {url}: ${codes.find((c) => c.startsWith('E')) ?? 'unreachable'}`, { cause: err });
    }
    const tls = codes.find((c) => /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/.test(c));
    if (tls !== undefined) return new HttpClientError('SF_HTTP_CONNECT', r, url, `TLS handshake with {url} failed (${tls})`, { cause: err });
    if (has('ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED')) {
      return new HttpClientError('SF_HTTP_RESET', r, url, 'connection to {url} was reset before the response was complete', { cause: err });
    }
    if (codes.some((c) => c.startsWith('HPE_')) || has('UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'UND_ERR_INFO', 'UND_ERR_RES_EXCEEDED_MAX_SIZE') || names.includes('HTTPParserError')) {
      const parserCode = codes.find((c) => c.startsWith('HPE_'));
      return new HttpClientError('SF_HTTP_BAD_RESPONSE', r, url, `invalid HTTP response from {url}${parserCode ? ` (${parserCode})` : ''}`, { cause: err });
    }
    if (has('UND_ERR_ABORTED') || names.includes('AbortError')) {
      return new HttpClientError('SF_HTTP_ABORTED', r, url, 'request to {url} was aborted', { cause: err });
    }
    if (has('UND_ERR_INVALID_ARG', 'ERR_INVALID_URL', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_CHAR', 'ERR_INVALID_HTTP_TOKEN')) {
      return new HttpClientError('SF_HTTP_INVALID_URL', r, url, 'invalid request to {url} (bad header name or value, method or body)', { cause: err });
    }
    const code = codes[0] ?? names[0] ?? 'unknown error';
    return new HttpClientError('SF_HTTP_RESET', r, url, `request to {url} failed (${code})`, { cause: err });
  }

  #emit(e: HttpEvent): void {
    try {
      this.#o.onEvent?.(e);
    } catch {
      // A failing listener must not break the call.
    }
    if (channel.hasSubscribers) channel.publish(e);
  }
}
