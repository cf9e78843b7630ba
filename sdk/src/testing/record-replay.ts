/**
 * Record and replay of backend traffic, for deterministic adapter tests.
 *
 * - `createRecorder()` wraps an undici Dispatcher. Hand `recorder.dispatcher` to
 *   `createSessionClient({ dispatcher })` (or to the conformance kit) and run the adapter against
 *   a real or test backend once; `recorder.save(file)` writes every request/response pair to a
 *   JSON file.
 * - `createReplayer(recordingOrFile)` is a Dispatcher that answers from such a file, without
 *   any network, and fails clearly (error code `SF_REPLAY_UNEXPECTED`) on a request the
 *   recording does not hold.
 *
 * Secrets never reach the file: the VALUES of `Authorization`, `Proxy-Authorization`,
 * `Cookie`, `Set-Cookie` and `X-CSRF-Token` are replaced by `sha256:<12 hex>` fingerprints
 * (cookie names, attributes and the auth scheme are kept). Replay matches requests in the
 * same redacted form, so a replayed session behaves like the recorded one: the client
 * receives the fingerprint as its cookie value and sends it back, and the replayer
 * recognises it.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Agent, Dispatcher } from 'undici';
import { shortHash } from '../http/hash.js';

export const RECORDING_FORMAT = 'sessionflow-recording';
export const RECORDING_VERSION = 1;

export interface RecordedHttpRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  /** Origin the request went to when recorded (informational; replay ignores it unless `matchOrigin`). */
  origin: string;
  /** Lower-case names; secret values redacted. */
  headers: Record<string, string>;
  body?: string;
  bodyEncoding?: 'utf8' | 'base64';
}

export interface RecordedHttpResponse {
  status: number;
  /** Lower-case names; `set-cookie` as an array; secret values redacted. */
  headers: Record<string, string | string[]>;
  body: string;
  bodyEncoding: 'utf8' | 'base64';
}

export interface RecordedHttpExchange {
  request: RecordedHttpRequest;
  /** The response, or `error` when the request failed on the transport (reset, refused...). */
  response?: RecordedHttpResponse;
  error?: { code: string; message: string };
}

export interface Recording {
  format: typeof RECORDING_FORMAT;
  version: number;
  exchanges: RecordedHttpExchange[];
}

/** Thrown (as the transport error of a request) by the replayer, and by `assertAllUsed()`. */
export class ReplayError extends Error {
  constructor(
    public readonly code: 'SF_REPLAY_UNEXPECTED' | 'SF_REPLAY_UNUSED' | 'SF_REPLAY_FILE',
    message: string,
  ) {
    super(message);
    this.name = 'ReplayError';
  }
}

/** Request headers whose values are secrets. */
const SECRET_REQUEST_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-csrf-token']);
/** Response headers that change on every run and are dropped from recordings. */
const VOLATILE_RESPONSE_HEADERS = new Set(['date', 'keep-alive', 'connection', 'transfer-encoding']);
const REDACTED = /^sha256:[0-9a-f]{12}$/;

/** `sha256:<12 hex>`; values already in that form are kept (so redaction is idempotent). */
export function redactValue(value: string): string {
  if (value === '' || REDACTED.test(value)) return value;
  return `sha256:${shortHash(value)}`;
}

function redactCookiePairs(header: string): string {
  return header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? redactValue(part) : `${part.slice(0, eq).trim()}=${redactValue(part.slice(eq + 1).trim())}`;
    })
    .join('; ');
}

function redactSetCookie(value: string): string {
  const semi = value.indexOf(';');
  const pair = semi < 0 ? value : value.slice(0, semi);
  const rest = semi < 0 ? '' : value.slice(semi);
  const eq = pair.indexOf('=');
  if (eq < 0) return value;
  return `${pair.slice(0, eq).trim()}=${redactValue(pair.slice(eq + 1).trim())}${rest}`;
}

/** Redacts one request header value by name (lower-case). */
export function redactRequestHeader(name: string, value: string): string {
  switch (name) {
    case 'authorization':
    case 'proxy-authorization': {
      const m = /^(\S+)\s+(.+)$/.exec(value.trim());
      return m ? `${m[1]} ${redactValue(m[2]!)}` : redactValue(value);
    }
    case 'cookie':
      return redactCookiePairs(value);
    case 'x-csrf-token':
      return /^(fetch|required)$/i.test(value.trim()) ? value : redactValue(value);
    default:
      return value;
  }
}

function redactResponseHeader(name: string, value: string | string[]): string | string[] {
  if (name === 'set-cookie') return (Array.isArray(value) ? value : [value]).map(redactSetCookie);
  if (name === 'x-csrf-token') {
    const one = Array.isArray(value) ? value.join(', ') : value;
    return /^(fetch|required)$/i.test(one.trim()) ? one : redactValue(one);
  }
  return value;
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk), 'utf8');
}

