/**
 * The local-run glue behind "Sessionflow: Run Flow" (src/runner.ts), without VS Code: the real
 * SDK runner, the built-in http adapter and the SDK's session-keeping test backend.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startTestBackend, type TestBackend } from '@sessionflow/sdk/testing';
import { contentTypeFor, formatSummary, runLocal, type LocalRunRequest } from '../src/runner.js';

const PASSWORD = 'alice-pw';
const repoRoot = resolve(import.meta.dirname, '../..');

function ordersFlow(url: string): string {
  return `flow: orders
formatVersion: 2
runtime:
  sessionHandling: onExchange
  log: debug
credentials:
  erp-user: { type: basic }
receivers:
  erp:
    adapter: http
    address: ${url}/api/items
    auth: { type: basic, credential: erp-user }
    csrf: true
steps:
  - id: prime
    send: erp
    method: GET
    headers: { X-CSRF-Token: Fetch }
  - id: items
    split:
      path: $.items
      parallel: true
      steps:
        - id: post-item
          call: erp
          method: POST
`;
}

describe('runLocal (Run Flow without VS Code)', () => {
  let backend: TestBackend;
  let dir: string;
  before(async () => {
    backend = await startTestBackend();
    dir = mkdtempSync(join(tmpdir(), 'sessionflow-ext-run-'));
    writeFileSync(join(dir, 'orders.sample.json'), JSON.stringify({ items: [{ n: 1 }, { n: 2 }, { n: 3 }] }));
  });
  after(async () => {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function request(flowText: string, overrides: Partial<LocalRunRequest> = {}): { req: LocalRunRequest; lines: string[] } {
    const lines: string[] = [];
    const req: LocalRunRequest = {
      flowText,
      flowPath: join(dir, 'orders.flow.yaml'),
      messagePath: join(dir, 'orders.sample.json'),
      projectDir: repoRoot,
      adapterPackages: [],
      credentials: { 'erp-user': { type: 'basic', user: 'alice', password: PASSWORD } },
      signal: new AbortController().signal,
      write: (line) => lines.push(line),
      ...overrides,
    };
    return { req, lines };
  }

  it('runs one exchange, streams the MPL and ends with the per-receiver session summary', async () => {
    backend.resetStats();
    const { req, lines } = request(ordersFlow(backend.url));
    const result = await runLocal(req);
    const text = lines.join('\n');
    assert.equal(result.status, 'completed', text);
    assert.deepEqual(
      { calls: result.receivers.erp?.calls, auth: result.receivers.erp?.credentialsSent, sessions: result.receivers.erp?.sessionsOpened },
      { calls: 4, auth: 1, sessions: 1 },
    );
    assert.equal(backend.stats().authentications, 1);
    assert.match(text, /OK\s+send prime → erp/);
    assert.match(text, /post-item → erp \[items\[\d\]\]/);
    assert.match(text, /session cookie #[0-9a-f]{12}/);
    assert.match(text, /erp: 4 call\(s\), 1 authentication\(s\), 1 session\(s\) opened, \d CSRF fetch\(es\), 3 call\(s\) reused a session/);
    assert.ok(!text.includes(PASSWORD), 'the password is never written');
  });

  it('reports a flow that cannot run as one clear failure, before any request', async () => {
    backend.resetStats();
    const { req, lines } = request(ordersFlow(backend.url).replace('call: erp', 'call: nowhere'));
    const result = await runLocal(req);
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /cannot run/);
    assert.match(lines.join('\n'), /nowhere/);
    assert.doesNotMatch(lines.join('\n'), /\n\s+at /, 'no stack trace');
    assert.equal(backend.stats().requests, 0);
  });

  it('names a missing message file', async () => {
    const { req } = request(ordersFlow(backend.url), { messagePath: join(dir, 'missing.json') });
    const result = await runLocal(req);
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /cannot read the message file .*missing\.json: ENOENT/);
  });

  it('fails clearly when a credential is missing', async () => {
    const { req } = request(ordersFlow(backend.url), { credentials: {} });
    const result = await runLocal(req);
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /erp-user/);
  });

  it('stops waiting when cancelled', async () => {
    const abort = new AbortController();
    abort.abort();
    const { req, lines } = request(ordersFlow(backend.url), { signal: abort.signal });
    const result = await runLocal(req);
    assert.equal(result.status, 'cancelled');
    assert.match(lines.join('\n'), /cancelled/);
  });
});

describe('runner formatting helpers', () => {
  it('derives the content type from the message file extension', () => {
    assert.equal(contentTypeFor('/a/b.json'), 'application/json');
    assert.equal(contentTypeFor('/a/b.XML'), 'application/xml');
    assert.equal(contentTypeFor('/a/b.bin'), 'application/octet-stream');
  });

  it('summarises receivers in name order with reuse = calls without credentials', () => {
    const stats = { calls: 5, credentialsSent: 2, sessionsOpened: 2, csrfFetches: 1, logoffs: 1, reauthentications: 0, requests: 7 };
    assert.deepEqual(formatSummary({ zeta: stats, alpha: { ...stats, calls: 1, credentialsSent: 1, logoffs: 0 } }), [
      'Session summary per receiver:',
      '  alpha: 1 call(s), 1 authentication(s), 2 session(s) opened, 1 CSRF fetch(es), 0 call(s) reused a session',
      '  zeta: 5 call(s), 2 authentication(s), 2 session(s) opened, 1 CSRF fetch(es), 3 call(s) reused a session, 1 logoff(s)',
    ]);
    assert.deepEqual(formatSummary({}), ['Session summary: no receiver was called.']);
  });
});
