/**
 * The adapter conformance kit. Given an adapter definition, it drives the adapter's `send()`
 * with the SDK's real session client against the test backend, in every session mode its
 * declaration allows, and checks from what the SERVER saw that the promises of the
 * declaration hold:
 *
 * - `sessionReuse: supported | required`: within one session scope, several calls
 *   authenticate once (exchange scope: once per exchange; flow scope: once overall);
 * - `sessionReuse: unsupported`: the runtime gives the adapter no cookie jar, and no Cookie
 *   header ever reaches the backend although it sets cookies;
 * - mode `none`: every call authenticates, no cookie is sent back;
 * - `csrf: true`: modifying calls on a CSRF-protected path succeed with one token fetch;
 * - each claimed auth type that can be tested locally works (`none`, `basic`, bearer-token
 *   based OAuth2 types); the others are listed as skipped with the reason;
 * - faults (HTTP 500, connection reset) give errors with a stable string `code`;
 * - the adapter never sets `Cookie`/`Authorization` itself (even when the message carries such
 *   headers), and neither its log output nor its error messages contain a password, a token or
 *   a cookie value.
 *
 * Use `runConformance()` for a report, `assertConformance()` inside a node:test test.
 */
import { randomBytes } from 'node:crypto';
import { Agent, type Dispatcher } from 'undici';
import { configWithDefaults, isAdapterDefinition, validateAdapterConfig } from '../adapter/define.js';
import { SDK_API_VERSION } from '../adapter/types.js';
import type {
  AdapterContext,
  AdapterDefinition,
  AdapterResult,
  JsonSchema,
  OutboundMessage,
  ResolvedReceiver,
  StepKindIO,
  StepRequest,
  VariantDeclaration,
} from '../adapter/types.js';
import type { AuthType } from '../flow/model.js';
import { createSessionClient } from '../http/client.js';
import { SessionJar } from '../http/jar.js';
import type { HttpAuth, HttpRequest, HttpResponse, SessionHttpClient } from '../http/types.js';
import { startTestBackend, type RecordedRequest, type TestBackend } from './backend.js';

export type ConformanceMode = 'none' | 'exchange' | 'flow';

/** What a conformance call is for; `address` and `request` hooks get it to shape the call. */
export type ConformancePurpose =
  | 'session'
  | 'csrf'
  | 'auth-none'
  | 'auth-basic'
  | 'auth-bearer'
  | 'bad-credentials'
  | 'fault-status'
  | 'fault-reset';

export interface ConformanceCheck {
  /** e.g. `session-reuse`, `csrf`, `auth:basic`, `fault:reset`, `no-secrets-in-logs`. */
  name: string;
  /** Variant id, or `*` for adapter-wide checks. */
  variant: string;
  /** Session mode the check ran in, or `-` when not mode-specific. */
  mode: ConformanceMode | '-';
  ok: boolean;
  /** The check could not run here (ok stays true); `detail` says why. */
  skipped?: boolean;
  detail: string;
}

export interface ConformanceReport {
  adapter: string;
  passed: boolean;
  checks: ConformanceCheck[];
}

export interface ConformanceOptions {
  /** Variant ids to check (default: every receiver variant). */
  variants?: string[];
  /**
   * A running test backend to use (default: the kit starts and closes its own). Its users must
   * include `credentials`; bearer-token checks need `bearerToken` to be one of its tokens.
   */
  backend?: TestBackend;
  /** Basic credentials known to the backend (default: generated for the kit's own backend). */
  credentials?: { user: string; password: string };
  /** A bearer token the backend accepts (default: generated for the kit's own backend). */
  bearerToken?: string;
  /** The receiver `config` for a variant (default: built from the config schema's defaults, examples and enums). */
  configFor?(variant: VariantDeclaration): Record<string, unknown>;
  /** The receiver address for a purpose (default: a path on the backend suited to the check, see README). */
  address?(backendUrl: string, purpose: ConformancePurpose, variant: VariantDeclaration): string;
  /** Step details for a purpose (default: none, except `method: 'POST'` for `csrf`). */
  request?(purpose: ConformancePurpose, variant: VariantDeclaration): Partial<Pick<StepRequest, 'method' | 'path' | 'headers' | 'query'>>;
  /** The outbound message (default: a small JSON body plus probe Cookie/Authorization headers the adapter must not forward). */
  message?(purpose: ConformancePurpose, variant: VariantDeclaration): OutboundMessage;
  /**
   * Rewrites each answer of the test backend before the adapter sees it, for protocol adapters
   * whose backends do not answer JSON (e.g. wrap the answer in a SOAP envelope or an OData
   * collection). The session client has already handled the real answer (cookies, CSRF token,
   * 401), so the session checks stay real; keep the status, as the fault checks rely on it.
   */
  answer?(response: HttpResponse, call: { purpose: ConformancePurpose; variant: VariantDeclaration; request: HttpRequest }): HttpResponse | Promise<HttpResponse>;
  /** Calls per session scope (default 3, between 2 and 20). */
  calls?: number;
  /** Time limit per adapter call (default 10000 ms). */
  callTimeoutMs?: number;
  /** Dispatcher for the session client (e.g. a recorder's); default: the kit's own undici Agent. */
  dispatcher?: Dispatcher;
}

