/**
 * The local runner: executes a parsed flow, exchange by exchange.
 *
 * Semantics decided here (the spec is silent on them):
 * - `loop` is a do-while: its steps run, then `while` is evaluated; it stops when `while` is
 *   false or after `max` iterations (default 100). Reaching `max` is not an error: the loop's
 *   MPL entry says so and a `warning` event is emitted. A loop without `while` runs once.
 * - `set` evaluates every value against the message as it was before the step, then applies
 *   them (headers, then properties, then body).
 * - `send` keeps the body but, like `call`, makes the reply's headers available as
 *   `${response.header.X}` (handy for a priming call that fetches a token).
 * - `split` reads a JSONPath on the JSON body; a path that matches one array splits its
 *   elements, otherwise every match is an item. Each item becomes the JSON body of a copy of
 *   the exchange (same headers and properties). The gathered result is a JSON array of the
 *   items' final bodies (JSON when JSON, else text, `null` when empty), in item order.
 *   XML bodies cannot be split locally (SF_SPLIT_UNSUPPORTED_BODY).
 * - Split items and multicast branches work on copies: their header/property changes do not
 *   flow back; only the gathered body does.
 * - The first failing item/branch fails the step; no new items start after a failure.
 * - Logoff (`receivers.X.logoff`) runs at the end of every exchange, success or failure, once
 *   per session the exchange opened (its own jar and any branch jars) for receivers that
 *   declare it; a failed logoff is logged in the MPL but does not fail the exchange. With
 *   `onIntegrationFlow` it runs once, at `close()`. Logoff sends no credentials.
 */
import { pathToFileURL, fileURLToPath } from 'node:url';
import { dirname, isAbsolute, resolve } from 'node:path';
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { JSONPath } from 'jsonpath-plus';
import { configWithDefaults, validateAdapterConfig } from '../adapter/define.js';
import type {
  AdapterContext,
  AdapterDefinition,
  AdapterResult,
  OutboundMessage,
  ResolvedReceiver,
  StepRequest,
  VariantDeclaration,
} from '../adapter/types.js';
import { evaluateCondition, evaluateTemplate, parseTemplate } from '../flow/expression.js';
import type { Template } from '../flow/expression.js';
import type {
  AuthType,
  CallStep,
  Flow,
  LogLevel,
  LoopStep,
  MulticastStep,
  ProcessStep,
  Range,
  Receiver,
  RouteStep,
  ScriptStep,
  SessionHandling,
  SetStep,
  SplitStep,
  Step,
  TemplateScalar,
} from '../flow/model.js';
import { AUTH_TYPES, SESSION_HANDLING_MODES } from '../flow/model.js';
import type { FlowDocument } from '../flow/parse.js';
import { createSessionClient, traceOfError, type SessionClientOptions } from '../http/client.js';
import { HttpClientError } from '../http/errors.js';
import { SessionStore, type SessionJar } from '../http/jar.js';
import type { CallTrace, HttpAuth, HttpEvent, HttpRequest, HttpResponse, SessionHttpClient } from '../http/types.js';
import { displayUrl } from '../http/url.js';
import { ClientCredentialsTokenProvider, authForCall, readCertificate, type ReceiverAuth } from './auth.js';
import { CredentialError, credentialEnvVariables, type CredentialType } from './credentials.js';
import { FlowValidationError, MissingCredentialError, StepError, type FlowProblemLocation } from './errors.js';
import { Exchange, Headers, isXmlContentType, toBytes } from './exchange.js';
import { ExchangeSessions, JarHolder, type SessionNode } from './sessions.js';
import type {
  ExchangeError,
  ExchangeInput,
  ExchangeResult,
  MplEntry,
  MplHttp,
  MplKind,
  ReceiverStats,
  RunnerEvent,
  RunnerOptions,
  RunOptions,
  RunReport,
} from './types.js';

/** Nested `process:` calls allowed before the runner assumes endless recursion. */
export const MAX_PROCESS_DEPTH = 20;
/** Default `loop.max`. */
export const DEFAULT_LOOP_MAX = 100;
/** Default `split.maxConcurrency` when `parallel: true`. */
export const DEFAULT_SPLIT_CONCURRENCY = 10;

const LOG_LEVELS: readonly LogLevel[] = ['none', 'info', 'debug'];

/** @internal */
export interface ReceiverRuntime {
  name: string;
  model: Receiver;
  adapter: AdapterDefinition;
  variant: VariantDeclaration;
  /** Variant can reuse sessions and the receiver did not opt out. */
  sessionCapable: boolean;
  auth: ReceiverAuth;
  address: Template;
  /** The address and its origin when the address has no expressions (evaluated once). */
  staticAddress?: { address: string; origin: string };
  csrf: boolean;
  stateful: boolean;
  parallelCallsInSession: boolean;
  timeoutMs?: number;
  config: Record<string, unknown>;
  cookieDomains?: Record<string, string>;
  logoff?: { method: string; path: string };
}

function runnerClosed(): ExchangeFailure {
  return new ExchangeFailure({ code: 'SF_RUNNER_CLOSED', message: 'the runner was closed while the exchange ran (SF_RUNNER_CLOSED)' });
}

/** A failure that already knows its step; containers pass it on unchanged. */
class ExchangeFailure extends Error {
  constructor(readonly error: ExchangeError) {
    super(error.message);
    this.name = 'ExchangeFailure';
  }
}

interface ExecContext {
  exchange: Exchange;
  node: SessionNode;
  depth: number;
  branch: string | undefined;
  processDepth: number;
}

function emptyStats(): ReceiverStats {
  return { calls: 0, requests: 0, credentialsSent: 0, sessionsOpened: 0, csrfFetches: 0, logoffs: 0, reauthentications: 0 };
}

function addStats(into: Record<string, ReceiverStats>, from: Record<string, ReceiverStats>): void {
  for (const [name, s] of Object.entries(from)) {
    const t = (into[name] ??= emptyStats());
    t.calls += s.calls;
    t.requests = (t.requests ?? 0) + (s.requests ?? 0);
    t.credentialsSent += s.credentialsSent;
    t.sessionsOpened += s.sessionsOpened;
    t.csrfFetches += s.csrfFetches;
    t.logoffs += s.logoffs;
    t.reauthentications += s.reauthentications;
  }
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SF_[A-Z0-9_]+$/.test(code) ? code : undefined;
}

/** Runs `count` tasks with at most `concurrency` at once; stops starting new ones after a failure. */
async function pool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (e) {
        failure ??= { error: e };
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < Math.max(1, Math.min(concurrency, count)); w++) workers.push(worker());
  await Promise.all(workers);
  if (failure) throw failure.error;
}

/** Serialises async work per key (receivers with `parallelCallsInSession: false`). */
/** @internal Serialises async work per key. */
export class KeyedMutex {
  private readonly tails = new WeakMap<object, Map<string, Promise<void>>>();

  async run<T>(owner: object, key: string, fn: () => Promise<T>): Promise<T> {
    let map = this.tails.get(owner);
    if (!map) {
      map = new Map();
      this.tails.set(owner, map);
    }
    const previous = map.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = previous.then(() => mine);
    map.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (map.get(key) === tail) map.delete(key);
    }
  }
}

function flowFileName(doc: FlowDocument): string {
  const uri = doc.uri;
  if (!uri) return '<flow>';
  if (uri.startsWith('file:')) {
    try {
      return fileURLToPath(uri);
    } catch {
      return uri;
    }
  }
  return uri;
}

function flowDir(doc: FlowDocument): string | undefined {
  const uri = doc.uri;
  if (!uri) return undefined;
  if (uri.startsWith('file:')) {
    try {
      return dirname(fileURLToPath(uri));
    } catch {
      return undefined;
    }
  }
  if (isAbsolute(uri)) return dirname(uri);
  return undefined;
}

/** Builds the problems the runner cannot run with (beyond parse/schema problems). */
class Checker {
  readonly problems: FlowProblemLocation[] = [];
  constructor(
    private readonly doc: FlowDocument,
    private readonly file: string,
  ) {}

