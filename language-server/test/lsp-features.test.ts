/**
 * Editor features of the language server, tested in-process on parsed documents:
 * completion, hover, outline, navigation helpers, conversions and workspace settings.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CompletionItem, DocumentSymbol } from 'vscode-languageserver/node.js';
import { AdapterRegistry, parseFlow } from '@sessionflow/sdk';
import { complete } from '../src/server/completion.js';
import { applyEdits, fromLspDiagnostic, toLspDiagnostic } from '../src/server/convert.js';
import { hover } from '../src/server/hover.js';
import { declarationOf, refAt, referencesTo } from '../src/server/model-walk.js';
import { describeError, isFlowUri } from '../src/server/server.js';
import { documentSymbols } from '../src/server/symbols.js';
import { Workspace, sanitizeSettings } from '../src/server/workspace.js';
import { fileUri, fixturesDir } from './fixtures/lsp/client.js';

let adapters: AdapterRegistry;

before(async () => {
  // builtins: false so the stand-in adapters (extraPackages) win over the real built-ins found in the
  // workspace's node_modules: these tests pin the stand-ins' schemas.
  adapters = await AdapterRegistry.load({ projectDir: join(fixturesDir, 'project'), extraPackages: [join(fixturesDir, 'adapters')], builtins: false });
});

/** Completion at the `<|>` marker. */
function completeAt(marked: string): { items: CompletionItem[]; text: string; doc: TextDocument } {
  const offset = marked.indexOf('<|>');
  assert.ok(offset >= 0);
  const text = marked.slice(0, offset) + marked.slice(offset + 3);
  const doc = TextDocument.create('file:///t/x.flow.yaml', 'yaml', 1, text);
  const items = complete({ doc, fd: parseFlow(text, { uri: doc.uri }), adapters, offset });
  return { items, text, doc };
}

const labels = (items: CompletionItem[]) => items.map((i) => i.label);

const FLOW = `flow: features
formatVersion: 2
runtime:
  sessionHandling: onExchange
credentials:
  erp-user: { type: basic }
  s4: { type: oauth2-client-credentials }
receivers:
  gw:
    adapter: odata
    variant: v2
    address: https://gw.example.com/sap/opu/odata/sap/API_SRV
    auth:
      type: basic
      credential: erp-user
    config:
      operation: read
processes:
  enrich:
    steps:
      - call: gw
steps:
  - send: gw
    method: GET
  - process: enrich
  - id: fan
    multicast:
      parallel: false
      branches:
        - - call: gw
        - - set: { properties: { a: "1" } }
  - route:
      when:
        - if: \${header.kind}
          steps:
            - call: gw
      otherwise:
        - loop:
            while: \${property.more}
            max: 3
            steps:
              - call: gw
`;

