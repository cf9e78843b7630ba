// `sessionflow run` end to end, in-process: the shared example flows against the SDK's test
// backend (addresses overridden with --address), counts asserted from the JSON report AND
// from what the backend itself counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestBackend, type TestBackend, type TestBackendOptions } from '@sessionflow/sdk/testing';
import { main } from '../src/cli/main.js';
import type { CliIO } from '../src/cli/io.js';

const EXAMPLES = '/work/shared/examples';
const example = (name: string): string => join(EXAMPLES, name);

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], options: { cwd?: string; env?: Record<string, string>; stdin?: string } = {}): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO & { stdin?: AsyncIterable<Uint8Array> } = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? {},
  };
  if (options.stdin !== undefined) {
    const data = options.stdin;
    io.stdin = (async function* () {
      yield new TextEncoder().encode(data);
    })();
  }
  const code = await main(args, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

async function backend(t: { after(fn: () => Promise<void>): void }, options: TestBackendOptions = {}): Promise<TestBackend> {
  const b = await startTestBackend(options);
  t.after(() => b.close());
  return b;
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sf-run-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A credentials file with mode 600. */
function credentialsFile(dir: string, entries: Record<string, { user: string; password: string }>, mode = 0o600): string {
  const file = join(dir, 'credentials.yaml');
  const text = Object.entries(entries)
    .map(([name, c]) => `${name}:\n  user: ${c.user}\n  password: ${c.password}\n`)
    .join('');
  writeFileSync(file, text, { mode });
  chmodSync(file, mode);
  return file;
}

function message(dir: string, name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

interface JsonReport {
  flow: string;
  sessionHandling: string;
  exchanges: number;
  succeeded: number;
  failed: number;
  durationMs: number;
  receivers: Record<string, { calls: number; requests: number; credentialsSent: number; sessionsOpened: number; csrfFetches: number; logoffs: number; reusePercent: number | null }>;
  failures: { exchange: string; code: string; stepId?: string; receiver?: string; message: string }[];
  mpl?: { stepId: string; kind: string; receiver?: string; status: string; http?: { credentialsSent: boolean; sessionCookieSentHash?: string } }[];
}

/** stdout must be exactly one JSON object. */
function parseReport(stdout: string): JsonReport {
  const text = stdout.trim();
  assert.ok(text.startsWith('{') && text.endsWith('}'), `stdout is one JSON object, got: ${stdout.slice(0, 200)}`);
  const value = JSON.parse(text) as JsonReport;
  assert.equal(typeof value, 'object');
  return value;
}

const ALICE = { user: 'alice', password: 'alice-pw' };
const BOB = { user: 'bob', password: 'bob-pw' };

test('csrf-splitter: one login and one CSRF fetch for an order of 5 parallel items (JSON report and backend agree)', async (t) => {
  const b = await backend(t);
  const dir = tempDir(t);
  const creds = credentialsFile(dir, { 'receiver-user': ALICE });
  const order = message(dir, 'order.json', { items: [1, 2, 3, 4, 5] });
  const r = await cli([
    'run', example('csrf-splitter.flow.yaml'),
    '--address', `receiver=${b.url}/api/items`,
    '--message', order,
    '--credentials', creds,
    '--report', 'json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const report = parseReport(r.stdout);
  assert.equal(report.flow, 'csrf-splitter');
  assert.equal(report.sessionHandling, 'onExchange');
  assert.deepEqual([report.exchanges, report.succeeded, report.failed], [1, 1, 0]);
  const s = report.receivers.receiver!;
  assert.equal(s.calls, 6);
  assert.equal(s.requests, 6);
  assert.equal(s.credentialsSent, 1);
  assert.equal(s.sessionsOpened, 1);
  assert.equal(s.csrfFetches, 1);
  assert.equal(s.logoffs, 0);
  const stats = b.stats();
  assert.equal(stats.requests, 6);
  assert.equal(stats.authentications, 1);
  assert.equal(stats.csrfFetches, 1);
  assert.equal(stats.csrfRejections, 0);
  // Every item was posted in the one session the token call opened.
  const posts = b.requests().filter((q) => q.method === 'POST');
  assert.equal(posts.length, 5);
  assert.equal(new Set(posts.map((q) => q.sessionHash)).size, 1);
  assert.ok(posts.every((q) => !q.authorization && q.csrfToken));
});

test('csrf-splitter text output at debug: MPL per step with cookie hashes, receiver table, no secrets', async (t) => {
  const b = await backend(t);
  const dir = tempDir(t);
  const order = message(dir, 'order.json', { items: ['a', 'b', 'c'] });
  const env = { SESSIONFLOW_CREDENTIAL_RECEIVER_USER_USER: 'alice', SESSIONFLOW_CREDENTIAL_RECEIVER_USER_PASSWORD: 'alice-pw' };
  const r = await cli(['run', example('csrf-splitter.flow.yaml'), '--address', `receiver=${b.url}/api/items`, '--message', order, '--log', 'debug'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Exchange csrf-splitter-1 completed in .* session handling onExchange, log debug/);
  assert.match(r.stdout, /\nfetch-token\s+send\s+receiver\s+ok\s+200\s+.*credentials sent, new session opened, CSRF token fetched by the step/);
  const itemLines = r.stdout.split('\n').filter((l) => /^\s+post-item\s+items\[\d\]\s+call\s+receiver\s+ok\s+200/.test(l));
  assert.equal(itemLines.length, 3);
  const hashes = new Set(itemLines.map((l) => /session cookie #([0-9a-f]{12}) sent/.exec(l)?.[1]));
  assert.equal(hashes.size, 1);
  assert.match([...hashes][0] ?? "", /^[0-9a-f]{12}$/);
  // REQUESTS: what went on the wire (the token GET and the three posts), as the backend counts.
  assert.match(r.stdout, /\nRECEIVER\s+CALLS\s+AUTHENTICATIONS\s+SESSIONS OPENED\s+CSRF FETCHES\s+LOGOFFS\s+RE-AUTH\s+REUSE\s+REQUESTS\nreceiver\s+4\s+1\s+1\s+1\s+0\s+0\s+75%\s+4\n/);
  assert.equal(b.stats().requests, 4);
  for (const text of [r.stdout, r.stderr]) {
    assert.ok(!text.includes('alice-pw'), 'password never printed');
    assert.ok(!/Basic [A-Za-z0-9+/=]{8,}/.test(text), 'no Authorization value');
  }
});

test('two-users: mode none, two receivers with their own users: 2 logins, one per user', async (t) => {
  const b = await backend(t);
  const dir = tempDir(t);
  const creds = credentialsFile(dir, { reader: ALICE, approver: BOB });
  const r = await cli([
    'run', example('two-users.flow.yaml'),
    '--address', `hr-read=${b.url}/api/employees`,
    '--address', `hr-approve=${b.url}/api/approvals`,
    '--credentials', creds,
    '--report', 'json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const report = parseReport(r.stdout);
  assert.equal(report.sessionHandling, 'none');
  assert.equal(report.receivers['hr-read']!.credentialsSent, 1);
  assert.equal(report.receivers['hr-approve']!.credentialsSent, 1);
  const stats = b.stats();
  assert.equal(stats.authentications, 2);
  assert.equal(stats.byUser.alice?.authentications, 1);
  assert.equal(stats.byUser.bob?.authentications, 1);
  const [read, approve] = b.requests();
  assert.deepEqual([read?.method, read?.path, read?.user], ['GET', '/api/employees', 'alice']);
  assert.deepEqual([approve?.method, approve?.path, approve?.user], ['POST', '/api/approvals', 'bob']);
});

/** A plain receiver without auth (the example's `target`), recording what it got. */
async function plainReceiver(t: { after(fn: () => Promise<void>): void }): Promise<{ url: string; got: { method: string; body: string }[] }> {
  const got: { method: string; body: string }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ method: req.method ?? '', body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"accepted":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return { url: `http://127.0.0.1:${address.port}/inbound`, got };
}

test('stateful-paging: the loop pages in one session until X-Has-More is false, then forwards', async (t) => {
  const b = await backend(t, { blocksPerSession: 4 });
  const target = await plainReceiver(t);
  const dir = tempDir(t);
  const creds = credentialsFile(dir, { 'backend-user': ALICE });
  const r = await cli([
    'run', example('stateful-paging.flow.yaml'),
    '--address', `backend=${b.url}/api/blocks`,
    '--address', `target=${target.url}`,
    '--credentials', creds,
    '--report', 'json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const report = parseReport(r.stdout);
  assert.equal(report.receivers.backend!.calls, 4);
  assert.equal(report.receivers.backend!.credentialsSent, 1);
  assert.equal(report.receivers.target!.calls, 1);
  // log: debug in the flow: the MPL shows the three later pages riding on the first page's session.
  const pages = (report.mpl ?? []).filter((e) => e.stepId === 'next-block');
  assert.equal(pages.length, 4);
  assert.deepEqual(pages.map((p) => p.http?.credentialsSent), [true, false, false, false]);
  assert.equal(new Set(pages.slice(1).map((p) => p.http?.sessionCookieSentHash)).size, 1);
  const stats = b.stats();
  assert.equal(stats.authentications, 1);
  assert.equal(new Set(b.requests().map((q) => q.sessionHash)).size, 1);
  assert.equal(target.got.length, 1);
  assert.equal(target.got[0]!.method, 'POST');
  assert.ok(JSON.parse(target.got[0]!.body) !== undefined, 'the last block is forwarded');
});

test('high-load-stateless: 50 exchanges at concurrency 10 share one login (onIntegrationFlow)', async (t) => {
  const b = await backend(t);
  const dir = tempDir(t);
  const creds = credentialsFile(dir, { 'pricing-user': ALICE });
  const price = message(dir, 'price.json', { sku: 'PUMP-200', quantity: 2 });
  const r = await cli([
    'run', example('high-load-stateless.flow.yaml'),
    '--address', `pricing=${b.url}/api/price`,
    '--message', price,
    '--credentials', creds,
    '--exchanges', '50',
    '--concurrency', '10',
    '--report', 'json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const report = parseReport(r.stdout);
  assert.deepEqual([report.exchanges, report.succeeded, report.failed], [50, 50, 0]);
  assert.equal(report.receivers.pricing!.calls, 50);
  assert.equal(report.receivers.pricing!.credentialsSent, 1);
  assert.equal(report.receivers.pricing!.reusePercent, 98);
  assert.equal(report.mpl, undefined, 'no per-exchange MPL for many exchanges');
  assert.equal(b.stats().authentications, 1);
  assert.equal(b.stats().requests, 50);
  // The message reached the backend as JSON (content type from the .json extension).
  assert.deepEqual((b.requests()[0] as { path: string }).path, '/api/price');
});

test('many exchanges in text mode: summary line, per-step table and receiver table; no progress bar without a TTY', async (t) => {
  const b = await backend(t);
  const env = { SESSIONFLOW_CREDENTIAL_PRICING_USER_USER: 'alice', SESSIONFLOW_CREDENTIAL_PRICING_USER_PASSWORD: 'alice-pw' };
  const r = await cli(['run', example('high-load-stateless.flow.yaml'), '--address', `pricing=${b.url}/api/price`, '--exchanges', '12', '--concurrency', '3'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Ran 12 exchanges of flow high-load-stateless \(session handling onIntegrationFlow, concurrency 3\) in .*: 12 completed, 0 failed/);
  assert.match(r.stdout, /\nSTEP\s+KIND\s+RECEIVER\s+RUNS\s+FAILED\s+MEAN\s+P95\nprice\s+call\s+pricing\s+12\s+0\s/);
  assert.match(r.stdout, /\npricing\s+12\s+1\s+1\s+0\s+0\s+0\s+91\.7%/);
  assert.ok(!r.stderr.includes('\r'), 'no progress bar when stderr is not a TTY');
});

test('progress bar on a TTY stderr, cleared before the summary', async (t) => {
  const b = await backend(t);
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s), isTTY: true },
    cwd: process.cwd(),
    env: { SESSIONFLOW_CREDENTIAL_PRICING_USER_USER: 'alice', SESSIONFLOW_CREDENTIAL_PRICING_USER_PASSWORD: 'alice-pw' },
  };
  const code = await main(['run', example('high-load-stateless.flow.yaml'), '--address', `pricing=${b.url}/api/price`, '--exchanges', '5'], io);
  assert.equal(code, 0);
  const e = err.join('');
  assert.match(e, /\r\[#+\] 5\/5 exchanges/);
  assert.ok(e.endsWith('\r\u001b[K'), 'the bar is cleared at the end');
});

test('a failing exchange exits 1 and names exchange, step and receiver (csrf-splitter forced to mode none)', async (t) => {
  const b = await backend(t);
  const dir = tempDir(t);
  const creds = credentialsFile(dir, { 'receiver-user': ALICE });
  const order = message(dir, 'order.json', { items: [1, 2] });
  const base = ['run', example('csrf-splitter.flow.yaml'), '--address', `receiver=${b.url}/api/items`, '--message', order, '--credentials', creds, '--session-handling', 'none'];
  const text = await cli(base);
  assert.equal(text.code, 1);
  assert.match(text.stdout, /Failures \(1 of 1 exchange\):\n {2}exchange csrf-splitter-1 — step post-item, receiver receiver: .*403/);
  assert.match(text.stdout, /\n {2}post-item\s+items\[\d\]\s+call\s+receiver\s+failed\s+403/);
  assert.ok(b.stats().csrfRejections > 0);

  const json = await cli([...base, '--report', 'json']);
  assert.equal(json.code, 1);
  const report = parseReport(json.stdout);
  assert.equal(report.failed, 1);
  assert.equal(report.failures[0]!.stepId, 'post-item');
  assert.equal(report.failures[0]!.receiver, 'receiver');
  assert.match(report.failures[0]!.message, /403/);
  assert.match(json.stderr, /step post-item, receiver receiver/);
});

test('wrong password: the first call fails with 401, exit 1, the password is not printed', async (t) => {
  const b = await backend(t);
  const dir = tempDir(t);
  const creds = credentialsFile(dir, { 'receiver-user': { user: 'alice', password: 'not-the-Pw-123' } });
  const r = await cli(['run', example('csrf-splitter.flow.yaml'), '--address', `receiver=${b.url}/api/items`, '--credentials', creds]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /step fetch-token, receiver receiver: .*401/);
  assert.ok(!(r.stdout + r.stderr).includes('not-the-Pw-123'));
  assert.equal(b.stats().failedAuthentications, 1);
});

test('pitfalls.flow.yaml is refused with file:line:col messages and nothing is sent', async (t) => {
  const b = await backend(t);
  const dir = tempDir(t);
  const flow = join(dir, 'pitfalls.flow.yaml');
  copyFileSync(example('pitfalls.flow.yaml'), flow);
  const env = {
    SESSIONFLOW_CREDENTIAL_ERP_A_USER: 'alice', SESSIONFLOW_CREDENTIAL_ERP_A_PASSWORD: 'alice-pw',
    SESSIONFLOW_CREDENTIAL_ERP_B_USER: 'bob', SESSIONFLOW_CREDENTIAL_ERP_B_PASSWORD: 'bob-pw',
    SESSIONFLOW_CREDENTIAL_S4_OAUTH_CLIENT_ID: 'id', SESSIONFLOW_CREDENTIAL_S4_OAUTH_CLIENT_SECRET: 'secret',
  };
  const overrides = ['erp-dynamic', 'erp-other-user', 's4-cloud', 'stateful-service', 'gateway'].flatMap((name) => ['--address', `${name}=${b.url}/api/${name}`]);
  for (const extra of [[], ['--report', 'json']]) {
    const r = await cli(['run', 'pitfalls.flow.yaml', ...overrides, ...extra], { cwd: dir, env });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '', 'nothing on stdout for a refused flow');
    const errors = r.stderr.split('\n').filter((l) => /^pitfalls\.flow\.yaml:\d+:\d+ error [a-z0-9-]+\/[a-z0-9-]+ \S/.test(l));
    assert.ok(errors.length >= 1, r.stderr);
    assert.match(r.stderr, /sessionflow run: the flow has \d+ errors?; it was not run and nothing was sent\n$/);
    assert.ok(!r.stderr.includes('    at '), 'no stack trace');
  }
  assert.equal(b.stats().requests, 0);
});

test('a flow with a schema error is refused with its position', async (t) => {
  const dir = tempDir(t);
  const flow = join(dir, 'bad.flow.yaml');
  writeFileSync(flow, 'flow: bad\nformatVersion: 2\nruntime:\n  sessionHandling: onExchnage\nsteps: []\n');
  const r = await cli(['run', 'bad.flow.yaml'], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^bad\.flow\.yaml:4:20 error flow\/schema .*onExchnage/m);
});

test('missing credential: names it and the environment variables, exit 1, no request sent', async (t) => {
  const b = await backend(t);
  const r = await cli(['run', example('csrf-splitter.flow.yaml'), '--address', `receiver=${b.url}/api/items`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /credential "receiver-user" .*SESSIONFLOW_CREDENTIAL_RECEIVER_USER_USER and SESSIONFLOW_CREDENTIAL_RECEIVER_USER_PASSWORD/);
  assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, 'one line');
  assert.equal(b.stats().requests, 0);
});

test('a world-readable credentials file is refused before any request', async (t) => {
  const b = await backend(t);
  const dir = tempDir(t);
  const creds = credentialsFile(dir, { 'receiver-user': ALICE }, 0o644);
  const r = await cli(['run', example('csrf-splitter.flow.yaml'), '--address', `receiver=${b.url}/api/items`, '--credentials', creds]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /readable by other users \(mode 0644\); run: chmod 600/);
  assert.ok(!r.stderr.includes('alice-pw'));
  assert.equal(b.stats().requests, 0);
});

test('message content type: from the extension, overridden by a Content-Type header; stdin is sniffed', async (t) => {
  const b = await backend(t);
  const dir = tempDir(t);
  const creds = credentialsFile(dir, { 'receiver-user': ALICE });
  const base = ['run', example('csrf-splitter.flow.yaml'), '--address', `receiver=${b.url}/api/items`, '--credentials', creds, '--report', 'json'];
  const txt = message(dir, 'order.txt', { items: [1, 2] });
  const asOctets = await cli([...base, '--message', txt]);
  assert.equal(asOctets.code, 1);
  assert.match(parseReport(asOctets.stdout).failures[0]!.message, /needs a JSON body.*application\/octet-stream/);

  const asJson = await cli([...base, '--message', txt, '--header', 'Content-Type=application/json']);
  assert.equal(asJson.code, 0, asJson.stderr);
  assert.equal(parseReport(asJson.stdout).receivers.receiver!.calls, 3);

  const xml = message(dir, 'order.xml', '<order><item>1</item></order>');
  const asXml = await cli([...base, '--message', xml]);
  assert.equal(asXml.code, 1);
  assert.match(parseReport(asXml.stdout).failures[0]!.message, /XML bodies cannot be split.*application\/xml/);

  const stdin = await cli([...base, '--message', '-'], { stdin: JSON.stringify({ items: [1, 2, 3, 4] }) });
  assert.equal(stdin.code, 0, stdin.stderr);
  assert.equal(parseReport(stdin.stdout).receivers.receiver!.calls, 5);
});

test('headers and properties reach the exchange', async (t) => {
  const b = await backend(t);
  const dir = tempDir(t);
  const flow = join(dir, 'echo.flow.yaml');
  writeFileSync(
    flow,
    [
      'flow: echo',
      'formatVersion: 2',
      'credentials:',
      '  u: { type: basic }',
      'receivers:',
      '  svc:',
      '    adapter: http',
      '    address: http://127.0.0.1:8080/api/echo',
      '    auth: { type: basic, credential: u }',
      'steps:',
      '  - id: call',
      '    call: svc',
      '    method: GET',
      '    query: { order: "${header.X-Order}", region: "${property.region}" }',
      '',
    ].join('\n'),
  );
  const env = { SESSIONFLOW_CREDENTIAL_U_USER: 'bob', SESSIONFLOW_CREDENTIAL_U_PASSWORD: 'bob-pw' };
  const r = await cli(['run', 'echo.flow.yaml', '--address', `svc=${b.url}/api/echo`, '--header', 'X-Order=4711', '--property', 'region=emea', '--report', 'json'], { cwd: dir, env });
  assert.equal(r.code, 0, r.stderr);
  const result = (JSON.parse(r.stdout) as { result: { body: string } }).result;
  const echoed = JSON.parse(result.body) as { user: string; query: Record<string, string> };
  assert.equal(echoed.user, 'bob');
  assert.deepEqual(echoed.query, { order: '4711', region: 'emea' });
});

test('usage errors exit 2 with one line and a hint; a missing flow file too; never a stack trace', async () => {
  const cases: [string[], RegExp][] = [
    [['run'], /missing argument/],
    [['run', example('two-users.flow.yaml'), '--exchanges', '0'], /--exchanges must be a positive whole number/],
    [['run', example('two-users.flow.yaml'), '--concurrency', 'x'], /--concurrency must be a positive whole number/],
    [['run', example('two-users.flow.yaml'), '--session-handling', 'always'], /--session-handling must be one of none, onExchange, onIntegrationFlow/],
    [['run', example('two-users.flow.yaml'), '--log', 'loud'], /--log must be one of none, info, debug/],
    [['run', example('two-users.flow.yaml'), '--report', 'xml'], /--report supports only "json"/],
    [['run', example('two-users.flow.yaml'), '--header', 'novalue'], /--header needs KEY=VALUE/],
    [['run', example('two-users.flow.yaml'), '--address', 'nobody=http://127.0.0.1:1/x'], /no receiver "nobody" \(receivers: hr-read, hr-approve\)/],
    [['run', example('two-users.flow.yaml'), '--address', 'hr-read=not a url'], /not an absolute URL/],
    [['run', 'does-not-exist.flow.yaml'], /flow file not found: does-not-exist\.flow\.yaml/],
    [['run', example('two-users.flow.yaml'), '--message', '/nonexistent/msg.json'], /message file not found/],
  ];
  for (const [args, expected] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, expected);
    assert.equal(r.stdout, '');
    assert.ok(!r.stderr.includes('    at '), 'no stack trace');
  }
});
