/**
 * `HttpRequest.credentials: 'omit'` (login inside the body: no Authorization header from the
 * client), `HttpRequest.carriesCredentials` (the body's credentials count in the trace) and
 * `SessionHttpClient.hasSession` — on the session client and through the runner's wrapper.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it, test } from 'node:test';
import { createSessionClient, SessionJar, type HttpAuth, type HttpEvent, type SessionHttpClient } from '../src/http/index.js';
import { defineAdapter } from '../src/adapter/define.js';
import { AdapterRegistry } from '../src/adapter/registry.js';
import { FlowRunner } from '../src/runtime/index.js';
import { flowDoc, flowText, testCredentials } from './fixtures/runtime/support.js';

const alice: HttpAuth = { type: 'basic', user: 'alice', password: 'alice-pw' };

interface Seen {
  path: string;
  authorization: string | undefined;
  cookie: string | undefined;
}

/**
 * A backend that logs in inside the body: POST /login with `password=alice-pw` sets SID;
 * /data needs a live SID (401 otherwise); /public sets a tracking cookie for anyone;
 * /expire drops every session. /login can be held until `releaseLogin()`.
 */
function loginServer() {
  const seen: Seen[] = [];
  const sessions = new Set<string>();
  let next = 0;
  let hold: Promise<void> | undefined;
  let release: (() => void) | undefined;
  let loginArrived: (() => void) | undefined;
  const sid = (req: IncomingMessage): string | undefined => /(?:^|;\s*)SID=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const path = (req.url ?? '').split('?')[0] ?? '';
        seen.push({ path, authorization: req.headers.authorization, cookie: req.headers.cookie });
        const body = Buffer.concat(chunks).toString('utf8');
        if (path === '/login') {
          loginArrived?.();
          if (hold) await hold;
          if (body !== 'password=alice-pw') return void res.writeHead(401).end('bad login');
          const id = `s${++next}`;
          sessions.add(id);
          return void res.writeHead(200, { 'set-cookie': `SID=${id}; Path=/; HttpOnly` }).end(id);
        }
        if (path === '/public') return void res.writeHead(200, { 'set-cookie': 'TRACK=1; Path=/' }).end('public');
        if (path === '/expire') {
          sessions.clear();
          return void res.writeHead(204).end();
        }
        const id = sid(req);
        if (id === undefined || !sessions.has(id)) return void res.writeHead(401).end('no session');
        res.writeHead(200).end(`data for ${id}`);
      })();
    });
  });
  return {
    server,
    seen,
    holdLogin(): { arrived: Promise<void>; release(): void } {
      hold = new Promise<void>((r) => (release = r));
      const arrived = new Promise<void>((r) => (loginArrived = r));
      return {
        arrived,
        release: () => {
          hold = undefined;
          release?.();
        },
      };
    },
    reset(): void {
      seen.length = 0;
      sessions.clear();
      next = 0;
    },
  };
}

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

