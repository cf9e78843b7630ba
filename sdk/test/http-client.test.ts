import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import {
  createSessionClient,
  SessionJar,
  SessionStore,
  shortHash,
  type HttpAuth,
  type HttpEvent,
  type SessionHttpClient,
} from '../src/http/index.js';
import { startTestBackend, type TestBackend } from '../src/testing/index.js';

const alice: HttpAuth = { type: 'basic', user: 'alice', password: 'alice-pw' };
const bob: HttpAuth = { type: 'basic', user: 'bob', password: 'bob-pw' };
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const json = (b: Uint8Array): any => JSON.parse(text(b));

function client(jar: SessionJar | null, auth: HttpAuth = alice, events?: HttpEvent[]): SessionHttpClient {
  return createSessionClient({ receiver: 'erp', jar, auth, ...(events ? { onEvent: (e) => events.push(e) } : {}) });
}

describe('session client: authentication and session reuse', () => {
  let b: TestBackend;
  beforeEach(async () => {
    b = await startTestBackend({ affinityCookie: 'LB_NODE' });
  });
  afterEach(async () => {
    await b.close();
  });

  it('sends credentials only while the jar has no session', async () => {
    const jar = new SessionJar();
    const c = client(jar);
    assert.equal(await jar.hasSession(`${b.url}/api/a`), false);
    const r1 = await c.request({ method: 'GET', url: `${b.url}/api/a` });
    const r2 = await c.request({ method: 'GET', url: `${b.url}/api/b` });
    const r3 = await c.request({ method: 'POST', url: `${b.url}/api/c`, body: '{"n":3}', headers: { 'Content-Type': 'application/json' } });
    assert.deepEqual([r1.status, r2.status, r3.status], [200, 200, 200]);
    assert.equal(await jar.hasSession(`${b.url}/other`), true);
    assert.equal(await jar.cookieCount(), 2, 'session and affinity cookie');

    assert.equal(r1.trace.credentialsSent, true);
    assert.equal(r1.trace.sessionOpened, true);
    assert.equal(r1.trace.sessionCookieSet, true);
    assert.equal(r1.trace.sessionCookieSentHash, undefined);
    assert.equal(r1.trace.attempts, 1);
    for (const r of [r2, r3]) {
      assert.equal(r.trace.credentialsSent, false);
      assert.equal(r.trace.sessionOpened, false);
      assert.equal(r.trace.sessionCookieSet, false);
      assert.match(r.trace.sessionCookieSentHash ?? '', /^[0-9a-f]{12}$/);
    }
    assert.equal(json(r3.body).received.n, 3, 'body sent as given');
    assert.equal(json(r1.body).session, json(r3.body).session);

    const rec = b.requests();
    assert.deepEqual(rec.map((r) => [r.authorization, r.cookie]), [
      [true, false],
      [false, true],
      [false, true],
    ]);
    assert.deepEqual(rec[1]!.cookieNames.sort(), ['JSESSIONID', 'LB_NODE'], 'affinity cookie kept and sent back');
    assert.equal(b.stats().authentications, 1);
    assert.equal(b.stats().sessionsCreated, 1);
  });

  it('without a jar authenticates on every call and keeps nothing', async () => {
    const c = client(null);
    const rs = [];
    for (let i = 0; i < 3; i++) rs.push(await c.request({ method: 'GET', url: `${b.url}/api/x` }));
    assert.ok(rs.every((r) => r.status === 200 && r.trace.credentialsSent && r.trace.sessionCookieSentHash === undefined));
    assert.ok(rs.every((r) => r.trace.sessionCookieSet), 'the server did set cookies (they were dropped)');
    assert.equal(new Set(rs.map((r) => json(r.body).session)).size, 3);
    assert.equal(b.stats().authentications, 3);
    assert.equal(b.stats().sessionsCreated, 3);
    assert.ok(b.requests().every((r) => r.authorization && !r.cookie));
  });

  it('re-authenticates once after the server dropped the session (one extra authentication)', async () => {
    const jar = new SessionJar();
    const events: HttpEvent[] = [];
    const c = client(jar, alice, events);
    const first = await c.request({ method: 'GET', url: `${b.url}/api/x` });
    b.forgetSessions();
    b.resetStats();
    const r = await c.request({ method: 'GET', url: `${b.url}/api/x` });
    assert.equal(r.status, 200);
    assert.equal(r.trace.reauthenticated, true);
    assert.equal(r.trace.attempts, 2);
    assert.equal(r.trace.credentialsSent, true);
    assert.equal(r.trace.sessionOpened, true);
    assert.notEqual(json(r.body).session, json(first.body).session);
    assert.equal(b.stats().authentications, 1);
    assert.deepEqual(b.requests().map((x) => [x.status, x.authorization, x.cookie]), [
      [401, false, true],
      [200, true, false],
    ]);
    assert.equal(events.filter((e) => e.type === 'reauthenticate').length, 1);
    // Afterwards the new session is used without credentials.
    const next = await c.request({ method: 'GET', url: `${b.url}/api/x` });
    assert.equal(next.trace.credentialsSent, false);
    assert.equal(json(next.body).session, json(r.body).session);
  });

  it('returns the second 401 instead of retrying again', async () => {
    const jar = new SessionJar();
    await client(jar).request({ method: 'GET', url: `${b.url}/x` });
    b.forgetSessions();
    b.resetStats();
    const wrong = client(jar, { type: 'basic', user: 'alice', password: 'changed' });
    const r = await wrong.request({ method: 'GET', url: `${b.url}/x` });
    assert.equal(r.status, 401);
    assert.equal(r.trace.attempts, 2);
    assert.equal(r.trace.reauthenticated, true);
    assert.equal(b.stats().requests, 2);
    assert.equal(b.stats().failedAuthentications, 1);
  });

  it('a 401 without a session cookie is returned, not retried', async () => {
    const r = await client(new SessionJar(), { type: 'basic', user: 'alice', password: 'bad' }).request({ method: 'GET', url: `${b.url}/x` });
    assert.equal(r.status, 401);
    assert.equal(r.trace.attempts, 1);
    assert.equal(r.trace.reauthenticated, false);
    assert.equal(r.headers['www-authenticate'], 'Basic realm="sessionflow-test"');
  });

  it('50 concurrent calls in one scope share exactly one authentication', async () => {
    const c = client(new SessionJar());
    const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => c.request({ method: 'GET', url: `${b.url}/api/r${i}` })));
    assert.ok(rs.every((r) => r.status === 200));
    assert.equal(b.stats().authentications, 1);
    assert.equal(b.stats().sessionsCreated, 1);
    assert.equal(rs.filter((r) => r.trace.credentialsSent).length, 1);
    assert.equal(new Set(rs.map((r) => json(r.body).session)).size, 1);
    assert.equal(b.requests().filter((r) => r.authorization).length, 1);
  });

  it('50 concurrent calls after the server dropped the session share exactly one re-authentication', async () => {
    const c = client(new SessionJar());
    await c.request({ method: 'GET', url: `${b.url}/api/warm` });
    b.forgetSessions();
    b.resetStats();
    const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => c.request({ method: 'GET', url: `${b.url}/api/r${i}` })));
    assert.ok(rs.every((r) => r.status === 200), rs.map((r) => r.status).join());
    assert.equal(b.stats().authentications, 1);
    assert.equal(b.stats().sessionsCreated, 1);
    assert.equal(rs.filter((r) => r.trace.credentialsSent).length, 1);
    assert.ok(rs.every((r) => r.trace.reauthenticated && r.trace.attempts === 2));
    assert.equal(new Set(rs.map((r) => json(r.body).session)).size, 1);
  });

  it('keeps scopes apart: cookies of one exchange are never sent in another', async () => {
    const store = new SessionStore();
    assert.equal(store.jarFor({ kind: 'none' }), null);
    const jarA = store.jarFor({ kind: 'exchange', id: 'A' });
    const jarB = store.jarFor({ kind: 'exchange', id: 'B' });
    assert.ok(jarA && jarB && jarA !== jarB);
    assert.equal(store.jarFor({ kind: 'exchange', id: 'A' }), jarA);
    const flow = store.jarFor({ kind: 'flow' });
    assert.equal(store.jarFor({ kind: 'flow' }), flow);
    assert.equal(store.openJars, 3);

    const a = client(jarA, alice);
    const bb = client(jarB, bob);
    const results = await Promise.all([
      ...Array.from({ length: 5 }, () => a.request({ method: 'GET', url: `${b.url}/api/who` })),
      ...Array.from({ length: 5 }, () => bb.request({ method: 'GET', url: `${b.url}/api/who` })),
    ]);
    const users = results.map((r) => json(r.body).user);
    assert.deepEqual(users, [...Array(5).fill('alice'), ...Array(5).fill('bob')]);
    const sessionsA = new Set(results.slice(0, 5).map((r) => json(r.body).session));
    const sessionsB = new Set(results.slice(5).map((r) => json(r.body).session));
    assert.equal(sessionsA.size, 1);
    assert.equal(sessionsB.size, 1);
    assert.notDeepEqual([...sessionsA], [...sessionsB]);
    assert.equal(b.stats().authentications, 2);
    assert.deepEqual(b.stats().byUser, { alice: { requests: 5, authentications: 1 }, bob: { requests: 5, authentications: 1 } });

    store.release({ kind: 'exchange', id: 'A' });
    assert.equal(store.openJars, 2);
    const again = store.jarFor({ kind: 'exchange', id: 'A' });
    assert.notEqual(again, jarA);
    assert.equal(await again!.cookieCount(), 0);
    store.release({ kind: 'flow' });
    store.release({ kind: 'none' });
    assert.equal(store.openJars, 2);
  });

  it('never sends cookies to another host or another port', async () => {
    const other = await startTestBackend();
    try {
      const jar = new SessionJar();
      const c = client(jar);
      await c.request({ method: 'GET', url: `${b.url}/x` });
      assert.equal(await jar.hasSession(`${b.url}/y`), true);
      // Same port, other host name.
      assert.equal(await jar.hasSession(`http://localhost:${b.port}/y`), false);
      // Same host, other port (another origin).
      assert.equal(await jar.hasSession(`${other.url}/y`), false);
      const r = await c.request({ method: 'GET', url: `${other.url}/x` });
      assert.equal(r.status, 200);
      assert.equal(r.trace.credentialsSent, true);
      assert.equal(r.trace.sessionCookieSentHash, undefined);
      assert.deepEqual(other.requests().map((x) => [x.cookie, x.authorization]), [[false, true]]);
      // And via another host name that reaches the first backend.
      const viaLocalhost = await c.request({ method: 'GET', url: `http://localhost:${b.port}/x` });
      assert.equal(viaLocalhost.status, 200);
      assert.equal(b.requests().at(-1)!.cookie, false);
      assert.equal(b.requests().at(-1)!.authorization, true);
    } finally {
      await other.close();
    }
  });

  it('clearOrigin drops the session for that origin only', async () => {
    const other = await startTestBackend();
    try {
      const jar = new SessionJar();
      const c = client(jar);
      await c.request({ method: 'GET', url: `${b.url}/x` });
      await c.request({ method: 'GET', url: `${other.url}/x` });
      assert.equal(await jar.cookieCount(), 3);
      await jar.clearOrigin(`${b.url}/whatever`);
      assert.equal(await jar.hasSession(`${b.url}/x`), false);
      assert.equal(await jar.hasSession(`${other.url}/x`), true);
      assert.equal(await jar.cookieCount(), 1);
      const r = await c.request({ method: 'GET', url: `${b.url}/x` });
      assert.equal(r.trace.credentialsSent, true);
    } finally {
      await other.close();
    }
  });

  it('re-authenticates once after idle session expiry', async () => {
    let clock = 0;
    const idle = await startTestBackend({ sessionIdleTimeoutMs: 1000, now: () => clock });
    try {
      const c = client(new SessionJar());
      await c.request({ method: 'GET', url: `${idle.url}/x` });
      clock += 500;
      const within = await c.request({ method: 'GET', url: `${idle.url}/x` });
      assert.equal(within.trace.credentialsSent, false);
      clock += 1001;
      const r = await c.request({ method: 'GET', url: `${idle.url}/x` });
      assert.equal(r.status, 200);
      assert.equal(r.trace.reauthenticated, true);
      assert.equal(idle.stats().authentications, 2);
      assert.equal(idle.stats().expiredSessions, 1);
    } finally {
      await idle.close();
    }
  });

  it('bearer tokens are requested only when the jar has no session', async () => {
    const tb = await startTestBackend({ bearerTokens: { 'tok-A': 'svc' } });
    try {
      let tokenCalls = 0;
      const auth: HttpAuth = {
        type: 'bearer',
        token: async () => {
          tokenCalls++;
          return 'tok-A';
        },
        invalidate: () => undefined,
      };
      const c = client(new SessionJar(), auth);
      const rs = await Promise.all(Array.from({ length: 10 }, () => c.request({ method: 'GET', url: `${tb.url}/x` })));
      assert.ok(rs.every((r) => r.status === 200 && json(r.body).user === 'svc'));
      assert.equal(tokenCalls, 1);
      assert.equal(tb.stats().authentications, 1);
    } finally {
      await tb.close();
    }
  });

  it('a failing token provider yields SF_HTTP_UNAUTHORIZED', async () => {
    const auth: HttpAuth = {
      type: 'bearer',
      token: async () => {
        throw new Error('token endpoint down');
      },
      invalidate: () => undefined,
    };
    await assert.rejects(client(new SessionJar(), auth).request({ method: 'GET', url: `${b.url}/x` }), (e: any) => {
      assert.equal(e.code, 'SF_HTTP_UNAUTHORIZED');
      assert.match(e.message, /^receiver "erp": could not obtain an access token for http:\/\/127\.0\.0\.1:\d+\/x \(SF_HTTP_UNAUTHORIZED\)$/);
      return true;
    });
  });

  it('auth none sends no Authorization but still keeps cookies', async () => {
    const jar = new SessionJar();
    const c = client(jar, { type: 'none' });
    const r = await c.request({ method: 'GET', url: `${b.url}/x` });
    assert.equal(r.status, 401);
    assert.equal(r.trace.credentialsSent, false);
    assert.equal(b.requests()[0]!.authorization, false);
  });

  it('returns non-2xx statuses and joins response headers', async () => {
    const r = await client(null).request({ method: 'GET', url: `${b.url}/_fault/status/503` });
    assert.equal(r.status, 503);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.deepEqual(json(r.body), { fault: 'status', status: 503 });
    assert.equal(r.url, `${b.url}/_fault/status/503`);
  });
});

describe('session client: servers that set no cookie', () => {
  let url: string;
  let authorizations = 0;
  const server = createServer((req, res) => {
    if (req.headers.authorization) authorizations++;
    res.writeHead(req.headers.authorization ? 200 : 401).end('{}');
  });
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stateless`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('waiters send credentials themselves when the first call set no cookie', async () => {
    const jar = new SessionJar();
    const c = client(jar);
    const rs = await Promise.all(Array.from({ length: 5 }, () => c.request({ method: 'GET', url })));
    assert.ok(rs.every((r) => r.status === 200 && r.trace.credentialsSent));
    assert.equal(authorizations, 5);
    assert.equal(await jar.cookieCount(), 0);
  });
});

describe('session client: cookie hashes', () => {
  it('shortHash is the first 12 hex characters of SHA-256', () => {
    assert.equal(shortHash('abc'), 'ba7816bf8f01');
    assert.equal(shortHash(''), 'e3b0c44298fc');
  });
});
