/**
 * The bundle the .vsix ships, without VS Code: esbuild.mjs builds into a temp folder outside
 * the repository (so nothing resolves from the workspace's node_modules), then
 *  - the bundled language server answers over stdio with session diagnostics, finding the
 *    built-in http adapter next to its bundled SDK (dist/node_modules) and an adapter package
 *    from the project's node_modules (discovery from a bundle);
 *  - the bundled runner chunk runs a flow against the SDK's test backend.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startTestBackend } from '@sessionflow/sdk/testing';

const extensionDir = resolve(import.meta.dirname, '..');

/** Minimal LSP client over stdio (Content-Length framing), answering the server's own requests. */
class LspClient {
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, (msg: any) => void>();
  readonly notifications: any[] = [];
  private readonly waiters: { match: (m: any) => boolean; resolve: (m: any) => void }[] = [];

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
  }

  private drain(): void {
    while (true) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString())?.[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const msg = JSON.parse(this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString());
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      if (msg.id !== undefined && msg.method === undefined) {
        this.pending.get(msg.id)?.(msg);
        this.pending.delete(msg.id);
      } else if (msg.id !== undefined) {
        // A request from the server: configuration gets empty settings, the rest null.
        const result = msg.method === 'workspace/configuration' ? (msg.params?.items ?? []).map(() => ({})) : null;
        this.send({ jsonrpc: '2.0', id: msg.id, result });
      } else {
        this.notifications.push(msg);
        for (const w of [...this.waiters]) {
          if (w.match(msg)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(msg);
          }
        }
      }
    }
  }

  private send(msg: unknown): void {
    const body = Buffer.from(JSON.stringify(msg));
    this.child.stdin.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]));
  }

  request(method: string, params: unknown, timeoutMs = 20_000): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${method} within ${timeoutMs} ms`)), timeoutMs);
      this.pending.set(id, (m) => {
        clearTimeout(timer);
        resolvePromise(m);
      });
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  waitFor(what: string, match: (m: any) => boolean, timeoutMs = 20_000): Promise<any> {
    const seen = this.notifications.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolvePromise(m);
        },
      });
    });
  }
}

describe('the bundled extension (dist/) outside the repository', () => {
  let root: string;
  let dist: string;

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'sessionflow-bundle-'));
    dist = join(root, 'dist');
    const r = spawnSync(process.execPath, [join(extensionDir, 'esbuild.mjs'), '--outdir', dist], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `esbuild.mjs failed:\n${r.stdout}\n${r.stderr}`);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('ships the entries, one SDK copy with its schema, and the built-in adapters as packages', () => {
    for (const f of ['extension.js', 'runner.mjs', 'server.mjs', 'node_modules/@sessionflow/sdk/index.js', 'node_modules/@sessionflow/sdk/schema/flow.schema.json', 'node_modules/@sessionflow/adapter-http/index.js']) {
      assert.ok(existsSync(join(dist, f)), `${f} is built`);
    }
    const http = JSON.parse(readFileSync(join(dist, 'node_modules/@sessionflow/adapter-http/package.json'), 'utf8'));
    assert.deepEqual(http.sessionflow.adapters, ['./index.js']);
    // extension.js loads the SDK lazily from dist/node_modules instead of carrying a copy.
    const ext = readFileSync(join(dist, 'extension.js'), 'utf8');
    assert.ok(!ext.includes('tough-cookie') && !ext.includes('ajv'), 'extension.js holds no SDK code');
  });

  it('the language server answers over stdio with diagnostics from built-in and discovered adapters', async () => {
    const project = join(root, 'project');
    const acme = join(project, 'node_modules/acme-adapter');
    mkdirSync(acme, { recursive: true });
    mkdirSync(join(project, 'node_modules/@sessionflow'), { recursive: true });
    symlinkSync(join(dist, 'node_modules/@sessionflow/sdk'), join(project, 'node_modules/@sessionflow/sdk'), 'dir');
    writeFileSync(join(acme, 'package.json'), JSON.stringify({ name: 'acme-adapter', version: '1.0.0', type: 'module', sessionflow: { apiVersion: 1, adapters: ['./index.js'] } }));
    writeFileSync(
      join(acme, 'index.js'),
      `import { defineAdapter } from '@sessionflow/sdk';