  sorted(): FlowProblemLocation[] {
    return [...this.problems].sort((a, b) => a.line - b.line || a.column - b.column);
  }

  add(range: Range | undefined, message: string, code?: string): void {
    const pos = this.doc.positionAt(range?.start ?? 0);
    this.problems.push({ file: this.file, line: pos.line + 1, column: pos.character + 1, message, ...(code ? { code } : {}) });
  }
}

function* walkSteps(steps: Step[]): Generator<Step> {
  for (const step of steps) {
    yield step;
    switch (step.kind) {
      case 'split':
      case 'loop':
        yield* walkSteps(step.steps);
        break;
      case 'multicast':
        for (const b of step.branches) yield* walkSteps(b);
        break;
      case 'route':
        for (const w of step.when) yield* walkSteps(w.steps);
        if (step.otherwise) yield* walkSteps(step.otherwise);
        break;
      default:
        break;
    }
  }
}

const CREDENTIAL_TYPE_FOR_AUTH: Partial<Record<AuthType, CredentialType>> = {
  basic: 'basic',
  'client-certificate': 'client-certificate',
  'oauth2-client-credentials': 'oauth2',
};

function outboundBody(
  body: TemplateScalar | { value: unknown } | undefined,
  exchange: Exchange,
): { body: Uint8Array | string; contentType?: string } | undefined {
  if (!body) return undefined;
  if ('template' in body && body.template) return { body: evaluateTemplate(body.template, exchange) };
  const value = body.value;
  if (typeof value === 'string') return { body: evaluateTemplate(parseTemplate(value).template, exchange) };
  return { body: JSON.stringify(evaluateStructured(value, exchange)), contentType: 'application/json' };
}

/** Evaluates expressions inside string leaves of a structured (map/list) body. */
function evaluateStructured(value: unknown, exchange: Exchange): unknown {
  if (typeof value === 'string') return value.includes('${') ? evaluateTemplate(parseTemplate(value).template, exchange) : value;
  if (Array.isArray(value)) return value.map((v) => evaluateStructured(v, exchange));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = evaluateStructured(v, exchange);
    return out;
  }
  return value;
}

export interface ScriptMessage {
  /** JSON value when the body is JSON, otherwise the body text. Return a Uint8Array for bytes. */
  body: unknown;
  contentType?: string;
  headers: Record<string, string>;
  properties: Record<string, unknown>;
}

export interface ScriptContext {
  exchangeId: string;
  stepId: string;
  env: Record<string, string | undefined>;
  log(message: string, data?: Record<string, unknown>): void;
}

export type ScriptFunction = (message: ScriptMessage, context: ScriptContext) => ScriptMessage | void | Promise<ScriptMessage | void>;

export class FlowRunner {
  readonly sessionHandling: SessionHandling;
  readonly logLevel: LogLevel;
  readonly flowId: string;
  private readonly store = new SessionStore();
  private readonly flowHolder: JarHolder;
  private readonly receivers: Map<string, ReceiverRuntime>;
  private readonly processes: Map<string, Step[]>;
  private readonly stepIds = new WeakMap<Step, string>();
  private readonly scripts = new Map<string, Promise<ScriptFunction>>();
  private readonly mutex = new KeyedMutex();
  private readonly abort = new AbortController();
  private readonly env: Record<string, string | undefined>;
  private readonly baseDir: string;
  private readonly totals: Record<string, ReceiverStats> = {};
  private readonly active = new Set<Promise<unknown>>();
  private readonly clients = new WeakMap<object, Map<ReceiverRuntime, { auth: HttpAuth; address: string; client: SessionHttpClient }>>();
  private counter = 0;
  private closed = false;

  private constructor(
    private readonly doc: FlowDocument,
    private readonly options: RunnerOptions,
    setup: { receivers: Map<string, ReceiverRuntime>; sessionHandling: SessionHandling; logLevel: LogLevel },
  ) {
    this.flow = doc.flow;
    this.flowId = doc.flow.id?.value ?? 'flow';
    this.receivers = setup.receivers;
    this.sessionHandling = setup.sessionHandling;
    this.logLevel = setup.logLevel;
    this.processes = new Map(doc.flow.processes.map((p) => [p.name, p.steps]));
    this.env = options.env ?? process.env;
    this.baseDir = resolve(options.baseDir ?? flowDir(doc) ?? process.cwd());
    this.flowHolder = new JarHolder(this.store, { kind: 'flow' });
    // Every in-flight request listens on the runner's signal (closing aborts them all).
    setMaxListeners(0, this.abort.signal);
    for (const step of walkSteps(doc.flow.steps)) this.assignStepId(step);
    for (const p of doc.flow.processes) for (const step of walkSteps(p.steps)) this.assignStepId(step);
  }

  private readonly flow: Flow;