/** A stable error code: upper-case letters, digits and underscores, e.g. `SF_HTTP_RESET`, `ACME_REJECTED`. */
export const STABLE_ERROR_CODE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/;

const LOCAL_AUTH: Record<AuthType, { testable: 'none' | 'basic' | 'bearer' } | { reason: string }> = {
  none: { testable: 'none' },
  basic: { testable: 'basic' },
  'oauth2-client-credentials': { testable: 'bearer' },
  'oauth2-saml-bearer': { testable: 'bearer' },
  'client-certificate': { reason: 'not testable locally: needs a TLS backend that requests client certificates (the session client presents the certificate; the adapter is not involved)' },
  'principal-propagation': { reason: 'not testable locally: needs an on-premise connector that propagates the user' },
};

/** Auth types in the order the session checks prefer them. */
const SESSION_AUTH_PREFERENCE: AuthType[] = ['basic', 'oauth2-client-credentials', 'oauth2-saml-bearer'];

const DEFAULT_ADDRESS: Record<ConformancePurpose, string> = {
  session: '/conformance/session',
  csrf: '/csrf/conformance',
  'auth-none': '/_fault/status/200',
  'auth-basic': '/conformance/auth',
  'auth-bearer': '/conformance/auth',
  'bad-credentials': '/conformance/auth',
  'fault-status': '/_fault/status/500',
  'fault-reset': '/_fault/reset',
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function placeholder(schema: unknown): unknown {
  if (!isPlainObject(schema)) return 'example';
  if ('default' in schema) return structuredClone(schema.default);
  if ('const' in schema) return structuredClone(schema.const);
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return structuredClone(schema.examples[0]);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return structuredClone(schema.enum[0]);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'boolean':
      return false;
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'array':
      return [];
    case 'object':
      return exampleConfig(schema);
    default:
      return typeof schema.format === 'string' && schema.format === 'uri' ? 'https://example.com/' : 'example';
  }
}

/**
 * A config that satisfies a config schema's required fields: each required field gets its
 * default, const, first example, first enum value or a placeholder of its type.
 */
export function exampleConfig(schema: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const props = isPlainObject(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : [];
  for (const name of required) out[name] = placeholder(props[name]);
  return out;
}

interface Secrets {
  values: Set<string>;
}

function collectSecrets(secrets: Secrets, ...values: (string | undefined)[]): void {
  for (const v of values) if (v !== undefined && v.length >= 4) secrets.values.add(v);
}

/** Replaces any known secret in `text` with `***` (so a failing check never prints one). */
function redact(text: string, secrets: Secrets): string {
  let out = text;
  for (const s of [...secrets.values].sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
  return out;
}

function containsSecret(text: string, secrets: Secrets): boolean {
  for (const s of secrets.values) if (text.includes(s)) return true;
  return false;
}

function safeStringify(value: unknown): string {
  try {
    const seen = new WeakSet<object>();
    return JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '[circular]';
        seen.add(v);
      }
      return v;
    }) ?? '';
  } catch {
    return String(value);
  }
}

/** A wire-level interceptor that learns every cookie and CSRF token value the backend hands out. */
function secretCapture(secrets: Secrets) {
  return (dispatch: Dispatcher['dispatch']): Dispatcher['dispatch'] =>
    (opts, handler) => {
      const h = handler as Dispatcher.DispatchHandler;
      return dispatch(opts, {
        onRequestStart: (c, ctx) => h.onRequestStart?.(c, ctx),
        onRequestUpgrade: (c, s, hd, so) => h.onRequestUpgrade?.(c, s, hd, so),
        onResponseStart: (c, status, headers, message) => {
          const raw = headers as Record<string, string | string[] | undefined>;
          for (const [k, v] of Object.entries(raw)) {
            const name = k.toLowerCase();
            const list = v === undefined ? [] : Array.isArray(v) ? v : [v];
            if (name === 'set-cookie') {
              for (const sc of list) {
                const pair = sc.split(';')[0] ?? '';
                const eq = pair.indexOf('=');
                if (eq > 0) collectSecrets(secrets, pair.slice(eq + 1).trim());
              }
            } else if (name === 'x-csrf-token') {
              for (const t of list) if (!/^(fetch|required)$/i.test(t.trim())) collectSecrets(secrets, t.trim());
            }
          }
          return h.onResponseStart?.(c, status, headers, message);
        },
        onResponseData: (c, chunk) => h.onResponseData?.(c, chunk),
        onResponseEnd: (c, trailers) => h.onResponseEnd?.(c, trailers),
        onResponseError: (c, err) => h.onResponseError?.(c, err),
      });
    };
}

