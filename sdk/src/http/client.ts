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
 *   a 403 with `X-CSRF-Token: Required` triggers one re-fetch and one retry;
 * - a request with `credentials: 'omit'` never gets the Authorization header (login inside the
 *   body); with `carriesCredentials` it counts as sending credentials and, without a session,
 *   is the origin's authenticating request.
 *
 * Nothing secret (Authorization, cookie or token values) ever appears in errors, events or
 * traces: only `shortHash` fingerprints.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { Agent, errors, getGlobalDispatcher, util as undiciUtil, type Dispatcher } from 'undici';
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
import { displayUrl, redactRawUrl, urlParts } from './url.js';

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
  /**
   * Put the short hash of the session cookie sent on `CallTrace.sessionCookieSentHash`
   * (default true). Computing it costs a SHA-256 per request; the runner needs it only at
   * log level `debug`. Events carry the hash whenever someone listens, whatever this says.
   */
  traceCookieHashes?: boolean;
}

/** Diagnostics channel on which every HttpEvent is published. */
export const HTTP_DIAGNOSTICS_CHANNEL = 'sessionflow:http';
const channel = diagnosticsChannel.channel(HTTP_DIAGNOSTICS_CHANNEL);

export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Request URLs parsed recently (valid http(s) URLs only): a runner sends many requests to few
 * URLs. The URL objects are shared and never changed after parsing.
 */
const parsedUrls = new Map<string, URL>();
const MAX_PARSED_URLS = 256;
const MODIFYING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'MERGE']);
const TOKEN_CHARS = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function isModifyingMethod(method: string): boolean {
  return MODIFYING_METHODS.has(method.toUpperCase());
}

export function createSessionClient(options: SessionClientOptions): SessionHttpClient {
  return new SessionClient(options);
}

/** Traces of calls that failed with an error (what went on the wire before the failure). */
const errorTraces = new WeakMap<object, CallTrace>();

/**
 * The trace of a call that threw (transport failure, timeout, abort): how many requests it
 * sent before failing. Undefined for errors that did not come from a session client's call.
 */
