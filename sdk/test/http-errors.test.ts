import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  createSessionClient,
  HttpClientError,
  HTTP_DIAGNOSTICS_CHANNEL,
  SessionJar,
  type HttpEvent,
  type SessionHttpClient,
} from '../src/http/index.js';
import { startTestBackend, type TestBackend } from '../src/testing/index.js';

const PASSWORD = 'Pa55-very-secret';
const COOKIE_VALUE = 'cookie-value-s3cr3t';
const TOKEN_VALUE = 'csrf-token-s3cr3t';
const SECRETS = [PASSWORD, COOKIE_VALUE, TOKEN_VALUE, Buffer.from(`alice:${PASSWORD}`).toString('base64')];

function assertNoSecret(where: string, value: string): void {
  for (const s of SECRETS) assert.ok(!value.includes(s), `${where} contains a secret: ${value}`);
}

async function rejectsWith(p: Promise<unknown>, code: string, message: RegExp): Promise<HttpClientError> {
  let caught: unknown;
  await assert.rejects(p, (e: unknown) => {
    caught = e;
    return true;
  });
  assert.ok(caught instanceof HttpClientError, `expected HttpClientError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.match(caught.message, message);
  return caught;
}

describe('session client: transport errors', () => {
  let b: TestBackend;
  let c: SessionHttpClient;
  before(async () => {
    b = await startTestBackend();
    c = createSessionClient({ receiver: 'erp', jar: new SessionJar(), auth: { type: 'basic', user: 'alice', password: PASSWORD } });
  });
  after(async () => {
    await b.close();
  });

  it('times out with SF_HTTP_TIMEOUT naming receiver, URL and time', async () => {
    const e = await rejectsWith(
      c.request({ method: 'GET', url: `${b.url}/_fault/hang?ticket=123`, timeoutMs: 150 }),
      'SF_HTTP_TIMEOUT',
      /^receiver "erp": timed out after 150 ms waiting for http:\/\/127\.0\.0\.1:\d+\/_fault\/hang\?ticket=\*\*\* \(SF_HTTP_TIMEOUT\)$/,
    );
    assert.equal(e.receiver, 'erp');
    assert.equal(e.url, `${b.url}/_fault/hang?ticket=***`);
    assert.ok(!e.message.includes('123'), 'query values are not shown');
  });

  it('uses the client timeout when the request gives none', async () => {
    const slow = createSessionClient({ receiver: 'slow', jar: null, auth: { type: 'none' }, timeoutMs: 120 });
    await rejectsWith(slow.request({ method: 'GET', url: `${b.url}/_fault/hang` }), 'SF_HTTP_TIMEOUT', /timed out after 120 ms/);
  });

  it('refused connections give SF_HTTP_CONNECT', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    await rejectsWith(
      c.request({ method: 'GET', url: `http://127.0.0.1:${port}/api` }),
      'SF_HTTP_CONNECT',
      new RegExp(`^receiver "erp": cannot connect to http://127\\.0\\.0\\.1:${port}/api: connection refused \\(SF_HTTP_CONNECT\\)$`),
    );
  });

  it('unknown hosts give SF_HTTP_CONNECT', async () => {
    await rejectsWith(c.request({ method: 'GET', url: 'http://no-such-host.invalid/x' }), 'SF_HTTP_CONNECT', /host not found/);
  });

  it('a reset connection gives SF_HTTP_RESET', async () => {
    await rejectsWith(c.request({ method: 'GET', url: `${b.url}/_fault/reset` }), 'SF_HTTP_RESET', /^receiver "erp": connection to .*\/_fault\/reset was reset/);
  });

  it('a non-HTTP answer gives SF_HTTP_BAD_RESPONSE', async () => {
    await rejectsWith(c.request({ method: 'GET', url: `${b.url}/_fault/garbage` }), 'SF_HTTP_BAD_RESPONSE', /^receiver "erp": invalid HTTP response from .*\/_fault\/garbage/);
  });

  it('an aborted signal gives SF_HTTP_ABORTED', async () => {
    const ac = new AbortController();
    const p = c.request({ method: 'GET', url: `${b.url}/_fault/hang`, signal: ac.signal, timeoutMs: 10_000 });
    setTimeout(() => ac.abort(), 50);
    await rejectsWith(p, 'SF_HTTP_ABORTED', /^receiver "erp": request to .*\/_fault\/hang was aborted \(SF_HTTP_ABORTED\)$/);
    const already = new AbortController();
    already.abort();
    await rejectsWith(c.request({ method: 'GET', url: `${b.url}/x`, signal: already.signal }), 'SF_HTTP_ABORTED', /aborted/);
  });

  it('bad URLs give SF_HTTP_INVALID_URL without leaking user info', async () => {
    await rejectsWith(c.request({ method: 'GET', url: 'not a url' }), 'SF_HTTP_INVALID_URL', /^receiver "erp": invalid URL "not a url"/);
    await rejectsWith(c.request({ method: 'GET', url: 'ftp://host/file' }), 'SF_HTTP_INVALID_URL', /scheme "ftp" is not http or https/);
    const e = await rejectsWith(c.request({ method: 'GET', url: `http://alice:${PASSWORD}@127.0.0.1:1/x` }), 'SF_HTTP_INVALID_URL', /user info in the URL is not allowed/);
    assertNoSecret('message', e.message);
    assert.ok(!e.message.includes('alice'));
    const raw = await rejectsWith(c.request({ method: 'GET', url: `http://alice:${PASSWORD}@[bad/x?k=${TOKEN_VALUE}` }), 'SF_HTTP_INVALID_URL', /invalid URL/);
    assertNoSecret('message', raw.message);
    await rejectsWith(c.request({ method: 'GE T', url: `${b.url}/x` }), 'SF_HTTP_INVALID_URL', /invalid HTTP method/);
  });
});

