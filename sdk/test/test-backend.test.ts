import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startTestBackend, type TestBackend } from '../src/testing/index.js';

const basic = (user: string, pw: string): string => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => any;
  setCookies: string[];
}

async function call(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Raw> {
  const res = await request(base + path, { method: method as 'GET', headers, body: body ?? null });
  const text = await res.body.text();
  const sc = res.headers['set-cookie'];
  return {
    status: res.statusCode,
    headers: res.headers,
    text,
    json: () => JSON.parse(text),
    setCookies: sc === undefined ? [] : Array.isArray(sc) ? sc : [sc],
  };
}

/** "NAME=value" pairs of the Set-Cookie headers, ready to send back as a Cookie header. */
function cookieHeader(setCookies: string[]): string {
  return setCookies.map((c) => c.split(';')[0]).join('; ');
}

describe('test backend', () => {
  let b: TestBackend;
  let clock = 1_000_000;
  before(async () => {
    b = await startTestBackend({ affinityCookie: 'LB_NODE', sessionIdleTimeoutMs: 60_000, now: () => clock, blocksPerSession: 3 });
  });
  after(async () => {
    await b.close();
  });

  it('listens on 127.0.0.1 with a free port', () => {
    assert.match(b.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(b.port > 0);
    assert.equal(b.url, `http://127.0.0.1:${b.port}`);
  });

  it('answers 401 with WWW-Authenticate without credentials and counts failed password checks', async () => {
    b.resetStats();
    const none = await call(b.url, 'GET', '/api/x');
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Basic realm="sessionflow-test"');
    assert.deepEqual(none.setCookies, []);
    const wrong = await call(b.url, 'GET', '/api/x', { authorization: basic('alice', 'nope') });
    assert.equal(wrong.status, 401);
    const unknown = await call(b.url, 'GET', '/api/x', { authorization: basic('mallory', 'x') });
    assert.equal(unknown.status, 401);
    const s = b.stats();
    assert.equal(s.requests, 3);
    assert.equal(s.authentications, 2, 'a request without Authorization is no password check');
    assert.equal(s.failedAuthentications, 2);
    assert.equal(s.sessionsCreated, 0);
    assert.deepEqual(s.byUser.alice, { requests: 0, authentications: 1 });
    assert.equal(s.byUser.mallory, undefined, 'unknown users are not listed');
    assert.deepEqual(b.requests().map((r) => [r.status, r.authorization, r.user]), [
      [401, false, undefined],
      [401, true, undefined],
      [401, true, undefined],
    ]);
  });

  it('opens a session on valid Basic auth and serves the cookie without a password check', async () => {
    b.resetStats();
    const first = await call(b.url, 'GET', '/api/echo?x=1', { authorization: basic('alice', 'alice-pw') });
    assert.equal(first.status, 200);
    assert.equal(first.setCookies.length, 2);
    assert.match(first.setCookies[0]!, /^JSESSIONID=[^;]+; Path=\/; HttpOnly$/);
    assert.match(first.setCookies[1]!, /^LB_NODE=[^;]+; Path=\/$/);
    const body = first.json();
    assert.equal(body.user, 'alice');
    assert.equal(body.method, 'GET');
    assert.equal(body.path, '/api/echo');
    assert.deepEqual(body.query, { x: '1' });
    assert.match(body.session, /^[0-9a-f]{12}$/);

    const cookie = cookieHeader(first.setCookies);
    // Authorization with a valid cookie (even a wrong one) is ignored: the session wins.
    const second = await call(b.url, 'POST', '/api/echo', { cookie, authorization: basic('bob', 'wrong'), 'content-type': 'application/json' }, '{"a":[1,2]}');
    assert.equal(second.status, 200);
    assert.deepEqual(second.setCookies, []);
    assert.equal(second.json().user, 'alice');
    assert.equal(second.json().session, body.session);
    assert.deepEqual(second.json().received, { a: [1, 2] });
    const third = await call(b.url, 'PUT', '/api/echo', { cookie }, 'plain text!');
    assert.equal(third.json().received, 11, 'non-JSON bodies are echoed as their length');

    const s = b.stats();
    assert.equal(s.authentications, 1);
    assert.equal(s.sessionsCreated, 1);
    assert.deepEqual(s.byUser.alice, { requests: 3, authentications: 1 });
    const rec = b.requests();
    assert.deepEqual(rec.map((r) => [r.authorization, r.cookie, r.user]), [
      [true, false, 'alice'],
      [true, true, 'alice'],
      [false, true, 'alice'],
    ]);
    assert.deepEqual(rec[2]!.cookieNames, ['JSESSIONID', 'LB_NODE']);
    assert.equal(rec[2]!.sessionHash, body.session);
  });

  it('logs off: 204, session invalid afterwards, cookies expired', async () => {
    b.resetStats();
    const login = await call(b.url, 'GET', '/x', { authorization: basic('bob', 'bob-pw') });
    const cookie = cookieHeader(login.setCookies);
    const before = b.stats().activeSessions;
    const out = await call(b.url, 'POST', '/sap/logoff', { cookie });
    assert.equal(out.status, 204);
    assert.ok(out.setCookies.some((c) => /^JSESSIONID=; Max-Age=0/.test(c)));
    assert.ok(out.setCookies.some((c) => /^LB_NODE=; Max-Age=0/.test(c)));
    assert.equal(b.stats().logoffs, 1);
    assert.equal(b.stats().activeSessions, before - 1);
    const afterwards = await call(b.url, 'GET', '/x', { cookie });
    assert.equal(afterwards.status, 401);
    assert.equal((await call(b.url, 'GET', '/x/logout')).status, 401, 'logout needs a session');
  });

  it('pages blocks per session and restarts in a new session', async () => {
    const login = await call(b.url, 'GET', '/x', { authorization: basic('alice', 'alice-pw') });
    const cookie = cookieHeader(login.setCookies);
    const seen: [number, string][] = [];
    for (let i = 0; i < 4; i++) {
      const r = await call(b.url, 'GET', '/odata/Orders/blocks', { cookie });
      seen.push([r.json().block, String(r.headers['x-has-more'])]);
    }
    assert.deepEqual(seen, [
      [1, 'true'],
      [2, 'true'],
      [3, 'false'],
      [4, 'false'],
    ]);
    const fresh = await call(b.url, 'GET', '/odata/Orders/blocks', { authorization: basic('alice', 'alice-pw') });
    assert.equal(fresh.json().block, 1);
    assert.equal(fresh.headers['x-has-more'], 'true');
  });

  it('enforces CSRF tokens bound to the session on csrfPaths only', async () => {
    b.resetStats();
    const login = await call(b.url, 'GET', '/x', { authorization: basic('alice', 'alice-pw') });
    const cookie = cookieHeader(login.setCookies);
    const rejected = await call(b.url, 'POST', '/api/items', { cookie });
    assert.equal(rejected.status, 403);
    assert.equal(rejected.headers['x-csrf-token'], 'Required');
    const fetched = await call(b.url, 'GET', '/api/items', { cookie, 'x-csrf-token': 'Fetch' });
    const token = String(fetched.headers['x-csrf-token']);
    assert.ok(token.length > 10 && token !== 'Required');
    assert.equal((await call(b.url, 'POST', '/api/items', { cookie, 'x-csrf-token': token })).status, 200);
    assert.equal((await call(b.url, 'DELETE', '/csrf/thing', { cookie, 'x-csrf-token': 'wrong' })).status, 403);
    assert.equal((await call(b.url, 'POST', '/other', { cookie })).status, 200, 'outside csrfPaths no token is needed');
    // The token is bound to the session: another session cannot use it.
    const other = await call(b.url, 'GET', '/x', { authorization: basic('bob', 'bob-pw') });
    const otherCookie = cookieHeader(other.setCookies);
    assert.equal((await call(b.url, 'POST', '/api/items', { cookie: otherCookie, 'x-csrf-token': token })).status, 403);
    // Rotation invalidates the old token.
    b.rotateCsrfTokens();
    assert.equal((await call(b.url, 'POST', '/api/items', { cookie, 'x-csrf-token': token })).status, 403);
    const s = b.stats();
    assert.equal(s.csrfFetches, 1);
    assert.equal(s.csrfRejections, 4);
  });

  it('expires idle sessions', async () => {
    b.forgetSessions();
    b.resetStats();
    const login = await call(b.url, 'GET', '/x', { authorization: basic('alice', 'alice-pw') });
    const cookie = cookieHeader(login.setCookies);
    clock += 30_000;
    assert.equal((await call(b.url, 'GET', '/x', { cookie })).status, 200, 'activity within the idle timeout');
    clock += 30_000;
    assert.equal((await call(b.url, 'GET', '/x', { cookie })).status, 200, 'idle time counts from the last request');
    clock += 60_001;
    assert.equal((await call(b.url, 'GET', '/x', { cookie })).status, 401);
    assert.equal(b.stats().expiredSessions, 1);
  });

  it('forgetSessions and the control endpoints', async () => {
    const login = await call(b.url, 'GET', '/x', { authorization: basic('alice', 'alice-pw') });
    const cookie = cookieHeader(login.setCookies);
    const stats = await call(b.url, 'GET', '/_stats');
    assert.equal(stats.status, 200);
    assert.ok(stats.json().activeSessions >= 1);
    assert.equal(typeof stats.json().byUser, 'object');
    assert.equal((await call(b.url, 'POST', '/_forget')).status, 204);
    assert.equal(b.stats().activeSessions, 0);
    assert.equal((await call(b.url, 'GET', '/x', { cookie })).status, 401);
    assert.ok(b.stats().requests > 0);
    assert.equal((await call(b.url, 'POST', '/_reset')).status, 204);
    assert.equal(b.stats().requests, 0, 'control endpoints are not counted');
    assert.deepEqual(b.requests(), []);
    const login2 = await call(b.url, 'GET', '/x', { authorization: basic('alice', 'alice-pw') });
    b.forgetSessions();
    assert.equal((await call(b.url, 'GET', '/x', { cookie: cookieHeader(login2.setCookies) })).status, 401);
  });

  it('serves fault statuses without authentication', async () => {
    const r = await call(b.url, 'GET', '/_fault/status/503');
    assert.equal(r.status, 503);
    assert.deepEqual(r.json(), { fault: 'status', status: 503 });
    assert.equal((await call(b.url, 'GET', '/_fault/status/204')).status, 204);
  });

  it('never exposes passwords or cookie values in stats or recorded requests', async () => {
    const login = await call(b.url, 'GET', '/x', { authorization: basic('alice', 'alice-pw') });
    const value = login.setCookies[0]!.split(';')[0]!.split('=')[1]!;
    await call(b.url, 'GET', '/x', { cookie: cookieHeader(login.setCookies) });
    const dump = JSON.stringify([b.stats(), b.requests(), (await call(b.url, 'GET', '/_stats')).text]);
    assert.ok(!dump.includes('alice-pw'));
    assert.ok(!dump.includes(value));
  });
});

describe('test backend options', () => {
  it('uses custom users, cookie name, csrf paths and cookie domain', async () => {
    const b = await startTestBackend({ users: { carol: 'c' }, cookieName: 'SAP_SESSIONID', csrfPaths: ['/w/'], cookieDomain: 'erp.corp.internal', loginCost: 500 });
    try {
      assert.equal((await call(b.url, 'GET', '/x', { authorization: basic('alice', 'alice-pw') })).status, 401);
      const ok = await call(b.url, 'GET', '/x', { authorization: basic('carol', 'c') });
      assert.equal(ok.status, 200);
      assert.match(ok.setCookies[0]!, /^SAP_SESSIONID=[^;]+; Path=\/; Domain=erp\.corp\.internal; HttpOnly$/);
      const cookie = cookieHeader(ok.setCookies);
      assert.equal((await call(b.url, 'POST', '/w/x', { cookie })).status, 403);
      assert.equal((await call(b.url, 'POST', '/api/items', { cookie })).status, 200);
    } finally {
      await b.close();
    }
  });

  it('accepts configured bearer tokens as credentials', async () => {
    const b = await startTestBackend({ bearerTokens: { 'tok-1': 'dave' } });
    try {
      assert.equal((await call(b.url, 'GET', '/x', { authorization: 'Bearer nope' })).status, 401);
      const ok = await call(b.url, 'GET', '/x', { authorization: 'Bearer tok-1' });
      assert.equal(ok.json().user, 'dave');
      assert.equal(b.stats().authentications, 2);
      assert.equal(b.stats().failedAuthentications, 1);
    } finally {
      await b.close();
    }
  });

  it('close() ends hanging requests and is idempotent', async () => {
    const b = await startTestBackend();
    const pending = request(`${b.url}/_fault/hang`).then(
      () => 'answered',
      () => 'failed',
    );
    // Wait until the server has seen the request, then close.
    for (let i = 0; i < 200 && b.stats().requests === 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(b.stats().requests, 1);
    await Promise.all([b.close(), b.close()]);
    assert.equal(await pending, 'failed');
  });
});