  /**
   * Checks the flow and the credentials, then returns a runner. Throws FlowValidationError
   * (with file:line:col for each problem) or MissingCredentialError/CredentialError before
   * any request is made.
   */
  static async create(doc: FlowDocument, options: RunnerOptions): Promise<FlowRunner> {
    const file = flowFileName(doc);
    const check = new Checker(doc, file);
    for (const p of doc.problems) {
      const severity = (p as { severity?: string }).severity;
      if (severity !== undefined && severity !== 'error') continue;
      check.add(p.range, p.message, p.code);
    }
    if (check.problems.length > 0) throw new FlowValidationError(check.problems);

    const flow = doc.flow;
    const logLevel = options.logLevel ?? (flow.runtime?.log?.value as LogLevel | undefined) ?? 'info';
    if (!LOG_LEVELS.includes(logLevel)) {
      check.add(flow.runtime?.log?.range, `runtime.log "${String(logLevel)}" is not one of: ${LOG_LEVELS.join(', ')}`);
    }
    let sessionHandling: SessionHandling;
    if (options.sessionHandling !== undefined) sessionHandling = options.sessionHandling;
    else if (doc.isLegacy) sessionHandling = 'none';
    else sessionHandling = (flow.runtime?.sessionHandling?.value as SessionHandling | undefined) ?? 'none';
    if (!SESSION_HANDLING_MODES.includes(sessionHandling)) {
      check.add(
        flow.runtime?.sessionHandling?.range,
        `sessionHandling "${String(sessionHandling)}" is not one of: ${SESSION_HANDLING_MODES.join(', ')}`,
      );
    }

    // Which receivers are used (main process and every local process).
    const used = new Set<string>();
    const allSteps = [...walkSteps(flow.steps), ...flow.processes.flatMap((p) => [...walkSteps(p.steps)])];
    const processNames = new Set(flow.processes.map((p) => p.name));
    const receiverNames = new Set(flow.receivers.map((r) => r.name));
    const seenIds = new Map<string, Step>();
    for (const step of allSteps) {
      const id = step.id?.value;
      if (id !== undefined) {
        if (seenIds.has(id)) check.add(step.id?.range, `step id "${id}" is used twice; step ids must be unique`, 'flow/duplicate-step-id');
        else seenIds.set(id, step);
      }
      if (step.kind === 'call' || step.kind === 'send') {
        const name = step.receiver?.value;
        if (name === undefined) continue;
        if (!receiverNames.has(name)) {
          const known = [...receiverNames];
          check.add(
            step.receiver.range,
            `step ${step.kind}s receiver "${name}", which is not declared under receivers${known.length ? ` (declared: ${known.join(', ')})` : ''}`,
            'flow/unknown-receiver',
          );
        } else used.add(name);
      } else if (step.kind === 'process') {
        const name = step.process?.value;
        if (name !== undefined && !processNames.has(name)) {
          check.add(
            step.process.range,
            `process "${name}" is not declared under processes${processNames.size ? ` (declared: ${[...processNames].join(', ')})` : ''}`,
            'flow/unknown-process',
          );
        }
      } else if (step.kind === 'script') {
        if (!step.script?.value) check.add(step.range, 'script step has no module path');
      }
    }

    const declared = new Map(flow.credentials.map((c) => [c.name, c]));
    const receivers = new Map<string, ReceiverRuntime>();
    const credentialChecks: { receiver: Receiver; credential: string; type: CredentialType; authType: AuthType; range?: Range }[] = [];
    for (const r of flow.receivers) {
      const adapterId = r.adapter?.value;
      if (!adapterId) {
        check.add(r.keyRange ?? r.range, `receiver "${r.name}" has no adapter`);
        continue;
      }
      const loaded = options.registry.get(adapterId);
      if (!loaded) {
        const ids = options.registry.ids();
        check.add(
          r.adapter?.range,
          `receiver "${r.name}": adapter "${adapterId}" is not installed (installed: ${ids.length ? ids.join(', ') : 'none'})`,
          'flow/unknown-adapter',
        );
        continue;
      }
      const def = loaded.definition;
      const variant = def.variant(r.variant?.value);
      if (!variant) {
        check.add(
          r.variant?.range ?? r.adapter?.range,
          `receiver "${r.name}": adapter "${adapterId}" has no variant "${r.variant?.value ?? ''}" (variants: ${def.variants.map((v) => v.id).join(', ')})`,
          'flow/unsupported-variant',
        );
        continue;
      }
      const config = r.config?.value ?? {};
      for (const p of validateAdapterConfig(def, config)) {
        const where = p.path.length ? `config.${p.path.join('.')}` : 'config';
        const inner = r.config ? doc.rangeAt([...r.config.path, ...p.path]) : undefined;
        check.add(inner ?? r.config?.range ?? r.range, `receiver "${r.name}": ${where}: ${p.message}`, 'flow/adapter-config');
      }
      const address = r.address;
      if (!address) {
        check.add(r.keyRange ?? r.range, `receiver "${r.name}" has no address`);
        continue;
      }
      const addressTemplate = address.template ?? parseTemplate(address.value).template;
      let staticAddress: { address: string; origin: string } | undefined;
      if (!address.value.includes('${')) {
        try {
          const text = addressTemplate.parts.every((p) => p.kind === 'text') ? addressTemplate.parts.map((p) => p.text).join('') : undefined;
          const origin = new URL(address.value).origin;
          if (text === address.value) staticAddress = { address: text, origin };
        } catch {
          check.add(address.range, `receiver "${r.name}": address "${address.value}" is not an absolute URL`);
        }
      }
      const authType = (r.auth?.type?.value ?? 'none') as AuthType;
      if (!AUTH_TYPES.includes(authType)) {
        check.add(r.auth?.type?.range, `receiver "${r.name}": auth type "${authType}" is not one of: ${AUTH_TYPES.join(', ')}`);
        continue;
      }
      if (authType !== 'none' && !variant.auth.some((a) => a.type === authType)) {
        check.add(
          r.auth?.type?.range,
          `receiver "${r.name}": adapter "${adapterId}" (${variant.id}) does not support auth type ${authType} (supported: ${variant.auth.map((a) => a.type).join(', ')})`,
          'flow/unsupported-auth',
        );
      }
      let auth: ReceiverAuth = { kind: 'static', authType: 'none', auth: { type: 'none' } };
      const credName = r.auth?.credential?.value;
      const credType = CREDENTIAL_TYPE_FOR_AUTH[authType];
      if (authType === 'principal-propagation' || authType === 'oauth2-saml-bearer') {
        auth = { kind: 'unsupported', authType };
      } else if (authType === 'basic' && credName === undefined) {
        const user = r.auth?.user;
        const password = r.auth?.password;
        if (!user || !password) {
          check.add(r.auth?.range, `receiver "${r.name}": basic auth needs either credential, or user and password`);
        } else {
          auth = {
            kind: 'dynamic',
            authType: 'basic',
            user: user.template ?? parseTemplate(user.value).template,
            password: password.template ?? parseTemplate(password.value).template,
          };
        }
      } else if (credType !== undefined) {
        if (credName === undefined) {
          check.add(r.auth?.range, `receiver "${r.name}": auth type ${authType} needs a credential`);
        } else if (!declared.has(credName)) {
          check.add(
            r.auth?.credential?.range,
            `receiver "${r.name}": credential "${credName}" is not declared under credentials`,
            'flow/unknown-credential',
          );
        } else {
          credentialChecks.push({ receiver: r, credential: credName, type: credType, authType, range: r.auth?.credential?.range });
        }
        if (authType === 'oauth2-client-credentials' && !r.auth?.tokenUrl?.value) {
          check.add(r.auth?.range, `receiver "${r.name}": oauth2-client-credentials needs a tokenUrl`);
        }
      }
      const logoffPath = r.logoff?.urlPath?.value;
      const proxy = r.proxy;
      const cookieDomains = proxy?.type?.value === 'onPremise' ? proxy.cookieDomains?.value : undefined;
      receivers.set(r.name, {
        name: r.name,
        model: r,
        adapter: def,
        variant,
        sessionCapable: variant.sessionReuse !== 'unsupported' && r.session?.value !== 'none',
        auth,
        address: addressTemplate,
        ...(staticAddress ? { staticAddress } : {}),
        csrf: r.csrf?.value === true,
        stateful: r.stateful?.value === true,
        parallelCallsInSession: r.parallelCallsInSession?.value !== false,
        ...(r.timeoutMs?.value !== undefined ? { timeoutMs: r.timeoutMs.value } : {}),
        config: configWithDefaults(def, config),
        ...(cookieDomains ? { cookieDomains } : {}),
        ...(logoffPath !== undefined ? { logoff: { method: (r.logoff?.method?.value ?? 'POST').toUpperCase(), path: logoffPath } } : {}),
      });
    }
    for (const step of allSteps) {
      if ((step.kind === 'call' || step.kind === 'send') && step.receiver?.value) {
        const rt = receivers.get(step.receiver.value);
        if (rt && !rt.variant.stepKinds.includes(step.kind)) {
          check.add(
            step.kindKeyRange,
            `receiver "${rt.name}" (${rt.adapter.id} ${rt.variant.id}) does not support "${step.kind}" steps (supported: ${rt.variant.stepKinds.join(', ')})`,
            'flow/step-kind-mismatch',
          );
        }
      }
    }
    if (check.problems.length > 0) throw new FlowValidationError(check.sorted());

    // Credentials: every one a used receiver needs must exist, before any call.
    for (const c of credentialChecks) {
      const rt = receivers.get(c.receiver.name);
      if (!rt || !used.has(c.receiver.name)) continue;
      const value = options.credentials.get(c.credential);
      if (!value) {
        const vars = credentialEnvVariables(c.credential, c.type);
        throw new MissingCredentialError(
          c.credential,
          c.receiver.name,
          `credential "${c.credential}" (needed by receiver "${c.receiver.name}") is not set: set ${vars.join(' and ')}, or add it to the credentials file`,
        );
      }
      if (value.type !== c.type) {
        throw new CredentialError(
          `credential "${c.credential}" (needed by receiver "${c.receiver.name}" for ${c.authType} auth) is of type ${value.type}, expected ${c.type}`,
          'SF_CREDENTIAL_TYPE',
        );
      }
      if (value.type === 'basic') {
        rt.auth = { kind: 'static', authType: 'basic', auth: { type: 'basic', user: value.user, password: value.password } };
      } else if (value.type === 'client-certificate') {
        let pair: { cert: Buffer; key: Buffer };
        try {
          pair = await readCertificate(value, c.credential);
        } catch (e) {
          throw new CredentialError(errorText(e));
        }
        rt.auth = { kind: 'static', authType: 'client-certificate', auth: { type: 'client-certificate', ...pair } };
      } else {
        const provider = new ClientCredentialsTokenProvider({
          tokenUrl: c.receiver.auth?.tokenUrl?.value ?? '',
          clientId: value.clientId,
          clientSecret: value.clientSecret,
          receiver: c.receiver.name,
          ...(rt.timeoutMs !== undefined ? { timeoutMs: rt.timeoutMs } : {}),
        });
        rt.auth = { kind: 'static', authType: 'oauth2-client-credentials', auth: provider.toHttpAuth() };
      }
    }
    return new FlowRunner(doc, options, { receivers, sessionHandling, logLevel });
  }

  /** Cumulative receiver statistics of every exchange so far (plus logoffs run by `close()`). */
  stats(): Record<string, ReceiverStats> {
    return structuredClone(this.totals);
  }

