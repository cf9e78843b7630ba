import type { HttpErrorCode } from './types.js';
import { displayUrl } from './url.js';

/**
 * Error thrown by the session client for transport failures (timeouts, refused or reset
 * connections, malformed responses, aborts, invalid URLs). Non-2xx statuses are returned,
 * not thrown. The message names the receiver and the URL (without user info or query
 * values) and never contains credentials, cookie values or tokens.
 */
export class HttpClientError extends Error {
  readonly code: HttpErrorCode;
  readonly receiver: string;
  /** The request URL without user info and without query values. */
  readonly url: string;
  readonly status?: number;

  constructor(
    code: HttpErrorCode,
    receiver: string,
    url: string | URL,
    detail: string,
    options?: { status?: number; cause?: unknown },
  ) {
    const shown = displayUrl(url);
    super(`receiver "${receiver}": ${detail.replaceAll('{url}', shown)} (${code})`, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'HttpClientError';
    this.code = code;
    this.receiver = receiver;
    this.url = shown;
    if (options?.status !== undefined) this.status = options.status;
  }
}