function encodeBody(bytes: Buffer): { body: string; bodyEncoding: 'utf8' | 'base64' } {
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? { body: text, bodyEncoding: 'utf8' } : { body: bytes.toString('base64'), bodyEncoding: 'base64' };
}

function decodeBody(body: string | undefined, encoding: 'utf8' | 'base64' | undefined): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  return encoding === 'base64' ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}

/** Normalises undici's header forms (object, flat array, iterable of pairs) to lower-case name → value. */
function requestHeaders(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (k: unknown, v: unknown): void => {
    if (v === undefined || v === null) return;
    const name = String(k).toLowerCase();
    const value = Array.isArray(v) ? v.map(String).join(', ') : String(v);
    out[name] = out[name] !== undefined ? `${out[name]}, ${value}` : value;
  };
  if (raw === null || raw === undefined) return out;
  if (Array.isArray(raw)) {
    if (raw.length > 0 && Array.isArray(raw[0])) for (const [k, v] of raw as unknown[][]) add(k, v);
    else for (let i = 0; i + 1 < raw.length; i += 2) add(raw[i], raw[i + 1]);
  } else if (typeof raw === 'object') {
    if (typeof (raw as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function') {
      for (const [k, v] of raw as Iterable<[unknown, unknown]>) add(k, v);
    } else {
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) add(k, v);
    }
  }
  return out;
}

function redactRequestHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = SECRET_REQUEST_HEADERS.has(name) ? redactRequestHeader(name, value) : value;
  return out;
}

function responseHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    const name = k.toLowerCase();
    if (VOLATILE_RESPONSE_HEADERS.has(name)) continue;
    out[name] = redactResponseHeader(name, name === 'set-cookie' ? (Array.isArray(v) ? v : [v]) : v);
  }
  return out;
}

/** The request body as bytes, when undici got it as a string or bytes (streams are not recorded). */
function bodyBytes(body: unknown): Buffer | undefined | 'stream' {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return toBuffer(body);
  return 'stream';
}

function errorCode(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return 'UND_ERR_SOCKET';
}

type NewApiHandler = Dispatcher.DispatchHandler;
type Controller = Parameters<NonNullable<NewApiHandler['onRequestStart']>>[0];

// ---------------------------------------------------------------------------------------------
// Recorder

export interface RecorderOptions {
  /** The dispatcher that really sends (default: a new undici Agent, closed by `close()`). */
  dispatcher?: Dispatcher;
}

export interface TrafficRecorder {
  /** Pass this to `createSessionClient({ dispatcher })`. */
  readonly dispatcher: Dispatcher;
  /** What was recorded so far (redacted), in completion order. */
  exchanges(): RecordedHttpExchange[];
  toJSON(): Recording;
  /** Writes the recording as pretty JSON (creating the folder). */
  save(file: string): void;
  /** Closes the agent the recorder created (not a dispatcher you passed in). */
  close(): Promise<void>;
}