  private emit(e: RunnerEvent): void {
    const cb = this.options.onEvent;
    if (!cb) return;
    try {
      cb(e);
    } catch {
      // A listener's bug must not break an exchange.
    }
  }

  private assignStepId(step: Step): void {
    if (this.stepIds.has(step)) return;
    const explicit = step.id?.value;
    if (explicit) {
      this.stepIds.set(step, explicit);
      return;
    }
    const pos = this.doc.positionAt(step.kindKeyRange?.start ?? step.range.start);
    this.stepIds.set(step, `${step.kind}@${pos.line + 1}`);
  }

  private stepId(step: Step): string {
    let id = this.stepIds.get(step);
    if (id === undefined) {
      this.assignStepId(step);
      id = this.stepIds.get(step) ?? step.kind;
    }
    return id;
  }

  // ------------------------------------------------------------------------------------------
  // Exchanges
  // ------------------------------------------------------------------------------------------

  /** Runs one exchange. Never throws for backend or flow problems: the result says `failed`. */
  async runExchange(input: ExchangeInput = {}): Promise<ExchangeResult> {
    if (this.closed) throw new Error('FlowRunner.runExchange: the runner is closed');
    const p = this.runExchangeSafely(input);
    this.active.add(p);
    try {
      return await p;
    } finally {
      this.active.delete(p);
    }
  }

  private async runExchangeSafely(input: ExchangeInput): Promise<ExchangeResult> {
    const id = `${this.flowId}-${++this.counter}`;
    const started = performance.now();
    try {
      return await new ExchangeRun(this, id, input).execute();
    } catch (e) {
      // A bug in the runner itself: the exchange still counts, as failed.
      const error: ExchangeError = { code: 'SF_INTERNAL', message: `internal error in the runner: ${errorText(e)} (SF_INTERNAL)` };
      this.emit({ type: 'exchange-end', exchange: id, status: 'failed', durationMs: performance.now() - started, error });
      return {
        id,
        status: 'failed',
        error,
        mpl: [],
        durationMs: performance.now() - started,
        body: new Uint8Array(0),
        headers: {},
        properties: {},
        receivers: {},
      };
    }
  }

  /** Runs `exchanges` exchanges with at most `concurrency` at once. Every exchange is counted. */
  async run(options: RunOptions): Promise<RunReport & { results: ExchangeResult[] }> {
    const total = options.exchanges;
    if (!Number.isInteger(total) || total < 0) throw new RangeError(`run: exchanges must be a non-negative integer, got ${String(total)}`);
    const concurrency = options.concurrency;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`run: concurrency must be a positive integer, got ${String(concurrency)}`);
    }
    const started = performance.now();
    const results: ExchangeResult[] = new Array<ExchangeResult>(total);
    let done = 0;
    const inputFor = (i: number): ExchangeInput => (typeof options.input === 'function' ? options.input(i) : options.input);
    await pool(total, concurrency, async (i) => {
      let result: ExchangeResult;
      try {
        result = await this.runExchange(inputFor(i));
      } catch (e) {
        const error: ExchangeError = { code: 'SF_INTERNAL', message: `internal error in the runner: ${errorText(e)} (SF_INTERNAL)` };
        result = { id: `${this.flowId}-input-${i}`, status: 'failed', error, mpl: [], durationMs: 0, body: new Uint8Array(0), headers: {}, properties: {}, receivers: {} };
      }
      results[i] = result;
      done++;
      try {
        options.onProgress?.(done, total);
      } catch {
        // progress callbacks cannot fail the run
      }
    });
    const receivers: Record<string, ReceiverStats> = {};
    let succeeded = 0;
    let failed = 0;
    const errors: RunReport['errors'] = [];
    for (const r of results) {
      addStats(receivers, r.receivers);
      if (r.status === 'completed') succeeded++;
      else {
        failed++;
        errors.push({ exchange: r.id, code: r.error?.code ?? 'SF_INTERNAL', message: r.error?.message ?? 'failed' });
      }
    }
    return {
      flow: this.flowId,
      sessionHandling: this.sessionHandling,
      exchanges: total,
      succeeded,
      failed,
      durationMs: performance.now() - started,
      receivers,
      errors,
      results,
    };
  }

  /**
   * Waits for running exchanges, logs off the flow-wide sessions (`onIntegrationFlow`), releases
   * every jar. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.active]);
    if (this.flowHolder.created) {
      const stats: Record<string, ReceiverStats> = {};
      await this.logoffHolder(this.flowHolder, undefined, stats, (entry) => {
        this.emit({ type: 'step', exchange: '', entry });
      });
      addStats(this.totals, stats);
    }
    this.flowHolder.release();
    this.abort.abort();
  }

  // ---- internals used by ExchangeRun ----

  /** @internal The same object for every exchange (built once). */
  get internals(): RunnerInternals {
    return (this.internalsValue ??= this.buildInternals());
  }

  private internalsValue: RunnerInternals | undefined;

  private buildInternals(): RunnerInternals {
    return {
      flow: this.flow,
      receivers: this.receivers,
      processes: this.processes,
      store: this.store,
      flowHolder: this.flowHolder,
      env: this.env,
      baseDir: this.baseDir,
      signal: this.abort.signal,
      listening: this.options.onEvent !== undefined,
      clientOptions: (rt, jar, auth, address) => this.clientOptions(rt, jar, auth, address),
      sharedClient: (rt, jar, auth, address) => this.sharedClient(rt, jar, auth, address),
      mutex: this.mutex,
      totals: this.totals,
      emit: (e: RunnerEvent) => this.emit(e),
      stepId: (s: Step) => this.stepId(s),
      loadScript: (path: string) => this.loadScript(path),
      logoffHolder: (
        h: JarHolder,
        ex: Exchange | undefined,
        stats: Record<string, ReceiverStats>,
        record: (e: MplEntry) => void,
      ) => this.logoffHolder(h, ex, stats, record),
    };
  }

  private clientOptions(rt: ReceiverRuntime, jar: SessionJar | null, auth: HttpAuth, address: string): SessionClientOptions {
    const o: SessionClientOptions = {
      receiver: rt.name,
      jar,
      auth,
      csrf: rt.csrf,
      csrfUrl: address,
      // The cookie hash is shown in the MPL at log level debug only.
      traceCookieHashes: this.logLevel === 'debug',
    };
    if (rt.timeoutMs !== undefined) o.timeoutMs = rt.timeoutMs;
    if (rt.cookieDomains) o.cookieDomains = rt.cookieDomains;
    return o;
  }

  /**
   * A session client is stateless between calls (sessions live in the jar), so calls of one
   * receiver in one jar with the same credentials and address share one. Keyed by the jar (or,
   * without a jar, the receiver), so clients go away with the jars of finished exchanges.
   */
  private sharedClient(rt: ReceiverRuntime, jar: SessionJar | null, auth: HttpAuth, address: string): SessionHttpClient {
    const owner: object = jar ?? rt;
    let byReceiver = this.clients.get(owner);
    if (!byReceiver) {
      byReceiver = new Map();
      this.clients.set(owner, byReceiver);
    }
    const hit = byReceiver.get(rt);
    if (hit !== undefined && hit.auth === auth && hit.address === address) return hit.client;
    const client = createSessionClient(this.clientOptions(rt, jar, auth, address));
    byReceiver.set(rt, { auth, address, client });
    return client;
  }

  private loadScript(path: string): Promise<ScriptFunction> {
    const file = resolve(this.baseDir, path);
    let p = this.scripts.get(file);
    if (!p) {
      p = (async () => {
        let mod: Record<string, unknown>;
        try {
          mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
        } catch (e) {
          const code = (e as { code?: string }).code;
          throw new StepError(
            'SF_SCRIPT',
            code === 'ERR_MODULE_NOT_FOUND' && errorText(e).includes(file)
              ? `script ${file} does not exist`
              : `script ${file} cannot be loaded: ${errorText(e).split('\n')[0]}`,
          );
        }
        const fn = mod.default;
        if (typeof fn !== 'function') {
          throw new StepError('SF_SCRIPT', `script ${file} has no default export function (message, context) => message`);
        }
        return fn as ScriptFunction;
      })();
      this.scripts.set(file, p);
      p.catch(() => this.scripts.delete(file));
    }
    return p;
  }

  /** Calls the logoff of every receiver that opened a session in `holder`. */
  private async logoffHolder(
    holder: JarHolder,
    exchange: Exchange | undefined,
    stats: Record<string, ReceiverStats>,
    record: (e: MplEntry) => void,
  ): Promise<void> {
    const jar = holder.jar();
    if (!jar) return;
    const done = new Set<string>();
    for (const [name, address] of holder.opened) {
      const rt = this.receivers.get(name);
      if (!rt?.logoff) continue;
      let url: string;
      try {
        url = new URL(rt.logoff.path, address).href;
      } catch {
        continue;
      }
      const key = `${rt.logoff.method} ${url}`;
      if (done.has(key)) continue;
      done.add(key);
      if (!(await jar.hasSession(url))) continue;
      const startedAt = Date.now();
      const t0 = performance.now();
      const entry: MplEntry = { stepId: `logoff:${name}`, kind: 'logoff', receiver: name, status: 'ok', startedAt, durationMs: 0, depth: 0 };
      const s = (stats[name] ??= emptyStats());
      try {
        const client = createSessionClient({
          receiver: name,
          jar,
          auth: { type: 'none' },
          traceCookieHashes: this.logLevel === 'debug',
          ...(rt.timeoutMs !== undefined ? { timeoutMs: rt.timeoutMs } : {}),
          ...(rt.cookieDomains ? { cookieDomains: rt.cookieDomains } : {}),
          ...(this.options.onEvent
            ? { onEvent: (event: HttpEvent) => this.emit({ type: 'http', ...(exchange ? { exchange: exchange.id } : {}), event }) }
            : {}),
        });
        let res: HttpResponse;
        try {
          res = await client.request({ method: rt.logoff.method, url, signal: this.abort.signal });
        } catch (e) {
          s.requests = (s.requests ?? 0) + (traceOfError(e)?.attempts ?? 0);
          throw e;
        }
        s.logoffs++;
        s.requests = (s.requests ?? 0) + res.trace.attempts;
        entry.httpStatus = res.status;
        entry.http = mplHttp(rt.logoff.method, url, res.status, [{ method: rt.logoff.method, url, status: res.status, trace: res.trace }]);
        if (res.status >= 400) {
          entry.status = 'failed';
          entry.message = `logoff of receiver "${name}" answered ${res.status}`;
        }
      } catch (e) {
        s.logoffs++;
        entry.status = 'failed';
        entry.message = `logoff of receiver "${name}" failed: ${errorText(e)}`;
      }
      await jar.clearOrigin(url);
      entry.durationMs = performance.now() - t0;
      if (entry.status === 'failed') {
        this.emit({ type: 'warning', ...(exchange ? { exchange: exchange.id } : {}), stepId: entry.stepId, message: entry.message ?? 'logoff failed' });
      }
      record(entry);
    }
  }
}

