/**
 * The SDK's conformance kit on the successfactors adapter: variants odata-v2 (sessions
 * required, CSRF), odata-v4 and rest (no sessions: no cookie may be sent back). The kit's test
 * backend answers plain JSON, so its `answer` hook wraps 2xx answers of the OData variants in
 * the variant's OData JSON format; rest answers pass as they are. For the fault checks the
 * resource path climbs from the kit's service root to the backend's fault endpoints.
 *
 * Not the `soap` (SFAPI) variant: its session is opened by the SFAPI `login` operation with the
 * credentials inside the SOAP body (context.credentials), which the kit's backend (HTTP basic
 * or bearer, JSON) cannot answer, and the kit hands adapters no context.credentials. Its
 * session behaviour is covered against the SuccessFactors mock in successfactors-adapter.test.ts:
 * one login per session and reuse across calls, a new login after the idle expiry, no session
 * without a jar (SF_SFAPI_SESSION), clear errors for a bad password, faults and missing
 * credentials, no password in messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpResponse } from '@sessionflow/sdk';
import { assertConformance, type ConformancePurpose } from '@sessionflow/sdk/testing';
import adapter from '../src/index.js';

const FAULT: Partial<Record<ConformancePurpose, string>> = {
  'auth-none': '_fault/status/200',
  'fault-status': '_fault/status/500',
  'fault-reset': '_fault/reset',
};

function wrap(res: HttpResponse, variant: string, method: string): HttpResponse {
  if (res.status < 200 || res.status > 299 || variant === 'rest') return res;
  const row = JSON.parse(new TextDecoder().decode(res.body)) as unknown;
  const read = method === 'GET';
  const body = variant === 'odata-v2' ? { d: read ? { results: [row] } : row } : read ? { value: [row] } : row;
  return { ...res, headers: { ...res.headers, 'content-type': 'application/json' }, body: new TextEncoder().encode(JSON.stringify(body)) };
}

test('SDK conformance kit: odata-v2, odata-v4 and rest — sessions (or none), CSRF, auth, faults, no secrets', async () => {
  const variants = ['odata-v2', 'odata-v4', 'rest'];
  const report = await assertConformance(adapter, {
    variants,
    address: (url, purpose) => `${url}/${purpose === 'csrf' ? 'csrf' : 'conformance'}/${purpose}/`,
    // Resource paths relative to the service root /<folder>/<purpose>/.
    request: (purpose) => ({ path: FAULT[purpose] !== undefined ? `../../${FAULT[purpose]}` : 'Items' }),
    answer: (res, { variant, request }) => wrap(res, variant.id, request.method),
  });
  const ran = (variant: string, name: string, mode: string) => report.checks.some((c) => c.variant === variant && c.name === name && c.mode === mode && c.ok && !c.skipped);
  for (const [name, mode] of [['session-reuse', 'exchange'], ['session-reuse', 'flow'], ['csrf', 'exchange'], ['auth:basic', 'none'], ['auth:oauth2-saml-bearer', 'none']] as const) {
    assert.ok(ran('odata-v2', name, mode), `odata-v2: ${name}/${mode} ran and passed`);
  }
  for (const variant of ['odata-v4', 'rest']) {
    for (const [name, mode] of [['session-none', 'none'], ['no-cookie-sent', 'exchange'], ['no-cookie-sent', 'flow'], ['auth:oauth2-client-credentials', 'none']] as const) {
      assert.ok(ran(variant, name, mode), `${variant}: ${name}/${mode} ran and passed`);
    }
  }
  for (const variant of variants) for (const name of ['fault:status-500', 'fault:reset']) assert.ok(ran(variant, name, 'none'), `${variant}: ${name} ran and passed`);
});
