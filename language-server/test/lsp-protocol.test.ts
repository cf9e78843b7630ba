/**
 * Protocol-level tests: the language server runs as a separate process (from the TypeScript
 * sources) and is driven over stdio / Node IPC with real JSON-RPC messages.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  IPCMessageReader,
  IPCMessageWriter,
  createMessageConnection,
  type CodeAction,
  type CompletionItem,
  type CompletionList,
  type Diagnostic,
  type DocumentSymbol,
  type Hover,
  type Location,
  type PublishDiagnosticsParams,
  type WorkspaceEdit,
} from 'vscode-languageserver/node.js';
import { ruleByName } from '../src/analysis/index.js';
import { TestClient, applyTextEdits, fileUri, fixturesDir, positionOf, repoRoot, serverMain } from './fixtures/lsp/client.js';

const pitfalls = readFileSync(join(repoRoot, '..', 'shared', 'examples', 'pitfalls.flow.yaml'), 'utf8');
const projectDir = join(fixturesDir, 'project');
const adaptersDir = join(fixturesDir, 'adapters');
const uriOf = (name: string) => fileUri(join(projectDir, name));

/** The text a diagnostic's range covers. */
function covered(text: string, d: { range: Diagnostic['range'] }): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  return text.slice(offset(d.range.start), offset(d.range.end));
}

function labels(result: CompletionItem[] | CompletionList | null): string[] {
  if (!result) return [];
  return (Array.isArray(result) ? result : result.items).map((i) => i.label);
}

function editsFor(edit: WorkspaceEdit | null | undefined, uri: string) {
  const edits = edit?.changes?.[uri];
  assert.ok(edits && edits.length > 0, `expected text edits for ${uri}`);
  return edits;
}

const hasCode = (ds: Diagnostic[], code: string) => ds.some((d) => d.code === code);