/** @internal What an exchange needs from its runner. */
export interface RunnerInternals {
  flow: Flow;
  receivers: Map<string, ReceiverRuntime>;
  processes: Map<string, Step[]>;
  store: SessionStore;
  flowHolder: JarHolder;
  env: Record<string, string | undefined>;
  baseDir: string;
  signal: AbortSignal;
  /** The runner has an event listener (build events only then). */
  listening: boolean;
  /** Session client options for a call of `rt` (no event listener). */
  clientOptions(rt: ReceiverRuntime, jar: SessionJar | null, auth: HttpAuth, address: string): SessionClientOptions;
  /** A session client without event listener, shared by the calls with the same receiver, jar, credentials and address. */
  sharedClient(rt: ReceiverRuntime, jar: SessionJar | null, auth: HttpAuth, address: string): SessionHttpClient;
  mutex: KeyedMutex;
  totals: Record<string, ReceiverStats>;
  emit(e: RunnerEvent): void;
  stepId(s: Step): string;
  loadScript(path: string): Promise<ScriptFunction>;
  logoffHolder(h: JarHolder, ex: Exchange | undefined, stats: Record<string, ReceiverStats>, record: (e: MplEntry) => void): Promise<void>;
}

function mplHttp(method: string, url: string, status: number | undefined, records: readonly CallRecord[]): MplHttp {
  const done = records.filter((r): r is CallRecord & { trace: CallTrace } => r.trace !== undefined);
  const traces = done.map((r) => r.trace);
  const last = traces[traces.length - 1];
  const byStep = done.some((r) => r.csrfFetchedByRequest === true);
  const http: MplHttp = {
    method,
    url: displayUrl(url),
    credentialsSent: traces.some((t) => t.credentialsSent),
    sessionCookieSet: traces.some((t) => t.sessionCookieSet),
    sessionOpened: traces.some((t) => t.sessionOpened),
    csrfFetched: byStep || traces.some((t) => t.csrfFetched || t.csrfRefetched),
    reauthenticated: traces.some((t) => t.reauthenticated),
  };
  if (byStep) http.csrfFetchedByStep = true;
  if (status !== undefined) http.status = status;
  if (last?.sessionCookieSentHash) http.sessionCookieSentHash = last.sessionCookieSentHash;
  return http;
}

/** One request an adapter made through `context.http` (what the runner counts and logs). */
interface CallRecord {
  method: string;
  url: string;
  status?: number;
  trace?: CallTrace;
  /** Requests that went on the wire for it (token fetch and retries included). */
  attempts?: number;
  /** The request itself fetched a CSRF token (`X-CSRF-Token: Fetch`) and got one. */
  csrfFetchedByRequest?: boolean;
}

/** What `prepareCall` hands to the adapter and to `settleCall`. */
interface PreparedCall {
  rt: ReceiverRuntime;
  address: string;
  holder: JarHolder | undefined;
  jar: SessionJar | null;
  message: OutboundMessage;
  context: AdapterContext;
  tracer: CallTracer;
  /** Calls of receivers with `parallelCallsInSession: false` run one at a time per jar and origin. */
  serialKey: string | undefined;
}

/** The adapter's `context.http`: the session client, recording what each request did. */
class CallTracer implements SessionHttpClient {
  readonly records: CallRecord[] = [];
  /** The session client's `hasSession`, when it has one (adapters fall back without it). */
  readonly hasSession?: (url: string) => Promise<boolean>;

  constructor(
    private readonly client: SessionHttpClient,
    private readonly signal: AbortSignal,
  ) {
    const hasSession = client.hasSession;
    if (hasSession !== undefined) this.hasSession = (url: string) => hasSession.call(client, url);
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const rec: CallRecord = { method: (req.method ?? 'GET').toUpperCase(), url: req.url };
    this.records.push(rec);
    let res: HttpResponse;
    try {
      res = await this.client.request(req.signal !== undefined ? req : { ...req, signal: this.signal });
    } catch (e) {
      // Requests that went out before a transport failure still count.
      rec.attempts = traceOfError(e)?.attempts ?? 0;
      throw e;
    }
    rec.status = res.status;
    rec.trace = res.trace;
    rec.attempts = res.trace.attempts;
    // The request fetched a CSRF token itself (`X-CSRF-Token: Fetch`) and got one.
    if (!res.trace.csrfFetched && res.status < 400 && sentCsrfFetch(req.headers)) {
      const token = res.headers['x-csrf-token'];
      if (token !== undefined && token !== '' && token.trim().toLowerCase() !== 'required') rec.csrfFetchedByRequest = true;
    }
    return res;
  }
}

/** The request carries `X-CSRF-Token: Fetch` (any spelling). */
function sentCsrfFetch(headers: Record<string, string> | undefined): boolean {
  if (headers === undefined) return false;
  for (const name of Object.keys(headers)) {
    if (name.length === 12 && name.toLowerCase() === 'x-csrf-token') return headers[name]!.trim().toLowerCase() === 'fetch';
  }
  return false;
}

