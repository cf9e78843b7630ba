/**
 * What the runner counts per receiver and keeps in the MPL, compared with what the test
 * backend saw on the wire: `requests` (every request sent, token fetches, retries and logoffs
 * included), CSRF fetches made by a step itself (`X-CSRF-Token: Fetch`), cookie hashes only
 * at log level debug, and the session client's cheaper internals (abort fan-out, cookie
 * header cache, trace of failed calls).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestBackend, type TestBackend } from '../src/testing/index.js';
import { FlowRunner, type RunnerOptions } from '../src/runtime/index.js';
import { createSessionClient, traceOfError } from '../src/http/client.js';
import { SessionJar } from '../src/http/jar.js';
import { HttpClientError } from '../src/http/errors.js';
import type { HttpAuth } from '../src/http/types.js';
import { flowDoc, flowText, httpRegistry, testCredentials } from './fixtures/runtime/support.js';

const alice: HttpAuth = { type: 'basic', user: 'alice', password: 'alice-pw' };

async function withBackend(fn: (b: TestBackend) => Promise<void>, options: Parameters<typeof startTestBackend>[0] = {}): Promise<void> {
  const backend = await startTestBackend(options);
  try {
    await fn(backend);
  } finally {
    await backend.close();
  }
}

async function runner(text: string, extra: Partial<RunnerOptions> = {}): Promise<FlowRunner> {
  return FlowRunner.create(flowDoc(text), { registry: await httpRegistry(), credentials: testCredentials(), ...extra });
}

/** A server under the test's control; closed by the caller. */
async function server(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; close(): Promise<void>; server: Server }> {
  const s = createServer(handler);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server: s,
    close: () =>
      new Promise<void>((resolve) => {
        s.closeAllConnections();
        s.close(() => resolve());
      }),
  };
}

const TOKEN_THEN_ITEMS = `- id: fetch-token
  send: backend
  method: GET
  headers: { X-CSRF-Token: Fetch }
- id: items
  split:
    path: $.items
    parallel: true
    steps:
      - id: post-item
        call: backend
        method: POST`;

test('a step that sends X-CSRF-Token: Fetch and gets a token counts as a CSRF fetch (stats and MPL), like the backend', async () => {
  await withBackend(async (b) => {
    const r = await runner(flowText({ mode: 'onExchange', address: `${b.url}/api/items`, receiverExtra: 'csrf: true', steps: TOKEN_THEN_ITEMS, log: 'debug' }));
    const report = await r.run({ exchanges: 2, concurrency: 1, input: { body: JSON.stringify({ items: [1, 2, 3] }), contentType: 'application/json' } });
    await r.close();
    assert.equal(report.succeeded, 2, report.errors[0]?.message);
    const s = report.receivers.backend!;
    const wire = b.stats();
    assert.equal(wire.csrfFetches, 2, 'the backend handed out one token per exchange');
    assert.equal(s.csrfFetches, wire.csrfFetches);
    assert.equal(s.calls, 8);
    assert.equal(s.requests, wire.requests);
    assert.equal(wire.csrfRejections, 0);
    const mpl = report.results[0]!.mpl;
    const token = mpl.find((e) => e.stepId === 'fetch-token')!;
    assert.equal(token.http?.csrfFetched, true);
    assert.equal(token.http?.csrfFetchedByStep, true);
    assert.ok(!mpl.some((e) => e.kind === 'csrf-fetch'), 'no automatic fetch: the posts used the step token');
    const post = mpl.find((e) => e.stepId === 'post-item')!;
    assert.equal(post.http?.csrfFetched, false);
    assert.equal(post.http?.csrfFetchedByStep, undefined);
  });
});

test('a Fetch request that gets no token (error status) is not counted', async () => {
  await withBackend(async (b) => {
    const steps = `- id: fetch-token
  send: backend
  method: GET
  path: /_fault/status/500
  headers: { X-CSRF-Token: Fetch }`;
    const r = await runner(flowText({ mode: 'onExchange', address: `${b.url}/api/items`, steps, log: 'debug' }));
    const res = await r.runExchange({});
    await r.close();
    assert.equal(res.status, 'failed');
    assert.equal(res.receivers.backend!.csrfFetches, 0);
    assert.equal(res.receivers.backend!.requests, 1);
    assert.equal(res.mpl[0]!.http?.csrfFetched, false);
  });
});