describe('session client: credentials omit, carriesCredentials, hasSession', () => {
  const backend = loginServer();
  let base: string;
  before(async () => {
    await new Promise<void>((r) => backend.server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(backend.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    backend.server.closeAllConnections();
    await new Promise((r) => backend.server.close(r));
  });
  beforeEach(() => backend.reset());

  const login = (c: SessionHttpClient, password = 'alice-pw') =>
    c.request({ method: 'POST', url: `${base}/login`, body: `password=${password}`, credentials: 'omit', carriesCredentials: true });

  it('a body login sends no Authorization, counts as credentials sent and opens the session', async () => {
    const jar = new SessionJar();
    const events: HttpEvent[] = [];
    const c = createSessionClient({ receiver: 'sf', jar, auth: alice, onEvent: (e) => events.push(e) });
    assert.equal(await c.hasSession!(`${base}/data`), false);
    const res = await login(c);
    assert.equal(res.status, 200);
    assert.equal(backend.seen[0]?.authorization, undefined, 'no Basic header on the login');
    assert.deepEqual(
      [res.trace.credentialsSent, res.trace.sessionCookieSet, res.trace.sessionOpened, res.trace.attempts],
      [true, true, true, 1],
    );
    assert.equal(events.find((e) => e.type === 'request')?.credentialsSent, true);
    assert.equal(await c.hasSession!(`${base}/data`), true);
    assert.equal(await c.hasSession!('http://127.0.0.1:1/data'), false, 'another origin has no session');
    assert.equal(await c.hasSession!('not a url'), false);

    // Calls in the session, with or without 'omit': the cookie, never the Authorization header.
    const a = await c.request({ method: 'GET', url: `${base}/data`, credentials: 'omit' });
    const b = await c.request({ method: 'GET', url: `${base}/data` });
    assert.deepEqual([text(a.body), text(b.body)], ['data for s1', 'data for s1']);
    assert.deepEqual([a.trace.credentialsSent, b.trace.credentialsSent], [false, false]);
    assert.ok(backend.seen.every((s) => s.authorization === undefined));
    assert.deepEqual(backend.seen.map((s) => s.cookie), [undefined, 'SID=s1', 'SID=s1']);
  });

  it('without carriesCredentials nothing counts as credentials, but cookies are still stored and sent', async () => {
    const jar = new SessionJar();
    const c = createSessionClient({ receiver: 'sf', jar, auth: alice });
    const res = await c.request({ method: 'GET', url: `${base}/public`, credentials: 'omit' });
    assert.deepEqual([res.trace.credentialsSent, res.trace.sessionCookieSet, res.trace.sessionOpened], [false, true, false]);
    assert.equal(await c.hasSession!(`${base}/other`), true, 'the cookie went into the jar');
    await c.request({ method: 'GET', url: `${base}/public`, credentials: 'omit' });
    assert.deepEqual(backend.seen.map((s) => [s.authorization, s.cookie]), [
      [undefined, undefined],
      [undefined, 'TRACK=1'],
    ]);
  });

  it("a 401 on a session cookie clears the origin and retries once, still without Authorization", async () => {
    const jar = new SessionJar();
    const c = createSessionClient({ receiver: 'sf', jar, auth: alice });
    await login(c);
    await c.request({ method: 'POST', url: `${base}/expire`, credentials: 'omit' });
    const res = await c.request({ method: 'GET', url: `${base}/data`, credentials: 'omit' });
    assert.equal(res.status, 401);
    assert.deepEqual([res.trace.attempts, res.trace.reauthenticated, res.trace.credentialsSent], [2, true, false]);
    const data = backend.seen.filter((s) => s.path === '/data');
    assert.deepEqual(data.map((s) => [s.authorization, s.cookie]), [
      [undefined, 'SID=s1'],
      [undefined, undefined],
    ]);
    assert.equal(await c.hasSession!(`${base}/data`), false, 'the dead session was dropped');
  });

  it('a bearer client never fetches a token for an omitted request', async () => {
    let tokens = 0;
    const bearer: HttpAuth = { type: 'bearer', token: async () => `t${++tokens}`, invalidate: () => undefined };
    const c = createSessionClient({ receiver: 'sf', jar: new SessionJar(), auth: bearer });
    const res = await login(c);
    assert.equal(res.status, 200);
    assert.equal(tokens, 0);
    assert.equal(backend.seen[0]?.authorization, undefined);
  });

  it('concurrent calls wait for a body login in flight and use its session instead of authenticating', async () => {
    const jar = new SessionJar();
    const c = createSessionClient({ receiver: 'sf', jar, auth: alice });
    const held = backend.holdLogin();
    const loggingIn = login(c);
    await held.arrived;
    // Started while the login is in flight: must wait for it (with 'auto' it would otherwise send Basic now).
    const auto = c.request({ method: 'GET', url: `${base}/data` });
    const omitted = c.request({ method: 'GET', url: `${base}/data`, credentials: 'omit' });
    held.release();
    const [l, a, o] = await Promise.all([loggingIn, auto, omitted]);
    assert.deepEqual([l.status, a.status, o.status], [200, 200, 200]);
    assert.equal(a.trace.credentialsSent, false);
    assert.deepEqual(backend.seen.map((s) => [s.path, s.authorization, s.cookie]), [
      ['/login', undefined, undefined],
      ['/data', undefined, 'SID=s1'],
      ['/data', undefined, 'SID=s1'],
    ]);
  });

  it('without a jar: hasSession is false and nothing is kept', async () => {
    const c = createSessionClient({ receiver: 'sf', jar: null, auth: alice });
    const res = await login(c);
    assert.deepEqual([res.status, res.trace.credentialsSent, res.trace.sessionOpened], [200, true, true]);
    assert.equal(await c.hasSession!(`${base}/data`), false);
    const data = await c.request({ method: 'GET', url: `${base}/data`, credentials: 'omit' });
    assert.equal(data.status, 401);
    assert.deepEqual(backend.seen.map((s) => s.authorization), [undefined, undefined]);
  });

  it("credentials 'auto' (the default) still sends Basic without a session", async () => {
    const c = createSessionClient({ receiver: 'sf', jar: new SessionJar(), auth: alice });
    await c.request({ method: 'GET', url: `${base}/public`, credentials: 'auto' });
    assert.match(backend.seen[0]?.authorization ?? '', /^Basic /);
  });
});

test("the runner's context.http forwards hasSession to the session client of the exchange's jar", async () => {
  const backend = loginServer();
  await new Promise<void>((r) => backend.server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(backend.server.address() as AddressInfo).port}`;
  try {
    const answers: boolean[] = [];
    const probe = defineAdapter({
      id: 'probe',
      displayName: 'Probe',
      version: '0.0.1',
      apiVersion: 1,
      variants: [{ id: 'probe', direction: 'receiver', stepKinds: ['call', 'send'], sessionReuse: 'supported', csrf: false, auth: [{ type: 'basic' }], parallelSafe: true, streaming: false }],
      configSchema: { type: 'object' },
      async send(_message, context) {
        assert.equal(typeof context.http.hasSession, 'function');
        const has = await context.http.hasSession!(`${base}/data`);
        answers.push(has);
        if (!has) await context.http.request({ method: 'POST', url: `${base}/login`, body: 'password=alice-pw', credentials: 'omit', carriesCredentials: true });
        const res = await context.http.request({ method: 'GET', url: `${base}/data` });
        return { status: res.status, headers: res.headers, body: res.body };
      },
    });
    const text = flowText({ mode: 'onExchange', address: `${base}/data`, steps: '- send: backend\n- send: backend' }).replace('adapter: http', 'adapter: probe');
    const r = await FlowRunner.create(flowDoc(text), { registry: AdapterRegistry.fromDefinitions([probe]), credentials: testCredentials() });
    const report = await r.run({ exchanges: 2, concurrency: 1, input: {} });
    await r.close();
    assert.equal(report.succeeded, 2, JSON.stringify(report.errors));
    assert.deepEqual(answers, [false, true, false, true], 'a session per exchange, seen by the second step');
    assert.equal(backend.seen.filter((s) => s.path === '/login').length, 2);
    assert.ok(backend.seen.every((s) => s.authorization === undefined), 'no Basic header: every login was in the body');
    // The body logins count as the receiver's authentications.
    assert.equal(report.receivers.backend?.credentialsSent, 2);
    assert.equal(report.receivers.backend?.sessionsOpened, 2);
  } finally {
    backend.server.closeAllConnections();
    await new Promise((r) => backend.server.close(r));
  }
});