const SILENT_LOG: AdapterContext['log'] = Object.freeze({
  info: () => undefined,
  debug: () => undefined,
  debugEnabled: false,
});

/** Formats the exchange-level message: `step "ID" (receiver "R"): cause (CODE)`. */
function failureMessage(stepId: string, receiver: string | undefined, cause: string, code: string): string {
  const suffix = cause.trimEnd().endsWith(`(${code})`) ? '' : ` (${code})`;
  return `step "${stepId}"${receiver ? ` (receiver "${receiver}")` : ''}: ${cause}${suffix}`;
}

/** One exchange in flight. */
class ExchangeRun {
  private readonly r: RunnerInternals;
  private readonly mpl: MplEntry[] = [];
  private readonly stats: Record<string, ReceiverStats> = {};
  private readonly sessions: ExchangeSessions;
  private readonly exchange: Exchange;

  constructor(
    private readonly runner: FlowRunner,
    private readonly id: string,
    input: ExchangeInput,
  ) {
    this.r = runner.internals;
    this.sessions = new ExchangeSessions(runner.sessionHandling, this.r.store, id, this.r.flowHolder);
    this.exchange = new Exchange(
      id,
      {
        body: input.body,
        ...(input.contentType !== undefined ? { contentType: input.contentType } : {}),
        ...(input.headers ? { headers: input.headers } : {}),
        ...(input.properties ? { properties: input.properties } : {}),
      },
      this.r.env,
    );
  }

  async execute(): Promise<ExchangeResult> {
    const started = performance.now();
    this.r.emit({ type: 'exchange-start', exchange: this.id });
    let error: ExchangeError | undefined;
    try {
      await this.runSteps(this.r.flow.steps, { exchange: this.exchange, node: this.sessions.root, depth: 0, branch: undefined, processDepth: 0 });
    } catch (e) {
      error =
        e instanceof ExchangeFailure
          ? e.error
          : { code: 'SF_INTERNAL', message: `internal error in the runner: ${errorText(e)} (SF_INTERNAL)` };
    } finally {
      try {
        if (this.sessions.mode === 'onExchange') {
          for (const holder of this.sessions.createdHolders()) {
            await this.r.logoffHolder(holder, this.exchange, this.stats, (entry) => this.record(entry));
          }
        }
      } catch (e) {
        this.r.emit({ type: 'warning', exchange: this.id, message: `logoff failed: ${errorText(e)}` });
      } finally {
        this.sessions.releaseAll();
      }
    }
    addStats(this.r.totals, this.stats);
    const durationMs = performance.now() - started;
    const status = error ? 'failed' : 'completed';
    this.r.emit({ type: 'exchange-end', exchange: this.id, status, durationMs, ...(error ? { error } : {}) });
    const result: ExchangeResult = {
      id: this.id,
      status,
      mpl: this.mpl,
      durationMs,
      body: this.exchange.body,
      headers: this.exchange.headers.toRecord(),
      properties: this.exchange.properties,
      receivers: this.stats,
    };
    if (this.exchange.contentType !== undefined) result.contentType = this.exchange.contentType;
    if (error) result.error = error;
    return result;
  }

  /** Adds a completed entry to the MPL according to the log level. */
  private record(entry: MplEntry): void {
    const level = this.runner.logLevel;
    if (level !== 'debug') delete entry.http;
    if (level !== 'none') this.mpl.push(entry);
    if (this.r.listening) this.r.emit({ type: 'step', exchange: this.id, entry });
  }

  private begin(kind: MplKind, stepId: string, ctx: ExecContext, receiver?: string): MplEntry {
    const entry: MplEntry = { stepId, kind, status: 'ok', startedAt: Date.now(), durationMs: 0, depth: ctx.depth };
    if (receiver !== undefined) entry.receiver = receiver;
    if (ctx.branch !== undefined) entry.branch = ctx.branch;
    // Reserve the position now so a container precedes its children in the MPL.
    if (this.runner.logLevel !== 'none') this.mpl.push(entry);
    return entry;
  }

  private finish(entry: MplEntry, t0: number): void {
    entry.durationMs = performance.now() - t0;
    if (this.runner.logLevel !== 'debug') delete entry.http;
    if (this.r.listening) this.r.emit({ type: 'step', exchange: this.id, entry });
  }

  private runSteps(steps: Step[], ctx: ExecContext): Promise<void> {
    // One step (a split item's or a branch's body, often): no loop to keep alive.
    if (steps.length === 1) {
      if (this.r.signal.aborted) return Promise.reject(runnerClosed());
      return this.runStep(steps[0]!, ctx);
    }
    return this.runStepList(steps, ctx);
  }

  private async runStepList(steps: Step[], ctx: ExecContext): Promise<void> {
    for (const step of steps) {
      if (this.r.signal.aborted) throw runnerClosed();
      await this.runStep(step, ctx);
    }
  }

  private runStep(step: Step, ctx: ExecContext): Promise<void> {
    // Calls are most of the work: their own path, with one async frame less.
    return step.kind === 'call' || step.kind === 'send' ? this.runCallStep(step, ctx) : this.runOtherStep(step as Exclude<Step, CallStep>, ctx);
  }

  private async runCallStep(step: CallStep, ctx: ExecContext): Promise<void> {
    const stepId = this.r.stepId(step);
    const receiver = step.receiver?.value;
    const entry = this.begin(step.kind, stepId, ctx, receiver);
    const t0 = performance.now();
    try {
      const call = this.prepareCall(step, ctx, stepId);
      let result: AdapterResult;
      try {
        result =
          call.serialKey !== undefined
            ? await this.r.mutex.run(call.jar!, call.serialKey, () => call.rt.adapter.send(call.message, call.context))
            : await call.rt.adapter.send(call.message, call.context);
      } finally {
        // Count what reached the wire, also for failed calls.
        this.settleCall(call, entry);
      }
      this.applyResult(step, ctx.exchange, call.rt.name, result);
    } catch (e) {
      throw this.stepFailure(e, entry, stepId, receiver, step.kind);
    } finally {
      this.finish(entry, t0);
    }
  }

  /** Marks the entry failed; the error to throw on (a nested failure unchanged). */
  private stepFailure(e: unknown, entry: MplEntry, stepId: string, receiver: string | undefined, kind: string): ExchangeFailure {
    entry.status = 'failed';
    if (e instanceof ExchangeFailure) {
      // A nested step failed; this container just reports it.
      entry.message = e.error.stepId && e.error.stepId !== stepId ? `failed in step "${e.error.stepId}"` : e.error.message;
      return e;
    }
    const error = this.toError(e, stepId, receiver, kind);
    entry.message = error.message;
    return new ExchangeFailure(error);
  }

  private async runOtherStep(step: Exclude<Step, CallStep>, ctx: ExecContext): Promise<void> {
    const stepId = this.r.stepId(step);
    const entry = this.begin(step.kind, stepId, ctx);
    const t0 = performance.now();
    try {
      switch (step.kind) {
        case 'set':
          this.runSet(step, ctx);
          break;
        case 'script':
          await this.runScript(step, ctx, stepId);
          break;
        case 'split':
          await this.runSplit(step, ctx, entry, stepId);
          break;
        case 'multicast':
          await this.runMulticast(step, ctx, stepId);
          break;
        case 'loop':
          await this.runLoop(step, ctx, entry, stepId);
          break;
        case 'route':
          await this.runRoute(step, ctx, entry);
          break;
        case 'process':
          await this.runProcess(step, ctx);
          break;
        default: {
          const kind = (step as { kind?: string }).kind;
          throw new StepError('SF_STEP_UNKNOWN', `unknown step kind "${String(kind)}"`);
        }
      }
    } catch (e) {
      throw this.stepFailure(e, entry, stepId, undefined, step.kind);
    } finally {
      this.finish(entry, t0);
    }
  }

