import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { main } from '../src/cli/main.js';
import type { CliIO } from '../src/cli/io.js';

const sdkEntry = pathToFileURL(fileURLToPath(new URL('../../sdk/src/index.ts', import.meta.url))).href;

function capture(cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, cwd, env: {} };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

interface Fixture {
  pkg?: Record<string, unknown>;
  variant?: Record<string, unknown>;
  /** Module source replacing the default entry. */
  entry?: string;
  readme?: string | null;
  defineVersion?: string;
}

const goodVariant = {
  id: 'crm', direction: 'receiver', stepKinds: ['call', 'send'], sessionReuse: 'supported', csrf: true,
  auth: [{ type: 'none' }, { type: 'basic' }], parallelSafe: true, streaming: false,
};

/** Writes an adapter package (entry imports the workspace SDK sources) and returns its folder. */
function fixture(t: { after(fn: () => void): void }, f: Fixture = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'sf-adapter-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pkg = {
    name: 'sessionflow-adapter-crm', version: '1.0.0', type: 'module', keywords: ['sessionflow-adapter'],
    files: ['dist'], sessionflow: { apiVersion: 1, adapters: ['./dist/index.mjs'] }, peerDependencies: { '@sessionflow/sdk': '^0.1.0' },
    ...f.pkg,
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
  mkdirSync(join(dir, 'dist'));
  const entry = f.entry ?? `import { defineAdapter } from '${sdkEntry}';
export default defineAdapter({
  id: 'crm', displayName: 'CRM', version: '${f.defineVersion ?? '1.0.0'}', apiVersion: 1,
  variants: [${JSON.stringify({ ...goodVariant, ...f.variant })}],
  configSchema: { type: 'object', additionalProperties: false, properties: {
    tenant: { type: 'string', description: 'Tenant' },
    format: { enum: ['json', 'xml'], default: 'json', description: 'Format' } } },
  send: async (m, c) => { const r = await c.http.request({ method: 'POST', url: c.receiver.address, body: m.body }); return { status: r.status, headers: r.headers, body: r.body }; },
});`;
  writeFileSync(join(dir, 'dist', 'index.mjs'), entry);
  if (f.readme !== null) writeFileSync(join(dir, 'README.md'), f.readme ?? '# crm\n\nAdapter `crm`. Config: `tenant`, `format`.\n');
  return dir;
}

test('adapter check passes a well-formed package', async (t) => {
  const dir = fixture(t);
  const c = capture(dir);
  assert.equal(await main(['adapter', 'check'], c.io), 0, c.stdout());
  assert.match(c.stdout(), /Checking adapter package sessionflow-adapter-crm@1\.0\.0/);
  assert.match(c.stdout(), /adapter "crm" 1\.0\.0 from \.\/dist\/index\.mjs: variants crm; config fields tenant, format/);
  assert.match(c.stdout(), /OK: ready to publish\./);
});

