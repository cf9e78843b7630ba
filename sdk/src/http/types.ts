/**
 * Session-aware HTTP client contract. Implementation: `./client.ts` (undici + tough-cookie).
 *
 * A *session scope* owns one SessionJar (cookie jar + CSRF token cache + in-flight auth
 * and token-fetch promises). Scope `none` has no jar: nothing is kept between calls.
 */

export type ScopeKind = 'none' | 'exchange' | 'flow';

export interface HttpRequest {
  method: string;
  /** Absolute URL. */
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Overrides the receiver's timeout. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * `auto` (default): the client adds the receiver's credentials (Authorization: Basic / Bearer,
   * client certificate on the connection) per the session rules. `omit`: the client never adds
   * an Authorization header on this request (no bearer token either), e.g. for protocols that
   * log in inside the message body (SuccessFactors SFAPI `login`). Everything else still
   * applies: the jar's cookies are sent and stored, a pending authentication of the origin is
   * awaited, a 401 on a session cookie clears the origin and retries once, CSRF handling. A
   * client certificate is part of the connection and is still presented.
   */
  credentials?: 'auto' | 'omit';
  /**
   * The caller's body carries credentials (e.g. a SOAP login with user and password): the
   * client reports it as `CallTrace.credentialsSent` (and `sessionOpened` when the answer sets
   * a cookie), and with `credentials: 'omit'` and no session for the origin the request is the
   * origin's authenticating request (concurrent calls of the scope wait for its answer).
   */
  carriesCredentials?: boolean;
}

/** What happened on one logical request, for the message processing log. Never holds secrets. */
export interface CallTrace {
  /** Requests actually sent (token fetch, retry included). */
  attempts: number;
  /** Any attempt carried credentials (Authorization / bearer token, or a body the caller marked `carriesCredentials`). */
  credentialsSent: boolean;
  /** Short SHA-256 hash of the session cookie(s) sent on the final attempt, if any. */
  sessionCookieSentHash?: string;
  /** The response(s) set at least one cookie. */
  sessionCookieSet: boolean;
  /** A new session was opened (credentials sent and the server set a cookie). */
  sessionOpened: boolean;
  /** A CSRF token was fetched for this call (automatic fetch or re-fetch). */
  csrfFetched: boolean;
  /** Retried once with credentials after a 401 on a session cookie. */
  reauthenticated: boolean;
  /** Re-fetched the CSRF token after 403 + `X-CSRF-Token: Required`. */
  csrfRefetched: boolean;
}

export interface HttpResponse {
  status: number;
  /** Lower-case header names; repeated headers joined with ', ' (set-cookie excluded). */
  headers: Record<string, string>;
  body: Uint8Array;
  url: string;
  trace: CallTrace;
}

export type HttpAuth =
  | { type: 'none' }
  | { type: 'basic'; user: string; password: string }
  /** Bearer token provider (OAuth2). `invalidate()` forces a fresh token on the next call. */
  | { type: 'bearer'; token(): Promise<string>; invalidate(): void }
  | { type: 'client-certificate'; cert: string | Buffer; key: string | Buffer };

export interface SessionHttpClient {
  request(req: HttpRequest): Promise<HttpResponse>;
  /**
   * True when the session scope's jar holds a cookie that would be sent to `url` (a session
   * is open for its origin); false without a jar (scope `none`) or for an invalid URL.
   * Optional: clients that cannot tell leave it out.
   */
  hasSession?(url: string): Promise<boolean>;
}

/** Structured events (also published on diagnostics_channel 'sessionflow:http'). */
export type HttpEvent =
  | { type: 'request'; receiver: string; method: string; url: string; credentialsSent: boolean; sessionCookieHash?: string }
  | { type: 'response'; receiver: string; status: number; url: string; cookieSet: boolean; durationMs: number }
  | { type: 'csrf-fetch'; receiver: string; url: string }
  | { type: 'reauthenticate'; receiver: string; url: string };

export type HttpErrorCode =
  | 'SF_HTTP_TIMEOUT'
  | 'SF_HTTP_CONNECT'
  | 'SF_HTTP_RESET'
  | 'SF_HTTP_ABORTED'
  | 'SF_HTTP_BAD_RESPONSE'
  | 'SF_HTTP_CSRF'
  | 'SF_HTTP_UNAUTHORIZED'
  | 'SF_HTTP_INVALID_URL';