describe('completion', () => {
  it('offers adapter config fields from the adapter configSchema, with docs and defaults', () => {
    const { items } = completeAt(FLOW.replace('      operation: read\n', '      operation: read\n      <|>\n'));
    assert.deepEqual(labels(items).sort(), ['entitySet', 'pageAll'], 'operation is already present');
    const page = items.find((i) => i.label === 'pageAll')!;
    assert.match((page.documentation as { value: string }).value, /nextLink/);
    assert.match((page.documentation as { value: string }).value, /Default: `true`/);
  });

  it('offers enum values of an adapter config field, marking the default', () => {
    const { items } = completeAt(FLOW.replace('operation: read', 'operation: <|>'));
    assert.ok(labels(items).includes('batch'));
    assert.equal(items.find((i) => i.label === 'query')?.detail, '(default)');
  });

  it('offers process names after `process:` and credential names after `credential:`', () => {
    assert.deepEqual(labels(completeAt(FLOW.replace('- process: enrich', '- process: <|>')).items), ['enrich']);
    assert.deepEqual(labels(completeAt(FLOW.replace('credential: erp-user', 'credential: <|>')).items).sort(), ['erp-user', 's4']);
  });

  it('offers credential names inside a one-line flow mapping', () => {
    const text = FLOW.replace('    auth:\n      type: basic\n      credential: erp-user\n', '    auth: { type: basic, credential: <|> }\n');
    assert.deepEqual(labels(completeAt(text).items).sort(), ['erp-user', 's4']);
  });

  it('replaces the partial word being typed', () => {
    const { items, text, doc } = completeAt(FLOW.replace('sessionHandling: onExchange', 'sessionHandling: onInt<|>'));
    const item = items.find((i) => i.label === 'onIntegrationFlow')!;
    const edit = item.textEdit as { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string };
    const start = doc.offsetAt(edit.range.start);
    const end = doc.offsetAt(edit.range.end);
    assert.equal(text.slice(start, end), 'onInt');
    assert.match(applyEdits(text, [{ range: { start, end }, newText: edit.newText }]), /sessionHandling: onIntegrationFlow\n/);
  });

  it('adds the missing space after `:` or `-`', () => {
    const { items } = completeAt(FLOW.replace('- send: gw', '- send:<|>'));
    assert.equal((items.find((i) => i.label === 'gw')!.textEdit as { newText: string }).newText, ' gw');
    const steps = completeAt(FLOW + '  -<|>\n').items;
    assert.equal((steps.find((i) => i.label === 'call')!.textEdit as { newText: string }).newText, ' call: ');
  });

  it('narrows step keys to the step kind already written', () => {
    const keys = labels(completeAt(FLOW.replace('    method: GET\n', '    method: GET\n    <|>\n')).items);
    assert.ok(keys.includes('headers') && keys.includes('body') && keys.includes('id'), keys.join(','));
    assert.ok(!keys.includes('split') && !keys.includes('call') && !keys.includes('method'), keys.join(','));
  });

  it('offers every step kind on a new sequence item', () => {
    const keys = labels(completeAt(FLOW + '  - <|>\n').items);
    for (const k of ['call', 'send', 'split', 'multicast', 'loop', 'route', 'process', 'set', 'script']) assert.ok(keys.includes(k), k);
  });

  it('offers modes, booleans, auth types and session values', () => {
    assert.deepEqual(labels(completeAt(FLOW.replace('      type: basic', '      type: <|>')).items).sort(), [
      'basic',
      'client-certificate',
      'none',
      'oauth2-client-credentials',
      'oauth2-saml-bearer',
      'principal-propagation',
    ]);
    // A credential declaration's type: the credential kinds only.
    const credentialTypes = labels(completeAt(FLOW.replace('erp-user: { type: basic }', 'erp-user: { type: <|> }')).items);
    assert.ok(credentialTypes.includes('basic') && !credentialTypes.includes('principal-propagation'), credentialTypes.join(','));
    assert.deepEqual(labels(completeAt(FLOW.replace('    variant: v2\n', '    variant: v2\n    csrf: <|>\n')).items), ['true', 'false']);
    assert.deepEqual(labels(completeAt(FLOW.replace('    variant: v2\n', '    variant: v2\n    session: <|>\n')).items).sort(), ['inherit', 'none']);
    assert.deepEqual(labels(completeAt(FLOW.replace('parallel: false', 'parallel: <|>')).items), ['true', 'false']);
  });

  it('offers root keys not yet present, inserting a block for objects', () => {
    const { items } = completeAt(FLOW.replace('runtime:\n', '<|>\nruntime:\n'));
    const keys = labels(items);
    assert.ok(keys.includes('description') && keys.includes('sender'), keys.join(','));
    assert.ok(!keys.includes('flow') && !keys.includes('runtime') && !keys.includes('steps'));
    const sender = items.find((i) => i.label === 'sender')!;
    assert.equal((sender.textEdit as { newText: string }).newText, 'sender:\n  ');
    assert.equal((items.find((i) => i.label === 'description')!.textEdit as { newText: string }).newText, 'description: ');
  });

  it('returns nothing in comments and never throws on odd input', () => {
    assert.deepEqual(completeAt('flow: x # <|>\n').items, []);
    for (const text of ['', '\u0000', '- - [', '{a: {b: {c: ', 'receivers:\n  x:\n    config:\n      ']) {
      for (const offset of [0, text.length, 9999]) {
        const doc = TextDocument.create('file:///t/y.flow.yaml', 'yaml', 1, text);
        assert.doesNotThrow(() => complete({ doc, fd: parseFlow(text), adapters, offset }));
      }
    }
  });
});