interface LogLine {
  level: 'info' | 'debug';
  message: string;
  data?: Record<string, unknown>;
}

interface CallOutcome {
  result?: AdapterResult;
  error?: unknown;
  timedOut?: boolean;
  /** Requests the adapter made through context.http. */
  requests: number;
}

interface VariantRun {
  variant: VariantDeclaration;
  config: Record<string, unknown>;
  logs: LogLine[];
  /** Headers the adapter set by hand that belong to the session client. */
  manualHeaders: Set<string>;
  errorsSeen: string[];
}

function describeError(err: unknown, secrets: Secrets): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return redact(`${typeof code === 'string' ? `${code}: ` : ''}${err.message.split('\n')[0] ?? ''}`, secrets);
  }
  return redact(`non-Error value thrown: ${safeStringify(err).slice(0, 120)}`, secrets);
}

function errorCodeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function countWith(reqs: RecordedRequest[], pred: (r: RecordedRequest) => boolean): number {
  return reqs.filter(pred).length;
}

function clamp(n: number | undefined, lo: number, hi: number, dflt: number): number {
  if (n === undefined || !Number.isFinite(n)) return dflt;
  return Math.min(hi, Math.max(lo, Math.floor(n)));
}

/** Runs the conformance checks and returns the report (never throws for an adapter failure). */
export async function runConformance(adapter: AdapterDefinition, options: ConformanceOptions = {}): Promise<ConformanceReport> {
  const checks: ConformanceCheck[] = [];
  const adapterId = isPlainObject(adapter) && typeof (adapter as { id?: unknown }).id === 'string' ? adapter.id : '(unknown)';
  const push = (c: ConformanceCheck): void => {
    checks.push(c);
  };

  // Declaration-level checks first: without a valid definition nothing else can run.
  if (!isAdapterDefinition(adapter)) {
    push({ name: 'declaration', variant: '*', mode: '-', ok: false, detail: 'not an adapter definition: export the value returned by defineAdapter() from @sessionflow/sdk' });
    return { adapter: adapterId, passed: false, checks };
  }
  push({
    name: 'api-version',
    variant: '*',
    mode: '-',
    ok: adapter.apiVersion === SDK_API_VERSION,
    detail: adapter.apiVersion === SDK_API_VERSION
      ? `targets adapter API ${SDK_API_VERSION}`
      : `targets adapter API ${adapter.apiVersion}, but this SDK implements API ${SDK_API_VERSION}: the runtime refuses to load it`,
  });

  const calls = clamp(options.calls, 2, 20, 3);
  const callTimeoutMs = clamp(options.callTimeoutMs, 100, 600_000, 10_000);
  const ownBackend = options.backend === undefined;
  const credentials = options.credentials ?? (ownBackend ? { user: 'conformance', password: `pw-${randomBytes(12).toString('base64url')}` } : { user: 'alice', password: 'alice-pw' });
  const bearerToken = options.bearerToken ?? (ownBackend ? `tok-${randomBytes(16).toString('base64url')}` : undefined);
  const secrets: Secrets = { values: new Set() };
  const probeCookie = `probe-${randomBytes(9).toString('base64url')}`;
  const probeAuth = `probe-${randomBytes(9).toString('base64url')}`;
  collectSecrets(
    secrets,
    credentials.password,
    Buffer.from(`${credentials.user}:${credentials.password}`, 'utf8').toString('base64'),
    'wrong-' + credentials.password,
    Buffer.from(`${credentials.user}:wrong-${credentials.password}`, 'utf8').toString('base64'),
    bearerToken,
    probeCookie,
    probeAuth,
  );

  const selected = adapter.variants.filter((v) => options.variants === undefined || options.variants.includes(v.id));
  for (const wanted of options.variants ?? []) {
    if (!adapter.variants.some((v) => v.id === wanted)) {
      push({ name: 'variant', variant: wanted, mode: '-', ok: false, detail: `variant "${wanted}" is not declared (declared: ${adapter.variants.map((v) => v.id).join(', ')})` });
    }
  }

  const backend = options.backend ?? (await startTestBackend({
    users: { [credentials.user]: credentials.password },
    ...(bearerToken !== undefined ? { bearerTokens: { [bearerToken]: credentials.user } } : {}),
    csrfPaths: ['/csrf/'],
  }));
  const ownAgent = options.dispatcher === undefined ? new Agent() : undefined;
  const dispatcher = (options.dispatcher ?? ownAgent!).compose(secretCapture(secrets));

  try {
    for (const variant of selected) {
      if (variant.direction === 'sender') {
        push({ name: 'variant', variant: variant.id, mode: '-', ok: true, skipped: true, detail: 'sender-only variant: the kit checks receiver behaviour only' });
        continue;
      }
      await checkVariant(variant);
    }
  } finally {
    if (ownBackend) await backend.close();
    if (ownAgent) await ownAgent.close();
  }

  return { adapter: adapter.id, passed: checks.every((c) => c.ok), checks };

  // -------------------------------------------------------------------------------------------

  async function checkVariant(variant: VariantDeclaration): Promise<void> {
    let config: Record<string, unknown>;
    try {
      config = options.configFor ? options.configFor(variant) : exampleConfig(adapter.configSchema);
    } catch (err) {
      push({ name: 'config', variant: variant.id, mode: '-', ok: false, detail: `configFor() threw: ${describeError(err, secrets)}` });
      return;
    }
    const problems = validateAdapterConfig(adapter, config);
    push({
      name: 'config',
      variant: variant.id,
      mode: '-',
      ok: problems.length === 0,
      detail: problems.length === 0
        ? `config ${safeStringify(config)} is valid against the config schema (defaults: ${safeStringify(configWithDefaults(adapter, config))})`
        : `config ${safeStringify(config)} violates the config schema: ${problems.map((p) => `${p.path.join('.') || '(root)'}: ${p.message}`).join('; ')}; pass options.configFor`,
    });
    const run: VariantRun = { variant, config, logs: [], manualHeaders: new Set(), errorsSeen: [] };
    const kind: StepKindIO = variant.stepKinds.includes('call') ? 'call' : 'send';
    const sessionAuth = SESSION_AUTH_PREFERENCE.find((t) => variant.auth.some((a) => a.type === t) && (t === 'basic' || bearerToken !== undefined));

    // Session behaviour per mode.
    for (const mode of ['none', 'exchange', 'flow'] as const) {
      if (variant.sessionReuse === 'required' && mode === 'none') {
        push({ name: 'session-none', variant: variant.id, mode, ok: true, skipped: true, detail: 'sessionReuse "required": flows must not run this variant without sessions (rule session/required-by-adapter), so mode none is not checked' });
        continue;
      }
      if (sessionAuth === undefined) {
        push({
          name: mode === 'none' ? 'session-none' : variant.sessionReuse === 'unsupported' ? 'no-cookie-sent' : 'session-reuse',
          variant: variant.id,
          mode,
          ok: true,
          skipped: true,
          detail: `sessions need credentials on the test backend, and this variant claims none of ${SESSION_AUTH_PREFERENCE.join(', ')}${bearerToken === undefined ? ' (or no bearerToken was given)' : ''}`,
        });
        continue;
      }
      await sessionCheck(run, mode, kind, sessionAuth);
    }

    if (variant.csrf) await csrfCheck(run, kind, sessionAuth);

    for (const a of variant.auth) await authCheck(run, kind, a.type);

    await faultCheck(run, kind, 'fault-status', sessionAuth);
    await faultCheck(run, kind, 'fault-reset', sessionAuth);

    push({
      name: 'no-manual-session-headers',
      variant: variant.id,
      mode: '-',
      ok: run.manualHeaders.size === 0,
      detail: run.manualHeaders.size === 0
        ? 'the adapter never set Cookie, Authorization or Proxy-Authorization itself (the message carried probe values for both)'
        : `the adapter set ${[...run.manualHeaders].join(', ')} on a request itself: cookies and credentials belong to context.http (drop these headers, never forward them from the message)`,
    });
    const leaking = run.logs.filter((l) => containsSecret(`${l.message} ${safeStringify(l.data ?? {})}`, secrets));
    push({
      name: 'no-secrets-in-logs',
      variant: variant.id,
      mode: '-',
      ok: leaking.length === 0,
      detail: leaking.length === 0
        ? `${run.logs.length} log line(s) checked: no password, token, cookie or CSRF token value`
        : `${leaking.length} log line(s) contain a password, token or cookie value, e.g. ${redact(`"${leaking[0]!.message}" ${safeStringify(leaking[0]!.data ?? {})}`, secrets).slice(0, 200)}; log a hash (shortHash from @sessionflow/sdk) instead`,
    });
    const leakingErrors = run.errorsSeen.filter((e) => containsSecret(e, secrets));
    push({
      name: 'no-secrets-in-errors',
      variant: variant.id,
      mode: '-',
      ok: leakingErrors.length === 0,
      detail: leakingErrors.length === 0
        ? `${run.errorsSeen.length} error(s) checked: no password, token or cookie value in message or details`
        : `${leakingErrors.length} error(s) contain a password, token or cookie value, e.g. ${redact(leakingErrors[0]!, secrets).slice(0, 200)}`,
    });
  }

  function httpAuth(type: AuthType | 'bad-basic'): HttpAuth {
    switch (type) {
      case 'basic':
        return { type: 'basic', user: credentials.user, password: credentials.password };
      case 'bad-basic':
        return { type: 'basic', user: credentials.user, password: `wrong-${credentials.password}` };
      case 'oauth2-client-credentials':
      case 'oauth2-saml-bearer':
        return { type: 'bearer', token: async () => bearerToken ?? '', invalidate: () => undefined };
      default:
        return { type: 'none' };
    }
  }

  function defaultMessage(): OutboundMessage {
    return {
      body: new TextEncoder().encode('{"conformance":true}'),
      headers: { 'Content-Type': 'application/json', 'X-Conformance': '1', Cookie: `probe=${probeCookie}`, Authorization: `Bearer ${probeAuth}` },
      properties: {},
      contentType: 'application/json',
    };
  }

  /** One call of the adapter's send(), the way the runtime makes it. */
  async function callAdapter(
    run: VariantRun,
    purpose: ConformancePurpose,
    kind: StepKindIO,
    authType: AuthType,
    auth: HttpAuth,
    jar: SessionJar | null,
    csrf: boolean,
  ): Promise<CallOutcome> {
    const { variant } = run;
    const address = options.address ? options.address(backend.url, purpose, variant) : `${backend.url}${DEFAULT_ADDRESS[purpose]}`;
    const step: StepRequest = {
      stepId: `conformance-${purpose}`,
      kind,
      headers: {},
      query: {},
      ...(purpose === 'csrf' ? { method: 'POST' } : {}),
      ...(options.request ? options.request(purpose, variant) : {}),
    };
    const receiver: ResolvedReceiver = {
      name: 'conformance',
      adapter: adapter.id,
      variant: variant.id,
      address,
      authType,
      csrf,
      stateful: false,
      config: structuredClone(run.config),
    };
    const client = createSessionClient({
      receiver: receiver.name,
      jar,
      auth,
      csrf,
      csrfUrl: address,
      timeoutMs: callTimeoutMs,
      dispatcher,
    });
    let requests = 0;
    const http: SessionHttpClient = {
      request: async (req: HttpRequest): Promise<HttpResponse> => {
        requests++;
        for (const name of Object.keys(req.headers ?? {})) {
          const lower = name.toLowerCase();
          if (lower === 'cookie' || lower === 'authorization' || lower === 'proxy-authorization') run.manualHeaders.add(name);
        }
        const response = await client.request(req);
        return options.answer ? options.answer(response, { purpose, variant, request: req }) : response;
      },
      // Like the runtime's client: adapters that log in inside the message ask whether a session exists.
      hasSession: (url: string) => client.hasSession?.(url) ?? Promise.resolve(false),
    };
    const controller = new AbortController();
    const context: AdapterContext = {
      receiver,
      step,
      http,
      log: {
        info: (message, data) => run.logs.push({ level: 'info', message: String(message), ...(data ? { data } : {}) }),
        debug: (message, data) => run.logs.push({ level: 'debug', message: String(message), ...(data ? { data } : {}) }),
      },
      signal: controller.signal,
    };
    const message = options.message ? options.message(purpose, variant) : defaultMessage();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), callTimeoutMs + 1000);
    });
    try {
      const settled = await Promise.race([
        Promise.resolve()
          .then(() => adapter.send(message, context))
          .then((result) => ({ result }), (error: unknown) => ({ error })),
        timeout,
      ]);
      if (settled === 'timeout') {
        controller.abort();
        return { timedOut: true, requests };
      }
      if ('error' in settled) {
        run.errorsSeen.push(`${describeErrorRaw(settled.error)}`);
        return { error: settled.error, requests };
      }
      return { result: settled.result, requests };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The raw (unredacted) message + details of an error, for the secret scan. */
  function describeErrorRaw(err: unknown): string {
    if (err instanceof Error) {
      const details = (err as { details?: unknown }).details;
      return `${err.message} ${details !== undefined ? safeStringify(details) : ''}`;
    }
    return safeStringify(err);
  }

  function outcomeProblem(o: CallOutcome): string | undefined {
    if (o.timedOut) return `send() did not settle within ${callTimeoutMs + 1000} ms`;
    if (o.error !== undefined) return `send() failed: ${describeError(o.error, secrets)}`;
    if (o.requests === 0) return 'send() made no request through context.http (adapters must reach the network only through it)';
    const status = o.result?.status;
    if (typeof status !== 'number' || status < 200 || status > 299) return `send() returned status ${String(status)}, expected 2xx`;
    return undefined;
  }

  function fresh(): void {
    backend.forgetSessions();
    backend.resetStats();
  }

  async function sessionCheck(run: VariantRun, mode: ConformanceMode, kind: StepKindIO, authType: AuthType): Promise<void> {
    const { variant } = run;
    const unsupported = variant.sessionReuse === 'unsupported';
    const name = mode === 'none' ? 'session-none' : unsupported ? 'no-cookie-sent' : 'session-reuse';
    fresh();
    const exchanges = mode === 'exchange' ? 2 : mode === 'flow' ? 2 : 1;
    const flowJar = new SessionJar();
    const failures: string[] = [];
    for (let e = 0; e < exchanges && failures.length === 0; e++) {
      // The runtime's choice: no jar for mode none or a variant without session reuse.
      const jar = mode === 'none' || unsupported ? null : mode === 'flow' ? flowJar : new SessionJar();
      for (let i = 0; i < calls; i++) {
        const o = await callAdapter(run, 'session', kind, authType, httpAuth(authType), jar, false);
        const p = outcomeProblem(o);
        if (p !== undefined) {
          failures.push(`exchange ${e + 1}, call ${i + 1}: ${p}`);
          break;
        }
      }
    }
    const stats = backend.stats();
    const reqs = backend.requests();
    const total = exchanges * calls;
    const withCookie = countWith(reqs, (r) => r.cookie);
    const authLabel = `${authType} auth`;
    if (failures.length === 0) {
      if (mode === 'none' || unsupported) {
        if (withCookie > 0) failures.push(`${withCookie} of ${reqs.length} request(s) carried a Cookie header, although ${unsupported ? `sessionReuse is "unsupported" and the runtime gives the adapter no jar` : 'mode none keeps no cookies'}`);
        if (stats.authentications !== total) failures.push(`the backend checked credentials ${stats.authentications} time(s) for ${total} call(s); without a session every call must authenticate`);
        if (stats.sessionsCreated === 0) failures.push('the backend set no session cookie, so the check proves nothing (did the calls reach it?)');
      } else {
        const expected = mode === 'exchange' ? exchanges : 1;
        if (stats.authentications !== expected) {
          failures.push(`the backend checked credentials ${stats.authentications} time(s) for ${total} call(s) in ${mode === 'exchange' ? `${exchanges} exchange-scoped sessions` : 'one flow-scoped session'}; expected ${expected} (session reuse "${variant.sessionReuse}" is declared)`);
        }
        const reused = countWith(reqs, (r) => r.cookie && !r.authorization);
        if (reused < total - expected) failures.push(`only ${reused} request(s) were served by an existing session without credentials; expected at least ${total - expected}`);
      }
    }
    push({
      name,
      variant: variant.id,
      mode,
      ok: failures.length === 0,
      detail: failures.length === 0
        ? mode === 'none' || unsupported
          ? `${total} call(s) with ${authLabel}: ${stats.authentications} credential check(s), ${stats.sessionsCreated} cookie(s) set by the backend, none sent back${unsupported && mode !== 'none' ? ' (the runtime gives a variant without session reuse no jar)' : ''}`
          : `${total} call(s) with ${authLabel} in ${mode === 'exchange' ? `${exchanges} exchanges` : 'one flow scope'}: ${stats.authentications} credential check(s), ${stats.sessionsCreated} session(s) opened`
        : failures.join('; '),
    });
  }

  async function csrfCheck(run: VariantRun, kind: StepKindIO, authType: AuthType | undefined): Promise<void> {
    const { variant } = run;
    if (authType === undefined) {
      push({ name: 'csrf', variant: variant.id, mode: 'exchange', ok: true, skipped: true, detail: 'CSRF tokens are bound to a session, and sessions need basic or bearer auth on the test backend; this variant claims neither' });
      return;
    }
    fresh();
    const failures: string[] = [];
    const jar = variant.sessionReuse === 'unsupported' ? null : new SessionJar();
    for (let i = 0; i < calls; i++) {
      const o = await callAdapter(run, 'csrf', kind, authType, httpAuth(authType), jar, true);
      const p = outcomeProblem(o);
      if (p !== undefined) {
        failures.push(`call ${i + 1}: ${p}`);
        break;
      }
    }
    const stats = backend.stats();
    const reqs = backend.requests();
    const modifying = reqs.filter((r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method));
    if (failures.length === 0) {
      if (modifying.length === 0) failures.push('no modifying request (POST, PUT, PATCH, DELETE) reached the backend: does send() honour the step method?');
      else if (modifying.some((r) => r.status !== 200)) failures.push(`${countWith(modifying, (r) => r.status !== 200)} modifying request(s) were rejected (statuses ${modifying.map((r) => r.status).join(', ')})`);
      if (stats.csrfFetches !== 1) failures.push(`${stats.csrfFetches} CSRF token fetch(es) for ${calls} modifying call(s) in one session; expected 1`);
    }
    if (variant.sessionReuse === 'unsupported') {
      failures.push('csrf: true with sessionReuse "unsupported": the token is fetched in one session and used in another, so modifying calls fail; declare csrf: false or support sessions');
    }
    push({
      name: 'csrf',
      variant: variant.id,
      mode: 'exchange',
      ok: failures.length === 0,
      detail: failures.length === 0
        ? `${calls} modifying call(s) on a CSRF-protected path succeeded with ${stats.csrfFetches} token fetch and ${stats.csrfRejections} rejection(s)`
        : failures.join('; '),
    });
  }

  async function authCheck(run: VariantRun, kind: StepKindIO, type: AuthType): Promise<void> {
    const { variant } = run;
    const name = `auth:${type}`;
    const local = LOCAL_AUTH[type];
    if ('reason' in local) {
      push({ name, variant: variant.id, mode: 'none', ok: true, skipped: true, detail: local.reason });
      return;
    }
    if (local.testable === 'bearer' && bearerToken === undefined) {
      push({ name, variant: variant.id, mode: 'none', ok: true, skipped: true, detail: 'pass options.bearerToken (a token the backend accepts) to check bearer-token auth' });
      return;
    }
    fresh();
    const purpose: ConformancePurpose = local.testable === 'none' ? 'auth-none' : local.testable === 'basic' ? 'auth-basic' : 'auth-bearer';
    const o = await callAdapter(run, purpose, kind, type, httpAuth(type), null, false);
    const failures: string[] = [];
    const p = outcomeProblem(o);
    if (p !== undefined) failures.push(p);
    const reqs = backend.requests();
    if (failures.length === 0) {
      if (local.testable === 'none') {
        if (reqs.some((r) => r.authorization)) failures.push('a request carried an Authorization header although the receiver uses auth type none');
      } else if (!reqs.some((r) => r.user === credentials.user)) {
        failures.push(`the backend did not attribute any request to user "${credentials.user}"`);
      }
    }
    let detail = failures.length === 0 ? `a call with auth type ${type} succeeded${local.testable === 'none' ? ' without credentials on the wire' : ` as user "${credentials.user}"`}` : failures.join('; ');

    if (local.testable === 'basic' && failures.length === 0) {
      // Wrong password: a clear error (or the 401 returned as is), never the password.
      fresh();
      const bad = await callAdapter(run, 'bad-credentials', kind, type, httpAuth('bad-basic'), null, false);
      if (bad.timedOut) failures.push(`with a wrong password send() did not settle within ${callTimeoutMs + 1000} ms`);
      else if (bad.error !== undefined) {
        const code = errorCodeOf(bad.error);
        if (code === undefined || !STABLE_ERROR_CODE.test(code)) failures.push(`with a wrong password send() threw without a stable code (${describeError(bad.error, secrets)}); throw AdapterError with a code such as ACME_UNAUTHORIZED`);
        else detail += `; a wrong password gives ${code}`;
      } else if (bad.result?.status !== 401) {
        failures.push(`with a wrong password send() returned status ${String(bad.result?.status)} instead of failing or returning 401`);
      } else {
        detail += '; a wrong password returns 401 (the runtime fails the step)';
      }
    }
    push({ name, variant: variant.id, mode: 'none', ok: failures.length === 0, detail: failures.length === 0 ? detail : failures.join('; ') });
  }

  async function faultCheck(run: VariantRun, kind: StepKindIO, purpose: 'fault-status' | 'fault-reset', authType: AuthType | undefined): Promise<void> {
    const { variant } = run;
    const name = purpose === 'fault-status' ? 'fault:status-500' : 'fault:reset';
    fresh();
    const type: AuthType = authType ?? (variant.auth.some((a) => a.type === 'none') ? 'none' : variant.auth[0]?.type ?? 'none');
    const o = await callAdapter(run, purpose, kind, type, httpAuth(authType ?? 'none'), null, false);
    const reachedFault = backend.requests().some((r) => r.path.startsWith('/_fault/'));
    let ok = false;
    let detail: string;
    if (o.timedOut) {
      detail = `send() did not settle within ${callTimeoutMs + 1000} ms`;
    } else if (o.error !== undefined) {
      const code = errorCodeOf(o.error);
      ok = code !== undefined && STABLE_ERROR_CODE.test(code) && o.error instanceof Error;
      detail = ok
        ? `failed with code ${code}: ${redact((o.error as Error).message.split('\n')[0] ?? '', secrets)}`
        : `failed without a stable string code (${describeError(o.error, secrets)}); throw an Error with a code like ACME_BACKEND_ERROR (AdapterError from @sessionflow/sdk), or let the SF_HTTP_* error of context.http through`;
    } else if (purpose === 'fault-status' && o.result?.status === 500) {
      ok = true;
      detail = 'returned status 500 as is (the runtime fails the step with SF_HTTP_STATUS)';
    } else {
      detail = purpose === 'fault-status'
        ? `returned status ${String(o.result?.status)} for a backend answering 500: an error status must fail the call (or be returned unchanged)`
        : `returned status ${String(o.result?.status)} although the connection was reset: transport errors must fail the call`;
    }
    if (!reachedFault && !o.timedOut) {
      ok = false;
      detail = `the call never reached the fault endpoint ${DEFAULT_ADDRESS[purpose]} (${detail}); if the adapter builds its own paths, pass options.address`;
    }
    push({ name, variant: variant.id, mode: 'none', ok, detail });
  }
}

