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
}

/** What happened on one logical request, for the message processing log. Never holds secrets. */
export interface CallTrace {
  /** Requests actually sent (token fetch, retry included). */
  attempts: number;
  /** Any attempt carried credentials (Authorization / bearer token). */
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
