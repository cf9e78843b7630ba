// The SDK's session-aware HTTP client against a real backend: Debian's Tomcat 10.
//
// Every count below comes from Tomcat's own access log (see ./tomcat.ts): a RewriteValve
// marks requests that carried an Authorization header or "X-CSRF-Token: Fetch", and the
// AccessLogValve writes the marks, never the values. Each test tags its requests with a
// `t=` query parameter, so one Tomcat serves the whole file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createSessionClient,
  SessionStore,
  type HttpEvent,
  type HttpResponse,
  type SessionHttpClient,
  type SessionJar,
} from '@sessionflow/sdk';
import { startTomcat, tomcatUnavailableReason, TOMCAT_USERS, type TomcatInstance } from './tomcat.js';

const unavailable = tomcatUnavailableReason();
const inCi = !['', '0', 'false'].includes((process.env.CI ?? '').trim().toLowerCase());

if (unavailable !== undefined && inCi) {
  test('Tomcat 10 is installed (required in CI)', () => {
    assert.fail(`${unavailable}. In CI, test/scripts/setup.sh installs it (npm run test:all runs it first).`);
  });
}

interface User {
  user: string;
  password: string;
}

interface Echo {
  user: string | null;
  session: string;
  newSession: boolean;
  method: string;
  tag: string | null;
}

const decoder = new TextDecoder();

function json<T>(res: HttpResponse): T {
  const text = decoder.decode(res.body);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`expected JSON from ${res.url} (status ${res.status}), got: ${text.slice(0, 200)}`);
  }
}

function basicHeaderValue(u: User): string {
  return Buffer.from(`${u.user}:${u.password}`).toString('base64');
}

/** Runs fn(0..n-1) in batches of `size` concurrent calls. */
async function inBatches(n: number, size: number, fn: (i: number) => Promise<void>): Promise<void> {
  for (let start = 0; start < n; start += size) {
    const batch: Promise<void>[] = [];
    for (let i = start; i < Math.min(n, start + size); i++) batch.push(fn(i));
    await Promise.all(batch);
  }
}

