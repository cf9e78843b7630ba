// `sessionflow serve`, in-process: startServe() against the SDK's test backend, plus the
// command itself (started through main(), stopped with a SIGTERM event).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startTestBackend, type TestBackend } from '@sessionflow/sdk/testing';
import { startServe, type ServeHandle, type ServeOptions } from '../src/cli/commands/serve.js';
import { main } from '../src/cli/main.js';
import type { CliIO } from '../src/cli/io.js';
import { CliError } from '../src/cli/args.js';

const CSRF_SPLITTER = '/work/shared/examples/csrf-splitter.flow.yaml';
const ENV = { SESSIONFLOW_CREDENTIAL_RECEIVER_USER_USER: 'alice', SESSIONFLOW_CREDENTIAL_RECEIVER_USER_PASSWORD: 'alice-pw' };

function capture(env: Record<string, string> = ENV, cwd = process.cwd()) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, cwd, env };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

async function backend(t: { after(fn: () => Promise<void>): void }): Promise<TestBackend> {
  const b = await startTestBackend();
  t.after(() => b.close());
  return b;
}

async function serve(t: { after(fn: () => Promise<void>): void }, options: Omit<ServeOptions, 'io' | 'port'> & { io?: CliIO }): Promise<ServeHandle> {
  const handle = await startServe({ port: 0, io: options.io ?? capture().io, ...options });
  t.after(() => handle.close());
  return handle;
}

const order = (n: number): string => JSON.stringify({ items: Array.from({ length: n }, (_, i) => ({ line: i + 1 })) });

test('each POST to sender.path runs one exchange and answers with its body', async (t) => {
  const b = await backend(t);
  const c = capture();
  const h = await serve(t, { flow: CSRF_SPLITTER, io: c.io, addresses: new Map([['receiver', `${b.url}/api/items`]]) });
  assert.match(h.url, /^http:\/\/127\.0\.0\.1:\d+\/orders$/);
  assert.equal(h.path, '/orders');
  assert.equal(h.csrf, false);

  const res = await fetch(h.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: order(3) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(res.headers.get('x-sessionflow-exchange'), 'csrf-splitter-1');
  const items = (await res.json()) as { received: { line: number }; user: string }[];
  assert.deepEqual(items.map((i) => i.received.line), [1, 2, 3]);
  assert.ok(items.every((i) => i.user === 'alice'));

  const second = await fetch(h.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: order(2) });
  assert.equal(second.status, 200);
  await second.arrayBuffer();
  // onExchange: one login per exchange, whatever the number of items.
  assert.equal(b.stats().authentications, 2);
  assert.equal(b.stats().requests, 1 + 3 + 1 + 2);
  assert.deepEqual(h.served(), { exchanges: 2, failed: 0 });
  assert.equal(h.stats().receiver?.csrfFetches, 2);
  assert.match(c.stderr(), /POST \/orders -> 200 csrf-splitter-1/);

  const other = await fetch(new URL('/elsewhere', h.url), { method: 'POST', body: '{}' });
  assert.equal(other.status, 404);
  assert.match(((await other.json()) as { error: string }).error, /listens on \/orders/);
  assert.equal(h.served().exchanges, 2, 'a 404 runs no exchange');
});

test('a failing exchange answers 500 with exchange, step, receiver and message', async (t) => {
  const b = await backend(t);
  const h = await serve(t, { flow: CSRF_SPLITTER, sessionHandling: 'none', addresses: new Map([['receiver', `${b.url}/api/items`]]) });
  const res = await fetch(h.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: order(2) });
  assert.equal(res.status, 500);
  const body = (await res.json()) as { error: { exchange: string; code: string; step: string; receiver: string; message: string } };
  assert.equal(body.error.exchange, 'csrf-splitter-1');
  assert.equal(body.error.step, 'post-item');
  assert.equal(body.error.receiver, 'receiver');
  assert.match(body.error.message, /403/);
  assert.ok(!JSON.stringify(body).includes('alice-pw'));
  assert.deepEqual(h.served(), { exchanges: 1, failed: 1 });
});

