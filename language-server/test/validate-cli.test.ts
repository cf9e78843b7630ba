/**
 * `sessionflow validate` and `sessionflow migrate` through main() with captured I/O, on
 * temporary project folders. SARIF output is checked field by field and against the SARIF
 * 2.1.0 JSON schema (fixtures/sarif-2.1.0-rtm.5.json, copied from the MIT-licensed npm package
 * @microsoft/jest-sarif@1.0.0-beta.0, lib/schemas/).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { main } from '../src/cli/main.js';
import { rules } from '../src/index.js';
import { EXAMPLES_DIR } from './fixtures/paths.js';

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(cwd: string, ...argv: string[]): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    cwd,
    env: {},
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const dirs: string[] = [];
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sessionflow-validate-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    const p = join(dir, name);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, text);
  }
  return dir;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const CLEAN = `flow: clean
formatVersion: 2
receivers:
  api:
    adapter: http
    address: https://api.example.com/
    auth: { type: none }
steps:
  - call: api
`;
const BROKEN = `flow: broken
formatVersion: 2
runtime:
  sessionHandling: none
receivers:
  api:
    adapter: http
    address: https://api.example.com/
    auth: { type: none }
    csrf: true
steps:
  - call: apj
`;

function files(): Record<string, string> {
  return {
    'flows/clean.flow.yaml': CLEAN,
    'flows/sub/broken.flow.yaml': BROKEN,
    'flows/notes.yaml': 'not: a flow\n',
    'node_modules/dep/skipped.flow.yaml': 'flow: [broken\n',
    '.hidden/skipped.flow.yaml': 'flow: [broken\n',
  };
}

test('validate: text output with 1-based positions, recursion, skipped folders, exit 1 on errors', async () => {
  const dir = project(files());
  const r = await cli(dir, 'validate');
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^flows\/sub\/broken\.flow\.yaml:10:11 error session\/csrf-without-session /m);
  assert.match(r.stdout, /^flows\/sub\/broken\.flow\.yaml:12:11 error flow\/unknown-receiver .*did you mean "api"/m);
  assert.ok(!r.stdout.includes('skipped.flow.yaml'), 'node_modules and hidden folders are skipped');
  assert.ok(!r.stdout.includes('notes.yaml'));
  assert.match(r.stdout, /2 flow files checked: 2 error\(s\), 0 warning\(s\)/);
});

test('validate: a clean file exits 0; a missing path exits 2 with a clear message', async () => {
  const dir = project(files());
  const ok = await cli(dir, 'validate', 'flows/clean.flow.yaml');
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^1 flow file checked: 0 error/m);
  const missing = await cli(dir, 'validate', 'flows/nope.flow.yaml');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /path not found: flows\/nope\.flow\.yaml/);
  assert.ok(!missing.stderr.includes('    at '), 'no stack trace');
  const empty = project({ 'readme.md': '# nothing\n' });
  const none = await cli(empty, 'validate');
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no flow files/);
  const badFormat = await cli(dir, 'validate', '--format', 'xml');
  assert.equal(badFormat.code, 2);
  assert.match(badFormat.stderr, /--format must be one of text, json, sarif/);
});

test('validate: JSON output', async () => {
  const dir = project(files());
  const r = await cli(dir, 'validate', 'flows', '--format', 'json');
  assert.equal(r.code, 1);
  const items = JSON.parse(r.stdout) as { file: string; line: number; column: number; severity: string; rule: string; message: string; range: { start: number; end: number } }[];
  const unknown = items.find((i) => i.rule === 'flow/unknown-receiver');
  assert.ok(unknown);
  assert.equal(unknown.file, 'flows/sub/broken.flow.yaml');
  assert.equal(unknown.line, 12);
  assert.equal(unknown.column, 11);
  assert.equal(BROKEN.slice(unknown.range.start, unknown.range.end), 'apj');
  assert.equal(unknown.severity, 'error');
});

test('validate: SARIF 2.1.0 output has the fields code scanning needs and matches the schema', async () => {
  const dir = project(files());
  const r = await cli(dir, 'validate', '--format', 'sarif');
  assert.equal(r.code, 1);
  const log = JSON.parse(r.stdout) as Record<string, any>;
  assert.equal(log.version, '2.1.0');
  assert.match(log.$schema, /sarif-2\.1\.0/);
  assert.equal(log.runs.length, 1);
  const run = log.runs[0];
  const driver = run.tool.driver;
  assert.equal(driver.name, 'sessionflow');
  assert.ok(typeof driver.version === 'string');
  const ids = driver.rules.map((x: { id: string }) => x.id);
  for (const rule of rules) assert.ok(ids.includes(rule.name), `driver lists ${rule.name}`);
  for (const d of driver.rules) {
    assert.ok(d.shortDescription.text.length > 0 && d.fullDescription.text.length > 0, d.id);
    assert.ok(d.help.text.length > 0 && d.help.markdown.includes('```yaml'), d.id);
    assert.ok(['error', 'warning', 'note', 'none'].includes(d.defaultConfiguration.level), d.id);
  }
  assert.equal(driver.rules[ids.indexOf('security/inline-secret')].defaultConfiguration.level, 'error');
  assert.equal(driver.rules[ids.indexOf('flow/unused-receiver')].defaultConfiguration.level, 'note');
  assert.ok(run.results.length >= 2);
  for (const res of run.results) {
    assert.equal(driver.rules[res.ruleIndex].id, res.ruleId);
    assert.ok(['error', 'warning', 'note'].includes(res.level));
    assert.ok(res.message.text.length > 0);
    const loc = res.locations[0].physicalLocation;
    assert.equal(loc.artifactLocation.uri, 'flows/sub/broken.flow.yaml');
    assert.ok(loc.region.startLine >= 1 && loc.region.startColumn >= 1 && loc.region.endLine >= loc.region.startLine);
  }
  const unknown = run.results.find((x: { ruleId: string }) => x.ruleId === 'flow/unknown-receiver');
  assert.deepEqual(unknown.locations[0].physicalLocation.region, { startLine: 12, startColumn: 11, endLine: 12, endColumn: 14 });

  const schema = JSON.parse(readFileSync(new URL('./fixtures/sarif-2.1.0-rtm.5.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  delete schema.$schema; // draft-04 header; the keywords used are the same in draft-07
  delete schema.id;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false });
  const validate = ajv.compile(schema);
  assert.ok(validate(log), JSON.stringify(validate.errors?.slice(0, 5), null, 2));
  // The validator is real: a broken log fails.
  assert.equal(validate({ ...log, runs: [{ ...run, results: [{ ...run.results[0], level: 'fatal' }] }] }), false);
});

test('validate: --config and package.json settings change severities; a missing config exits 2', async () => {
  const dir = project({
    ...files(),
    'strict.yaml': 'rules:\n  flow/unknown-receiver: warning\n  session/csrf-without-session: off\n  no/such-rule: error\n',
  });
  const r = await cli(dir, 'validate', '--config', 'strict.yaml');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /warning flow\/unknown-receiver/);
  assert.ok(!r.stdout.includes('session/csrf-without-session'));
  assert.match(r.stderr, /unknown rule "no\/such-rule"/);
  const missing = await cli(dir, 'validate', '--config', 'nope.yaml');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /config file not found: .*nope\.yaml/);

  const pkg = project({ ...files(), 'package.json': JSON.stringify({ name: 'p', sessionflow: { rules: { 'flow/unknown-receiver': 'off', 'session/csrf-without-session': 'hint' } } }) });
  const viaPkg = await cli(pkg, 'validate', '--format', 'json');
  assert.equal(viaPkg.code, 0, viaPkg.stderr);
  const items = JSON.parse(viaPkg.stdout) as { rule: string; severity: string }[];
  assert.ok(!items.some((i) => i.rule === 'flow/unknown-receiver'));
  assert.equal(items.find((i) => i.rule === 'session/csrf-without-session')?.severity, 'hint');
});

test('validate: the shared examples (only adapters installed in this workspace)', async () => {
  for (const name of ['csrf-splitter', 'high-load-stateless', 'stateful-paging', 'two-users']) {
    const r = await cli(EXAMPLES_DIR, 'validate', `${name}.flow.yaml`);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.stdout.trim(), '1 flow file checked: 0 error(s), 0 warning(s), 0 info/hint(s)');
  }
  const pitfalls = await cli(EXAMPLES_DIR, 'validate', 'pitfalls.flow.yaml');
  assert.equal(pitfalls.code, 1);
  assert.match(pitfalls.stdout, /pitfalls\.flow\.yaml:\d+:\d+ warning session\/dynamic-user-flow-scope/);
});

const LEGACY = `# Orders flow, format 1.
flow: orders   # id
description: Post orders.
runtime:
  log: debug   # verbose

receivers:
  erp: { adapter: http, address: https://erp.example.com/, auth: { type: none } }

steps:
  - call: erp
`;

test('migrate: rewrites a legacy file in place, keeps comments, reports the change; idempotent', async () => {
  const dir = project({ 'orders.flow.yaml': LEGACY });
  const check = await cli(dir, 'migrate', 'orders.flow.yaml', '--check');
  assert.equal(check.code, 1);
  assert.match(check.stdout, /orders\.flow\.yaml: legacy flow \(format 1\), would change:/);
  assert.equal(readFileSync(join(dir, 'orders.flow.yaml'), 'utf8'), LEGACY, '--check changes nothing');

  const r = await cli(dir, 'migrate', 'orders.flow.yaml');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    readFileSync(join(dir, 'orders.flow.yaml'), 'utf8'),
    LEGACY.replace('flow: orders   # id\n', 'flow: orders   # id\nformatVersion: 2\n').replace('runtime:\n', 'runtime:\n  sessionHandling: none\n'),
  );
  assert.match(r.stdout, /line 3: \+ formatVersion: 2/);
  assert.match(r.stdout, /line 5: \+ {3}sessionHandling: none/);

  const again = await cli(dir, 'migrate', 'orders.flow.yaml');
  assert.equal(again.code, 0);
  assert.match(again.stdout, /already format 2, nothing to do/);
  const validated = await cli(dir, 'validate', 'orders.flow.yaml');
  assert.ok(!validated.stdout.includes('flow/legacy-format'));
});

test('migrate: missing file exits 2, a file with YAML errors is refused', async () => {
  const dir = project({ 'bad.flow.yaml': 'flow: x\nsteps: [\n' });
  const missing = await cli(dir, 'migrate', 'nope.flow.yaml');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /file not found: nope\.flow\.yaml/);
  const bad = await cli(dir, 'migrate', 'bad.flow.yaml');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /cannot migrate bad\.flow\.yaml: bad\.flow\.yaml:\d+:\d+ YAML syntax/);
  assert.equal(readFileSync(join(dir, 'bad.flow.yaml'), 'utf8'), 'flow: x\nsteps: [\n');
  const usage = await cli(dir, 'migrate');
  assert.equal(usage.code, 2);
});

test('validate: a receiver whose adapter package was refused (other API version) gets the reason', async () => {
  const dir = project({
    'node_modules/@acme/sessionflow-adapter-crm/package.json': JSON.stringify({
      name: '@acme/sessionflow-adapter-crm',
      version: '2.0.0',
      keywords: ['sessionflow-adapter'],
      sessionflow: { apiVersion: 2, adapters: ['./index.js'] },
    }),
    'node_modules/@acme/sessionflow-adapter-crm/index.js': 'export default {};\n',
    'crm.flow.yaml': 'flow: crm\nformatVersion: 2\nreceivers:\n  crm:\n    adapter: crm\n    address: https://crm.example.com/\nsteps:\n  - call: crm\n',
  });
  const r = await cli(dir, 'validate', 'crm.flow.yaml');
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^crm\.flow\.yaml:5:14 error flow\/unknown-adapter receiver "crm": adapter "crm" is not available because its package was refused: .*adapter API 2/m);
  assert.match(r.stderr, /warning: .*targets Sessionflow adapter API 2/);
});
