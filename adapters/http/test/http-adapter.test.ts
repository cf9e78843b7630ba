import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import {
  AdapterError,
  createSessionClient,
  SDK_API_VERSION,
  SessionJar,
  validateAdapterConfig,
} from '@sessionflow/sdk';
import type { AdapterContext, HttpAuth, HttpRequest, OutboundMessage, SessionHttpClient } from '@sessionflow/sdk';
import adapter from '../src/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaderNames: string[];
  body: string;
}

type Reply = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void;

/** A plain node:http server that records exactly what arrives. */
async function backend(t: { after(fn: () => Promise<void> | void): void }, reply: Reply = (_q, res) => res.end('ok')) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const names: string[] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) names.push(req.rawHeaders[i]!.toLowerCase());
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaderNames: names, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(s);
      reply(req, res, s);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  const { port } = server.address() as AddressInfo;
  return { seen, base: `http://127.0.0.1:${port}` };
}

interface CallOptions {
  address: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  config?: Record<string, unknown>;
  message?: Partial<OutboundMessage>;
  http?: SessionHttpClient;
  jar?: SessionJar | null;
  auth?: HttpAuth;
  logs?: { message: string; data?: Record<string, unknown> }[];
}

function context(o: CallOptions): AdapterContext {
  const logs = o.logs ?? [];
  return {
    receiver: { name: 'erp', adapter: 'http', variant: 'http', address: o.address, authType: 'none', csrf: false, stateful: false, config: o.config ?? {} },
    step: { stepId: 'step-1', kind: 'call', headers: o.headers ?? {}, query: o.query ?? {}, ...(o.method ? { method: o.method } : {}), ...(o.path !== undefined ? { path: o.path } : {}) },
    http: o.http ?? createSessionClient({ receiver: 'erp', jar: o.jar ?? null, auth: o.auth ?? { type: 'none' } }),
    log: { info: (message, data) => logs.push({ message, ...(data ? { data } : {}) }), debug: (message, data) => logs.push({ message, ...(data ? { data } : {}) }) },
    signal: new AbortController().signal,
  };
}

function message(over: Partial<OutboundMessage> = {}): OutboundMessage {
  return { body: enc.encode('{"order":1}'), headers: {}, properties: {}, ...over };
}

async function call(o: CallOptions) {
  return adapter.send(message(o.message), context(o));
}

test('declaration: one receiver variant with the capabilities of the spec', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string; sessionflow: { apiVersion: number } };
  assert.equal(adapter.id, 'http');
  assert.equal(adapter.version, pkg.version);
  assert.equal(adapter.apiVersion, SDK_API_VERSION);
  assert.equal(pkg.sessionflow.apiVersion, SDK_API_VERSION);
  assert.equal(adapter.defaultVariant, 'http');
  const v = adapter.variant(undefined);
  assert.ok(v);
  assert.equal(v.direction, 'receiver');
  assert.deepEqual(v.stepKinds, ['call', 'send']);
  assert.equal(v.sessionReuse, 'supported');
  assert.equal(v.csrf, true);
  const auth = Object.fromEntries(v.auth.map((a) => [a.type, a.proxies ?? 'all']));
  assert.deepEqual(auth, {
    none: 'all',
    basic: 'all',
    'client-certificate': ['internet'],
    'oauth2-client-credentials': ['internet'],
    'oauth2-saml-bearer': 'all',
    'principal-propagation': ['onPremise'],
  });
});

test('config schema: defaults, enums and header names are checked', () => {
  assert.deepEqual(validateAdapterConfig(adapter, {}), []);
  assert.deepEqual(validateAdapterConfig(adapter, { forwardHeaders: ['X-Trace', '*'], sendBody: 'never', throwOnHttpError: false, contentType: 'text/plain' }), []);
  const [bad] = validateAdapterConfig(adapter, { sendBody: 'sometimes' });
  assert.deepEqual(bad, { path: ['sendBody'], keyword: 'enum', message: 'must be one of: auto, always, never', allowed: ['auto', 'always', 'never'] });
  assert.ok(validateAdapterConfig(adapter, { forwardHeaders: ['bad header'] }).some((p) => p.path[0] === 'forwardHeaders' && p.path[1] === 0));
  const unknown = validateAdapterConfig(adapter, { sendbody: 'auto' });
  assert.deepEqual(unknown.map((p) => p.path), [['sendbody']]);
  assert.ok(unknown[0]?.allowed?.includes('sendBody'));
  const props = adapter.configSchema.properties as Record<string, { default?: unknown; description?: string }>;
  assert.deepEqual(props.forwardHeaders?.default, []);
  assert.equal(props.sendBody?.default, 'auto');
  assert.equal(props.throwOnHttpError?.default, true);
  for (const p of Object.values(props)) assert.ok(p.description && p.description.length > 10);
});