test('--csrf: token fetch in a session cookie; writes without the matching token get 403 X-CSRF-Token: Required', async (t) => {
  const b = await backend(t);
  const h = await serve(t, { flow: CSRF_SPLITTER, csrf: true, addresses: new Map([['receiver', `${b.url}/api/items`]]) });
  assert.equal(h.csrf, true);
  const post = (headers: Record<string, string>) => fetch(h.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: order(1) });

  const noToken = await post({});
  assert.equal(noToken.status, 403);
  assert.equal(noToken.headers.get('x-csrf-token'), 'Required');
  await noToken.arrayBuffer();

  const fetched = await fetch(h.url, { headers: { 'X-CSRF-Token': 'Fetch' } });
  assert.equal(fetched.status, 200);
  const token = fetched.headers.get('x-csrf-token') ?? '';
  const cookie = (fetched.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  assert.match(token, /^[A-Za-z0-9_-]{16,}$/);
  assert.match(cookie, /^SF_SENDER_SESSION=/);
  assert.equal(h.served().exchanges, 0, 'a token fetch runs no exchange');
  assert.equal(b.stats().requests, 0);

  const tokenWithoutSession = await post({ 'X-CSRF-Token': token });
  assert.equal(tokenWithoutSession.status, 403);
  await tokenWithoutSession.arrayBuffer();
  const wrongToken = await post({ 'X-CSRF-Token': `${token}x`, cookie });
  assert.equal(wrongToken.status, 403);
  await wrongToken.arrayBuffer();
  assert.equal(b.stats().requests, 0, 'rejected requests never reach the flow');

  const ok = await post({ 'X-CSRF-Token': token, cookie });
  assert.equal(ok.status, 200);
  await ok.arrayBuffer();
  const again = await fetch(h.url, { headers: { 'X-CSRF-Token': 'Fetch', cookie } });
  assert.equal(again.headers.get('x-csrf-token'), token, 'the session keeps its token');
  assert.equal(again.headers.get('set-cookie'), null);
  await again.arrayBuffer();
  assert.deepEqual(h.served(), { exchanges: 1, failed: 0 });
});

test('close() waits for running exchanges and logs off flow-wide sessions', async (t) => {
  const b = await backend(t);
  const dir = mkdtempSync(join(tmpdir(), 'sf-serve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'prices.flow.yaml'),
    [
      'flow: prices',
      'formatVersion: 2',
      'runtime: { sessionHandling: onIntegrationFlow }',
      'sender: { adapter: http, path: /prices }',
      'credentials:',
      '  pricing-user: { type: basic }',
      'receivers:',
      '  pricing:',
      '    adapter: http',
      `    address: ${b.url}/api/price`,
      '    auth: { type: basic, credential: pricing-user }',
      '    # sessionflow-disable-next-line session/logoff-flow-scope',
      '    logoff: { method: POST, path: /api/logout }',
      'steps:',
      '  - id: price',
      '    call: pricing',
      '    method: POST',
      '',
    ].join('\n'),
  );
  const c = capture({ SESSIONFLOW_CREDENTIAL_PRICING_USER_USER: 'bob', SESSIONFLOW_CREDENTIAL_PRICING_USER_PASSWORD: 'bob-pw' }, dir);
  const h = await startServe({ flow: 'prices.flow.yaml', port: 0, io: c.io });
  try {
    const answers = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const res = await fetch(h.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sku: i }) });
        return { status: res.status, body: (await res.json()) as { user: string } };
      }),
    );
    assert.ok(answers.every((a) => a.status === 200 && a.body.user === 'bob'));
    assert.equal(b.stats().authentications, 1);
    assert.equal(b.stats().activeSessions, 1);
  } finally {
    await h.close();
  }
  assert.equal(b.stats().logoffs, 1);
  assert.equal(b.stats().activeSessions, 0);
  assert.equal(h.stats().pricing?.logoffs, 1);
  await assert.rejects(fetch(h.url, { method: 'POST', body: '{}' }), 'no longer listening');
});

test('the serve command prints the URL, serves, and stops cleanly on SIGTERM', async (t) => {
  const b = await backend(t);
  const c = capture();
  const done = main(['serve', CSRF_SPLITTER, '--port', '0', '--address', `receiver=${b.url}/api/items`], c.io);
  let url: string | undefined;
  for (let i = 0; i < 200 && url === undefined; i++) {
    url = /listening on (http:\/\/\S+)/.exec(c.stdout())?.[1];
    if (url === undefined) await delay(25);
  }
  assert.ok(url, `the command printed its URL: ${c.stdout()} ${c.stderr()}`);
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: order(2) });
  assert.equal(res.status, 200);
  await res.arrayBuffer();
  process.emit('SIGTERM', 'SIGTERM');
  assert.equal(await done, 0);
  assert.match(c.stdout(), /Stopped\. 1 exchange served, 0 failed\./);
  assert.match(c.stdout(), /\nreceiver\s+3\s+1\s+1\s+1\s+0/);
  assert.equal(process.listenerCount('SIGTERM'), 0, 'signal handlers removed');
});

test('a refused flow does not start; usage errors exit 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-serve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'bad.flow.yaml'), 'flow: bad\nformatVersion: 2\nreceivers:\n  r: { adapter: nope, address: "http://127.0.0.1:1/" }\nsteps:\n  - call: r\n');
  await assert.rejects(startServe({ flow: 'bad.flow.yaml', port: 0, io: capture({}, dir).io }), (e: unknown) => e instanceof CliError && /not started/.test(e.message));

  const c = capture({}, dir);
  assert.equal(await main(['serve', 'bad.flow.yaml', '--port', '0'], c.io), 1);
  assert.match(c.stderr(), /^bad\.flow\.yaml:4:\d+ error flow\/unknown-adapter /m);

  const u = capture({}, dir);
  assert.equal(await main(['serve', 'bad.flow.yaml'], u.io), 2);
  assert.match(u.stderr(), /--port is required/);
  const p = capture({}, dir);
  assert.equal(await main(['serve', 'bad.flow.yaml', '--port', '99999'], p.io), 2);
});