describe('session client: secrets never leak', () => {
  // A server that sets a known cookie and CSRF token, so the test can look for their values.
  let base: string;
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path.startsWith('/hang')) return;
    if (path.startsWith('/reset')) {
      req.socket.destroy();
      return;
    }
    if (req.headers.cookie !== `JSESSIONID=${COOKIE_VALUE}` && !req.headers.authorization) {
      res.writeHead(401).end();
      return;
    }
    const headers: Record<string, string | string[]> = { 'Set-Cookie': [`JSESSIONID=${COOKIE_VALUE}; Path=/`] };
    if (req.headers['x-csrf-token'] === 'Fetch') headers['X-CSRF-Token'] = TOKEN_VALUE;
    if (req.method === 'POST' && req.headers['x-csrf-token'] !== TOKEN_VALUE) {
      res.writeHead(403, { 'X-CSRF-Token': 'Required' }).end();
      return;
    }
    res.writeHead(path.startsWith('/unauthorized') ? 401 : 200, headers).end('ok');
  });
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('errors, events, diagnostics channel and traces contain hashes only', async () => {
    const events: HttpEvent[] = [];
    const published: unknown[] = [];
    const onMessage = (m: unknown): void => {
      published.push(m);
    };
    diagnosticsChannel.subscribe(HTTP_DIAGNOSTICS_CHANNEL, onMessage);
    try {
      const c = createSessionClient({
        receiver: 'erp',
        jar: new SessionJar(),
        auth: { type: 'basic', user: 'alice', password: PASSWORD },
        csrf: true,
        onEvent: (e) => events.push(e),
        timeoutMs: 150,
      });
      const traces: unknown[] = [];
      traces.push((await c.request({ method: 'POST', url: `${base}/write`, body: 'x' })).trace);
      traces.push((await c.request({ method: 'GET', url: `${base}/unauthorized` })).trace);
      const errors: string[] = [];
      for (const path of ['/hang', '/reset']) {
        try {
          await c.request({ method: 'GET', url: `${base}${path}?token=${TOKEN_VALUE}` });
          assert.fail('expected an error');
        } catch (e) {
          assert.ok(e instanceof HttpClientError);
          errors.push(e.message, e.url, String(e.stack));
        }
      }
      assert.ok(events.length >= 6);
      assert.equal(published.length, events.length, 'every event is published on the diagnostics channel');
      assert.ok(events.some((e) => e.type === 'request' && e.sessionCookieHash !== undefined));
      const dump = JSON.stringify({ events, published, traces, errors });
      assertNoSecret('output', dump);
      assert.ok(!dump.includes('alice-pw'));
    } finally {
      diagnosticsChannel.unsubscribe(HTTP_DIAGNOSTICS_CHANNEL, onMessage);
    }
  });

  it('a throwing onEvent listener does not break the call', async () => {
    const c = createSessionClient({
      receiver: 'erp',
      jar: null,
      auth: { type: 'basic', user: 'alice', password: PASSWORD },
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    assert.equal((await c.request({ method: 'GET', url: `${base}/x` })).status, 200);
  });
});
