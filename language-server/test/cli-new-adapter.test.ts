import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { main } from '../src/cli/main.js';
import { adapterNames, idFromPackageName } from '../src/cli/commands/new-adapter.js';
import type { CliIO } from '../src/cli/io.js';

function capture(cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, cwd, env: {} };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

function temp(t: { after(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'sf-new-adapter-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else out.push(p);
  }
  return out;
}

test('new-adapter NAME --dir D creates a complete adapter package with every placeholder filled', async (t) => {
  const root = temp(t);
  const c = capture(root);
  assert.equal(await main(['new-adapter', 'acme-crm', '--dir', 'acme', '--sdk', 'file:../sdk.tgz'], c.io), 0, c.stderr());
  const dir = join(root, 'acme');
  assert.deepEqual(files(dir).map((f) => relative(dir, f).split('\\').join('/')).sort(), ['.gitignore', 'README.md', 'package.json', 'src/index.ts', 'test/adapter.test.ts', 'tsconfig.json']);
  for (const f of files(dir)) assert.doesNotMatch(readFileSync(f, 'utf8'), /\{\{\w+\}\}/, `placeholder left in ${f}`);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, any>;
  assert.equal(pkg.name, 'sessionflow-adapter-acme-crm');
  assert.ok(pkg.keywords.includes('sessionflow-adapter'));
  assert.deepEqual(pkg.sessionflow, { apiVersion: 1, adapters: ['./dist/src/index.js'], ids: ['acme-crm'] });
  assert.equal(pkg.devDependencies['@sessionflow/sdk'], 'file:../sdk.tgz');
  assert.match(pkg.peerDependencies['@sessionflow/sdk'], /^\^\d+\.\d+\.\d+$/);
  assert.ok(pkg.scripts.build && pkg.scripts.test && pkg.scripts.prepack);
  assert.deepEqual(pkg.files, ['dist/src', 'README.md']);
  const src = readFileSync(join(dir, 'src', 'index.ts'), 'utf8');
  assert.match(src, /id: 'acme-crm'/);
  assert.match(src, /displayName: 'Acme Crm'/);
  assert.match(src, /export interface AcmeCrmConfig/);
  assert.match(src, /'ACME_CRM_HTTP_STATUS'/);
  assert.match(src, /apiVersion: 1,/);
  assert.match(src, /context\.http\.request/);
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  for (const field of ['tenant', 'resource', 'format', 'failOnHttpError']) assert.match(readme, new RegExp(`\`${field}\``));
  assert.match(readFileSync(join(dir, 'test', 'adapter.test.ts'), 'utf8'), /assertConformance\(adapter/);
  assert.match(c.stdout(), /Created adapter "acme-crm" \(package sessionflow-adapter-acme-crm, adapter API 1\) in acme:/);
  assert.match(c.stdout(), /npm install\n/);
});

test('a package name as NAME gives the id; the default folder is the unscoped package name', async (t) => {
  const root = temp(t);
  const c = capture(root);
  assert.equal(await main(['new-adapter', '@acme/sessionflow-adapter-crm', '--display-name', 'ACME CRM'], c.io), 0, c.stderr());
  const dir = join(root, 'sessionflow-adapter-crm');
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, any>;
  assert.equal(pkg.name, '@acme/sessionflow-adapter-crm');
  assert.match(readFileSync(join(dir, 'src', 'index.ts'), 'utf8'), /id: 'crm',[\s\S]*displayName: 'ACME CRM'/);
  assert.equal(idFromPackageName('sessionflow-adapter-acme'), 'acme');
  assert.deepEqual(adapterNames('erp', {}), { id: 'erp', packageName: 'sessionflow-adapter-erp', displayName: 'Erp' });
});

test('bad names are usage errors; an existing non-empty folder is refused and left untouched', async (t) => {
  const root = temp(t);
  for (const [args, message] of [
    [['new-adapter', 'Acme_CRM'], /"Acme_CRM" is not a valid adapter id/],
    [['new-adapter', 'acme', '--package', 'Big Name'], /"Big Name" is not a valid npm package name/],
    [['new-adapter', 'acme', '--id', '9lives'], /"9lives" is not a valid adapter id/],
    [['new-adapter', 'acme', '--display-name', 'a"b'], /display name "a"b" may hold/],
    [['new-adapter'], /missing argument/],
  ] as const) {
    const c = capture(root);
    assert.equal(await main([...args], c.io), 2, c.stderr());
    assert.match(c.stderr(), message);
  }
  mkdirSync(join(root, 'taken'));
  writeFileSync(join(root, 'taken', 'keep.txt'), 'mine');
  const c = capture(root);
  assert.equal(await main(['new-adapter', 'acme', '--dir', 'taken'], c.io), 1);
  assert.match(c.stderr(), /taken already exists and is not empty; choose another --dir/);
  assert.deepEqual(readdirSync(join(root, 'taken')), ['keep.txt']);
  assert.equal(existsSync(join(root, 'sessionflow-adapter-acme')), false);
});