/** A readable, multi-line report: one line per check (✔ ok, ✘ failed, - skipped). */
export function formatConformanceReport(report: ConformanceReport): string {
  const lines = [`Conformance of adapter "${report.adapter}": ${report.passed ? 'passed' : 'FAILED'}`];
  for (const c of report.checks) {
    const mark = c.skipped ? '-' : c.ok ? '✔' : '✘';
    const where = `${c.variant}${c.mode !== '-' ? `/${c.mode}` : ''}`;
    lines.push(`  ${mark} ${c.name} [${where}]: ${c.detail}`);
  }
  const failed = report.checks.filter((c) => !c.ok).length;
  const skipped = report.checks.filter((c) => c.skipped).length;
  lines.push(`  ${report.checks.length - failed - skipped} passed, ${failed} failed, ${skipped} skipped`);
  return lines.join('\n');
}

/** Error thrown by `assertConformance()`; `report` holds every check. */
export class ConformanceError extends Error {
  readonly code = 'SF_ADAPTER_CONFORMANCE';
  constructor(public readonly report: ConformanceReport) {
    const failed = report.checks.filter((c) => !c.ok);
    super(`adapter "${report.adapter}" failed ${failed.length} conformance check(s):\n${formatConformanceReport(report)}`);
    this.name = 'ConformanceError';
  }
}

