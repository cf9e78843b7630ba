/**
 * The SDK's conformance kit on the odata adapter (v2 and v4). The kit's test backend answers
 * plain JSON, so its `answer` hook wraps each 2xx answer in the OData JSON format of the
 * variant (a collection for reads, an entity for writes); error statuses stay as they are.
 * The receiver address is the service root and the step path the resource path: for the
 * fault checks the service root is the backend's fault folder and the resource its fault.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpResponse } from '@sessionflow/sdk';
import { assertConformance, type ConformancePurpose } from '@sessionflow/sdk/testing';
import adapter from '../src/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Service root and resource path per purpose: the kit's default paths, split at the last segment. */
const TARGET: Record<ConformancePurpose, [root: string, resource: string]> = {
  session: ['/conformance/session/', 'Items'],
  csrf: ['/csrf/conformance/', 'Items'],
  'auth-none': ['/_fault/status/', '200'],
  'auth-basic': ['/conformance/auth/', 'Items'],
  'auth-bearer': ['/conformance/auth/', 'Items'],
  'bad-credentials': ['/conformance/auth/', 'Items'],
  'fault-status': ['/_fault/status/', '500'],
  'fault-reset': ['/_fault/', 'reset'],
};

function odataAnswer(res: HttpResponse, version: 'v2' | 'v4', method: string): HttpResponse {
  if (res.status < 200 || res.status > 299) return res;
  const row = JSON.parse(dec.decode(res.body)) as Record<string, unknown>;
  const read = method === 'GET';
  const body = version === 'v2' ? { d: read ? { results: [row] } : row } : read ? { value: [row] } : row;
  return { ...res, headers: { ...res.headers, 'content-type': 'application/json' }, body: enc.encode(JSON.stringify(body)) };
}

test('SDK conformance kit: v2 and v4, session reuse in every mode, CSRF, auth types, faults, no secrets', async () => {
  const report = await assertConformance(adapter, {
    address: (url, purpose) => `${url}${TARGET[purpose][0]}`,
    request: (purpose) => ({ path: TARGET[purpose][1] }),
    answer: (res, { variant, request }) => odataAnswer(res, variant.id === 'v4' ? 'v4' : 'v2', request.method),
  });
  for (const variant of ['v2', 'v4']) {
    for (const [name, mode] of [['session-none', 'none'], ['session-reuse', 'exchange'], ['session-reuse', 'flow'], ['csrf', 'exchange'], ['auth:none', 'none'], ['auth:basic', 'none'], ['auth:oauth2-client-credentials', 'none'], ['fault:status-500', 'none'], ['fault:reset', 'none']] as const) {
      assert.ok(report.checks.some((c) => c.variant === variant && c.name === name && c.mode === mode && c.ok && !c.skipped), `${variant}: ${name}/${mode} ran and passed`);
    }
  }
});