export function traceOfError(error: unknown): CallTrace | undefined {
  return typeof error === 'object' && error !== null ? errorTraces.get(error) : undefined;
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

/** What one attempt got back: status, headers as undici parses them, the whole body. */
interface AttemptAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

/**
 * One attempt on the wire: an undici dispatch handler that buffers the whole response body,
 * and the attempt's abort source (its deadline or the caller's signal).
 *
 * It does what `undici.request()` + `body.bytes()` do for a request read to the end, without
 * the response stream, the async resource and the signal listener they set up per request:
 * responses here are always read whole. Same undici dispatch options, same parsed headers
 * (`util.parseHeaders`), same errors (undici's error, or the abort reason), 1xx answers
 * skipped. Like `request()`, an abort before undici hands the request to a connection takes
 * effect when it does.
 */
class Attempt implements Dispatcher.DispatchHandler {
  aborted = false;
  reason: unknown = undefined;
  /** The attempt's own deadline passed (as opposed to the caller aborting). */
  timedOut = false;
  readonly promise: Promise<AttemptAnswer>;
  #resolve!: (answer: AttemptAnswer) => void;
  #reject!: (err: unknown) => void;
  #abortRequest: ((reason: Error) => void) | undefined = undefined;
  #status = 0;
  #headers: Record<string, string | string[] | undefined> | undefined = undefined;
  #chunks: Buffer[] | undefined = undefined;
  #size = 0;
  #settled = false;

  constructor() {
    this.promise = new Promise<AttemptAnswer>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    // The same AbortError an AbortController gives.
    const reason = new DOMException('This operation was aborted', 'AbortError');
    this.reason = reason;
    this.#abortRequest?.(reason as unknown as Error);
  }

  // ---- undici dispatch handler ----

  onConnect(abort: (err?: Error) => void): void {
    if (this.aborted) {
      abort(this.reason as Error);
      return;
    }
    this.#abortRequest = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[] | null): boolean {
    // 1xx: informational, the real answer follows.
    if (statusCode < 200) return true;
    this.#status = statusCode;
    this.#headers = parseHeaders((rawHeaders ?? []) as Buffer[]) as Record<string, string | string[] | undefined>;
    return true;
  }

  onData(chunk: Buffer): boolean {
    (this.#chunks ??= []).push(chunk);
    this.#size += chunk.length;
    return true;
  }

  onComplete(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#abortRequest = undefined;
    this.#resolve({ status: this.#status, headers: this.#headers ?? {}, body: concatChunks(this.#chunks, this.#size) });
  }

  onError(err: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#abortRequest = undefined;
    this.#chunks = undefined;
    this.#reject(err);
  }
}

/** The body as one fresh Uint8Array (what undici's `body.bytes()` returns). */
function concatChunks(chunks: Buffer[] | undefined, size: number): Uint8Array {
  if (chunks === undefined || size === 0) return new Uint8Array(0);
  if (chunks.length === 1) return new Uint8Array(chunks[0]!);
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const parseHeaders = undiciUtil.parseHeaders;

/**
 * Hands one attempt to the dispatcher, with the options `undici.request(url, …)` would give it.
 * A dispatcher that throws instead of calling `onError` fails the attempt the same way.
 */
function dispatchAttempt(
  dispatcher: Dispatcher,
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | Uint8Array | undefined,
  timeoutMs: number,
  attempt: Attempt,
): void {
  try {
    // undici's request() refuses CONNECT (it is a tunnel, not a request with an answer).
    if (method === 'CONNECT') throw new errors.InvalidArgumentError('invalid method');
    const { origin, pathname } = urlParts(url);
    const search = url.search;
    dispatcher.dispatch(
      {
        origin,
        path: search ? `${pathname}${search}` : pathname,
        method: method as Dispatcher.HttpMethod,
        headers,
        body: body === undefined ? null : body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      },
      attempt,
    );
  } catch (err) {
    attempt.onError(err as Error);
  }
}

function onAttemptTimeout(attempt: Attempt): void {
  attempt.timedOut = true;
  attempt.abort();
}

/**
 * One 'abort' listener per caller signal, fanning out to the attempts in flight on it: adding
 * and removing an EventTarget listener per request is costly, and callers (the runner) tend to
 * pass one long-lived signal to every request.
 */
const abortFanOut = new WeakMap<AbortSignal, Set<Attempt>>();

function watchCallerSignal(signal: AbortSignal, abort: Attempt): void {
  let attempts = abortFanOut.get(signal);
  if (!attempts) {
    const set = new Set<Attempt>();
    attempts = set;
    abortFanOut.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        const all = [...set];
        set.clear();
        for (const a of all) a.abort();
      },
      { once: true },
    );
  }
  attempts.add(abort);
}

function unwatchCallerSignal(signal: AbortSignal, abort: Attempt): void {
  abortFanOut.get(signal)?.delete(abort);
}

interface Gate {
  credentials: boolean;
  release?: () => void;
}

/** What an attempt does about the CSRF token: nothing, carry the session's token, or carry a re-fetched one. */
type CsrfMode = 0 | 1 | 2;
const NO_CSRF = 0;
const CSRF_TOKEN = 1;
const CSRF_REFETCH = 2;

const GATE_CREDENTIALS: Gate = Object.freeze({ credentials: true });
const GATE_NONE: Gate = Object.freeze({ credentials: false });

interface CallState {
  trace: CallTrace;
  retried401: boolean;
  /** A fresh bearer token was already tried after a 401. */
  retriedBearer: boolean;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  /** The CSRF token the last attempt carried (automatic CSRF handling). */
  sentToken?: string;
  /** `credentials: 'omit'`: never add the receiver's Authorization header. */
  omitCredentials: boolean;
  /** The caller's body carries credentials (`carriesCredentials`). */
  bodyCredentials: boolean;
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
  readonly #traceHashes: boolean;
  #basic: { user: string; password: string; value: string } | undefined = undefined;

  constructor(options: SessionClientOptions) {
    this.#o = options;
    this.#traceHashes = options.traceCookieHashes !== false;
    if (options.dispatcher) this.#dispatcher = options.dispatcher;
    else if (options.auth.type === 'client-certificate') this.#dispatcher = tlsAgent(options.auth.cert, options.auth.key, options.ca);
    else if (options.ca !== undefined) this.#dispatcher = tlsAgent(undefined, undefined, options.ca);
  }

  hasSession(url: string): Promise<boolean> {
    const jar = this.#o.jar;
    return Promise.resolve(jar ? jarHasSession(jar, url) : false);
  }

  request(req: HttpRequest): Promise<HttpResponse> {
    const receiver = this.#o.receiver;
    let url: URL;
    let method: string;
    const headers: Record<string, string> = {};
    try {
      url = this.#parseUrl(req.url);
      method = (req.method ?? '').toUpperCase();
      if (!TOKEN_CHARS.test(method)) {
        throw new HttpClientError('SF_HTTP_INVALID_URL', receiver, url, `invalid HTTP method "${redactRawUrl(req.method ?? '')}" for {url}`);
      }
      const given = req.headers;
      if (given !== undefined) for (const k of Object.keys(given)) headers[k.toLowerCase()] = given[k]!;
    } catch (err) {
      return Promise.reject(err);
    }
    const state: CallState = {
      trace: newTrace(),
      retried401: false,
      retriedBearer: false,
      timeoutMs: req.timeoutMs ?? this.#o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      signal: req.signal,
      omitCredentials: req.credentials === 'omit',
      bodyCredentials: req.carriesCredentials === true,
    };
    const needCsrf = this.#o.csrf === true && MODIFYING_METHODS.has(method) && headers['x-csrf-token'] === undefined;
    if (needCsrf) return this.#requestWithCsrf(req, url, method, headers, state);
    return this.#exchange(url, method, headers, req.body, state, NO_CSRF, req.url);
  }

  /** A modifying call with automatic CSRF handling: the session's token, one re-fetch and retry after 403 Required. */
  async #requestWithCsrf(req: HttpRequest, url: URL, method: string, headers: Record<string, string>, state: CallState): Promise<HttpResponse> {
    const res = await this.#exchange(url, method, headers, req.body, state, CSRF_TOKEN, req.url);
    if (res.status !== 403 || !csrfRequired(res.headers)) return res;
    // The server rejected the token: drop it (unless someone already replaced it), re-fetch once, retry once.
    if (this.#o.jar) {
      const st = originState(this.#o.jar, url);
      if (st.csrfToken === state.sentToken) delete st.csrfToken;
    }
    state.trace.csrfRefetched = true;
    return this.#exchange(url, method, headers, req.body, state, CSRF_REFETCH, req.url);
  }

  #parseUrl(raw: string): URL {
    const known = parsedUrls.get(raw);
    if (known !== undefined) return known;
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
    if (url.hash !== '') url.hash = '';
    if (parsedUrls.size >= MAX_PARSED_URLS) parsedUrls.clear();
    parsedUrls.set(raw, url);
    return url;
  }

  /**
   * One logical request: pass the auth gate, send, and after a 401 on a session cookie
   * clear the origin (unless another call already re-authenticated) and retry once.
   * `main` is the caller's URL for the call's own request; undefined for a token fetch.
   * Errors carry the call's trace (`traceOfError`).
   */
  async #exchange(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: string | Uint8Array | undefined,
    state: CallState,
    csrf: CsrfMode,
    main: string | undefined,
  ): Promise<HttpResponse> {
    const jar = this.#o.jar;
    const { trace } = state;
    try {
      while (true) {
        // The CSRF token goes on every attempt (taken again after a re-authentication).
        let extra: Record<string, string> | undefined;
        if (csrf !== NO_CSRF) {
          state.sentToken = await this.#ensureCsrf(url, state, csrf === CSRF_REFETCH);
          extra = state.sentToken !== undefined ? { 'x-csrf-token': state.sentToken } : {};
        }
        // The caller's body carries credentials (the call's own request, not a token fetch).
        const bodyCredentials = state.bodyCredentials && main !== undefined;
        const pending = state.omitCredentials ? this.#acquireOmitting(url, bodyCredentials) : this.#acquire(url);
        const gate = pending instanceof Promise ? await pending : pending;
        let res: HttpResponse;
        // The Cookie header this attempt sent ('' for none): kept in memory only, never shown.
        let cookie: string;
        let providerCredentials = false;
        try {
          // -- one attempt: headers, cookies, credentials --
          const sendHeaders = extra === undefined ? { ...headers } : { ...headers, ...extra };
          cookie = jar ? jarCookieHeader(jar, url) : '';
          if (cookie !== '') sendHeaders.cookie = sendHeaders.cookie ? `${cookie}; ${sendHeaders.cookie}` : cookie;
          let credentialsSent = false;
          if (gate.credentials && sendHeaders.authorization === undefined) {
            const pendingValue = this.#credentialHeader(url);
            const value = pendingValue instanceof Promise ? await pendingValue : pendingValue;
            if (value !== undefined) sendHeaders.authorization = value;
            credentialsSent = true; // client certificate: presented on the connection
            providerCredentials = true;
          } else if (sendHeaders.authorization !== undefined || bodyCredentials) {
            credentialsSent = true;
          }
          const listening = this.#listening();
          // The cookie's hash only where it is shown: the trace (when asked for) and events.
          const isMain = main !== undefined;
          const cookieSentHash = cookie !== '' && (listening || (isMain && this.#traceHashes)) ? shortHash(cookie) : undefined;
          if (credentialsSent) trace.credentialsSent = true;
          if (isMain) {
            if (cookieSentHash !== undefined && this.#traceHashes) trace.sessionCookieSentHash = cookieSentHash;
            else if (trace.sessionCookieSentHash !== undefined) delete trace.sessionCookieSentHash;
          }
          trace.attempts++;
          const shown = listening ? displayUrl(url) : '';
          if (listening) {
            this.#emit({
              type: 'request',
              receiver: this.#o.receiver,
              method,
              url: shown,
              credentialsSent,
              ...(cookieSentHash !== undefined ? { sessionCookieHash: cookieSentHash } : {}),
            });
          }
          const started = listening ? performance.now() : 0;

          // -- send, read the whole body --
          const attempt = new Attempt();
          const timer = setTimeout(onAttemptTimeout, state.timeoutMs, attempt);
          const callerSignal = state.signal;
          if (callerSignal) {
            if (callerSignal.aborted) attempt.abort();
            else watchCallerSignal(callerSignal, attempt);
          }
          let status: number;
          let rawHeaders: Record<string, string | string[] | undefined>;
          let bytes: Uint8Array;
          try {
            if (callerSignal?.aborted) throw new Error('aborted before sending');
            dispatchAttempt(this.#dispatcher ?? getGlobalDispatcher(), url, method, sendHeaders, body, state.timeoutMs, attempt);
            const answer = await attempt.promise;
            status = answer.status;
            rawHeaders = answer.headers;
            bytes = answer.body;
          } catch (err) {
            throw this.#classify(err, url, state.timeoutMs, attempt.timedOut, callerSignal?.aborted === true);
          } finally {
            clearTimeout(timer);
            if (callerSignal) unwatchCallerSignal(callerSignal, attempt);
          }

          // -- the answer: headers, cookies, CSRF token --
          const responseHeaders = this.#storeAnswer(url, status, rawHeaders, cookie, sendHeaders, credentialsSent, trace);
          if (listening) {
            this.#emit({
              type: 'response',
              receiver: this.#o.receiver,
              status,
              url: shown,
              cookieSet: responseHeaders.cookieSet,
              durationMs: Math.round((performance.now() - started) * 10) / 10,
            });
          }
          res = { status, headers: responseHeaders.headers, body: bytes, url: main ?? url.href, trace };
        } finally {
          gate.release?.();
        }
        if (res.status === 401 && jar && cookie !== '' && !state.retried401) {
          state.retried401 = true;
          trace.reauthenticated = true;
          const current = jarCookieHeader(jar, url);
          // Same cookie still in the jar: nobody re-authenticated yet, the session is gone.
          if (current !== '' && current === cookie) jarClearOrigin(jar, url);
          if (this.#listening()) this.#emit({ type: 'reauthenticate', receiver: this.#o.receiver, url: displayUrl(url) });
          continue;
        }
        // A rejected bearer token (revoked, or expired before its announced lifetime): fetch a fresh one and retry once.
        const auth = this.#o.auth;
        if (res.status === 401 && auth.type === 'bearer' && providerCredentials && !state.retriedBearer) {
          state.retriedBearer = true;
          auth.invalidate();
          continue;
        }
        return res;
      }
    } catch (err) {
      if (typeof err === 'object' && err !== null) errorTraces.set(err, trace);
      throw err;
    }
  }

  /** Response headers as the contract gives them; cookies stored in the jar, a fetched CSRF token cached. */
  #storeAnswer(
    url: URL,
    status: number,
    rawHeaders: Record<string, string | string[] | undefined>,
    cookie: string,
    sendHeaders: Record<string, string>,
    credentialsSent: boolean,
    trace: CallTrace,
  ): { headers: Record<string, string>; cookieSet: boolean } {
    const jar = this.#o.jar;
    const headers: Record<string, string> = {};
    let setCookies: string[] | undefined;
    for (const name of Object.keys(rawHeaders)) {
      const value = rawHeaders[name];
      if (value === undefined) continue;
      const key = name.toLowerCase();
      if (key === 'set-cookie') {
        setCookies = Array.isArray(value) ? value : [value];
        continue;
      }
      headers[key] = Array.isArray(value) ? value.join(', ') : value;
    }
    let cookieSet = false;
    if (jar) {
      // A 401 answering a session cookie ends that session: its cookies are not kept.
      if (setCookies !== undefined && !(status === 401 && cookie !== '')) {
        cookieSet = jarStoreSetCookies(jar, url, setCookies, this.#o.cookieDomains) > 0;
      }
      const sentToken = sendHeaders['x-csrf-token'];
      const token = headers['x-csrf-token'];
      if (sentToken !== undefined && sentToken.trim().toLowerCase() === 'fetch' && status < 400 && token !== undefined && token !== '' && !csrfRequired(headers)) {
        originState(jar, url).csrfToken = token;
      }
    } else {
      cookieSet = setCookies !== undefined && setCookies.length > 0;
    }
    if (cookieSet) trace.sessionCookieSet = true;
    if (cookieSet && credentialsSent) trace.sessionOpened = true;
    return { headers, cookieSet };
  }

  /**
   * Decides whether this attempt sends credentials. Without a session for the origin, the
   * first caller authenticates and later callers wait for its response.
   */
  #acquire(url: URL): Gate | Promise<Gate> {
    const jar = this.#o.jar;
    const hasCredentials = this.#o.auth.type !== 'none';
    if (!jar) return hasCredentials ? GATE_CREDENTIALS : GATE_NONE;
    if (!hasCredentials) return GATE_NONE;
    if (jarHasSession(jar, url)) return GATE_NONE;
    const st = originState(jar, url);
    const inFlight = st.authInFlight;
    if (inFlight) {
      // The server may have set no cookie (stateless backend or failed login): authenticate ourselves.
      return inFlight.then(() => ({ credentials: !jarHasSession(jar, url) }));
    }
    return this.#openGate(st);
  }

  /**
   * The gate for a request that never adds the receiver's credentials (`credentials: 'omit'`):
   * it waits for an authentication in flight (to send the session it brings); when its own body
   * carries credentials and the origin has no session, it is the authenticating request.
   */
  #acquireOmitting(url: URL, bodyCredentials: boolean): Gate | Promise<Gate> {
    const jar = this.#o.jar;
    if (!jar || jarHasSession(jar, url)) return GATE_NONE;
    const st = originState(jar, url);
    const inFlight = st.authInFlight;
    if (inFlight) return inFlight.then(() => GATE_NONE);
    if (!bodyCredentials) return GATE_NONE;
    const gate = this.#openGate(st);
    return { credentials: false, ...(gate.release ? { release: gate.release } : {}) };
  }

  #openGate(st: ReturnType<typeof originState>): Gate {
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
    if (this.#listening()) this.#emit({ type: 'csrf-fetch', receiver: this.#o.receiver, url: displayUrl(target) });
    const res = await this.#exchange(target, 'GET', { 'x-csrf-token': 'Fetch' }, undefined, state, NO_CSRF, undefined);
    const token = res.headers['x-csrf-token'];
    if (token === undefined || token === '' || csrfRequired(res.headers) || res.status >= 400) return undefined;
    if (this.#o.jar && target.origin !== url.origin) originState(this.#o.jar, url).csrfToken = token;
    return token;
  }

  /** The Authorization value for the receiver's credentials (a promise only for a bearer token). */
  #credentialHeader(url: URL): string | undefined | Promise<string> {
    const auth = this.#o.auth;
    switch (auth.type) {
      case 'basic': {
        // Encoded once per user and password (kept in memory only, like the auth object itself).
        const known = this.#basic;
        if (known !== undefined && known.user === auth.user && known.password === auth.password) return known.value;
        const value = `Basic ${Buffer.from(`${auth.user}:${auth.password}`, 'utf8').toString('base64')}`;
        this.#basic = { user: auth.user, password: auth.password, value };
        return value;
      }
      case 'bearer':
        return this.#bearerHeader(auth, url);
      default:
        return undefined;
    }
  }

  async #bearerHeader(auth: Extract<HttpAuth, { type: 'bearer' }>, url: URL): Promise<string> {
    let token: string;
    try {
      token = await auth.token();
    } catch (err) {
      const why = err instanceof HttpClientError ? `: ${err.message}` : '';
      throw new HttpClientError('SF_HTTP_UNAUTHORIZED', this.#o.receiver, url, `could not obtain an access token for {url}${why}`, { cause: err });
    }
    return `Bearer ${token}`;
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

  /** Someone listens for events (construct them only then). */
  #listening(): boolean {
    return this.#o.onEvent !== undefined || channel.hasSubscribers;
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
