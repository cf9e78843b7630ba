/**
 * End to end, what a new adapter author does — in a temporary folder outside the repository:
 * scaffold an adapter with `sessionflow new-adapter`, install and build it, run its own tests
 * and the conformance kit, lint it with `sessionflow adapter check`, `npm pack` it, install the
 * tarball into a separate flow project, see it in `sessionflow adapters`, get its config
 * completed by the language server and checked by `sessionflow validate` from its schema, run
 * the flow against a test backend that counts session reuse, and see a package built for
 * another adapter API version reported on the flow that uses it.
 *
 * The SDK is packed from the workspace (after building it) and installed from the tarball;
 * typescript and @types/node come from the npm registry (or npm's cache).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, it, type TestContext } from 'node:test';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection, type CompletionItem, type CompletionList, type PublishDiagnosticsParams } from 'vscode-languageserver/node.js';
import { startTestBackend } from '@sessionflow/sdk/testing';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(repo, 'language-server', 'bin', 'sessionflow.js');
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A clean environment for child processes: no npm_* of an enclosing `npm test`, no loader options. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'NODE_OPTIONS' && k !== 'INIT_CWD' && k !== 'NODE_TEST_CONTEXT') env[k] = v;
  env.NO_UPDATE_NOTIFIER = '1';
  return env;
}

/** Runs a command without blocking the event loop (the test backend lives in this process). */
function exec(cmd: string, args: string[], cwd: string, limitMs = 120_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${limitMs} ms\n${stdout}\n${stderr}`));
    }, limitMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const npm = (args: string[], cwd: string, limitMs?: number) => exec(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, cwd, limitMs);
const sessionflow = (args: string[], cwd: string) => exec(process.execPath, [cli, ...args], cwd);
const NPM_INSTALL = ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

function ok(r: Run, what: string): Run {
  assert.equal(r.code, 0, `${what} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

const FLOW_INCOMPLETE = `flow: acme-orders
formatVersion: 2
runtime:
  sessionHandling: onExchange
credentials:
  crm-user: { type: basic }
receivers:
  crm:
    adapter: acme-crm
    address: http://127.0.0.1:8080/api
    auth: { type: basic, credential: crm-user }
    csrf: true
    config:
      resource: orders
      format: yaml
steps:
  - id: prime
    send: crm
    method: GET
  - id: items
    split:
      path: $.items
      steps:
        - id: post-item
          call: crm
          method: POST
          path: items
`;

describe('adapter authoring, end to end (outside the repository)', () => {
  let root: string;
  let sdkTarball: string;
  let adapterDir: string;
  let adapterTarball: string;
  let flowDir: string;
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      timings[name] = Math.round(performance.now() - started);
    }
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'sf-authoring-'));
    // The CLI runs as users run it (compiled), and the SDK is packed from its compiled output.
    await timed('build', async () => ok(await exec(process.execPath, [tsc, '-b', 'language-server'], repo, 300_000), 'tsc -b language-server'));
    await timed('pack sdk', async () => {
      ok(await npm(['pack', '--pack-destination', root, '--loglevel=error'], join(repo, 'sdk')), 'npm pack (sdk)');
    });
    sdkTarball = join(root, readdirSync(root).find((f) => f.startsWith('sessionflow-sdk-') && f.endsWith('.tgz'))!);
  });

  after(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('scaffolds, builds, tests, lints and packs an adapter', async (t: TestContext) => {
    adapterDir = join(root, 'acme-crm');
    const created = ok(await timed('new-adapter', () => sessionflow(['new-adapter', 'acme-crm', '--dir', adapterDir, '--sdk', `file:${sdkTarball}`], root)), 'new-adapter');
    assert.match(created.stdout, /Created adapter "acme-crm" \(package sessionflow-adapter-acme-crm, adapter API 1\)/);
    const pkg = JSON.parse(readFileSync(join(adapterDir, 'package.json'), 'utf8')) as Record<string, any>;
    assert.deepEqual(pkg.sessionflow, { apiVersion: 1, adapters: ['./dist/src/index.js'], ids: ['acme-crm'] });
    assert.ok(pkg.keywords.includes('sessionflow-adapter'));

    await timed('npm install (adapter)', async () => ok(await npm(NPM_INSTALL, adapterDir, 300_000), 'npm install in the adapter'));
    const tested = ok(await timed('npm test (adapter)', () => npm(['test'], adapterDir)), 'npm test in the adapter');
    assert.match(tested.stdout, /# pass 5/);
    assert.match(tested.stdout, /ok \d+ - passes the Sessionflow conformance kit/);

    // The conformance kit, run directly on the built adapter: every check passes or is skipped with a reason.
    const script = `
      import { runConformance, formatConformanceReport } from '@sessionflow/sdk/testing';
      import adapter from './dist/src/index.js';
      const report = await runConformance(adapter, { configFor: () => ({ tenant: 'acme' }) });
      console.error(formatConformanceReport(report));
      console.log(JSON.stringify(report));`;
    writeFileSync(join(adapterDir, 'conformance.mjs'), script);
    const conf = ok(await timed('conformance kit', () => exec(process.execPath, ['conformance.mjs'], adapterDir)), 'conformance kit');
    const report = JSON.parse(conf.stdout) as { passed: boolean; checks: { name: string; mode: string; ok: boolean; skipped?: boolean }[] };
    t.diagnostic(conf.stderr.trim());
    assert.equal(report.passed, true, conf.stderr);
    for (const [name, mode] of [['session-none', 'none'], ['session-reuse', 'exchange'], ['session-reuse', 'flow'], ['csrf', 'exchange'], ['auth:basic', 'none'], ['fault:reset', 'none'], ['no-secrets-in-logs', '-']]) {
      assert.ok(report.checks.some((c) => c.name === name && c.mode === mode && c.ok && !c.skipped), `${name}/${mode} ran and passed`);
    }
    rmSync(join(adapterDir, 'conformance.mjs'));

    const checked = ok(await timed('adapter check', () => sessionflow(['adapter', 'check'], adapterDir)), 'adapter check');
    assert.match(checked.stdout, /adapter "acme-crm" 0\.1\.0 from \.\/dist\/src\/index\.js: variants acme-crm; config fields tenant, resource, format, failOnHttpError/);
    assert.match(checked.stdout, /OK: ready to publish\./);

    ok(await timed('npm pack (adapter)', () => npm(['pack', '--loglevel=error'], adapterDir)), 'npm pack in the adapter');
    adapterTarball = join(adapterDir, 'sessionflow-adapter-acme-crm-0.1.0.tgz');
    const listing = ok(await exec('tar', ['-tzf', adapterTarball], root), 'tar -t');
    assert.match(listing.stdout, /package\/dist\/src\/index\.js/);
    assert.match(listing.stdout, /package\/README\.md/);
    assert.doesNotMatch(listing.stdout, /package\/test\/|node_modules/);
  });

  it('installs the tarball into a flow project, completes and validates its config, and runs the flow with session reuse', async (t: TestContext) => {
    assert.ok(adapterTarball, 'the adapter was packed');
    flowDir = join(root, 'flows');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(flowDir);
    writeFileSync(join(flowDir, 'package.json'), JSON.stringify({ name: 'acme-flows', private: true, type: 'module' }, null, 2));
    await timed('npm install (flow project)', async () => ok(await npm([...NPM_INSTALL, sdkTarball, adapterTarball], flowDir, 300_000), 'npm install in the flow project'));

    // `sessionflow adapters` lists it with version, variants and capabilities.
    const listed = ok(await sessionflow(['adapters', '--json'], flowDir), 'adapters --json');
    const acme = (JSON.parse(listed.stdout) as { adapters: any[] }).adapters.find((a) => a.id === 'acme-crm');
    assert.ok(acme, listed.stdout);
    assert.equal(acme.package, 'sessionflow-adapter-acme-crm');
    assert.equal(acme.packageVersion, '0.1.0');
    assert.deepEqual(acme.variants.map((v: any) => [v.id, v.sessionReuse, v.csrf]), [['acme-crm', 'supported', true]]);

    // A flow whose config is incomplete: validate reports it from the adapter's schema.
    const flowFile = join(flowDir, 'orders.flow.yaml');
    writeFileSync(flowFile, FLOW_INCOMPLETE);
    const bad = await sessionflow(['validate', 'orders.flow.yaml'], flowDir);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /orders\.flow\.yaml:13:5 error flow\/adapter-config .*config\.tenant: missing required field "tenant"/);
    assert.match(bad.stdout, /orders\.flow\.yaml:15:15 error flow\/adapter-config .*config\.format: must be one of: json, xml/);

    // The language server, started in the flow project, finds the adapter and completes its config.
    const lsp = await timed('language server', () => languageServerCompletion(flowDir, flowFile));
    assert.ok(lsp.diagnostics.some((d) => d.code === 'flow/adapter-config' && /tenant/.test(d.message)), JSON.stringify(lsp.diagnostics));
    for (const field of ['tenant', 'failOnHttpError']) assert.ok(lsp.configKeys.includes(field), `completion offers config field ${field}: ${lsp.configKeys.join(', ')}`);
    assert.deepEqual(lsp.formatValues.filter((v) => v === 'json' || v === 'xml').sort(), ['json', 'xml']);

    // Completed: the missing field added, the enum value fixed.
    writeFileSync(flowFile, FLOW_INCOMPLETE.replace('      format: yaml\n', '      tenant: acme\n      format: json\n'));
    const good = ok(await timed('validate', () => sessionflow(['validate', 'orders.flow.yaml'], flowDir)), 'validate');
    assert.match(good.stdout, /0 error\(s\)/);

    // Run it against a test backend (CSRF-protected under /api/) that counts sessions and logins.
    const backend = await startTestBackend({ users: { alice: 'alice-pw' }, csrfPaths: ['/api/'] });
    try {
      writeFileSync(join(flowDir, 'message.json'), JSON.stringify({ items: [{ n: 1 }, { n: 2 }, { n: 3 }] }));
      const creds = join(root, 'credentials.yaml');
      writeFileSync(creds, 'crm-user:\n  user: alice\n  password: alice-pw\n');
      chmodSync(creds, 0o600);
      const ran = ok(
        await timed('run', () => sessionflow(['run', 'orders.flow.yaml', '--message', 'message.json', '--credentials', creds, '--address', `crm=${backend.url}/api`, '--exchanges', '2', '--report', 'json'], flowDir)),
        'run',
      );
      assert.ok(!ran.stdout.includes('alice-pw') && !ran.stderr.includes('alice-pw'));
      const stats = backend.stats();
      // 2 exchanges × (prime + 3 items) = 8 calls + one CSRF token fetch per exchange, 2 logins only.
      assert.equal(stats.requests, 10);
      assert.equal(stats.authentications, 2);
      assert.equal(stats.sessionsCreated, 2);
      assert.equal(stats.csrfFetches, 2);
      assert.equal(stats.csrfRejections, 0);
      const posts = backend.requests().filter((r) => r.method === 'POST');
      assert.equal(posts.length, 6);
      assert.ok(posts.every((r) => r.path === '/api/orders/items' && r.cookie && !r.authorization && r.csrfToken && r.status === 200));
      t.diagnostic(`backend: ${JSON.stringify(stats)}`);
    } finally {
      await backend.close();
    }
  });

  it('reports an adapter built for another adapter API version on the flow that uses it', async () => {
    assert.ok(flowDir, 'the flow project exists');
    const installed = join(flowDir, 'node_modules', 'sessionflow-adapter-acme-crm', 'package.json');
    const pkg = JSON.parse(readFileSync(installed, 'utf8')) as Record<string, any>;
    pkg.sessionflow.apiVersion = 2;
    writeFileSync(installed, JSON.stringify(pkg, null, 2));
    const r = await sessionflow(['validate', 'orders.flow.yaml'], flowDir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /orders\.flow\.yaml:9:14 error flow\/unknown-adapter .*adapter "acme-crm" is not available because its package was refused: .*targets Sessionflow adapter API 2, but this SDK implements API 1/);
    const listed = await sessionflow(['adapters'], flowDir);
    assert.equal(listed.code, 1);
    assert.match(listed.stdout, /SF_ADAPTER_API_VERSION/);
  });

  it('reports the timings', (t: TestContext) => {
    t.diagnostic(`timings (ms): ${JSON.stringify(timings)}`);
    assert.ok(Object.keys(timings).length >= 10);
  });
});

