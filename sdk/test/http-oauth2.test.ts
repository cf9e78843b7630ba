/**
 * OAuth2 client credentials through the session client: one token fetched and cached until
 * its expiry, a fresh token fetched once when the backend answers 401 to the cached one, and
 * no cookies kept without a jar. Counted by the SuccessFactors mock's token endpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSessionClient } from '../src/http/index.js';
import { ClientCredentialsTokenProvider } from '../src/runtime/index.js';
import { startSuccessFactorsMock } from '../src/testing/index.js';

test('bearer: one token for many calls; a 401 invalidates it and retries once with a fresh token', async (t) => {
  const sf = await startSuccessFactorsMock();
  t.after(() => sf.close());
  const provider = new ClientCredentialsTokenProvider({ tokenUrl: sf.tokenUrl, clientId: 'sf-client', clientSecret: 'sf-secret', receiver: 'sf' });
  const client = createSessionClient({ receiver: 'sf', jar: null, auth: provider.toHttpAuth() });
  for (let i = 0; i < 3; i++) {
    const res = await client.request({ method: 'GET', url: `${sf.restUrl}items?n=${i}` });
    assert.equal(res.status, 200);
    assert.equal(res.trace.attempts, 1);
  }
  assert.equal(sf.stats().tokensIssued, 1);
  assert.equal(provider.fetches, 1);

  sf.revokeTokens();
  const res = await client.request({ method: 'GET', url: `${sf.restUrl}items` });
  assert.equal(res.status, 200, 'the retry with a fresh token succeeded');
  assert.equal(res.trace.attempts, 2);
  assert.equal(sf.stats().tokensIssued, 2);
  assert.equal(sf.stats().bearerRejected, 1);
  assert.equal(sf.stats().cookiesReceivedOnStatelessApis, 0, 'no cookie is kept without a jar');
});

test('bearer: a backend that keeps answering 401 gets exactly one retry', async (t) => {
  const sf = await startSuccessFactorsMock({ clients: { 'sf-client': 'sf-secret' } });
  t.after(() => sf.close());
  let calls = 0;
  const auth = {
    type: 'bearer' as const,
    token: async () => {
      calls++;
      return `not-a-valid-token-${calls}`;
    },
    invalidate: () => undefined,
  };
  const client = createSessionClient({ receiver: 'sf', jar: null, auth });
  const res = await client.request({ method: 'GET', url: `${sf.restUrl}items` });
  assert.equal(res.status, 401);
  assert.equal(res.trace.attempts, 2);
  assert.equal(calls, 2);
  assert.equal(sf.stats().bearerRejected, 2);
});

test('basic auth: a 401 without a session is not retried', async (t) => {
  const sf = await startSuccessFactorsMock();
  t.after(() => sf.close());
  const client = createSessionClient({ receiver: 'sf', jar: null, auth: { type: 'basic', user: 'alice', password: 'wrong' } });
  const res = await client.request({ method: 'GET', url: `${sf.odataV2Url}User` });
  assert.equal(res.status, 401);
  assert.equal(res.trace.attempts, 1);
});