export default defineAdapter({ id: 'acme', displayName: 'ACME', version: '1.0.0', apiVersion: 1,
  variants: [{ id: 'rest', direction: 'receiver', stepKinds: ['call'], sessionReuse: 'supported', csrf: false, auth: [{ type: 'none' }], parallelSafe: true, streaming: false }],
  configSchema: { type: 'object' }, async send() { return { status: 200, headers: {}, body: new Uint8Array() }; } });
`,
    );
    const child = spawn(process.execPath, [join(dist, 'server.mjs'), '--stdio'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const client = new LspClient(child);
    try {
      const folder = pathToFileURL(project).href;
      const init = await client.request('initialize', { processId: process.pid, rootUri: folder, workspaceFolders: [{ uri: folder, name: 'project' }], capabilities: { workspace: { configuration: true } } });
      assert.ok(init.result?.capabilities, `initialize answered: ${JSON.stringify(init)}\n${stderr}`);
      client.notify('initialized', {});
      const uri = pathToFileURL(join(project, 'f.flow.yaml')).href;
      client.notify('textDocument/didOpen', {
        textDocument: {
          uri,
          languageId: 'yaml',
          version: 1,
          text: `flow: f
formatVersion: 2
runtime:
  sessionHandling: onIntegrationFlow
receivers:
  erp:
    adapter: http
    address: https://erp.example.com/api
    csrf: true
  crm:
    adapter: acme
    address: https://crm.example.com/api
  typo:
    adapter: acmee
    address: https://crm.example.com/api
steps:
  - call: erp
  - call: crm
  - call: typo
`,
        },
      });
      const published = await client.waitFor('diagnostics', (m) => m.method === 'textDocument/publishDiagnostics' && m.params.uri === uri && m.params.diagnostics.length > 0);
      const diagnostics = published.params.diagnostics as { code: string; message: string }[];
      const codes = diagnostics.map((d) => d.code);
      assert.ok(codes.includes('session/csrf-flow-scope'), `csrf rule from the http adapter's capabilities: ${JSON.stringify(codes)}`);
      const unknown = diagnostics.filter((d) => d.code === 'flow/unknown-adapter');
      assert.equal(unknown.length, 1, JSON.stringify(unknown));
      assert.match(unknown[0]!.message, /"acmee"/);
      assert.match(unknown[0]!.message, /did you mean "acme"/);
      await client.request('shutdown', null);
      client.notify('exit', null);
    } finally {
      child.kill();
    }
  });

  it('the bundled runner chunk runs a flow with the bundled http adapter', async () => {
    const backend = await startTestBackend();
    try {
      const runner = (await import(pathToFileURL(join(dist, 'runner.mjs')).href)) as typeof import('../src/runner.js');
      writeFileSync(join(root, 'm.json'), '{"items":[1,2]}');
      const lines: string[] = [];
      const result = await runner.runLocal({
        flowText: `flow: b\nformatVersion: 2\nruntime: { sessionHandling: onExchange }\ncredentials:\n  u: { type: basic }\nreceivers:\n  erp: { adapter: http, address: "${backend.url}/data", auth: { type: basic, credential: u } }\nsteps:\n  - call: erp\n  - call: erp\n`,
        flowPath: join(root, 'b.flow.yaml'),
        messagePath: join(root, 'm.json'),
        projectDir: root,
        adapterPackages: [],
        credentials: { u: { type: 'basic', user: 'bob', password: 'bob-pw' } },
        signal: new AbortController().signal,
        write: (l) => lines.push(l),
      });
      assert.equal(result.status, 'completed', lines.join('\n'));
      assert.equal(result.receivers.erp?.calls, 2);
      assert.equal(result.receivers.erp?.credentialsSent, 1);
      assert.equal(backend.stats().authentications, 1);
    } finally {
      await backend.close();
    }
  });
});