test('POST: path like a link, query appended, step and forwarded headers, body and Content-Type on the wire', async (t) => {
  const srv = await backend(t, (_q, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('X-Order-Id', '4711');
    res.statusCode = 201;
    res.end('{"id":4711}');
  });
  const result = await call({
    address: `${srv.base}/api/orders?sap-client=100`,
    path: '/v2/orders',
    query: { mode: 'fast lane', tag: 'a&b' },
    headers: { 'X-Step': 'step-value', 'x-trace': 'from-step' },
    config: { forwardHeaders: ['x-trace', 'X-Tenant', 'authorization'] },
    message: {
      headers: { 'X-Trace': 'from-message', 'x-tenant': 'acme', 'X-Other': 'not forwarded', Authorization: 'Basic c2VjcmV0', Cookie: 'JSESSIONID=abc' },
      contentType: 'application/json',
    },
  });
  assert.equal(srv.seen.length, 1);
  const s = srv.seen[0]!;
  assert.equal(s.method, 'POST');
  assert.equal(s.url, '/v2/orders?mode=fast+lane&tag=a%26b');
  assert.equal(s.headers['x-step'], 'step-value');
  assert.equal(s.headers['x-trace'], 'from-step');
  assert.equal(s.headers['x-tenant'], 'acme');
  assert.equal(s.headers['x-other'], undefined);
  assert.equal(s.headers.authorization, undefined);
  assert.equal(s.headers.cookie, undefined);
  assert.equal(s.headers['content-type'], 'application/json');
  assert.equal(s.body, '{"order":1}');

  assert.equal(result.status, 201);
  assert.equal(result.headers['x-order-id'], '4711');
  assert.equal(result.contentType, 'application/json');
  assert.equal(dec.decode(result.body), '{"id":4711}');
  assert.equal(result.properties, undefined);
});

test('relative path resolves next to the address; no path keeps the address and its query', async (t) => {
  const srv = await backend(t);
  await call({ address: `${srv.base}/api/orders`, path: 'items', method: 'put' });
  await call({ address: `${srv.base}/api/`, path: 'items/7' });
  await call({ address: `${srv.base}/sap/bc/srt/idoc?sap-client=100`, query: { x: '1' } });
  assert.deepEqual(srv.seen.map((s) => `${s.method} ${s.url}`), [
    'PUT /api/items',
    'POST /api/items/7',
    'POST /sap/bc/srt/idoc?sap-client=100&x=1',
  ]);
});

test('sendBody auto: no body for GET, HEAD and DELETE; always and never override', async (t) => {
  const srv = await backend(t);
  const address = `${srv.base}/r`;
  const msg = { contentType: 'text/plain', body: enc.encode('payload') };
  for (const method of ['GET', 'HEAD', 'DELETE', 'PATCH']) await call({ address, method, message: msg });
  await call({ address, method: 'GET', message: msg, config: { sendBody: 'always' } });
  await call({ address, method: 'POST', message: msg, config: { sendBody: 'never' } });
  const shape = srv.seen.map((s) => [s.method, s.body, s.headers['content-type'] ?? null]);
  assert.deepEqual(shape, [
    ['GET', '', null],
    ['HEAD', '', null],
    ['DELETE', '', null],
    ['PATCH', 'payload', 'text/plain'],
    ['GET', 'payload', 'text/plain'],
    ['POST', '', null],
  ]);
  for (const s of srv.seen.slice(0, 3)) assert.equal(s.rawHeaderNames.includes('transfer-encoding'), false);
});

test('Content-Type: the step header wins over config.contentType, which wins over the message', async (t) => {
  const srv = await backend(t);
  const address = `${srv.base}/r`;
  const msg = { contentType: 'application/json', headers: { 'Content-Type': 'text/csv' } };
  await call({ address, message: msg });
  await call({ address, message: msg, config: { contentType: 'application/xml' } });
  await call({ address, message: msg, config: { contentType: 'application/xml' }, headers: { 'content-type': 'text/plain' } });
  await call({ address, message: { headers: { 'content-type': 'text/csv' } } });
  assert.deepEqual(srv.seen.map((s) => s.headers['content-type']), ['application/json', 'application/xml', 'text/plain', 'text/csv']);
});

test('forwardHeaders "*" forwards every message header except credentials, cookies, CSRF token and framing', async (t) => {
  const srv = await backend(t);
  const logs: { message: string; data?: Record<string, unknown> }[] = [];
  await call({
    address: `${srv.base}/r`,
    config: { forwardHeaders: ['*'] },
    logs,
    message: { headers: { 'X-A': '1', 'x-b': '2', Authorization: 'Bearer t0ken', cookie: 'a=b', 'X-CSRF-Token': 'abc', Host: 'evil', 'Transfer-Encoding': 'chunked' } },
  });
  const s = srv.seen[0]!;
  assert.equal(s.headers['x-a'], '1');
  assert.equal(s.headers['x-b'], '2');
  for (const h of ['authorization', 'cookie', 'x-csrf-token']) assert.equal(s.headers[h], undefined, h);
  assert.equal(s.headers.host, srv.base.slice('http://'.length));
  const dropped = logs.find((l) => l.message.startsWith('headers not sent'));
  assert.deepEqual(dropped?.data?.headers, ['Authorization', 'cookie', 'X-CSRF-Token', 'Host', 'Transfer-Encoding']);
  assert.equal(JSON.stringify(logs).includes('t0ken'), false);
});