/** Runs the kit and throws `ConformanceError` (listing every check) when a check fails. Returns the report. */
export async function assertConformance(adapter: AdapterDefinition, options: ConformanceOptions = {}): Promise<ConformanceReport> {
  const report = await runConformance(adapter, options);
  if (!report.passed) throw new ConformanceError(report);
  return report;
}

export interface AdapterTestContextOptions {
  /** The receiver address. */
  address: string;
  /** Variant id (default: the adapter's default variant). */
  variant?: string;
  /** Receiver `config` (default `{}`). */
  config?: Record<string, unknown>;
  /** Credentials the session client uses (default none). */
  auth?: HttpAuth;
  /** Auth type the receiver declares (default: derived from `auth`). */
  authType?: AuthType;
  /** Session jar (default null: no session, like mode `none`). */
  jar?: SessionJar | null;
  /** The receiver has `csrf: true`. */
  csrf?: boolean;
  /** Step details (default: kind `call`, no method, path, headers or query). */
  step?: Partial<StepRequest>;
  /** Dispatcher for the session client (a recorder's or replayer's). */
  dispatcher?: Dispatcher;
  receiverName?: string;
  signal?: AbortSignal;
  /**
   * `context.credentials` (for protocols that carry credentials in the message, such as an SFAPI
   * login): `true` hands the adapter `auth`, an HttpAuth hands it that; default none, as a runtime may.
   */
  credentials?: boolean | HttpAuth;
  /** The client `context.http` uses instead of a new session client (e.g. one with a custom auth provider); then `auth`, `jar`, `csrf` and `dispatcher` only describe the receiver. */
  http?: SessionHttpClient;
}

