/** Public types of the runtime (the local runner). */
import type { AdapterRegistry } from '../adapter/registry.js';
import type { LogLevel, SessionHandling, StepKind } from '../flow/model.js';
import type { HttpEvent } from '../http/types.js';
import type { CredentialProvider } from './credentials.js';

export interface RunnerOptions {
  registry: AdapterRegistry;
  credentials: CredentialProvider;
  /** Overrides `runtime.sessionHandling` (also for legacy flows, which otherwise run as `none`). */
  sessionHandling?: SessionHandling;
  /** Overrides `runtime.log` (default `info`). */
  logLevel?: LogLevel;
  /** Folder that `script:` paths are relative to (default: the flow file's folder, else the cwd). */
  baseDir?: string;
  /** Values for `${env.NAME}` (default: process.env). */
  env?: Record<string, string | undefined>;
  onEvent?: (e: RunnerEvent) => void;
}

export interface ExchangeInput {
  body?: Uint8Array | string;
  contentType?: string;
  headers?: Record<string, string>;
  properties?: Record<string, unknown>;
}

export type MplKind = StepKind | 'logoff' | 'csrf-fetch';

/** HTTP details of one MPL entry (log level `debug` only). Never holds secrets. */
export interface MplHttp {
  method: string;
  /** Without user info and query values. */
  url: string;
  status?: number;
  credentialsSent: boolean;
  /** Short SHA-256 hash of the session cookie(s) sent, never the value. */
  sessionCookieSentHash?: string;
  sessionCookieSet: boolean;
  sessionOpened: boolean;
  csrfFetched: boolean;
  /** The step's own request fetched the CSRF token (`X-CSRF-Token: Fetch`), not the client automatically. */
  csrfFetchedByStep?: boolean;
  reauthenticated: boolean;
}

/** One message processing log entry. */
export interface MplEntry {
  stepId: string;
  kind: MplKind;
  receiver?: string;
  status: 'ok' | 'failed' | 'skipped';
  /** Epoch milliseconds. */
  startedAt: number;
  durationMs: number;
  message?: string;
  /** HTTP status of the step's (last) request; at `info` and `debug`. */
  httpStatus?: number;
  /** At `debug` only. */
  http?: MplHttp;
  /** Nesting depth: 0 for top-level steps, +1 per split/multicast/loop/route/process. */
  depth: number;
  /** Which split item / multicast branch the entry belongs to, e.g. `items[3]` or `fanout/branch[1]`. */
  branch?: string;
}

export interface ReceiverStats {
  /** Logical calls made by `call`/`send` steps (requests an adapter made through context.http). */
  calls: number;
  /**
   * HTTP requests actually sent (`CallTrace.attempts`): automatic CSRF token fetches,
   * re-authentication and token retries and logoffs included. Compare with the backend's count.
   * Always set by the runner; optional in the type only so that statistics built elsewhere
   * (before this field existed) stay valid.
   */
  requests: number;
  /** Calls that carried credentials. */
  credentialsSent: number;
  sessionsOpened: number;
  /** CSRF token fetches: the client's automatic fetches and re-fetches, and steps that send `X-CSRF-Token: Fetch` and get a token. */
  csrfFetches: number;
  logoffs: number;
  reauthentications: number;
}

export interface ExchangeError {
  code: string;
  message: string;
  stepId?: string;
  receiver?: string;
}

export interface ExchangeResult {
  id: string;
  status: 'completed' | 'failed';
  error?: ExchangeError;
  mpl: MplEntry[];
  durationMs: number;
  body: Uint8Array;
  contentType?: string;
  headers: Record<string, string>;
  properties: Record<string, unknown>;
  /** What this exchange did per receiver (logoffs included). */
  receivers: Record<string, ReceiverStats>;
}

export interface RunReport {
  flow: string;
  sessionHandling: SessionHandling;
  exchanges: number;
  succeeded: number;
  failed: number;
  durationMs: number;
  receivers: Record<string, ReceiverStats>;
  errors: { exchange: string; code: string; message: string }[];
}

export interface RunOptions {
  exchanges: number;
  concurrency: number;
  /** The same input for every exchange, or one per exchange index (0-based). */
  input: ExchangeInput | ((index: number) => ExchangeInput);
  onProgress?(done: number, total: number): void;
}

export type RunnerEvent =
  | { type: 'exchange-start'; exchange: string }
  | { type: 'exchange-end'; exchange: string; status: 'completed' | 'failed'; durationMs: number; error?: ExchangeError }
  /** An MPL entry was completed (also at log level `none`, where MPL keeps no entries). */
  | { type: 'step'; exchange: string; entry: MplEntry }
  | { type: 'http'; exchange?: string; event: HttpEvent }
  | { type: 'log'; exchange?: string; stepId?: string; level: 'info' | 'debug'; message: string; data?: Record<string, unknown> }
  | { type: 'warning'; exchange?: string; stepId?: string; message: string };