  private toError(e: unknown, stepId: string, receiver: string | undefined, kind: string): ExchangeError {
    let code = errorCode(e);
    let cause = errorText(e);
    const errorReceiver = e instanceof StepError && e.receiver ? e.receiver : receiver;
    if (e instanceof HttpClientError) {
      code = e.code;
    } else if ((e as { code?: unknown })?.code === 'ERR_SESSIONFLOW_CONDITION_SYNTAX') {
      code = 'SF_CONDITION';
    } else if (code === undefined) {
      if (kind === 'call' || kind === 'send') {
        code = 'SF_ADAPTER_ERROR';
        cause = `the adapter failed: ${cause}`;
      } else {
        code = 'SF_INTERNAL';
        cause = `internal error: ${cause}`;
      }
    }
    const error: ExchangeError = { code, message: failureMessage(stepId, errorReceiver, cause, code), stepId };
    if (errorReceiver !== undefined) error.receiver = errorReceiver;
    return error;
  }

  // ---- call / send ----

  /** The adapter's answer: a status >= 400 fails the step; `call` takes the reply as body. */
  private applyResult(step: CallStep, ex: Exchange, receiver: string, result: AdapterResult): void {
    if (result.status >= 400) {
      throw new StepError('SF_HTTP_STATUS', `receiver "${receiver}" answered ${result.status}`);
    }
    if (result.properties) Object.assign(ex.properties, result.properties);
    ex.responseHeaders = new Headers(result.headers);
    if (step.kind === 'call') {
      const ct = result.contentType ?? ex.responseHeaders.get('content-type');
      ex.setBody(result.body, ct, true);
    }
  }

  /** Everything a call needs before the adapter runs: address, message, session client, context. */
  private prepareCall(step: CallStep, ctx: ExecContext, stepId: string): PreparedCall {
    const name = step.receiver.value;
    const rt = this.r.receivers.get(name);
    if (!rt) throw new StepError('SF_UNKNOWN_RECEIVER', `receiver "${name}" is not declared`);
    const ex = ctx.exchange;
    let address: string;
    let origin: string;
    if (rt.staticAddress !== undefined) {
      address = rt.staticAddress.address;
      origin = rt.staticAddress.origin;
    } else {
      address = evaluateTemplate(rt.address, ex);
      try {
        origin = new URL(address).origin;
      } catch {
        throw new StepError('SF_HTTP_INVALID_URL', `receiver "${name}": address "${displayUrl(address)}" is not an absolute URL`);
      }
    }
    this.stats[name] ??= emptyStats();
    const headers: Record<string, string> = {};
    for (const hdr of step.headers) headers[hdr.name] = evaluateTemplate(hdr.value.template, ex);
    const query: Record<string, string> = {};
    for (const q of step.query) query[q.name] = evaluateTemplate(q.value.template, ex);
    const request: StepRequest = { stepId, kind: step.kind, headers, query };
    if (step.method?.value) request.method = step.method.value.toUpperCase();
    if (step.urlPath) request.path = evaluateTemplate(step.urlPath.template, ex);

    const own = outboundBody(step.body, ex);
    const message: OutboundMessage = {
      body: own ? toBytes(own.body) : ex.body,
      headers: ex.headers.toRecord(),
      properties: { ...ex.properties },
    };
    const contentType = own?.contentType ?? ex.contentType;
    if (contentType !== undefined) message.contentType = contentType;

    const auth: HttpAuth = authForCall(rt.auth, ex, name);
    const holder = this.sessions.holderForCall(ctx.node, origin, rt.sessionCapable);
    const jar = holder ? holder.jar() : null;

    const listening = this.r.listening;
    // Events are built only for someone: the runner's listener, or the MPL's csrf-fetch entries
    // (those name the step, so that client is the call's own).
    const client =
      listening || rt.csrf
        ? createSessionClient({
            ...this.r.clientOptions(rt, jar, auth, address),
            onEvent: (event: HttpEvent) => this.onHttpEvent(event, name, stepId, ctx, listening),
          })
        : this.r.sharedClient(rt, jar, auth, address);
    const tracer = new CallTracer(client, this.r.signal);
    const resolved: ResolvedReceiver = {
      name,
      adapter: rt.adapter.id,
      variant: rt.variant.id,
      address,
      authType: rt.auth.authType,
      csrf: rt.csrf,
      stateful: rt.stateful,
      config: rt.config,
    };
    if (rt.timeoutMs !== undefined) resolved.timeoutMs = rt.timeoutMs;
    const context: AdapterContext = {
      receiver: resolved,
      step: request,
      http: tracer,
      credentials: auth,
      log: listening ? this.adapterLog(stepId) : SILENT_LOG,
      signal: this.r.signal,
    };
    const serialKey = jar && !rt.parallelCallsInSession ? `${name} ${origin}` : undefined;
    return { rt, address, holder, jar, message, context, tracer, serialKey };
  }

  /** Receiver statistics and the entry's HTTP details from what the adapter sent. */
  private settleCall(call: PreparedCall, entry: MplEntry): void {
    const { rt, holder } = call;
    const name = rt.name;
    const records = call.tracer.records;
    const stats = (this.stats[name] ??= emptyStats());
    stats.calls += records.length;
    for (const t of records) {
      stats.requests = (stats.requests ?? 0) + (t.attempts ?? 0);
      if (t.csrfFetchedByRequest) stats.csrfFetches++;
      const tr = t.trace;
      if (!tr) continue;
      if (tr.credentialsSent) stats.credentialsSent++;
      if (tr.sessionOpened) stats.sessionsOpened++;
      if (tr.csrfFetched) stats.csrfFetches++;
      if (tr.csrfRefetched) stats.csrfFetches++;
      if (tr.reauthenticated) stats.reauthentications++;
      if (holder && (tr.sessionOpened || tr.sessionCookieSet) && !holder.opened.has(name)) holder.opened.set(name, call.address);
    }
    const first = records[0];
    const last = records[records.length - 1];
    if (first && last) {
      if (last.status !== undefined) entry.httpStatus = last.status;
      // The HTTP details are kept at log level debug only.
      if (this.runner.logLevel === 'debug') entry.http = mplHttp(first.method, first.url, last.status, records);
    }
  }

  /** Forwards a client event to the runner's listener; an automatic CSRF fetch gets its own MPL entry. */
  private onHttpEvent(event: HttpEvent, receiver: string, stepId: string, ctx: ExecContext, forward: boolean): void {
    if (forward) this.r.emit({ type: 'http', exchange: this.id, event });
    if (event.type !== 'csrf-fetch') return;
    const csrfEntry: MplEntry = {
      stepId,
      kind: 'csrf-fetch',
      receiver,
      status: 'ok',
      startedAt: Date.now(),
      durationMs: 0,
      depth: ctx.depth + 1,
      http: {
        method: 'GET',
        url: event.url,
        credentialsSent: false,
        sessionCookieSet: false,
        sessionOpened: false,
        csrfFetched: true,
        reauthenticated: false,
      },
    };
    if (ctx.branch !== undefined) csrfEntry.branch = ctx.branch;
    this.record(csrfEntry);
  }

  private adapterLog(stepId: string): AdapterContext['log'] {
    return {
      info: (msg, data) => this.r.emit({ type: 'log', exchange: this.id, stepId, level: 'info', message: msg, ...(data ? { data } : {}) }),
      debug: (msg, data) => this.r.emit({ type: 'log', exchange: this.id, stepId, level: 'debug', message: msg, ...(data ? { data } : {}) }),
      // Log events reach only the listener, which receives debug messages whatever the log level.
      debugEnabled: true,
    };
  }

  // ---- set ----

  private runSet(step: SetStep, ctx: ExecContext): void {
    const ex = ctx.exchange;
    const headers = step.headers.map((e) => [e.name, evaluateTemplate(e.value.template, ex)] as const);
    const properties = step.properties.map((e) => [e.name, evaluateTemplate(e.value.template, ex)] as const);
    const body = outboundBody(step.body, ex);
    for (const [n, v] of headers) ex.headers.set(n, v);
    for (const [n, v] of properties) ex.properties[n] = v;
    if (body) ex.setBody(body.body, body.contentType);
  }

  // ---- script ----