describe('language server over stdio (separate process)', () => {
  let client: TestClient;
  let init: any;
  const uri = uriOf('pitfalls.flow.yaml');
  let v1: Diagnostic[] = [];

  before(async () => {
    client = new TestClient({ settings: () => ({ rules: { 'session/csrf-flow-scope': 'error' } }) });
    init = await client.initialize({
      rootUri: fileUri(projectDir),
      workspaceFolders: [{ uri: fileUri(projectDir), name: 'project' }],
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
        textDocument: { documentSymbol: { hierarchicalDocumentSymbolSupport: true }, rename: { prepareSupport: true } },
      },
      initializationOptions: { adapterPackages: [adaptersDir] },
    });
  });

  after(async () => {
    await client.dispose();
  });

  it('announces its features in the initialize result', () => {
    const caps = init.capabilities;
    assert.equal(caps.textDocumentSync.change, 2, 'incremental sync');
    assert.ok(caps.completionProvider);
    assert.equal(caps.hoverProvider, true);
    assert.ok(caps.codeActionProvider.codeActionKinds.includes('quickfix'));
    assert.equal(caps.renameProvider.prepareProvider, true);
    assert.equal(caps.definitionProvider, true);
    assert.equal(caps.referencesProvider, true);
    assert.ok(caps.documentSymbolProvider);
  });

  it('publishes every session trap of pitfalls.flow.yaml with rule codes and ranges', async () => {
    await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: pitfalls } });
    v1 = await client.diagnosticsFor(uri, 1);
    for (const code of [
      'session/dynamic-user-flow-scope',
      'session/shared-backend-different-users',
      'session/oauth2-flow-scope',
      'session/stateful-flow-scope',
      'session/csrf-flow-scope',
      'session/unprimed-parallel',
    ]) {
      assert.ok(hasCode(v1, code), `expected ${code}, got ${v1.map((d) => d.code).join(', ')}`);
    }
    for (const d of v1) {
      assert.equal(d.source, 'sessionflow');
      assert.equal(typeof d.code, 'string');
      assert.ok((d.data as { rule?: string }).rule === d.code, 'data carries the rule for code actions');
    }
    // Ranges point at the field to change.
    const unprimed = v1.find((d) => d.code === 'session/unprimed-parallel')!;
    const lineText = pitfalls.split('\n')[unprimed.range.start.line]!;
    assert.match(lineText, /split:|parallel: true|call: gateway/, `unprimed-parallel points at ${JSON.stringify(lineText)}`);
    const oauth = v1.find((d) => d.code === 'session/oauth2-flow-scope')!;
    assert.ok(pitfalls.split('\n').slice(oauth.range.start.line, oauth.range.end.line + 1).join('\n').match(/onIntegrationFlow|oauth2-client-credentials|s4-cloud/));
    const dyn = v1.find((d) => d.code === 'session/dynamic-user-flow-scope')!;
    assert.match(covered(pitfalls, dyn) + pitfalls.split('\n')[dyn.range.start.line], /header\.user|onIntegrationFlow|erp-dynamic/);
    // Severities: the project's sessionflow.config.yaml applies, the client's settings
    // (workspace/configuration) override it.
    assert.equal(v1.find((d) => d.code === 'session/stateful-flow-scope')!.severity, 3);
    assert.equal(v1.find((d) => d.code === 'session/csrf-flow-scope')!.severity, 1);
    assert.ok(client.configurationRequests.length > 0, 'the server asked for its settings');
  });

  it('hover on a diagnostic range explains the rule', async () => {
    const d = v1.find((x) => x.code === 'session/unprimed-parallel')!;
    const h = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: d.range.start });
    assert.ok(h, 'hover answered');
    const value = (h.contents as { value: string }).value;
    const rule = ruleByName('session/unprimed-parallel')!;
    assert.ok(value.includes('session/unprimed-parallel'));
    assert.ok(value.includes(rule.docs.summary), 'summary');
    assert.ok(value.includes(rule.docs.fix), 'fix');
    assert.ok(value.includes('```yaml'), 'example');
  });

  it('hover on a key shows the schema documentation, on a reference the receiver', async () => {
    const onKey = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: positionOf(pitfalls, 'sessionHandling', 3) });
    const keyText = (onKey?.contents as { value: string }).value;
    assert.match(keyText, /onExchange/);
    assert.match(keyText, /onIntegrationFlow/);
    const onRef = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: positionOf(pitfalls, 'call: s4-cloud', 8) });
    const refText = (onRef?.contents as { value: string }).value;
    assert.match(refText, /Receiver `s4-cloud`/);
    assert.match(refText, /odata/);
    assert.match(refText, /oauth2-client-credentials/);
    assert.match(refText, /onIntegrationFlow/);
  });

  it('offers a quick fix for session/unprimed-parallel whose edit removes the warning', async () => {
    const d = v1.find((x) => x.code === 'session/unprimed-parallel')!;
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: d.range,
      context: { diagnostics: [d], only: ['quickfix'] },
    });
    assert.ok(actions.length > 0, 'at least one quick fix');
    const action = actions.find((a) => a.isPreferred) ?? actions[0]!;
    assert.equal(action.kind, 'quickfix');
    assert.deepEqual(action.diagnostics?.map((x) => x.code), ['session/unprimed-parallel']);
    const fixed = applyTextEdits(pitfalls, editsFor(action.edit, uri));
    assert.notEqual(fixed, pitfalls);
    const end = positionOf(pitfalls + '\u0000', '\u0000');
    await client.notify('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 0, character: 0 }, end }, text: fixed }],
    });
    const v2 = await client.diagnosticsFor(uri, 2);
    assert.ok(!hasCode(v2, 'session/unprimed-parallel'), `still reported: ${v2.map((x) => x.code).join(', ')}`);
    assert.ok(hasCode(v2, 'session/oauth2-flow-scope'), 'the other traps are still reported');
    // Back to the original text for the next tests.
    const end2 = positionOf(fixed + '\u0000', '\u0000');
    await client.notify('textDocument/didChange', {
      textDocument: { uri, version: 3 },
      contentChanges: [{ range: { start: { line: 0, character: 0 }, end: end2 }, text: pitfalls }],
    });
    assert.ok(hasCode(await client.diagnosticsFor(uri, 3), 'session/unprimed-parallel'));
  });

  it('coalesces a burst of changes: the latest version wins', async () => {
    const doc = uriOf('burst.flow.yaml');
    const base = 'flow: burst\nformatVersion: 2\nsteps:\n  - call: nowhere\n';
    await client.notify('textDocument/didOpen', { textDocument: { uri: doc, languageId: 'yaml', version: 1, text: base } });
    for (let v = 2; v <= 6; v++) {
      await client.notify('textDocument/didChange', {
        textDocument: { uri: doc, version: v },
        contentChanges: [{ range: { start: { line: 3, character: 10 }, end: { line: 3, character: 10 } }, text: 'x' }],
      });
    }
    const last = await client.diagnosticsFor(doc, 6);
    const unknown = last.find((d) => d.code === 'flow/unknown-receiver');
    assert.ok(unknown, 'unknown receiver reported');
    assert.ok(unknown.message.includes('xxxxxnowhere'), unknown.message);
    // Publications never go back to an older version.
    const versions = client.published(doc).map((p) => p.version ?? 0);
    assert.deepEqual(versions, [...versions].sort((a, b) => a - b));
    assert.equal(versions.at(-1), 6);
    await client.notify('textDocument/didClose', { textDocument: { uri: doc } });
  });

  it('completes receiver names after `call:` and the three modes after `sessionHandling:`', async () => {
    const doc = uriOf('completion.flow.yaml');
    const text = pitfalls.replace('sessionHandling: onIntegrationFlow', 'sessionHandling: ') + '  - call: \n';
    await client.notify('textDocument/didOpen', { textDocument: { uri: doc, languageId: 'yaml', version: 1, text } });
    const callLine = text.split('\n').length - 2;
    const receivers = labels(await client.request('textDocument/completion', { textDocument: { uri: doc }, position: { line: callLine, character: 10 } }));
    assert.deepEqual(receivers.sort(), ['erp-dynamic', 'erp-other-user', 'gateway', 's4-cloud', 'stateful-service']);
    const modes = labels(await client.request('textDocument/completion', { textDocument: { uri: doc }, position: positionOf(text, 'sessionHandling: ', 17) }));
    assert.deepEqual(modes.sort(), ['none', 'onExchange', 'onIntegrationFlow']);
    const adapters = await client.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: doc }, position: positionOf(text, 'adapter: odata', 9) });
    assert.ok(labels(adapters).includes('http') && labels(adapters).includes('odata'));
    assert.ok(adapters.find((i) => i.label === 'odata')?.detail, 'adapter items carry the display name');
    const variants = labels(await client.request('textDocument/completion', { textDocument: { uri: doc }, position: positionOf(text, 'variant: v4', 9) }));
    assert.deepEqual(variants.sort(), ['v2', 'v4']);
    await client.notify('textDocument/didClose', { textDocument: { uri: doc } });
  });

  it('completes keys while the YAML is broken, without the keys already present', async () => {
    const doc = uriOf('typing.flow.yaml');
    const text = pitfalls.replace('  sessionHandling: onIntegrationFlow\n', '  sessionHandling: onIntegrationFlow\n  se\n');
    await client.notify('textDocument/didOpen', { textDocument: { uri: doc, languageId: 'yaml', version: 1, text } });
    const diags = await client.diagnosticsFor(doc, 1);
    assert.ok(diags.length > 0, 'the half-typed key is a problem');
    const items = await client.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: doc }, position: positionOf(text, '\n  se\n', 5) });
    const keys = labels(items);
    assert.ok(keys.includes('sessionStore'), `keys: ${keys.join(', ')}`);
    assert.ok(keys.includes('log'));
    assert.ok(!keys.includes('sessionHandling'), 'already present');
    assert.ok(items.find((i) => i.label === 'sessionStore')?.documentation, 'documented');
    await client.notify('textDocument/didClose', { textDocument: { uri: doc } });
  });

  it('goes from a `call:` value to the receiver key, and finds its references', async () => {
    const at = positionOf(pitfalls, 'call: gateway', 8);
    const def = await client.request<Location | Location[] | null>('textDocument/definition', { textDocument: { uri }, position: at });
    const loc = Array.isArray(def) ? def[0] : def;
    assert.ok(loc, 'definition found');
    assert.equal(loc.uri, uri);
    assert.deepEqual(loc.range.start, positionOf(pitfalls, '  gateway:', 2));
    assert.deepEqual(loc.range.end, positionOf(pitfalls, '  gateway:', 9));
    const refs = await client.request<Location[]>('textDocument/references', { textDocument: { uri }, position: at, context: { includeDeclaration: true } });
    assert.deepEqual(
      refs.map((r) => r.range.start).sort((a, b) => a.line - b.line),
      [positionOf(pitfalls, '  gateway:', 2), positionOf(pitfalls, 'call: gateway', 6)],
    );
    const refsOnly = await client.request<Location[]>('textDocument/references', { textDocument: { uri }, position: at, context: { includeDeclaration: false } });
    assert.equal(refsOnly.length, 1);
    const cred = await client.request<Location | null>('textDocument/definition', { textDocument: { uri }, position: positionOf(pitfalls, 'credential: erp-b', 13) });
    assert.deepEqual((Array.isArray(cred) ? cred[0] : cred)?.range.start, positionOf(pitfalls, '  erp-b:', 2));
  });

  it('renames a receiver: key and every reference; rejects invalid and taken names', async () => {
    const at = positionOf(pitfalls, 'call: gateway', 8);
    const prep = await client.request<{ placeholder: string } | null>('textDocument/prepareRename', { textDocument: { uri }, position: at });
    assert.equal(prep?.placeholder, 'gateway');
    const edit = await client.request<WorkspaceEdit>('textDocument/rename', { textDocument: { uri }, position: at, newName: 'sales-gw' });
    const renamed = applyTextEdits(pitfalls, editsFor(edit, uri));
    assert.ok(renamed.includes('\n  sales-gw:'));
    assert.ok(renamed.includes('- call: sales-gw'));
    assert.ok(!/\bgateway:|call: gateway/.test(renamed));
    await assert.rejects(client.request('textDocument/rename', { textDocument: { uri }, position: at, newName: 'bad name: x' }), /not a valid receiver name/);
    await assert.rejects(client.request('textDocument/rename', { textDocument: { uri }, position: at, newName: 's4-cloud' }), /already exists/);
    const none = await client.request('textDocument/prepareRename', { textDocument: { uri }, position: positionOf(pitfalls, 'formatVersion') });
    assert.equal(none, null);
  });

  it('returns a hierarchical outline: receivers with adapters, steps nested in the split', async () => {
    const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
    const names = symbols.map((s) => s.name);
    assert.ok(names.includes('Receivers') && names.includes('Steps') && names.includes('Credentials'), names.join(','));
    const receivers = symbols.find((s) => s.name === 'Receivers')!;
    assert.deepEqual(
      receivers.children?.map((c) => [c.name, c.detail]),
      [
        ['erp-dynamic', 'http'],
        ['erp-other-user', 'http'],
        ['s4-cloud', 'odata v4'],
        ['stateful-service', 'soap soap-1.1'],
        ['gateway', 'odata v2'],
      ],
    );
    const steps = symbols.find((s) => s.name === 'Steps')!;
    assert.deepEqual(steps.children?.map((c) => c.name), ['call erp-dynamic', 'call erp-other-user', 'call s4-cloud', 'call stateful-service', 'lines']);
    const split = steps.children!.find((c) => c.name === 'lines')!;
    assert.deepEqual(split.children?.map((c) => c.name), ['call gateway']);
  });

  it('offers "Migrate to format 2" for a legacy flow', async () => {
    const doc = uriOf('legacy.flow.yaml');
    const text = '# an old flow\nflow: old\nreceivers:\n  erp: { adapter: http, address: https://erp.example.com }\nsteps:\n  - call: erp\n';
    await client.notify('textDocument/didOpen', { textDocument: { uri: doc, languageId: 'yaml', version: 1, text } });
    assert.ok(hasCode(await client.diagnosticsFor(doc, 1), 'flow/legacy-format'));
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri: doc },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [], only: ['source'] },
    });
    const migrate = actions.find((a) => a.title === 'Migrate to format 2');
    assert.ok(migrate, `actions: ${actions.map((a) => a.title).join(', ')}`);
    assert.ok(migrate.kind?.startsWith('source.'));
    const migrated = applyTextEdits(text, editsFor(migrate.edit, doc));
    assert.match(migrated, /formatVersion: 2/);
    assert.match(migrated, /# an old flow/, 'comments kept');
    // Not offered for a current-format flow.
    const none = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [], only: ['source'] },
    });
    assert.equal(none.length, 0);
    await client.notify('textDocument/didClose', { textDocument: { uri: doc } });
  });

  it('survives garbage documents and requests at impossible positions', async () => {
    const doc = uriOf('garbage.flow.yaml');
    const secret = 'hunter2-very-secret-literal';
    const garbage = `\u0000\u0001{{[[: - -\n\t\tpassword: ${secret}\n receivers: {a: [}\n  - call: \u{1F4A5}\n${'{'.repeat(200)}\n&a *b !!tag |\n`;
    await client.notify('textDocument/didOpen', { textDocument: { uri: doc, languageId: 'yaml', version: 1, text: garbage } });
    const diags = await client.diagnosticsFor(doc, 1);
    assert.ok(diags.length > 0, 'garbage is reported');
    const bad = [
      { line: 9999, character: 9999 },
      { line: -1, character: -1 },
      { line: 1, character: 500 },
      { line: 0, character: 0 },
    ];
    for (const position of bad) {
      for (const method of ['textDocument/completion', 'textDocument/hover', 'textDocument/definition', 'textDocument/prepareRename']) {
        await client.request(method, { textDocument: { uri: doc }, position }).catch((err: Error) => {
          // prepareRename may refuse; nothing else may fail.
          assert.equal(method, 'textDocument/prepareRename', `${method} failed: ${err.message}`);
        });
      }
      await client.request('textDocument/references', { textDocument: { uri: doc }, position, context: { includeDeclaration: true } });
    }
    await client.request('textDocument/documentSymbol', { textDocument: { uri: doc } });
    await client.request('textDocument/codeAction', {
      textDocument: { uri: doc },
      range: { start: { line: 50, character: 0 }, end: { line: -3, character: 2 } },
      context: { diagnostics: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, message: 'x', source: 'sessionflow', code: 'no/such-rule', data: 42 }] },
    });
    // Requests for documents the server does not know, and malformed params.
    assert.deepEqual(await client.request('textDocument/completion', { textDocument: { uri: uriOf('unknown.flow.yaml') }, position: { line: 0, character: 0 } }), []);
    await client.request('textDocument/hover', { textDocument: { uri: doc } }).catch(() => undefined);
    await client.request('textDocument/hover', null).catch(() => undefined);
    // Non-flow documents are ignored.
    await client.notify('textDocument/didOpen', { textDocument: { uri: uriOf('notes.yaml'), languageId: 'yaml', version: 1, text: 'a: [' } });
    // Still alive and answering.
    const h = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: positionOf(pitfalls, 'call: s4-cloud', 8) });
    assert.ok(h, 'a later request still answers');
    assert.equal(client.child.exitCode, null);
    assert.equal(client.published(uriOf('notes.yaml')).length, 0, 'non-flow documents are not analysed');
    const logged = client.logs.map((l) => l.message).join('\n') + client.stderr.join('');
    assert.ok(!logged.includes(secret), 'logs never contain document content');
    await client.notify('textDocument/didClose', { textDocument: { uri: doc } });
  });

  it('clears diagnostics on close', async () => {
    const doc = uriOf('closing.flow.yaml');
    await client.notify('textDocument/didOpen', { textDocument: { uri: doc, languageId: 'yaml', version: 1, text: 'flow: c\nformatVersion: 2\nsteps:\n  - call: missing\n' } });
    assert.ok((await client.diagnosticsFor(doc, 1)).length > 0);
    await client.notify('textDocument/didClose', { textDocument: { uri: doc } });
    await client.waitFor('cleared diagnostics', () => {
      const list = client.published(doc);
      const last = list[list.length - 1];
      return last && last.version === undefined && last.diagnostics.length === 0 ? true : undefined;
    });
  });

  it('re-validates open documents when the configuration changes', async () => {
    const before = client.published(uri).length;
    await client.notify('workspace/didChangeConfiguration', { settings: { sessionflow: {} } });
    const latest = await client.waitFor('re-published diagnostics', () => (client.published(uri).length > before ? client.published(uri).at(-1) : undefined));
    assert.ok(hasCode(latest.diagnostics, 'session/unprimed-parallel'));
  });

  it('shuts down cleanly', async () => {
    const failures = client.logs.filter((l) => l.type === 1).map((l) => l.message);
    assert.deepEqual(failures, [], 'no handler failed during the session');
    assert.equal(await client.shutdown(), 0);
  });
});