describe('session client against Tomcat 10', { skip: unavailable }, () => {
  let tomcat: TomcatInstance;
  const store = new SessionStore();
  /** Every event any client emitted, for the "no secrets" check. */
  const events: HttpEvent[] = [];

  before(async () => {
    tomcat = await startTomcat();
    // Visible in the test output: how long the private Tomcat took to answer.
    console.log(`# private Tomcat answered after ${tomcat.startupMs} ms at ${tomcat.url}`);
  });

  after(async () => {
    await tomcat?.stop();
  });

  function client(jar: SessionJar | null, options: { user?: User; csrf?: boolean; csrfTag?: string } = {}): SessionHttpClient {
    const user = options.user ?? TOMCAT_USERS.alice;
    return createSessionClient({
      receiver: 'tomcat',
      jar,
      auth: { type: 'basic', user: user.user, password: user.password },
      timeoutMs: 15_000,
      onEvent: (e) => events.push(e),
      ...(options.csrf
        ? { csrf: true, csrfUrl: `${tomcat.url}/api/csrf/echo.jsp?t=${encodeURIComponent(options.csrfTag ?? 'csrf-fetch')}` }
        : {}),
    });
  }

  async function echo(c: SessionHttpClient, tag: string): Promise<{ res: HttpResponse; echo: Echo }> {
    const res = await c.request({ method: 'GET', url: `${tomcat.url}/api/echo.jsp?t=${encodeURIComponent(tag)}` });
    assert.equal(res.status, 200, `GET echo.jsp?t=${tag} answered ${res.status}`);
    const body = json<Echo>(res);
    assert.equal(body.tag, tag);
    return { res, echo: body };
  }

  test('backend sanity (plain fetch): BASIC login kept in the session, CSRF filter active, no secrets logged', async () => {
    const alice = TOMCAT_USERS.alice;
    const noAuth = await fetch(`${tomcat.url}/api/echo.jsp?t=sanity-1`);
    assert.equal(noAuth.status, 401);
    assert.match(noAuth.headers.get('www-authenticate') ?? '', /^Basic realm="sessionflow"/);
    await noAuth.arrayBuffer();

    const login = await fetch(`${tomcat.url}/api/echo.jsp?t=sanity-2`, {
      headers: { authorization: `Basic ${basicHeaderValue(alice)}` },
    });
    assert.equal(login.status, 200);
    const setCookie = login.headers.get('set-cookie') ?? '';
    const m = /^JSESSIONID=([^;]+);.*Path=\/app/.exec(setCookie);
    assert.ok(m, 'login sets a JSESSIONID cookie for /app');
    const sessionId = m[1]!;
    const first = (await login.json()) as Echo;
    assert.equal(first.user, alice.user);
    assert.equal(first.newSession, true);
    assert.match(first.session, /^[0-9a-f]{12}$/);

    // The cookie alone authenticates (alwaysUseSession) ...
    const ride = await fetch(`${tomcat.url}/api/echo.jsp?t=sanity-3`, { headers: { cookie: `JSESSIONID=${sessionId}` } });
    assert.equal(ride.status, 200);
    const second = (await ride.json()) as Echo;
    assert.equal(second.user, alice.user);
    assert.equal(second.session, first.session);

    // ... and a write under /api/csrf/ without the session's token is refused by Tomcat's filter.
    const post = await fetch(`${tomcat.url}/api/csrf/echo.jsp?t=sanity-4`, {
      method: 'POST',
      headers: { cookie: `JSESSIONID=${sessionId}` },
    });
    assert.equal(post.status, 403);
    assert.equal(post.headers.get('x-csrf-token'), 'Required');
    await post.arrayBuffer();

    const log = await tomcat.accessLog({ tagPrefix: 'sanity-' }, { atLeast: 4 });
    assert.deepEqual(
      log.map((e) => [e.method, e.tag, e.status, e.authorization, e.user ?? '-']),
      [
        ['GET', 'sanity-1', 401, false, '-'],
        ['GET', 'sanity-2', 200, true, alice.user],
        ['GET', 'sanity-3', 200, false, alice.user],
        ['POST', 'sanity-4', 403, false, alice.user],
      ],
    );
    const text = await tomcat.accessLogText();
    assert.ok(!text.includes(basicHeaderValue(alice)), 'access log must not contain the Authorization value');
    assert.ok(!text.includes(alice.password), 'access log must not contain the password');
    assert.ok(!text.includes(sessionId), 'access log must not contain the session id');
  });

  test('scope none: every call authenticates (20 calls -> 20 requests with Authorization)', async () => {
    const jar = store.jarFor({ kind: 'none' });
    assert.equal(jar, null);
    const c = client(jar);
    const sessions = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const { res, echo: body } = await echo(c, `none-${i}`);
      assert.equal(body.user, 'alice');
      assert.equal(res.trace.credentialsSent, true, `call ${i} must send credentials`);
      assert.equal(res.trace.sessionCookieSentHash, undefined, `call ${i} must not send a session cookie`);
      sessions.add(body.session);
    }
    // Tomcat opened a new session for every call and none was reused.
    assert.equal(sessions.size, 20);
    const log = await tomcat.accessLog({ tagPrefix: 'none-' }, { atLeast: 20 });
    assert.equal(log.length, 20);
    assert.equal(await tomcat.countAuthorized({ tagPrefix: 'none-' }), 20);
    assert.ok(log.every((e) => e.status === 200 && e.user === 'alice'));
  });

  test('one exchange scope: 20 calls authenticate once', async () => {
    const scope = { kind: 'exchange', id: 'one-exchange' } as const;
    const openBefore = store.openJars;
    const jar = store.jarFor(scope);
    assert.ok(jar);
    assert.equal(store.jarFor(scope), jar, 'the same exchange gets the same jar');
    const c = client(jar);
    const sessions = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const { res, echo: body } = await echo(c, `one-exchange-${i}`);
      sessions.add(body.session);
      if (i === 0) {
        assert.equal(res.trace.credentialsSent, true);
        assert.equal(res.trace.sessionOpened, true);
      } else {
        assert.equal(res.trace.credentialsSent, false, `call ${i} should ride on the session`);
        assert.match(res.trace.sessionCookieSentHash ?? '', /^[0-9a-f]{12}$/);
      }
    }
    assert.equal(sessions.size, 1, 'all calls ran in one Tomcat session');
    assert.equal(await jar.hasSession(tomcat.url), true);
    const log = await tomcat.accessLog({ tagPrefix: 'one-exchange-' }, { atLeast: 20 });
    assert.equal(log.length, 20);
    assert.ok(log.every((e) => e.status === 200 && e.user === 'alice'));
    assert.equal(await tomcat.countAuthorized({ tagPrefix: 'one-exchange-' }), 1);
    store.release(scope);
    assert.equal(store.openJars, openBefore);
  });

  test('20 exchange scopes (3 calls each, 4 exchanges at a time) authenticate 20 times', async () => {
    const openBefore = store.openJars;
    const sessionsPerExchange: string[] = [];
    await inBatches(20, 4, async (x) => {
      const scope = { kind: 'exchange', id: `many-${x}` } as const;
      const c = client(store.jarFor(scope));
      const seen = new Set<string>();
      for (let i = 0; i < 3; i++) seen.add((await echo(c, `many-exchanges-${x}-${i}`)).echo.session);
      assert.equal(seen.size, 1, `exchange ${x} kept one session`);
      sessionsPerExchange[x] = [...seen][0]!;
      store.release(scope);
    });
    assert.equal(new Set(sessionsPerExchange).size, 20, 'every exchange had its own session');
    assert.equal(store.openJars, openBefore, 'released exchange jars are gone');
    const log = await tomcat.accessLog({ tagPrefix: 'many-exchanges-' }, { atLeast: 60 });
    assert.equal(log.length, 60);
    assert.ok(log.every((e) => e.status === 200));
    assert.equal(await tomcat.countAuthorized({ tagPrefix: 'many-exchanges-' }), 20);
    for (let x = 0; x < 20; x++) {
      assert.equal(await tomcat.countAuthorized({ tagPrefix: `many-exchanges-${x}-` }), 1, `exchange ${x}`);
    }
  });

  test('flow scope: 20 exchanges (5 at a time, including the cold start) share one login', async () => {
    const scope = { kind: 'flow' } as const;
    const jar = store.jarFor(scope);
    assert.ok(jar);
    const sessions = new Set<string>();
    await inBatches(20, 5, async (x) => {
      // A new client per exchange, as the runtime does, all on the flow's one jar.
      const flowJar = store.jarFor(scope);
      assert.equal(flowJar, jar, 'every exchange gets the flow jar');
      const c = client(flowJar);
      for (let i = 0; i < 2; i++) sessions.add((await echo(c, `flow-${x}-${i}`)).echo.session);
    });
    assert.equal(sessions.size, 1, 'all 40 calls ran in one Tomcat session');
    const log = await tomcat.accessLog({ tagPrefix: 'flow-' }, { atLeast: 40 });
    assert.equal(log.length, 40);
    assert.ok(log.every((e) => e.status === 200 && e.user === 'alice'));
    assert.equal(await tomcat.countAuthorized({ tagPrefix: 'flow-' }), 1);
    store.release(scope);
  });

  test('two users in their own exchange scopes keep their own sessions', async () => {
    const users = [TOMCAT_USERS.alice, TOMCAT_USERS.bob];
    await Promise.all(
      users.map(async (u) => {
        const scope = { kind: 'exchange', id: `users-${u.user}` } as const;
        const c = client(store.jarFor(scope), { user: u });
        for (let i = 0; i < 5; i++) assert.equal((await echo(c, `users-${u.user}-${i}`)).echo.user, u.user);
        store.release(scope);
      }),
    );
    for (const u of users) {
      const log = await tomcat.accessLog({ tagPrefix: `users-${u.user}-` }, { atLeast: 5 });
      assert.equal(log.length, 5);
      assert.ok(log.every((e) => e.user === u.user), `Tomcat saw only ${u.user} on ${u.user}'s calls`);
      assert.equal(log.filter((e) => e.authorization).length, 1);
    }
  });

  test('CSRF (RestCsrfPreventionFilter) in an exchange scope: POSTs succeed after exactly one token fetch', async () => {
    const scope = { kind: 'exchange', id: 'csrf-exchange' } as const;
    const c = client(store.jarFor(scope), { csrf: true, csrfTag: 'csrf-exchange-fetch' });
    for (let i = 0; i < 3; i++) {
      const tag = `csrf-exchange-post-${i}`;
      const res = await c.request({
        method: 'POST',
        url: `${tomcat.url}/api/csrf/echo.jsp?t=${tag}`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ n: i }),
      });
      assert.equal(res.status, 200, `POST ${i} answered ${res.status}`);
      const body = json<Echo>(res);
      assert.equal(body.method, 'POST');
      assert.equal(body.user, 'alice');
      assert.equal(res.trace.csrfFetched, i === 0, `token fetched on POST ${i}?`);
      assert.equal(res.trace.csrfRefetched, false);
    }
    store.release(scope);
    const log = await tomcat.accessLog({ tagPrefix: 'csrf-exchange-' }, { atLeast: 4 });
    const fetches = log.filter((e) => e.csrfFetch);
    assert.equal(fetches.length, 1, `exactly one token fetch; log:\n${log.map((e) => e.line).join('\n')}`);
    assert.equal(fetches[0]!.status, 200);
    const posts = log.filter((e) => e.method === 'POST');
    assert.equal(posts.length, 3);
    assert.ok(posts.every((e) => e.status === 200 && !e.authorization), 'POSTs ride on the session');
    assert.equal(await tomcat.countAuthorized({ tagPrefix: 'csrf-exchange-' }), 1);
  });

  test('CSRF with scope none (jar null): the POST fails with 403 — token and write land in different sessions', async () => {
    const c = client(store.jarFor({ kind: 'none' }), { csrf: true, csrfTag: 'csrf-none-fetch' });
    let status: number | undefined;
    try {
      const res = await c.request({
        method: 'POST',
        url: `${tomcat.url}/api/csrf/echo.jsp?t=csrf-none-post`,
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      status = res.status;
    } catch (err) {
      // Statuses are returned, not thrown; accept a CSRF error only if it carries the 403.
      const e = err as { code?: string; status?: number; message?: string };
      assert.equal(e.code, 'SF_HTTP_CSRF', `unexpected error: ${e.message}`);
      status = e.status;
    }
    assert.equal(status, 403);
    const log = await tomcat.accessLog({ tagPrefix: 'csrf-none-' }, { atLeast: 2 });
    const posts = log.filter((e) => e.method === 'POST');
    assert.ok(posts.length >= 1 && posts.length <= 2, `one POST, at most one retry; got ${posts.length}`);
    assert.ok(posts.every((e) => e.status === 403), 'Tomcat refused every POST');
    assert.ok(posts.every((e) => e.authorization), 'with no session every request authenticates anew');
    assert.ok(log.filter((e) => e.csrfFetch).length <= 2, 'bounded token fetches');
  });

  test('session dropped out of band: exactly one re-authentication, then the new session is reused', async () => {
    const scope = { kind: 'exchange', id: 'drop-oob' } as const;
    const c = client(store.jarFor(scope));
    const a = (await echo(c, 'drop-oob-0')).echo;
    const b = (await echo(c, 'drop-oob-1')).echo;
    assert.equal(a.session, b.session);

    const drop = await fetch(`${tomcat.url}/ops/drop.jsp?t=drop-oob-admin&session=${a.session}`);
    assert.equal(drop.status, 200);
    assert.deepEqual(await drop.json(), { dropped: 1 });

    const { res, echo: after1 } = await echo(c, 'drop-oob-2');
    assert.notEqual(after1.session, a.session, 'a new session was opened');
    assert.equal(res.trace.reauthenticated, true);
    assert.equal(res.trace.attempts, 2);
    const { res: res2, echo: after2 } = await echo(c, 'drop-oob-3');
    assert.equal(after2.session, after1.session);
    assert.equal(res2.trace.credentialsSent, false);
    assert.equal(res2.trace.reauthenticated, false);
    store.release(scope);

    const log = await tomcat.accessLog({ tagPrefix: 'drop-oob-' }, { atLeast: 6 });
    assert.deepEqual(
      log.filter((e) => e.tag !== 'drop-oob-admin').map((e) => [e.tag, e.status, e.authorization]),
      [
        ['drop-oob-0', 200, true],
        ['drop-oob-1', 200, false],
        ['drop-oob-2', 401, false], // stale cookie refused
        ['drop-oob-2', 200, true], // the one re-authentication
        ['drop-oob-3', 200, false],
      ],
    );
  });

  test('logout through the logout JSP: the next call re-authenticates exactly once', async () => {
    const scope = { kind: 'exchange', id: 'drop-logout' } as const;
    const c = client(store.jarFor(scope));
    const before1 = (await echo(c, 'drop-logout-0')).echo;
    const out = await c.request({ method: 'GET', url: `${tomcat.url}/api/logout.jsp?t=drop-logout-1` });
    assert.equal(out.status, 200);
    assert.deepEqual(json(out), { loggedOut: true });
    const { res, echo: after1 } = await echo(c, 'drop-logout-2');
    assert.notEqual(after1.session, before1.session);
    assert.equal(res.trace.reauthenticated, true);
    await echo(c, 'drop-logout-3');
    store.release(scope);
    assert.equal(await tomcat.countAuthorized({ tagPrefix: 'drop-logout-' }, { atLeast: 5 }), 2, 'initial login + one re-authentication');
    const log = await tomcat.accessLog({ tagPrefix: 'drop-logout-' });
    assert.equal(log.filter((e) => e.status === 401).length, 1);
  });

  test('wrong password: 401 is returned, bounded attempts, nothing retried forever', async () => {
    const scope = { kind: 'exchange', id: 'badpw' } as const;
    const c = client(store.jarFor(scope), { user: { user: 'alice', password: 'not-the-password' } });
    const res = await c.request({ method: 'GET', url: `${tomcat.url}/api/echo.jsp?t=badpw-0` });
    assert.equal(res.status, 401);
    store.release(scope);
    const log = await tomcat.accessLog({ tagPrefix: 'badpw-' }, { atLeast: 1 });
    assert.ok(log.length >= 1 && log.length <= 2, `at most one retry; got ${log.length}`);
    assert.ok(log.every((e) => e.status === 401 && e.authorization));
  });

  test('no secrets in client events or in the access log', async () => {
    assert.ok(events.length > 0, 'the clients emitted events');
    const eventText = JSON.stringify(events);
    const logText = await tomcat.accessLogText();
    for (const u of Object.values(TOMCAT_USERS)) {
      for (const secret of [u.password, basicHeaderValue(u)]) {
        assert.ok(!eventText.includes(secret), `events must not contain ${u.user}'s credentials`);
        assert.ok(!logText.includes(secret), `access log must not contain ${u.user}'s credentials`);
      }
    }
    assert.ok(!logText.includes('not-the-password'));
    assert.ok(!/JSESSIONID|[0-9A-F]{32}/.test(logText), 'access log must not contain session ids');
    for (const e of events) {
      if (e.type === 'request' && e.sessionCookieHash !== undefined) assert.match(e.sessionCookieHash, /^[0-9a-f]{12}$/);
    }
  });
});