describe('hover', () => {
  const fd = parseFlow(FLOW);
  it('describes a process reference and a credential reference', () => {
    const p = hover(fd, FLOW.indexOf('process: enrich') + 10, [], adapters);
    assert.match(p!.markdown, /Local process `enrich`.*1 step/);
    const c = hover(fd, FLOW.indexOf('credential: erp-user') + 13, [], adapters);
    assert.match(c!.markdown, /Credential `erp-user`.*type `basic`/);
  });

  it('documents adapter config fields from the adapter schema', () => {
    const h = hover(fd, FLOW.indexOf('operation: read') + 2, [], adapters);
    assert.match(h!.markdown, /Operation/);
    assert.match(h!.markdown, /Allowed values: .*`batch`/);
  });

  it('reports an undeclared receiver on a call to it', () => {
    const text = FLOW.replace('- send: gw', '- send: ghost');
    const h = hover(parseFlow(text), text.indexOf('send: ghost') + 7, [], adapters);
    assert.match(h!.markdown, /No receiver named `ghost`/);
  });
});

describe('outline and references', () => {
  const fd = parseFlow(FLOW);
  const doc = TextDocument.create('file:///t/x.flow.yaml', 'yaml', 1, FLOW);
  const byName = (list: DocumentSymbol[] | undefined, name: string) => list?.find((s) => s.name === name);

  it('nests multicast branches, route branches and loop bodies; lists processes with their steps', () => {
    const symbols = documentSymbols(doc, fd.flow);
    assert.deepEqual(symbols.map((s) => s.name), ['Receivers', 'Credentials', 'Processes', 'Steps']);
    const steps = byName(symbols, 'Steps')!.children!;
    assert.deepEqual(steps.map((s) => s.name), ['send gw', 'process enrich', 'fan', 'route']);
    assert.deepEqual(byName(steps, 'fan')!.children!.map((b) => [b.name, b.children!.map((c) => c.name)]), [
      ['branch 1', ['call gw']],
      ['branch 2', ['set']],
    ]);
    const route = byName(steps, 'route')!;
    assert.deepEqual(route.children!.map((b) => b.name), ['when 1', 'otherwise']);
    assert.deepEqual(byName(route.children, 'otherwise')!.children![0]!.children!.map((c) => c.name), ['call gw']);
    assert.deepEqual(byName(byName(symbols, 'Processes')!.children, 'enrich')!.children!.map((c) => c.name), ['call gw']);
    // Every selection range lies inside its range.
    const inside = (s: DocumentSymbol): void => {
      const before = (a: { line: number; character: number }, b: { line: number; character: number }) => a.line < b.line || (a.line === b.line && a.character <= b.character);
      assert.ok(before(s.range.start, s.selectionRange.start) && before(s.selectionRange.end, s.range.end), s.name);
      s.children?.forEach(inside);
    };
    symbols.forEach(inside);
  });

  it('finds every reference to a receiver, in processes and nested steps too', () => {
    const ref = refAt(fd.flow, FLOW.indexOf('  gw:') + 3)!;
    assert.equal(ref.kind, 'receiver');
    assert.equal(ref.declaration, true);
    assert.equal(referencesTo(fd.flow, 'receiver', 'gw', false).length, 5);
    assert.equal(referencesTo(fd.flow, 'receiver', 'gw', true).length, 6);
  });

  it('resolves `process:` to the process key', () => {
    const ref = refAt(fd.flow, FLOW.indexOf('process: enrich') + 10)!;
    assert.deepEqual([ref.kind, ref.name, ref.declaration], ['process', 'enrich', false]);
    const decl = declarationOf(fd.flow, 'process', 'enrich')!;
    assert.equal(FLOW.slice(decl.range.start, decl.range.end), 'enrich');
    assert.equal(decl.range.start, FLOW.indexOf('  enrich:') + 2);
  });
});