test('requests counts what went on the wire: automatic token fetch, re-authentication retry and logoff included', async () => {
  await withBackend(async (b) => {
    const steps = `- id: first
  call: backend
  method: POST
- id: second
  call: backend
  method: POST`;
    const r = await runner(flowText({ mode: 'onExchange', address: `${b.url}/api/items`, receiverExtra: 'csrf: true\nlogoff: { method: POST, path: /api/logout }', steps }));
    const first = await r.runExchange({ body: '{}', contentType: 'application/json' });
    assert.equal(first.status, 'completed', first.error?.message);
    // token fetch + 2 posts + logoff
    assert.equal(first.receivers.backend!.calls, 2);
    assert.equal(first.receivers.backend!.requests, 4);
    assert.equal(b.stats().requests, 4);
    assert.equal(first.receivers.backend!.csrfFetches, 1);
    await r.close();
  });
  // A session that expires between two calls: 401, re-authentication, retry.
  let clock = 0;
  await withBackend(
    async (b) => {
      const steps = `- id: first
  call: backend
  method: GET
- id: second
  call: backend
  method: GET`;
      const r = await runner(flowText({ mode: 'onExchange', address: `${b.url}/api/data`, steps }), {
        onEvent: (e) => {
          if (e.type === 'step' && e.entry.stepId === 'first') clock += 10_000;
        },
      });
      const res = await r.runExchange({});
      await r.close();
      assert.equal(res.status, 'completed', res.error?.message);
      const s = res.receivers.backend!;
      assert.equal(s.reauthentications, 1);
      assert.equal(s.calls, 2);
      assert.equal(s.requests, 3);
      assert.equal(b.stats().requests, 3, 'the runner counts every request the backend saw');
      assert.equal(b.stats().expiredSessions, 1);
    },
    { now: () => clock, sessionIdleTimeoutMs: 1000 },
  );
});

test('cookie hashes: in the MPL at debug only; the client puts them on the trace unless told not to', async () => {
  await withBackend(async (b) => {
    const steps = `- call: backend
  method: GET
- call: backend
  method: GET`;
    for (const log of ['info', 'debug'] as const) {
      const events: string[] = [];
      const r = await runner(flowText({ mode: 'onExchange', address: `${b.url}/api/data`, steps, log }), {
        onEvent: (e) => {
          if (e.type === 'http' && e.event.type === 'request' && e.event.sessionCookieHash) events.push(e.event.sessionCookieHash);
        },
      });
      const res = await r.runExchange({});
      await r.close();
      assert.equal(res.status, 'completed');
      assert.equal(res.mpl[1]!.http?.sessionCookieSentHash, log === 'debug' ? events[0] : undefined);
      assert.equal(events.length, 1, 'events carry the hash whenever someone listens');
      assert.match(events[0]!, /^[0-9a-f]{12}$/);
    }
    b.resetStats();
    const jar = new SessionJar();
    const plain = createSessionClient({ receiver: 'erp', jar, auth: alice });
    const quiet = createSessionClient({ receiver: 'erp', jar, auth: alice, traceCookieHashes: false });
    await plain.request({ method: 'GET', url: `${b.url}/api/a` });
    const withHash = await plain.request({ method: 'GET', url: `${b.url}/api/a` });
    const without = await quiet.request({ method: 'GET', url: `${b.url}/api/a` });
    assert.match(withHash.trace.sessionCookieSentHash ?? '', /^[0-9a-f]{12}$/);
    assert.equal(without.trace.sessionCookieSentHash, undefined);
    assert.equal(b.stats().authentications, 1, 'both clients used the one session');
  });
});