/** Opens the flow in the language server (run in the flow project) and asks for completions inside `config:`. */
async function languageServerCompletion(projectDir: string, file: string): Promise<{ diagnostics: { code?: string | number; message: string }[]; configKeys: string[]; formatValues: string[] }> {
  const child = spawn(process.execPath, [cli, 'lsp', '--stdio'], { cwd: projectDir, env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const uri = pathToFileURL(file).href;
  let resolveDiagnostics!: (d: PublishDiagnosticsParams) => void;
  const diagnosticsArrived = new Promise<PublishDiagnosticsParams>((resolve) => (resolveDiagnostics = resolve));
  connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    if (p.uri === uri && p.diagnostics.length > 0) resolveDiagnostics(p);
  });
  connection.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => null));
  connection.onRequest('client/registerCapability', () => null);
  connection.onError(() => undefined);
  connection.listen();
  let limit: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    limit = setTimeout(() => reject(new Error('the language server did not answer within 60 s')), 60_000);
  });
  try {
    return await Promise.race([guard, (async () => {
      const rootUri = pathToFileURL(projectDir).href;
      await connection.sendRequest('initialize', { processId: process.pid, rootUri, workspaceFolders: [{ uri: rootUri, name: 'flows' }], capabilities: {} });
      await connection.sendNotification('initialized', {});
      const text = readFileSync(file, 'utf8');
      await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'sessionflow-yaml', version: 1, text } });
      const published = await diagnosticsArrived;
      const lines = text.split('\n');
      // A new key under `config:` (after `resource: orders`), and the value of `format:`.
      const resourceLine = lines.findIndex((l) => l === '      resource: orders');
      const withKey = [...lines.slice(0, resourceLine + 1), '      ', ...lines.slice(resourceLine + 1)].join('\n');
      await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: withKey }] });
      const keys = (await connection.sendRequest('textDocument/completion', { textDocument: { uri }, position: { line: resourceLine + 1, character: 6 } })) as CompletionItem[] | CompletionList | null;
      await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ text }] });
      const formatLine = lines.findIndex((l) => l === '      format: yaml');
      const values = (await connection.sendRequest('textDocument/completion', { textDocument: { uri }, position: { line: formatLine, character: '      format: '.length } })) as CompletionItem[] | CompletionList | null;
      const labels = (r: CompletionItem[] | CompletionList | null) => (r === null ? [] : Array.isArray(r) ? r : r.items).map((i) => i.label);
      await connection.sendRequest('shutdown');
      await connection.sendNotification('exit');
      return {
        diagnostics: published.diagnostics.map((d) => ({ ...(d.code !== undefined ? { code: d.code } : {}), message: d.message })),
        configKeys: labels(keys),
        formatValues: labels(values),
      };
    })()]);
  } finally {
    clearTimeout(limit);
    connection.dispose();
    child.kill();
  }
}