describe('conversions and settings', () => {
  it('round-trips a diagnostic through the protocol type, carrying rule and data', () => {
    const doc = TextDocument.create('file:///t/x.flow.yaml', 'yaml', 3, 'a: 1\nbé: 😀 2\n');
    const lsp = toLspDiagnostic(doc, { rule: 'x/y', severity: 'hint', message: 'm', range: { start: 9, end: 13 }, data: { k: [1] } });
    assert.deepEqual(lsp.range, { start: { line: 1, character: 4 }, end: { line: 1, character: 8 } });
    assert.equal(lsp.code, 'x/y');
    assert.equal(lsp.source, 'sessionflow');
    assert.equal(lsp.severity, 4);
    const back = fromLspDiagnostic(doc, lsp)!;
    assert.deepEqual(back, { rule: 'x/y', severity: 'hint', message: 'm', range: { start: 9, end: 13 }, data: { k: [1] } });
    assert.equal(fromLspDiagnostic(doc, { ...lsp, source: 'other' }), undefined);
  });

  it('clamps ranges outside the text', () => {
    const doc = TextDocument.create('file:///t/x.flow.yaml', 'yaml', 1, 'ab\n');
    const lsp = toLspDiagnostic(doc, { rule: 'r', severity: 'error', message: 'm', range: { start: -4, end: 99 } });
    assert.deepEqual(lsp.range, { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } });
  });

  it('analyses only flow files', () => {
    assert.ok(isFlowUri('file:///a/b.flow.yaml'));
    assert.ok(isFlowUri('file:///a/B.FLOW.YML'));
    assert.ok(isFlowUri('untitled:x.flow.json'));
    assert.ok(!isFlowUri('file:///a/b.yaml'));
    assert.ok(!isFlowUri('file:///a/flow.yaml'));
  });

  it('logs errors without their message', () => {
    const err = new Error('secret-value-in-message');
    assert.ok(!describeError(err).includes('secret-value'));
    assert.match(describeError(err), /^Error/);
  });

  it('sanitizes settings and merges severities: project file < initialization options < client settings', async () => {
    assert.deepEqual(sanitizeSettings({ adapterPackages: ['a', 3, ''], rules: { 'x/y': 'off', 'x/z': 'loud', 'x/w': 'error' } }), {
      adapterPackages: ['a'],
      rules: { 'x/y': 'off', 'x/w': 'error' },
    });
    const fetched: (string | undefined)[] = [];
    const ws = new Workspace({
      log: () => undefined,
      fetchSettings: async (scope) => {
        fetched.push(scope);
        return { rules: { 'b/b': 'hint' } };
      },
    });
    const root = join(fixturesDir, 'project');
    ws.setFolders([fileUri(join(fixturesDir)), fileUri(root)]);
    ws.setInitializationOptions({ rules: { 'a/a': 'warning', 'b/b': 'error' }, adapterPackages: [join(fixturesDir, 'adapters')] });
    const { dir } = ws.folderOf(fileUri(join(root, 'x.flow.yaml')));
    assert.equal(dir, root, 'the innermost folder');
    const ctx = await ws.contextFor(fileUri(join(root, 'x.flow.yaml')));
    assert.equal(ctx.severities['session/stateful-flow-scope'], 'info', 'from sessionflow.config.yaml');
    assert.equal(ctx.severities['session/csrf-flow-scope'], 'hint', 'from sessionflow.config.yaml');
    assert.equal(ctx.severities['a/a'], 'warning');
    assert.equal(ctx.severities['b/b'], 'hint');
    assert.deepEqual(fetched, [fileUri(root)]);
    assert.ok(ctx.adapters.ids().includes('odata'), 'configured adapter packages are loaded');
    assert.ok(ctx.adapters.ids().includes('http'), 'built-ins are loaded');
    // Cached until settings change.
    await ws.contextFor(fileUri(join(root, 'y.flow.yaml')));
    assert.equal(fetched.length, 1);
    ws.settingsChanged({ sessionflow: {} });
    await ws.contextFor(fileUri(join(root, 'y.flow.yaml')));
    assert.equal(fetched.length, 2);
  });

  it('reports unreadable client settings as a problem instead of failing', async () => {
    const ws = new Workspace({
      log: () => undefined,
      fetchSettings: async () => {
        throw new Error('client went away');
      },
    });
    const ctx = await ws.contextFor('file:///nonexistent-dir/x.flow.yaml');
    assert.ok(ctx.problems.some((p) => p.includes('client went away')));
    assert.ok(Array.isArray(ctx.adapters.ids()));
  });
});
