/**
 * The adapter contract (see shared/spec/adapters.md). A declaration is *data* that the
 * language server, designer and runner read without running adapter code; `send()` is
 * the only behaviour, and it reaches the network only through `context.http`.
 */
import type { AuthType } from '../flow/model.js';
import type { HttpAuth, SessionHttpClient } from '../http/types.js';

/** The adapter API version this SDK implements. Packages declare the version they target. */
export const SDK_API_VERSION = 1;

export type SessionReuse = 'supported' | 'required' | 'unsupported';
export type ProxyType = 'internet' | 'onPremise';
export type StepKindIO = 'call' | 'send';
export type Direction = 'receiver' | 'sender' | 'both';

export interface AuthSupport {
  type: AuthType;
  /** Proxy types this auth type works with; default: all. */
  proxies?: ProxyType[];
  /** Why the constraint exists (shown in diagnostics). */
  note?: string;
}

export interface VariantDeclaration {
  id: string;
  displayName?: string;
  direction: Direction;
  /** `call` = request-reply, `send` = one-way. */
  stepKinds: StepKindIO[];
  sessionReuse: SessionReuse;
  /** The adapter can fetch and send CSRF tokens itself. */
  csrf: boolean;
  auth: AuthSupport[];
  parallelSafe: boolean;
  streaming: boolean;
  contentTypes?: { in?: string[]; out?: string[] };
  description?: string;
}

/** JSON Schema (draft 2020-12) object. */
export type JsonSchema = Record<string, unknown>;

export interface OutboundMessage {
  body: Uint8Array;
  /** Case-preserving header names; adapters look them up case-insensitively. */
  headers: Record<string, string>;
  properties: Record<string, unknown>;
  contentType?: string;
}

/** Step-level request details, after expressions were evaluated. */
export interface StepRequest {
  stepId: string;
  kind: StepKindIO;
  method?: string;
  path?: string;
  headers: Record<string, string>;
  query: Record<string, string>;
}

export interface ResolvedReceiver {
  name: string;
  adapter: string;
  variant: string;
  /** Address after expressions were evaluated. */
  address: string;
  authType: AuthType;
  csrf: boolean;
  stateful: boolean;
  timeoutMs?: number;
  config: Record<string, unknown>;
}

export interface AdapterLogger {
  info(message: string, data?: Record<string, unknown>): void;
  debug(message: string, data?: Record<string, unknown>): void;
  /**
   * False when debug messages go nowhere, so that adapters can skip building them (URLs for
   * display, data objects). Optional: when absent, assume debug output is wanted.
   */
  readonly debugEnabled?: boolean;
}

export interface AdapterContext {
  receiver: ResolvedReceiver;
  step: StepRequest;
  /** Session-aware client bound to this call's session scope, receiver auth and CSRF settings. */
  http: SessionHttpClient;
  log: AdapterLogger;
  signal: AbortSignal;
  /**
   * The receiver's resolved credentials for this call (the same auth `http` uses), for protocols
   * that carry credentials inside the message, such as the SuccessFactors SFAPI `login`
   * operation. Optional: runtimes may leave it out. Adapters must never log it, and should
   * leave HTTP authentication to `http`.
   */
  credentials?: HttpAuth;
}

export interface AdapterResult {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  contentType?: string;
  /** Properties to set on the exchange (e.g. `idocNumbers`). */
  properties?: Record<string, unknown>;
}

export interface AdapterDeclaration {
  id: string;
  displayName: string;
  version: string;
  /** SDK API version targeted; must equal SDK_API_VERSION to load. */
  apiVersion: number;
  description?: string;
  variants: VariantDeclaration[];
  /** Variant used when a receiver names none; required when there are several variants. */
  defaultVariant?: string;
  configSchema: JsonSchema;
  send(message: OutboundMessage, context: AdapterContext): Promise<AdapterResult>;
}

/** A declaration that passed `defineAdapter()` checks. */
export interface AdapterDefinition extends AdapterDeclaration {
  readonly defaultVariant: string;
  variant(id: string | undefined): VariantDeclaration | undefined;
}

/** Stable error codes thrown by adapters and the runtime. */
export class AdapterError extends Error {
  constructor(
    public readonly code: string,
    message: string,
    public readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AdapterError';
  }
}