describe('`sessionflow lsp --stdio` and --node-ipc', () => {
  it('the CLI command speaks LSP over stdio', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['--conditions=sessionflow-source', '--import', 'tsx', join(repoRoot, 'language-server/src/cli/main.ts'), 'lsp', '--stdio'], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const { StreamMessageReader, StreamMessageWriter } = await import('vscode-languageserver/node.js');
    const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const published: PublishDiagnosticsParams[] = [];
    const got = new Promise<void>((resolve) =>
      conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
        published.push(p);
        resolve();
      }),
    );
    conn.listen();
    try {
      const init = (await conn.sendRequest('initialize', { processId: process.pid, rootUri: fileUri(projectDir), capabilities: {} })) as any;
      assert.ok(init.capabilities.hoverProvider);
      await conn.sendNotification('initialized', {});
      const doc = uriOf('cli.flow.yaml');
      await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: doc, languageId: 'yaml', version: 1, text: 'flow: x\nformatVersion: 2\nsteps:\n  - call: ghost\n' } });
      await got;
      assert.ok(published[0]!.diagnostics.some((d) => d.code === 'flow/unknown-receiver'));
      await conn.sendRequest('shutdown');
      await conn.sendNotification('exit');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill();
      conn.dispose();
    }
  });

  it('the server entry speaks LSP over Node IPC (as the VS Code extension forks it)', async () => {
    const child = fork(serverMain, ['--node-ipc'], { cwd: repoRoot, execArgv: ['--conditions=sessionflow-source', '--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const conn = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    conn.listen();
    try {
      await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
      await conn.sendNotification('initialized', {});
      const doc = uriOf('ipc.flow.yaml');
      const text = 'flow: x\nformatVersion: 2\nreceivers:\n  erp: { adapter: http, address: https://erp.example.com }\nsteps:\n  - call: \n';
      await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: doc, languageId: 'yaml', version: 1, text } });
      const items = (await conn.sendRequest('textDocument/completion', { textDocument: { uri: doc }, position: { line: 5, character: 10 } })) as CompletionItem[];
      assert.deepEqual(labels(items), ['erp']);
      await conn.sendRequest('shutdown');
      await conn.sendNotification('exit');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill();
      conn.dispose();
    }
  });

  it('the server entry refuses to start without a transport', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, ['--conditions=sessionflow-source', '--import', 'tsx', serverMain], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--stdio/);
  });
});