export interface AdapterTestLogLine {
  level: 'info' | 'debug';
  message: string;
  data?: Record<string, unknown>;
}

/**
 * Builds the `context` the runtime would hand to `adapter.send()` for one call — with the
 * SDK's real session client — so adapter unit tests can call `send()` directly. `logs`
 * collects what the adapter logged.
 */
export function adapterTestContext(adapter: AdapterDefinition, options: AdapterTestContextOptions): { context: AdapterContext; logs: AdapterTestLogLine[] } {
  const logs: AdapterTestLogLine[] = [];
  const auth = options.auth ?? { type: 'none' };
  const authType: AuthType = options.authType ?? (auth.type === 'bearer' ? 'oauth2-client-credentials' : auth.type);
  const name = options.receiverName ?? 'test';
  const http = options.http ?? createSessionClient({
    receiver: name,
    jar: options.jar ?? null,
    auth,
    csrf: options.csrf === true,
    csrfUrl: options.address,
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
  });
  const credentials = options.credentials === true ? auth : options.credentials === false ? undefined : options.credentials;
  const context: AdapterContext = {
    receiver: {
      name,
      adapter: adapter.id,
      variant: options.variant ?? adapter.defaultVariant,
      address: options.address,
      authType,
      csrf: options.csrf === true,
      stateful: false,
      config: options.config ?? {},
    },
    step: { stepId: 'test-step', kind: 'call', headers: {}, query: {}, ...options.step },
    http,
    log: {
      info: (message, data) => logs.push({ level: 'info', message, ...(data ? { data } : {}) }),
      debug: (message, data) => logs.push({ level: 'debug', message, ...(data ? { data } : {}) }),
    },
    signal: options.signal ?? new AbortController().signal,
    ...(credentials !== undefined ? { credentials } : {}),
  };
  return { context, logs };
}
