import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createSessionClient, SessionJar, type HttpEvent, type SessionClientOptions, type SessionHttpClient } from '../src/http/index.js';
import { startTestBackend, type TestBackend } from '../src/testing/index.js';

const json = (b: Uint8Array): any => JSON.parse(Buffer.from(b).toString('utf8'));

function csrfClient(jar: SessionJar | null, extra: Partial<SessionClientOptions> = {}): SessionHttpClient {
  return createSessionClient({ receiver: 'erp', jar, auth: { type: 'basic', user: 'alice', password: 'alice-pw' }, csrf: true, ...extra });
}

describe('session client: CSRF tokens', () => {
  let b: TestBackend;
  beforeEach(async () => {
    b = await startTestBackend();
  });
  afterEach(async () => {
    await b.close();
  });

  it('fetches the token once per session, before the first modifying call only', async () => {
    const events: HttpEvent[] = [];
    const c = csrfClient(new SessionJar(), { onEvent: (e) => events.push(e) });
    const get = await c.request({ method: 'GET', url: `${b.url}/api/items` });
    assert.equal(get.trace.csrfFetched, false);
    assert.equal(b.stats().csrfFetches, 0);
    const p1 = await c.request({ method: 'POST', url: `${b.url}/api/items`, body: '{"a":1}' });
    const p2 = await c.request({ method: 'PUT', url: `${b.url}/api/items/1`, body: '{"a":2}' });
    const p3 = await c.request({ method: 'DELETE', url: `${b.url}/api/items/1` });
    assert.deepEqual([p1.status, p2.status, p3.status], [200, 200, 200]);
    assert.equal(p1.trace.csrfFetched, true);
    assert.equal(p1.trace.attempts, 2);
    assert.equal(p2.trace.csrfFetched, false);
    assert.equal(p2.trace.attempts, 1);
    const s = b.stats();
    assert.equal(s.csrfFetches, 1);
    assert.equal(s.csrfRejections, 0);
    assert.equal(s.authentications, 1);
    assert.equal(events.filter((e) => e.type === 'csrf-fetch').length, 1);
    const rec = b.requests();
    assert.deepEqual(rec.map((r) => [r.method, r.csrfToken]), [
      ['GET', false],
      ['GET', true],
      ['POST', true],
      ['PUT', true],
      ['DELETE', true],
    ]);
  });

  it('the token fetch may be the authenticating call', async () => {
    const c = csrfClient(new SessionJar());
    const r = await c.request({ method: 'POST', url: `${b.url}/api/items`, body: '{}' });
    assert.equal(r.status, 200);
    assert.equal(r.trace.credentialsSent, true);
    assert.equal(r.trace.sessionOpened, true);
    assert.equal(r.trace.attempts, 2);
    assert.deepEqual(b.requests().map((x) => [x.method, x.authorization, x.cookie]), [
      ['GET', true, false],
      ['POST', false, true],
    ]);
  });

  it('50 concurrent writes: one authentication and one token fetch', async () => {
    const c = csrfClient(new SessionJar());
    const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => c.request({ method: 'POST', url: `${b.url}/api/items/${i}`, body: `{"i":${i}}` })));
    assert.ok(rs.every((r) => r.status === 200), rs.map((r) => r.status).join());
    const s = b.stats();
    assert.equal(s.authentications, 1);
    assert.equal(s.csrfFetches, 1);
    assert.equal(s.csrfRejections, 0);
    assert.equal(s.sessionsCreated, 1);
    assert.equal(rs.filter((r) => r.trace.csrfFetched).length, 1);
    assert.deepEqual(rs.map((r) => json(r.body).received.i), Array.from({ length: 50 }, (_, i) => i));
  });

  it('re-fetches once on 403 + X-CSRF-Token: Required and retries once', async () => {
    const events: HttpEvent[] = [];
    const c = csrfClient(new SessionJar(), { onEvent: (e) => events.push(e) });
    await c.request({ method: 'POST', url: `${b.url}/api/items`, body: '{}' });
    b.rotateCsrfTokens();
    b.resetStats();
    const r = await c.request({ method: 'POST', url: `${b.url}/api/items`, body: '{}' });
    assert.equal(r.status, 200);
    assert.equal(r.trace.csrfRefetched, true);
    assert.equal(r.trace.csrfFetched, true);
    assert.equal(r.trace.attempts, 3);
    assert.equal(r.trace.reauthenticated, false);
    assert.deepEqual(b.requests().map((x) => [x.method, x.status]), [
      ['POST', 403],
      ['GET', 200],
      ['POST', 200],
    ]);
    const s = b.stats();
    assert.equal(s.csrfFetches, 1);
    assert.equal(s.csrfRejections, 1);
    assert.equal(s.authentications, 0, 'the session was kept');
    // The new token is cached: the next write needs no fetch.
    const next = await c.request({ method: 'PATCH', url: `${b.url}/api/items/1`, body: '{}' });
    assert.equal(next.status, 200);
    assert.equal(next.trace.csrfFetched, false);
  });

  it('concurrent 403 Required responses share one re-fetch', async () => {
    const c = csrfClient(new SessionJar());
    await c.request({ method: 'POST', url: `${b.url}/api/items`, body: '{}' });
    b.rotateCsrfTokens();
    b.resetStats();
    const rs = await Promise.all(Array.from({ length: 20 }, () => c.request({ method: 'POST', url: `${b.url}/api/items`, body: '{}' })));
    assert.ok(rs.every((r) => r.status === 200 && r.trace.csrfRefetched));
    assert.equal(b.stats().csrfFetches, 1);
    assert.equal(b.stats().csrfRejections, 20);
  });

  it('after the server dropped the session the token fetch re-authenticates', async () => {
    const c = csrfClient(new SessionJar());
    await c.request({ method: 'POST', url: `${b.url}/api/items`, body: '{}' });
    b.forgetSessions();
    b.resetStats();
    const r = await c.request({ method: 'POST', url: `${b.url}/api/items`, body: '{}' });
    assert.equal(r.status, 200);
    assert.equal(r.trace.reauthenticated, true);
    assert.equal(r.trace.csrfFetched, true);
    assert.equal(r.trace.csrfRefetched, false);
    const s = b.stats();
    assert.equal(s.authentications, 1);
    assert.equal(s.csrfFetches, 1);
    assert.equal(s.csrfRejections, 0);
    assert.deepEqual(b.requests().map((x) => [x.method, x.status, x.authorization]), [
      ['POST', 401, false],
      ['GET', 200, true],
      ['POST', 200, false],
    ]);
  });

  it('50 concurrent writes after a dropped session: one re-authentication, one token fetch', async () => {
    const c = csrfClient(new SessionJar());
    await c.request({ method: 'POST', url: `${b.url}/api/items`, body: '{}' });
    b.forgetSessions();
    b.resetStats();
    const rs = await Promise.all(Array.from({ length: 50 }, () => c.request({ method: 'POST', url: `${b.url}/api/items`, body: '{}' })));
    assert.ok(rs.every((r) => r.status === 200), rs.map((r) => r.status).join());
    assert.equal(b.stats().authentications, 1);
    assert.equal(b.stats().csrfFetches, 1);
  });

  it('a caller-sent X-CSRF-Token: Fetch fills the cache (no second fetch)', async () => {
    const c = csrfClient(new SessionJar());
    const prime = await c.request({ method: 'GET', url: `${b.url}/api/items`, headers: { 'X-CSRF-Token': 'Fetch' } });
    assert.ok(prime.headers['x-csrf-token']);
    const r = await c.request({ method: 'POST', url: `${b.url}/api/items`, body: '{}' });
    assert.equal(r.status, 200);
    assert.equal(r.trace.csrfFetched, false);
    assert.equal(r.trace.attempts, 1);
    assert.equal(b.stats().csrfFetches, 1);
  });

  it('fetches from csrfUrl when configured', async () => {
    const c = csrfClient(new SessionJar(), { csrfUrl: `${b.url}/sap/token-endpoint` });
    const r = await c.request({ method: 'POST', url: `${b.url}/csrf/orders`, body: '{}' });
    assert.equal(r.status, 200);
    assert.deepEqual(b.requests().map((x) => [x.method, x.path]), [
      ['GET', '/sap/token-endpoint'],
      ['POST', '/csrf/orders'],
    ]);
  });

  it('without a session (jar null) the token belongs to another session: the write fails with 403', async () => {
    const c = csrfClient(null);
    const r = await c.request({ method: 'POST', url: `${b.url}/api/items`, body: '{}' });
    assert.equal(r.status, 403);
    assert.equal(r.headers['x-csrf-token'], 'Required');
    assert.equal(r.trace.csrfRefetched, true);
    assert.equal(r.trace.attempts, 4, 'fetch, write, re-fetch, write');
    const s = b.stats();
    assert.equal(s.csrfFetches, 2);
    assert.equal(s.csrfRejections, 2);
    assert.equal(s.authentications, 4, 'every call authenticates and opens its own session');
    assert.equal(s.sessionsCreated, 4);
  });

  it('with csrf off no token is fetched and the 403 is returned', async () => {
    const c = csrfClient(new SessionJar(), { csrf: false });
    const r = await c.request({ method: 'POST', url: `${b.url}/api/items`, body: '{}' });
    assert.equal(r.status, 403);
    assert.equal(r.trace.csrfFetched, false);
    assert.equal(r.trace.csrfRefetched, false);
    assert.equal(b.stats().csrfFetches, 0);
  });

  it('a caller-supplied X-CSRF-Token wins over the automatic one', async () => {
    const c = csrfClient(new SessionJar());
    const r = await c.request({ method: 'POST', url: `${b.url}/api/items`, headers: { 'x-csrf-token': 'mine' }, body: '{}' });
    assert.equal(r.status, 403);
    assert.equal(r.trace.csrfFetched, false);
    assert.equal(b.stats().csrfFetches, 0);
  });
});
