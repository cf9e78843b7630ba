/** One adapter call over the SDK's real session client (adapterTestContext from the testing kit). */
import assert from 'node:assert/strict';
import { AdapterError, SessionJar } from '@sessionflow/sdk';
import type { AdapterDefinition, AdapterResult } from '@sessionflow/sdk';
import { adapterTestContext, type AdapterTestContextOptions } from '@sessionflow/sdk/testing';

export const dec = new TextDecoder();

/** adapterTestContext's options; defaults here: user alice (also as context.credentials), a new jar per call, receiver "svc". */
export interface CallOptions extends Partial<AdapterTestContextOptions> {
  adapter: AdapterDefinition;
  address: string;
  /** The message body: a string as is, anything else as JSON. */
  body?: unknown;
  /** Receives the message of each log line. */
  logs?: string[];
}

export async function call({ adapter, body = '', logs, ...options }: CallOptions): Promise<AdapterResult> {
  const defaults = { auth: { type: 'basic', user: 'alice', password: 'alice-pw' }, credentials: true, jar: new SessionJar(), receiverName: 'svc' } as const;
  const { context, logs: lines } = adapterTestContext(adapter, { ...defaults, ...options });
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  try {
    return await adapter.send({ body: new TextEncoder().encode(text), headers: {}, properties: {}, contentType: 'application/json' }, context);
  } finally {
    logs?.push(...lines.map((l) => l.message));
  }
}

export function json(body: Uint8Array): any {
  return JSON.parse(dec.decode(body));
}

/** The AdapterError a call fails with. */
export async function rejects(p: Promise<unknown>): Promise<AdapterError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AdapterError, `expected AdapterError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the call to fail');
}