export function createRecorder(options: RecorderOptions = {}): TrafficRecorder {
  const owned = options.dispatcher === undefined ? new Agent() : undefined;
  const inner = options.dispatcher ?? owned!;
  const recorded: RecordedHttpExchange[] = [];

  const interceptor = (dispatch: Dispatcher['dispatch']): Dispatcher['dispatch'] =>
    (opts, handler) => {
      const h = handler as NewApiHandler;
      const body = bodyBytes(opts.body);
      const request: RecordedHttpRequest = {
        method: String(opts.method ?? 'GET').toUpperCase(),
        path: String(opts.path ?? '/'),
        origin: String(opts.origin ?? ''),
        headers: redactRequestHeaders(requestHeaders(opts.headers)),
        ...(body === 'stream' ? { body: '(stream: not recorded)', bodyEncoding: 'utf8' as const } : body !== undefined && body.length > 0 ? encodeBody(body) : {}),
      };
      let status = 0;
      let headers: Record<string, string | string[]> = {};
      const chunks: Buffer[] = [];
      const wrapped: NewApiHandler = {
        onRequestStart: (controller, context) => h.onRequestStart?.(controller, context),
        onRequestUpgrade: (controller, statusCode, hdrs, socket) => h.onRequestUpgrade?.(controller, statusCode, hdrs, socket),
        onResponseStart: (controller, statusCode, hdrs, statusMessage) => {
          status = statusCode;
          headers = responseHeaders(hdrs as Record<string, string | string[] | undefined>);
          return h.onResponseStart?.(controller, statusCode, hdrs, statusMessage);
        },
        onResponseData: (controller, chunk) => {
          chunks.push(toBuffer(chunk));
          return h.onResponseData?.(controller, chunk);
        },
        onResponseEnd: (controller, trailers) => {
          recorded.push({ request, response: { status, headers, ...encodeBody(Buffer.concat(chunks)) } });
          return h.onResponseEnd?.(controller, trailers);
        },
        onResponseError: (controller, err) => {
          recorded.push({ request, error: { code: errorCode(err), message: (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '' } });
          return h.onResponseError?.(controller, err);
        },
      };
      return dispatch(opts, wrapped);
    };

  const dispatcher = inner.compose(interceptor);
  const toJSON = (): Recording => ({ format: RECORDING_FORMAT, version: RECORDING_VERSION, exchanges: structuredClone(recorded) });
  return {
    dispatcher,
    exchanges: () => structuredClone(recorded),
    toJSON,
    save(file: string): void {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(toJSON(), null, 2)}\n`, 'utf8');
    },
    close: async () => {
      if (owned) await owned.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Replayer

export interface ReplayerOptions {
  /** Compare the request body too (default true). */
  matchBody?: boolean;
  /** Compare the origin (scheme, host, port) too (default false: recordings are port-independent). */
  matchOrigin?: boolean;
  /** More request headers (lower-case) that must match. Authorization, Cookie and X-CSRF-Token always do. */
  matchHeaders?: string[];
  /** Serve exchanges strictly in recorded order (default false: the first unused match). */
  ordered?: boolean;
}

export interface TrafficReplayer {
  readonly dispatcher: Dispatcher;
  /** Recorded exchanges not served yet. */
  unused(): RecordedHttpExchange[];
  /** Requests the recording did not hold (each also failed with SF_REPLAY_UNEXPECTED). */
  unexpected(): string[];
  /** Throws ReplayError when a request was unexpected or a recorded exchange was not used. */
  assertAllUsed(): void;
  close(): Promise<void>;
}

/** Reads and checks a recording file. Throws ReplayError (SF_REPLAY_FILE) naming the file and the problem. */
export function loadRecording(file: string): Recording {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ReplayError('SF_REPLAY_FILE', `cannot read recording ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ReplayError('SF_REPLAY_FILE', `recording ${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return checkRecording(value, file);
}

function checkRecording(value: unknown, where: string): Recording {
  const v = value as Partial<Recording> | null;
  if (typeof v !== 'object' || v === null || v.format !== RECORDING_FORMAT) {
    throw new ReplayError('SF_REPLAY_FILE', `${where}: not a Sessionflow recording (expected "format": "${RECORDING_FORMAT}")`);
  }
  if (v.version !== RECORDING_VERSION) {
    throw new ReplayError('SF_REPLAY_FILE', `${where}: recording version ${String(v.version)} is not supported (expected ${RECORDING_VERSION})`);
  }
  if (!Array.isArray(v.exchanges)) throw new ReplayError('SF_REPLAY_FILE', `${where}: "exchanges" must be an array`);
  v.exchanges.forEach((e, i) => {
    const ok =
      typeof e === 'object' && e !== null &&
      typeof e.request?.method === 'string' && typeof e.request?.path === 'string' &&
      (e.response !== undefined ? typeof e.response.status === 'number' : typeof e.error?.code === 'string');
    if (!ok) throw new ReplayError('SF_REPLAY_FILE', `${where}: exchanges[${i}] needs request {method, path} and a response {status} or an error {code}`);
  });
  return v as Recording;
}

function describeRequest(r: { method: string; path: string; headers: Record<string, string> }): string {
  const flags = [
    r.headers.authorization !== undefined ? 'with Authorization' : 'without Authorization',
    r.headers.cookie !== undefined ? `Cookie ${r.headers.cookie}` : 'no Cookie',
  ];
  if (r.headers['x-csrf-token'] !== undefined) flags.push(`X-CSRF-Token ${r.headers['x-csrf-token']}`);
  return `${r.method} ${r.path} (${flags.join(', ')})`;
}

export function createReplayer(recording: Recording | string, options: ReplayerOptions = {}): TrafficReplayer {
  const rec = typeof recording === 'string' ? loadRecording(recording) : checkRecording(recording, 'recording');
  const exchanges = rec.exchanges.map((e) => structuredClone(e));
  const used = new Array<boolean>(exchanges.length).fill(false);
  const unexpected: string[] = [];
  const compared = ['authorization', 'proxy-authorization', 'cookie', 'x-csrf-token', ...(options.matchHeaders ?? []).map((h) => h.toLowerCase())];
  const matchBody = options.matchBody !== false;

  /** Differences between an incoming request and a recorded one (empty = match). */
  const differences = (actual: RecordedHttpRequest, recorded: RecordedHttpRequest): string[] => {
    const diff: string[] = [];
    if (actual.method !== recorded.method) diff.push(`method ${recorded.method}`);
    if (actual.path !== recorded.path) diff.push(`path ${recorded.path}`);
    if (options.matchOrigin && actual.origin !== recorded.origin) diff.push(`origin ${recorded.origin}`);
    for (const name of compared) {
      if ((actual.headers[name] ?? '') !== (recorded.headers[name] ?? '')) diff.push(`${name}: ${recorded.headers[name] ?? '(none)'}`);
    }
    if (matchBody && (actual.body ?? '') !== (recorded.body ?? '')) diff.push('body');
    return diff;
  };

  const interceptor = (): Dispatcher['dispatch'] => (opts, handler) => {
    const h = handler as NewApiHandler;
    const body = bodyBytes(opts.body);
    const actual: RecordedHttpRequest = {
      method: String(opts.method ?? 'GET').toUpperCase(),
      path: String(opts.path ?? '/'),
      origin: String(opts.origin ?? ''),
      headers: redactRequestHeaders(requestHeaders(opts.headers)),
      ...(body === 'stream' ? { body: '(stream: not recorded)', bodyEncoding: 'utf8' as const } : body !== undefined && body.length > 0 ? encodeBody(body) : {}),
    };
    let index = -1;
    let nearest: string | undefined;
    for (let i = 0; i < exchanges.length; i++) {
      if (used[i]) continue;
      const diff = differences(actual, exchanges[i]!.request);
      if (diff.length === 0) {
        index = i;
        break;
      }
      if (nearest === undefined && exchanges[i]!.request.method === actual.method && exchanges[i]!.request.path === actual.path) {
        nearest = `recorded #${i} differs in ${diff.join('; ')}`;
      }
      if (options.ordered) {
        nearest ??= `next recorded request is #${i}: ${describeRequest(exchanges[i]!.request)}`;
        break;
      }
    }

    let aborted = false;
    const controller: Controller = {
      get aborted() {
        return aborted;
      },
      get paused() {
        return false;
      },
      get reason() {
        return null;
      },
      abort: () => {
        aborted = true;
      },
      pause: () => undefined,
      resume: () => undefined,
    } as unknown as Controller;

    queueMicrotask(() => {
      h.onRequestStart?.(controller, {});
      if (aborted) {
        h.onResponseError?.(controller, Object.assign(new Error('request aborted'), { code: 'UND_ERR_ABORTED', name: 'AbortError' }));
        return;
      }
      if (index < 0) {
        const what = describeRequest(actual);
        unexpected.push(what);
        const left = exchanges.length - used.filter(Boolean).length;
        const err = new ReplayError(
          'SF_REPLAY_UNEXPECTED',
          `replay: unexpected request ${what}; ${nearest ?? (left === 0 ? 'every recorded exchange was already used' : `none of the ${left} unused recorded exchanges has this method and path`)}`,
        );
        h.onResponseError?.(controller, err);
        return;
      }
      used[index] = true;
      const ex = exchanges[index]!;
      if (ex.error !== undefined || ex.response === undefined) {
        const code = ex.error?.code ?? 'UND_ERR_SOCKET';
        h.onResponseError?.(controller, Object.assign(new Error(`replayed transport error (${code})`), { code }));
        return;
      }
      const res = ex.response;
      h.onResponseStart?.(controller, res.status, structuredClone(res.headers), '');
      const bytes = decodeBody(res.body, res.bodyEncoding);
      if (bytes.length > 0 && !aborted) h.onResponseData?.(controller, bytes);
      if (!aborted) h.onResponseEnd?.(controller, {});
    });
    return true;
  };

  const dispatcher = new NullDispatcher().compose(interceptor);
  return {
    dispatcher,
    unused: () => exchanges.filter((_, i) => !used[i]).map((e) => structuredClone(e)),
    unexpected: () => [...unexpected],
    assertAllUsed(): void {
      const problems: string[] = [];
      if (unexpected.length > 0) problems.push(`${unexpected.length} unexpected request(s): ${unexpected.join('; ')}`);
      const unusedList = exchanges.map((e, i) => (used[i] ? undefined : `#${i} ${describeRequest(e.request)}`)).filter((x): x is string => x !== undefined);
      if (unusedList.length > 0) problems.push(`${unusedList.length} recorded exchange(s) never requested: ${unusedList.join('; ')}`);
      if (problems.length > 0) {
        throw new ReplayError(unexpected.length > 0 ? 'SF_REPLAY_UNEXPECTED' : 'SF_REPLAY_UNUSED', `replay: ${problems.join('; ')}`);
      }
    },
    close: async () => undefined,
  };
}

/** A dispatcher that sends nothing; the replay interceptor composed on top answers every request. */
class NullDispatcher extends Dispatcher {
  override dispatch(): boolean {
    throw new Error('replay: no network');
  }
  override close(): Promise<void> {
    return Promise.resolve();
  }
  override destroy(): Promise<void> {
    return Promise.resolve();
  }
}
