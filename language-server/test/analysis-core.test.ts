/**
 * The analysis core around the rules: severity configuration, disable comments, isolation of
 * failing rules, refused adapter packages, migration edits on unusual layouts, helpers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlow } from '@sessionflow/sdk';
import {
  analyze,
  analyzeWith,
  applyEdits,
  closest,
  INTERNAL_RULE,
  levenshtein,
  migrationEdits,
  quickFixes,
  ruleByName,
  rules,
  setModeEdits,
  type AdapterCatalog,
  type Rule,
} from '../src/index.js';
import { countPerExchange, calledReceiver } from './support/reference-walkers.js';
import { testCatalog } from './fixtures/adapters.js';

const options = { adapters: testCatalog() };

const SAMPLE = `flow: sample
formatVersion: 2
runtime:
  sessionHandling: onIntegrationFlow
credentials:
  u: { type: basic }
receivers:
  gw:
    adapter: odata
    address: https://gw.example.com/odata
    auth: { type: basic, credential: u }
    csrf: true
    stateful: true
steps:
  - call: gw
`;

function rulesOf(text: string, opts = options): string[] {
  return analyze(parseFlow(text), opts).map((d) => d.rule);
}

test('severities: overrides change the level, off removes the rule', () => {
  const base = analyze(parseFlow(SAMPLE), options);
  const csrf = base.find((d) => d.rule === 'session/csrf-flow-scope');
  assert.equal(csrf?.severity, 'warning');
  const changed = analyze(parseFlow(SAMPLE), { ...options, severities: { 'session/csrf-flow-scope': 'error', 'session/stateful-flow-scope': 'off' } });
  assert.equal(changed.find((d) => d.rule === 'session/csrf-flow-scope')?.severity, 'error');
  assert.ok(base.some((d) => d.rule === 'session/stateful-flow-scope'));
  assert.ok(!changed.some((d) => d.rule === 'session/stateful-flow-scope'));
});

test('diagnostics are sorted by offset', () => {
  const diags = analyze(parseFlow(SAMPLE), options);
  assert.ok(diags.length >= 2);
  for (let i = 1; i < diags.length; i++) assert.ok((diags[i - 1]?.range.start ?? 0) <= (diags[i]?.range.start ?? 0));
});

test('disable-next-line silences the named rules on the next line only', () => {
  const text = SAMPLE.replace('    csrf: true\n', '    # sessionflow-disable-next-line session/csrf-flow-scope\n    csrf: true\n');
  const r = rulesOf(text);
  assert.ok(!r.includes('session/csrf-flow-scope'));
  assert.ok(r.includes('session/stateful-flow-scope'), 'other lines are unaffected');

  const list = SAMPLE.replace('    csrf: true\n    stateful: true\n', '    # sessionflow-disable-next-line session/csrf-flow-scope, session/stateful-flow-scope -- reviewed\n    csrf: true\n    stateful: true\n');
  const r2 = rulesOf(list);
  assert.ok(!r2.includes('session/csrf-flow-scope'));
  assert.ok(r2.includes('session/stateful-flow-scope'), 'the next line only: stateful is one line further');

  const stacked = SAMPLE.replace('    stateful: true\n', '    # sessionflow-disable-next-line session/stateful-flow-scope\n    # a second comment line\n\n    stateful: true\n');
  assert.ok(!rulesOf(stacked).includes('session/stateful-flow-scope'), 'comment-only and blank lines are skipped');

  const all = SAMPLE.replace('    csrf: true\n', '    # sessionflow-disable-next-line\n    csrf: true\n');
  assert.ok(!rulesOf(all).includes('session/csrf-flow-scope'), 'no list = every rule');

  const other = SAMPLE.replace('    csrf: true\n', '    # sessionflow-disable-next-line session/stateful-flow-scope\n    csrf: true\n');
  assert.ok(rulesOf(other).includes('session/csrf-flow-scope'), 'a different rule name does not silence it');

  const inString = SAMPLE.replace('    csrf: true\n', '    description: "# sessionflow-disable-next-line session/csrf-flow-scope"\n    csrf: true\n');
  assert.ok(rulesOf(inString).includes('session/csrf-flow-scope'), 'text inside a string is not a comment');
});

test('a rule that throws is isolated and reported as an internal diagnostic', () => {
  const boom: Rule = {
    name: 'test/boom',
    defaultSeverity: 'error',
    docs: { summary: 's', why: 'w', example: 'e', fix: 'f' },
    check() {
      throw new Error('kaputt');
    },
  };
  const csrf = ruleByName('session/csrf-flow-scope') as Rule;
  const diags = analyzeWith(parseFlow(SAMPLE), options, [boom, csrf]);
  const internal = diags.find((d) => d.rule === INTERNAL_RULE);
  assert.ok(internal);
  assert.match(internal.message, /test\/boom failed.*kaputt/);
  assert.ok(diags.some((d) => d.rule === 'session/csrf-flow-scope'), 'the other rules still run');
});

test('a catalog that throws does not crash the analysis', () => {
  const bad: AdapterCatalog = {
    get() {
      throw new Error('broken catalog');
    },
    ids: () => ['http'],
  };
  assert.doesNotThrow(() => analyze(parseFlow(SAMPLE), { adapters: bad }));
});

test('a refused adapter package is named on receivers that use its adapter', () => {
  const message = 'adapter package "@acme/sessionflow-adapter-crm@2.0.0" targets Sessionflow adapter API 2, but this SDK implements API 1';
  const catalog = testCatalog([{ packageName: '@acme/sessionflow-adapter-crm', code: 'SF_ADAPTER_API_VERSION', message }]);
  const text = 'flow: x\nformatVersion: 2\nreceivers:\n  crm:\n    adapter: crm\n    address: https://crm.example.com/\nsteps:\n  - call: crm\n';
  const doc = parseFlow(text);
  const d = analyze(doc, { adapters: catalog }).find((x) => x.rule === 'flow/unknown-adapter');
  assert.ok(d);
  assert.equal(text.slice(d.range.start, d.range.end), 'crm');
  assert.match(d.message, /package was refused: .*adapter API 2/);
  // An unrelated missing adapter lists the refused package too.
  const d2 = analyze(parseFlow(text.replace('adapter: crm', 'adapter: erp')), { adapters: catalog }).find((x) => x.rule === 'flow/unknown-adapter');
  assert.match(d2?.message ?? '', /failed to load: @acme\/sessionflow-adapter-crm/);
});

test('quickFixes never throws on foreign or malformed diagnostics', () => {
  const doc = parseFlow(SAMPLE);
  assert.deepEqual(quickFixes(doc, { rule: 'nope/none', severity: 'error', message: 'm', range: { start: 0, end: 1 } }, options), []);
  for (const rule of rules) {
    const fixes = quickFixes(doc, { rule: rule.name, severity: 'error', message: 'm', range: { start: 5, end: 2 }, data: { receiver: 42, stepPath: 'x', mapPath: [1, 2] } }, options);
    for (const f of fixes) for (const e of f.edits) assert.ok(e.range.start <= e.range.end && e.range.end <= SAMPLE.length);
  }
});

test('migration: keeps comments, merges into an existing runtime map, CRLF stays CRLF', () => {
  const flowRuntime = 'flow: x   # id\nruntime: { log: debug }   # flow style\nsteps: []\n';
  assert.equal(applyEdits(flowRuntime, migrationEdits(parseFlow(flowRuntime))), 'flow: x   # id\nformatVersion: 2\nruntime: { log: debug, sessionHandling: none }   # flow style\nsteps: []\n');

  const crlf = 'flow: x\r\nruntime:\r\n  log: info\r\nsteps: []\r\n';
  assert.equal(applyEdits(crlf, migrationEdits(parseFlow(crlf))), 'flow: x\r\nformatVersion: 2\r\nruntime:\r\n  sessionHandling: none\r\n  log: info\r\nsteps: []\r\n');

  const kept = 'flow: x\nruntime:\n  sessionHandling: onExchange\nsteps: []\n';
  assert.equal(applyEdits(kept, migrationEdits(parseFlow(kept))), 'flow: x\nformatVersion: 2\nruntime:\n  sessionHandling: onExchange\nsteps: []\n', 'an explicit mode is kept');

  const noId = '# header\nsteps: []\n';
  assert.equal(applyEdits(noId, migrationEdits(parseFlow(noId))), '# header\nformatVersion: 2\nruntime:\n  sessionHandling: none\nsteps: []\n');

  const lastLine = 'flow: x';
  const migrated = applyEdits(lastLine, migrationEdits(parseFlow(lastLine)));
  assert.equal(migrated, 'flow: x\nformatVersion: 2\nruntime:\n  sessionHandling: none\n');
  assert.equal(parseFlow(migrated).isLegacy, false);

  const four = 'flow: x\nformatVersion: 2\nreceivers:\n    a:\n        adapter: http\nsteps: []\n';
  assert.equal(applyEdits(four, setModeEdits(parseFlow(four), 'onExchange')), 'flow: x\nformatVersion: 2\nruntime:\n    sessionHandling: onExchange\nreceivers:\n    a:\n        adapter: http\nsteps: []\n', 'indentation unit of the file');
});

test('helpers: edit distance, suggestions, per-exchange counts', () => {
  assert.equal(levenshtein('kitten', 'sitting'), 3);
  assert.equal(closest('htp', ['http', 'soap']), 'http');
  assert.equal(closest('ODATA', ['odata', 'odc']), 'odata');
  assert.equal(closest('completely-different', ['http', 'soap']), undefined);
  const text = `flow: x
formatVersion: 2
receivers:
  a: { adapter: http, address: https://a.example.com/ }
steps:
  - route:
      when:
        - if: "\${header.x} == '1'"
          steps: [ { call: a } ]
      otherwise: [ { call: a } ]
`;
  const flow = parseFlow(text).flow;
  assert.equal(countPerExchange(flow, flow.steps, (s) => calledReceiver(s) === 'a'), 1, 'route branches are alternatives');
  const looped = parseFlow(text.replace('  - route:', '  - call: a\n  - route:')).flow;
  assert.equal(countPerExchange(looped, looped.steps, (s) => calledReceiver(s) === 'a'), 2);
});

test('applyEdits applies edits in offset order, insertions at one offset in given order', () => {
  assert.equal(
    applyEdits('abcdef', [
      { range: { start: 4, end: 6 }, newText: 'X' },
      { range: { start: 0, end: 0 }, newText: '1' },
      { range: { start: 0, end: 0 }, newText: '2' },
    ]),
    '12abcdX',
  );
});
