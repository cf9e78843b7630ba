/** Test helpers: an AdapterContext over the SDK's real session client. */
import { createSessionClient, SessionJar } from '@sessionflow/sdk';
import type { AdapterContext, AdapterDefinition, HttpAuth, OutboundMessage, SessionHttpClient } from '@sessionflow/sdk';

export const enc = new TextEncoder();
export const dec = new TextDecoder();

export interface CallOptions {
  adapter: AdapterDefinition;
  variant: string;
  address: string;
  config?: Record<string, unknown>;
  method?: string;
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: unknown;
  /** Default: a new jar per call (pass one to share a session). null = no session. */
  jar?: SessionJar | null;
  auth?: HttpAuth;
  receiverCsrf?: boolean;
  http?: SessionHttpClient;
  logs?: string[];
  /** Hand the adapter the receiver's credentials (AdapterContext.credentials). Default true. */
  passCredentials?: boolean;
}

export function contextFor(o: CallOptions): AdapterContext {
  const auth = o.auth ?? { type: 'basic', user: 'alice', password: 'alice-pw' };
  const jar = o.jar === undefined ? new SessionJar() : o.jar;
  return {
    receiver: {
      name: 'svc',
      adapter: o.adapter.id,
      variant: o.variant,
      address: o.address,
      authType: auth.type === 'bearer' ? 'oauth2-client-credentials' : auth.type === 'basic' ? 'basic' : 'none',
      csrf: o.receiverCsrf ?? false,
      stateful: false,
      config: o.config ?? {},
    },
    step: {
      stepId: 'step-1',
      kind: 'call',
      headers: o.headers ?? {},
      query: o.query ?? {},
      ...(o.method !== undefined ? { method: o.method } : {}),
      ...(o.path !== undefined ? { path: o.path } : {}),
    },
    http: o.http ?? createSessionClient({ receiver: 'svc', jar, auth, csrf: o.receiverCsrf ?? false, csrfUrl: o.address }),
    log: { info: (m) => o.logs?.push(m), debug: (m) => o.logs?.push(m) },
    signal: new AbortController().signal,
    ...(o.passCredentials === false ? {} : { credentials: auth }),
  };
}

export function message(body: unknown = ''): OutboundMessage {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { body: enc.encode(text), headers: {}, properties: {}, contentType: 'application/json' };
}

export async function call(o: CallOptions) {
  return o.adapter.send(message(o.body), contextFor(o));
}

export function json(body: Uint8Array): any {
  return JSON.parse(dec.decode(body));
}