test('one caller signal for many requests: aborting it aborts every one in flight, and finished ones leave nothing behind', async () => {
  const hanging = await server((req) => {
    req.resume(); // never answered
  });
  try {
    const controller = new AbortController();
    const c = createSessionClient({ receiver: 'slow', jar: new SessionJar(), auth: { type: 'none' } });
    const calls = Array.from({ length: 5 }, (_, i) => c.request({ method: 'GET', url: `${hanging.url}/x${i}`, signal: controller.signal }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    const results = await Promise.allSettled(calls);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      const err = (r as PromiseRejectedResult).reason as HttpClientError;
      assert.equal(err.code, 'SF_HTTP_ABORTED');
      assert.equal(traceOfError(err)?.attempts, 1, 'the trace of a failed call says one request went out');
    }
    // A signal that is already aborted: nothing is sent.
    await assert.rejects(c.request({ method: 'GET', url: `${hanging.url}/late`, signal: controller.signal }), (e: HttpClientError) => e.code === 'SF_HTTP_ABORTED');
  } finally {
    await hanging.close();
  }
  await withBackend(async (b) => {
    // Many sequential requests on one long-lived signal, then abort: no stale listener fires.
    const controller = new AbortController();
    const c = createSessionClient({ receiver: 'erp', jar: new SessionJar(), auth: alice });
    for (let i = 0; i < 30; i++) assert.equal((await c.request({ method: 'GET', url: `${b.url}/api/a`, signal: controller.signal })).status, 200);
    controller.abort();
    assert.equal(b.stats().requests, 30);
  });
});

test('timeouts still apply per request with the cheaper abort source', async () => {
  const hanging = await server((req) => {
    req.resume();
  });
  try {
    const c = createSessionClient({ receiver: 'slow', jar: null, auth: { type: 'none' }, timeoutMs: 60 });
    await assert.rejects(c.request({ method: 'GET', url: `${hanging.url}/x`, signal: new AbortController().signal }), (e: HttpClientError) => {
      assert.equal(e.code, 'SF_HTTP_TIMEOUT');
      assert.match(e.message, /timed out after 60 ms/);
      return true;
    });
  } finally {
    await hanging.close();
  }
});

test('cookie header cache: a new cookie, an expired cookie and a cleared origin are seen at once', async () => {
  let now = 0;
  let expires = '';
  const s = await server((req, res) => {
    now++;
    const path = req.url ?? '/';
    if (path === '/set-a') res.setHeader('Set-Cookie', 'A=1; Path=/');
    if (path === '/set-b') res.setHeader('Set-Cookie', `B=2; Path=/; Expires=${expires}`);
    if (path === '/set-c') res.setHeader('Set-Cookie', 'C=3; Path=/only');
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ cookie: req.headers.cookie ?? '' }));
  });
  try {
    const jar = new SessionJar();
    const c = createSessionClient({ receiver: 'r', jar, auth: { type: 'none' } });
    const cookieSeen = async (path: string): Promise<string> => {
      const r = await c.request({ method: 'GET', url: `${s.url}${path}` });
      return (JSON.parse(Buffer.from(r.body).toString('utf8')) as { cookie: string }).cookie;
    };
    assert.equal(await cookieSeen('/x'), '');
    assert.equal(await cookieSeen('/set-a'), '');
    assert.equal(await cookieSeen('/x'), 'A=1');
    expires = new Date(Date.now() + 1500).toUTCString();
    await cookieSeen('/set-b');
    assert.equal(await cookieSeen('/x'), 'A=1; B=2');
    await cookieSeen('/set-c');
    assert.equal(await cookieSeen('/x'), 'A=1; B=2', 'a cookie for another path is not sent');
    assert.equal(await cookieSeen('/only/y'), 'C=3; A=1; B=2', 'longer paths first, as tough-cookie orders them');
    // B expires (Expires has one-second resolution): the cached header must not outlive it.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    assert.equal(await cookieSeen('/x'), 'A=1');
    await jar.clearOrigin(`${s.url}/`);
    assert.equal(await cookieSeen('/x'), '');
    assert.ok(now > 0);
  } finally {
    await s.close();
  }
});

test('session clients shared between calls keep sessions apart per jar (onExchange) and per flow', async () => {
  await withBackend(async (b) => {
    const steps = `- call: backend
  method: GET
- call: backend
  method: GET`;
    for (const [mode, logins] of [['onExchange', 4], ['onIntegrationFlow', 1], ['none', 8]] as const) {
      b.resetStats();
      b.forgetSessions();
      const r = await runner(flowText({ mode, address: `${b.url}/api/data`, steps }));
      const report = await r.run({ exchanges: 4, concurrency: 2, input: {} });
      await r.close();
      assert.equal(report.succeeded, 4);
      assert.equal(b.stats().authentications, logins, mode);
      assert.equal(report.receivers.backend!.requests, 8, mode);
    }
  });
});

test('exchange copies share headers until one side changes them (copy on write), replies are snapshots', async () => {
  const { Exchange, ExchangeHeaders } = await import('../src/runtime/index.js');
  const ex = new Exchange('e1', { headers: { 'X-A': '1', 'X-B': '2' } });
  const a = ex.copy('e1');
  const b = ex.copy('e1');
  a.headers.set('x-a', 'changed');
  b.headers.delete('X-B');
  ex.headers.set('X-C', '3');
  assert.deepEqual(ex.headers.toRecord(), { 'X-A': '1', 'X-B': '2', 'X-C': '3' });
  assert.deepEqual(a.headers.toRecord(), { 'X-A': 'changed', 'X-B': '2' }, 'the first spelling is kept');
  assert.deepEqual(b.headers.toRecord(), { 'X-A': '1' });
  const c = a.copy('e1');
  c.headers.set('X-D', '4');
  assert.equal(a.headers.has('x-d'), false);
  const reply: Record<string, string> = { 'content-type': 'application/json', 'X-Has-More': 'true' };
  const h = new ExchangeHeaders(reply);
  reply['x-has-more'] = 'false';
  reply.extra = 'later';
  assert.equal(h.get('x-has-more'), 'true');
  assert.equal(h.has('extra'), false);
  assert.deepEqual(h.toRecord(), { 'content-type': 'application/json', 'X-Has-More': 'true' });
});