test('an error status fails the step with SF_HTTP_STATUS and no credentials in the message', async (t) => {
  const srv = await backend(t, (_q, res) => {
    res.statusCode = 500;
    res.end('database down');
  });
  const auth: HttpAuth = { type: 'basic', user: 'alice', password: 'pa55w0rd' };
  await assert.rejects(
    call({ address: `${srv.base}/api/orders?access_token=s3cr3t`, auth }),
    (err: unknown) => {
      assert.ok(err instanceof AdapterError);
      assert.equal(err.code, 'SF_HTTP_STATUS');
      assert.equal(err.message, `receiver "erp" answered 500 Internal Server Error for POST ${srv.base}/api/orders?access_token=***`);
      assert.equal(err.details.status, 500);
      assert.equal(dec.decode(err.details.body as Uint8Array), 'database down');
      const all = `${err.message} ${JSON.stringify({ ...err.details, body: undefined })}`;
      for (const secret of ['s3cr3t', 'pa55w0rd', 'alice']) assert.equal(all.includes(secret), false, secret);
      return true;
    },
  );
  // Credentials did go to the backend (basic auth, no session): the error just never shows them.
  assert.match(String(srv.seen[0]?.headers.authorization), /^Basic /);
});

test('throwOnHttpError false returns the error answer to the flow', async (t) => {
  const srv = await backend(t, (_q, res) => {
    res.statusCode = 404;
    res.setHeader('Content-Type', 'text/plain');
    res.end('no such order');
  });
  const result = await call({ address: `${srv.base}/api/orders/9`, method: 'GET', config: { throwOnHttpError: false } });
  assert.equal(result.status, 404);
  assert.equal(result.contentType, 'text/plain');
  assert.equal(dec.decode(result.body), 'no such order');
});

test('a path that leaves the receiver origin is refused before any request', async (t) => {
  const srv = await backend(t);
  for (const path of ['//evil.example/x', 'http://127.0.0.2:1/x', 'https://127.0.0.1/x']) {
    await assert.rejects(call({ address: `${srv.base}/api`, path }), (err: unknown) => {
      assert.ok(err instanceof AdapterError);
      assert.equal(err.code, 'SF_HTTP_INVALID_URL');
      assert.match(err.message, /outside the receiver's origin/);
      return true;
    });
  }
  await assert.rejects(call({ address: 'ftp://host/x' }), /scheme "ftp" is not http or https/);
  await assert.rejects(call({ address: 'not a url' }), /receiver "erp" has an invalid address/);
  assert.equal(srv.seen.length, 0);
});

test('sessions come from context.http: a cookie set by the backend is sent back, not by the adapter', async (t) => {
  const srv = await backend(t, (req, res) => {
    if (!req.headers.cookie) res.setHeader('Set-Cookie', 'JSESSIONID=s1; Path=/; HttpOnly');
    res.end('ok');
  });
  const http = createSessionClient({ receiver: 'erp', jar: new SessionJar(), auth: { type: 'none' } });
  await call({ address: `${srv.base}/api`, http });
  await call({ address: `${srv.base}/api`, http, message: { headers: { Cookie: 'JSESSIONID=forged' } }, config: { forwardHeaders: ['*'] } });
  assert.equal(srv.seen[0]?.headers.cookie, undefined);
  assert.equal(srv.seen[1]?.headers.cookie, 'JSESSIONID=s1');
});

test('the request handed to context.http carries method, absolute URL, body bytes and the abort signal', async () => {
  const requests: HttpRequest[] = [];
  const fake: SessionHttpClient = {
    async request(req) {
      requests.push(req);
      return {
        status: 200,
        headers: {},
        body: enc.encode('x'),
        url: req.url,
        trace: { attempts: 1, credentialsSent: false, sessionCookieSet: false, sessionOpened: false, csrfFetched: false, reauthenticated: false, csrfRefetched: false },
      };
    },
  };
  const ctx = context({ address: 'https://erp.example.com/api/orders', method: 'merge', http: fake });
  const body = enc.encode('<a/>');
  const result = await adapter.send(message({ body }), ctx);
  assert.equal(requests.length, 1);
  const req = requests[0]!;
  assert.equal(req.method, 'MERGE');
  assert.equal(req.url, 'https://erp.example.com/api/orders');
  assert.equal(req.body, body);
  assert.equal(req.signal, ctx.signal);
  assert.equal(result.contentType, undefined);
  assert.equal(dec.decode(result.body), 'x');
});