test('manifest problems: keyword, API version, unbuilt entry, entry left out of "files", missing README', async (t) => {
  const dir = fixture(t, {
    pkg: { keywords: [], files: ['lib'], sessionflow: { apiVersion: 2, adapters: ['./dist/index.mjs', './dist/missing.js'] } },
    readme: null,
  });
  const c = capture(dir);
  assert.equal(await main(['adapter', 'check', dir], c.io), 1);
  const out = c.stdout();
  assert.match(out, /error {3}package\.json#keywords: missing the keyword "sessionflow-adapter"/);
  assert.match(out, /error {3}package\.json#sessionflow\.apiVersion: is 2, but this SDK implements adapter API 1/);
  assert.match(out, /error {3}entry \.\/dist\/index\.mjs: is not included by package\.json "files" \(lib\)/);
  assert.match(out, /error {3}entry \.\/dist\/missing\.js: does not exist .*build the package first/);
  assert.match(out, /error {3}adapter "crm"\.apiVersion: is 1, but package\.json "sessionflow\.apiVersion" says 2/);
  assert.match(out, /error {3}README\.md: missing/);
  assert.match(out, /\d+ error\(s\)/);
});

test('capability flags inconsistent with each other or with the auth types are errors', async (t) => {
  const dir = fixture(t, {
    variant: { sessionReuse: 'unsupported', csrf: true, auth: [{ type: 'basic' }, { type: 'principal-propagation', proxies: ['internet'] }, { type: 'client-certificate' }] },
  });
  const c = capture(dir);
  assert.equal(await main(['adapter', 'check', dir], c.io), 1);
  const out = c.stdout();
  assert.match(out, /error {3}adapter "crm"\.variants\[0\] \(crm\)\.csrf: csrf is true with sessionReuse "unsupported"/);
  assert.match(out, /error {3}adapter "crm"\.variants\[0\] \(crm\)\.auth\[1\]\.proxies: principal-propagation only works through an on-premise connector/);
  assert.match(out, /warning adapter "crm"\.variants\[0\] \(crm\)\.auth\[2\]\.proxies: client-certificate through an on-premise connector/);
});

test('README must mention every config field; warnings alone pass unless --strict', async (t) => {
  const dir = fixture(t, { readme: '# crm\n\nAdapter crm with a `tenant` field.\n', defineVersion: '0.9.0', pkg: { peerDependencies: {} } });
  const c = capture(dir);
  assert.equal(await main(['adapter', 'check', dir], c.io), 1);
  assert.match(c.stdout(), /error {3}README\.md: does not mention config field "format"/);
  assert.doesNotMatch(c.stdout(), /config field "tenant"/);
  assert.match(c.stdout(), /warning adapter "crm"\.version: is "0\.9\.0", but the package version is "1\.0\.0"/);
  assert.match(c.stdout(), /warning package\.json#peerDependencies: @sessionflow\/sdk is not a peer dependency/);

  const warnOnly = fixture(t, { defineVersion: '0.9.0' });
  const w = capture(warnOnly);
  assert.equal(await main(['adapter', 'check', warnOnly], w.io), 0, w.stdout());
  assert.match(w.stdout(), /0 error\(s\), 1 warning\(s\): ready to publish/);
  const s = capture(warnOnly);
  assert.equal(await main(['adapter', 'check', warnOnly, '--strict'], s.io), 1);
});

test('entries that do not export a definition, or fail defineAdapter(), are reported with the reason', async (t) => {
  const plain = fixture(t, { entry: `export default { id: 'crm', displayName: 'CRM' };` });
  const c = capture(plain);
  assert.equal(await main(['adapter', 'check', plain], c.io), 1);
  assert.match(c.stdout(), /its default export is a plain declaration, and defineAdapter\(\) would refuse it: invalid adapter "crm"/);

  const broken = fixture(t, { variant: { csrf: 'yes' } });
  const b = capture(broken);
  assert.equal(await main(['adapter', 'check', broken], b.io), 1);
  assert.match(b.stdout(), /defineAdapter\(\) refused the declaration: invalid adapter "crm": variants\[0\]\.csrf: must be true or false/);

  const none = fixture(t, { entry: 'export const x = 1;' });
  const n = capture(none);
  assert.equal(await main(['adapter', 'check', none, '--json'], n.io), 1);
  const json = JSON.parse(n.stdout()) as { ok: boolean; findings: { severity: string; where: string; message: string }[] };
  assert.equal(json.ok, false);
  assert.ok(json.findings.some((f) => f.where === 'entry ./dist/index.mjs' && /does not export an adapter definition/.test(f.message)));
});

test('bad usage and missing folders', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-adapter-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = capture(dir);
  assert.equal(await main(['adapter'], a.io), 2);
  assert.match(a.stderr(), /missing subcommand \(check\)/);
  const b = capture(dir);
  assert.equal(await main(['adapter', 'lint'], b.io), 2);
  assert.match(b.stderr(), /unknown subcommand "lint"/);
  const c = capture(dir);
  assert.equal(await main(['adapter', 'check', 'nope'], c.io), 2);
  assert.match(c.stderr(), /package folder not found/);
  const d = capture(dir);
  assert.equal(await main(['adapter', 'check'], d.io), 1);
  assert.match(d.stdout(), /error {3}package\.json: no package\.json in /);
});

test('"sessionflow.ids" must name exactly the ids the entries define', async (t) => {
  const manifest = (ids: unknown) => ({ sessionflow: { apiVersion: 1, adapters: ['./dist/index.mjs'], ids } });

  const matching = fixture(t, { pkg: manifest(['crm']) });
  const ok = capture(matching);
  assert.equal(await main(['adapter', 'check', matching], ok.io), 0, ok.stdout());
  assert.doesNotMatch(ok.stdout(), /sessionflow\.ids/);

  // An id the manifest promises but no entry defines, and the defined "crm" missing from the list.
  const wrong = fixture(t, { pkg: manifest(['crm-v2']) });
  const w = capture(wrong);
  assert.equal(await main(['adapter', 'check', wrong], w.io), 1);
  assert.match(w.stdout(), /error {3}package\.json#sessionflow\.ids: lists adapter "crm-v2", but no entry defines it \(the entries define: "crm"\)/);
  assert.match(w.stdout(), /error {3}package\.json#sessionflow\.ids: does not list adapter "crm", which \.\/dist\/index\.mjs defines/);

  // A defined id missing from a list that is otherwise right.
  const partial = fixture(t, { pkg: manifest(['crm', 'erp']) });
  const p = capture(partial);
  assert.equal(await main(['adapter', 'check', partial, '--json'], p.io), 1);
  const json = JSON.parse(p.stdout()) as { findings: { severity: string; where: string; message: string }[] };
  const idFindings = json.findings.filter((f) => f.where === 'package.json#sessionflow.ids');
  assert.equal(idFindings.length, 1, JSON.stringify(idFindings));
  assert.equal(idFindings[0]?.severity, 'error');
  assert.match(idFindings[0]?.message ?? '', /lists adapter "erp", but no entry defines it/);

  // A malformed list is refused, as the registry refuses it.
  const malformed = fixture(t, { pkg: manifest(['CRM']) });
  const m = capture(malformed);
  assert.equal(await main(['adapter', 'check', malformed], m.io), 1);
  assert.match(m.stdout(), /error {3}package\.json#sessionflow\.ids: must be a non-empty array of the adapter ids/);

  // When an entry fails to load, the ids it might define are unknown: no "no entry defines it" guess.
  const unloaded = fixture(t, { pkg: manifest(['crm']), entry: 'export const x = 1;' });
  const u = capture(unloaded);
  assert.equal(await main(['adapter', 'check', unloaded], u.io), 1);
  assert.match(u.stdout(), /does not export an adapter definition/);
  assert.doesNotMatch(u.stdout(), /sessionflow\.ids/);
});
