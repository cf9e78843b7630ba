/**
 * Receiver authentication for local runs: turns a receiver's `auth` plus the credential
 * store into the HttpAuth the session client needs.
 *
 * - `none` → no credentials.
 * - `basic` with `credential` → user/password from the store.
 * - `basic` with `user`/`password` expressions → evaluated per call against the exchange
 *   (dynamic users). The session client sends credentials only when the jar holds no session
 *   for the origin, so a session opened by one user is reused for the next: that is the
 *   platform's behaviour (and what the `session/dynamic-user-*` rules warn about).
 * - `client-certificate` → the certificate and key files of the credential, read at start.
 * - `oauth2-client-credentials` → a bearer token from `tokenUrl` (client id/secret sent as
 *   HTTP basic auth, `grant_type=client_credentials`), cached until `expires_in` runs out.
 * - `oauth2-saml-bearer`, `principal-propagation` → need the platform; a call fails with
 *   SF_AUTH_UNSUPPORTED_LOCALLY.
 */
import { readFile } from 'node:fs/promises';
import { request as undiciRequest } from 'undici';
import type { Template } from '../flow/expression.js';
import { evaluateTemplate } from '../flow/expression.js';
import type { AuthType } from '../flow/model.js';
import type { HttpAuth } from '../http/types.js';
import type { Credential } from './credentials.js';
import { StepError } from './errors.js';
import type { Exchange } from './exchange.js';

export type ReceiverAuth =
  | { kind: 'static'; authType: AuthType; auth: HttpAuth }
  | { kind: 'dynamic'; authType: 'basic'; user: Template; password: Template }
  | { kind: 'unsupported'; authType: AuthType };

/** Resolves the HttpAuth for one call of an exchange. */
export function authForCall(auth: ReceiverAuth, exchange: Exchange, receiver: string): HttpAuth {
  switch (auth.kind) {
    case 'static':
      return auth.auth;
    case 'dynamic': {
      const user = evaluateTemplate(auth.user, exchange);
      const password = evaluateTemplate(auth.password, exchange);
      if (!user) {
        throw new StepError(
          'SF_AUTH_DYNAMIC_EMPTY',
          `the user expression "${auth.user.source}" of receiver "${receiver}" evaluated to an empty value`,
        );
      }
      return { type: 'basic', user, password };
    }
    case 'unsupported':
      throw new StepError(
        'SF_AUTH_UNSUPPORTED_LOCALLY',
        `receiver "${receiver}" uses auth type ${auth.authType}, which needs the integration platform and cannot run locally; ` +
          'point the receiver at a test backend with basic or oauth2-client-credentials auth for local runs',
      );
  }
}

export async function readCertificate(credential: Extract<Credential, { type: 'client-certificate' }>, name: string) {
  const read = async (path: string, what: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (e) {
      throw new StepError(
        'SF_CREDENTIALS',
        `the ${what} file ${path} of credential "${name}" cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  };
  return { cert: await read(credential.certPath, 'certificate'), key: await read(credential.keyPath, 'key') };
}

/** OAuth2 client-credentials token source with caching and one shared in-flight fetch. */
export class ClientCredentialsTokenProvider {
  private cached: { token: string; expiresAt: number } | undefined;
  private inFlight: Promise<string> | undefined;
  /** Number of tokens fetched (for tests and stats). */
  fetches = 0;

  constructor(
    private readonly options: {
      tokenUrl: string;
      clientId: string;
      clientSecret: string;
      receiver: string;
      timeoutMs?: number;
      now?: () => number;
    },
  ) {}

  toHttpAuth(): HttpAuth {
    return { type: 'bearer', token: () => this.token(), invalidate: () => this.invalidate() };
  }

  invalidate(): void {
    this.cached = undefined;
  }

  token(): Promise<string> {
    const now = (this.options.now ?? Date.now)();
    if (this.cached && this.cached.expiresAt > now) return Promise.resolve(this.cached.token);
    if (!this.inFlight) {
      this.inFlight = this.fetchToken().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  private async fetchToken(): Promise<string> {
    const { tokenUrl, clientId, clientSecret, receiver } = this.options;
    let url: URL;
    try {
      url = new URL(tokenUrl);
    } catch {
      throw new StepError('SF_OAUTH_TOKEN', `receiver "${receiver}": tokenUrl "${tokenUrl}" is not an absolute URL`);
    }
    const where = `token endpoint ${url.origin}${url.pathname} of receiver "${receiver}"`;
    this.fetches++;
    let status: number;
    let text: string;
    try {
      const res = await undiciRequest(url, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: 'grant_type=client_credentials',
        headersTimeout: this.options.timeoutMs ?? 30_000,
        bodyTimeout: this.options.timeoutMs ?? 30_000,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (e) {
      throw new StepError('SF_OAUTH_TOKEN', `${where} could not be reached (${(e as { code?: string }).code ?? 'network error'})`);
    }
    if (status < 200 || status >= 300) {
      throw new StepError('SF_OAUTH_TOKEN', `${where} answered ${status}`);
    }
    let data: { access_token?: unknown; expires_in?: unknown };
    try {
      data = JSON.parse(text) as typeof data;
    } catch {
      throw new StepError('SF_OAUTH_TOKEN', `${where} answered with a body that is not JSON`);
    }
    if (typeof data.access_token !== 'string' || data.access_token === '') {
      throw new StepError('SF_OAUTH_TOKEN', `${where} answered without an access_token`);
    }
    const expiresIn = Number(data.expires_in);
    const lifetimeMs = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : 300_000;
    // Renew a little early so a token does not expire on its way to the backend.
    const margin = Math.min(30_000, lifetimeMs / 10);
    this.cached = { token: data.access_token, expiresAt: (this.options.now ?? Date.now)() + lifetimeMs - margin };
    return data.access_token;
  }
}