  private async runScript(step: ScriptStep, ctx: ExecContext, stepId: string): Promise<void> {
    const path = step.script?.value;
    if (!path) throw new StepError('SF_SCRIPT', 'script step has no module path');
    const fn = await this.r.loadScript(path);
    const file = resolve(this.r.baseDir, path);
    const ex = ctx.exchange;
    const message: ScriptMessage = {
      body: ex.bodyValue() ?? '',
      headers: ex.headers.toRecord(),
      properties: { ...ex.properties },
    };
    if (ex.contentType !== undefined) message.contentType = ex.contentType;
    const context: ScriptContext = {
      exchangeId: this.id,
      stepId,
      env: { ...this.r.env },
      log: (msg, data) => this.r.emit({ type: 'log', exchange: this.id, stepId, level: 'info', message: msg, ...(data ? { data } : {}) }),
    };
    let out: ScriptMessage | void;
    try {
      out = await fn(message, context);
    } catch (e) {
      throw new StepError('SF_SCRIPT', `script ${file} failed: ${errorText(e).split('\n')[0]}`);
    }
    const result = out ?? message;
    if (result === null || typeof result !== 'object') {
      throw new StepError('SF_SCRIPT', `script ${file} returned ${result === null ? 'null' : typeof result}; it must return the message object`);
    }
    // Headers: replace the set with the returned one.
    const newHeaders = result.headers ?? {};
    for (const name of Object.keys(ex.headers.toRecord())) {
      if (!Object.keys(newHeaders).some((n) => n.toLowerCase() === name.toLowerCase())) ex.headers.delete(name);
    }
    for (const [n, v] of Object.entries(newHeaders)) ex.headers.set(n, String(v));
    ex.properties = { ...(result.properties ?? {}) };
    const body = result.body;
    const ct = result.contentType;
    if (body instanceof Uint8Array) ex.setBody(body, ct, true);
    else if (typeof body === 'string') ex.setBody(body, ct ?? (ex.bodyJson() !== undefined ? 'text/plain' : ex.contentType), true);
    else if (body === undefined) ex.setBody(new Uint8Array(0), ct, true);
    else {
      ex.setJsonBody(body);
      if (ct !== undefined) ex.setBody(ex.body, ct);
    }
  }

  // ---- split ----

  private async runSplit(step: SplitStep, ctx: ExecContext, entry: MplEntry, stepId: string): Promise<void> {
    const ex = ctx.exchange;
    const path = step.splitPath?.value;
    if (!path) throw new StepError('SF_SPLIT', 'split has no path');
    const json = ex.bodyJson();
    if (json === undefined) {
      if (isXmlContentType(ex.contentType)) {
        throw new StepError(
          'SF_SPLIT_UNSUPPORTED_BODY',
          `split path "${path}" cannot be applied: XML bodies cannot be split in local runs (content type ${ex.contentType}); convert the body to JSON first`,
        );
      }
      throw new StepError(
        'SF_SPLIT_UNSUPPORTED_BODY',
        `split path "${path}" needs a JSON body, but the body is not JSON${ex.contentType ? ` (content type ${ex.contentType})` : ''}`,
      );
    }
    let matches: unknown[];
    try {
      const res = JSONPath({ path, json: json as object, wrap: true, eval: 'safe' }) as unknown;
      matches = Array.isArray(res) ? res : [];
    } catch (e) {
      throw new StepError('SF_SPLIT', `split path "${path}" is not a valid JSONPath: ${errorText(e)}`);
    }
    const items = matches.length === 1 && Array.isArray(matches[0]) ? (matches[0] as unknown[]) : matches;
    const parallel = step.parallel?.value === true;
    const configured = step.maxConcurrency?.value;
    const concurrency = parallel ? (typeof configured === 'number' && configured >= 1 ? Math.floor(configured) : DEFAULT_SPLIT_CONCURRENCY) : 1;
    const results: unknown[] = new Array<unknown>(items.length).fill(null);
    // Branch nodes are created before any item starts: every item is a copy of the exchange as
    // it is now, so items never see sessions that a sibling opened.
    // (Only onExchange picks jars by node; the other modes need no branch nodes.)
    const fork = parallel && this.sessions.mode === 'onExchange';
    const nodes = items.map((_, i) => (fork ? ctx.node.fork(`${stepId}[${i}]`) : ctx.node));
    await pool(items.length, concurrency, async (i) => {
      const sub = ex.copy(this.id, { body: JSON.stringify(items[i] ?? null), contentType: 'application/json' });
      const label = `${stepId}[${i}]`;
      await this.runSteps(step.steps, {
        exchange: sub,
        node: nodes[i]!,
        depth: ctx.depth + 1,
        branch: ctx.branch ? `${ctx.branch}/${label}` : label,
        processDepth: ctx.processDepth,
      });
      results[i] = sub.bodyValue();
    });
    entry.message = `${items.length} item${items.length === 1 ? '' : 's'}${parallel ? `, parallel (max ${concurrency})` : ''}`;
    ex.setJsonBody(results);
  }

  // ---- multicast ----

  private async runMulticast(step: MulticastStep, ctx: ExecContext, stepId: string): Promise<void> {
    const ex = ctx.exchange;
    const parallel = step.parallel?.value === true;
    const results: unknown[] = new Array<unknown>(step.branches.length).fill(null);
    const fork = parallel && this.sessions.mode === 'onExchange';
    const nodes = step.branches.map((_, i) => (fork ? ctx.node.fork(`${stepId}/branch[${i}]`) : ctx.node));
    await pool(step.branches.length, parallel ? step.branches.length : 1, async (i) => {
      const sub = ex.copy(this.id);
      const label = `${stepId}/branch[${i}]`;
      await this.runSteps(step.branches[i]!, {
        exchange: sub,
        node: nodes[i]!,
        depth: ctx.depth + 1,
        branch: ctx.branch ? `${ctx.branch}/${label}` : label,
        processDepth: ctx.processDepth,
      });
      results[i] = sub.bodyValue();
    });
    ex.setJsonBody(results);
  }

  // ---- loop (do-while) ----

  private async runLoop(step: LoopStep, ctx: ExecContext, entry: MplEntry, stepId: string): Promise<void> {
    const configured = step.max?.value;
    const max = typeof configured === 'number' && configured >= 1 ? Math.floor(configured) : DEFAULT_LOOP_MAX;
    const condition = step.while?.value;
    let iterations = 0;
    let again = false;
    do {
      await this.runSteps(step.steps, { ...ctx, depth: ctx.depth + 1 });
      iterations++;
      again = condition !== undefined && evaluateCondition(condition, ctx.exchange);
    } while (again && iterations < max);
    if (again) {
      entry.message = `stopped after reaching max ${max} iterations while "${condition}" was still true`;
      this.r.emit({ type: 'warning', exchange: this.id, stepId, message: `loop ${entry.message}` });
    } else {
      entry.message = `${iterations} iteration${iterations === 1 ? '' : 's'}`;
    }
  }

  // ---- route ----

  private async runRoute(step: RouteStep, ctx: ExecContext, entry: MplEntry): Promise<void> {
    for (const [i, w] of step.when.entries()) {
      if (w.if && evaluateCondition(w.if.value, ctx.exchange)) {
        entry.message = `took when[${i}]`;
        await this.runSteps(w.steps, { ...ctx, depth: ctx.depth + 1 });
        return;
      }
    }
    if (step.otherwise) {
      entry.message = 'took otherwise';
      await this.runSteps(step.otherwise, { ...ctx, depth: ctx.depth + 1 });
    } else {
      entry.message = 'no condition matched';
    }
  }

  // ---- process ----

  private async runProcess(step: ProcessStep, ctx: ExecContext): Promise<void> {
    const name = step.process?.value;
    const steps = name !== undefined ? this.r.processes.get(name) : undefined;
    if (!steps) throw new StepError('SF_UNKNOWN_PROCESS', `process "${name ?? ''}" is not declared`);
    if (ctx.processDepth >= MAX_PROCESS_DEPTH) {
      throw new StepError(
        'SF_PROCESS_DEPTH',
        `process "${name}" nested more than ${MAX_PROCESS_DEPTH} levels deep; does it call itself without end?`,
      );
    }
    await this.runSteps(steps, { ...ctx, depth: ctx.depth + 1, processDepth: ctx.processDepth + 1 });
  }
}
