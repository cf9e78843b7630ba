import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AdapterRegistry, BUILTIN_ADAPTER_PACKAGES, defineAdapter, SDK_API_VERSION } from '../src/adapter/index.js';
import type { AdapterPackageProblem } from '../src/adapter/index.js';

const fixtures = fileURLToPath(new URL('./fixtures/packages/', import.meta.url));
const sdkAdapterIndex = pathToFileURL(fileURLToPath(new URL('../src/adapter/index.ts', import.meta.url))).href;

/** A temp project; `install(fixture, as, where?)` copies a fixture package into a node_modules folder. */
function project(t: { after(fn: () => void): void }) {
  const root = mkdtempSync(join(tmpdir(), 'sf-registry-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const nm = join(root, 'node_modules');
  // Fixture entry modules import '@sessionflow/sdk': a shim package re-exports the SDK sources.
  mkdirSync(join(nm, '@sessionflow', 'sdk'), { recursive: true });
  writeFileSync(join(nm, '@sessionflow', 'sdk', 'package.json'), JSON.stringify({ name: '@sessionflow/sdk', version: '0.1.0', type: 'module', exports: './index.js' }));
  writeFileSync(join(nm, '@sessionflow', 'sdk', 'index.js'), `export * from ${JSON.stringify(sdkAdapterIndex)};\n`);
  return {
    root,
    install(fixture: string, as: string, where = root): string {
      const dest = join(where, 'node_modules', ...as.split('/'));
      cpSync(join(fixtures, fixture), dest, { recursive: true });
      return dest;
    },
  };
}

/** A package whose manifest claims API 1 but whose definition (id "liar") targets API 3. */
function installLiar(root: string): void {
  const dir = join(root, 'node_modules', 'acme-liar');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'acme-liar', version: '4.0.0', type: 'module', sessionflow: { apiVersion: 1, adapters: ['./index.js'] } }));
  writeFileSync(
    join(dir, 'index.js'),
    `import { defineAdapter } from '@sessionflow/sdk';
export default defineAdapter({ id: 'liar', displayName: 'Liar', version: '4.0.0', apiVersion: 3,
  variants: [{ id: 'v', direction: 'receiver', stepKinds: ['call'], sessionReuse: 'supported', csrf: false, auth: [{ type: 'none' }], parallelSafe: true, streaming: false }],
  configSchema: {}, async send() { return { status: 200, headers: {}, body: new Uint8Array() }; } });
`,
  );
}

function problemOf(problems: AdapterPackageProblem[], packageName: string): AdapterPackageProblem {
  const p = problems.find((x) => x.packageName === packageName);
  assert.ok(p, `expected a problem for ${packageName}, got ${JSON.stringify(problems.map((x) => x.packageName))}`);
  return p;
}

test('discovers compatible packages, refuses the rest with clear problems and never crashes', async (t) => {
  const p = project(t);
  p.install('acme-crm', 'acme-crm');
  const futureDir = p.install('acme-future', 'acme-future');
  p.install('missing-entry', 'acme-unbuilt');
  const keywordDir = p.install('keyword-only', 'acme-keyword-only');
  p.install('scoped-erp', '@acme/erp');
  p.install('throwing-entry', 'acme-broken');
  p.install('plain-declaration', 'acme-plain');
  const unrelatedDir = p.install('unrelated', 'left-pad-ish');

  const registry = await AdapterRegistry.load({ projectDir: p.root, builtins: false });

  assert.deepEqual(registry.ids().sort(), ['acme-crm', 'acme-erp']);
  const crm = registry.get('acme-crm');
  assert.equal(crm?.packageName, 'acme-crm');
  assert.equal(crm?.packageVersion, '1.0.0');
  assert.equal(crm?.builtin, false);
  assert.equal(crm?.definition.defaultVariant, 'rest');
  assert.equal(crm?.definition.variant('bulk')?.streaming, true);
  const erp = registry.get('acme-erp'); // scoped package, named export `adapter`
  assert.equal(erp?.packageName, '@acme/erp');
  assert.equal(erp?.packageVersion, '2.0.0');
  assert.match(erp?.packageDir ?? '', /@acme[/\\]erp$/);

  const future = problemOf(registry.problems, 'acme-future');
  assert.equal(future.code, 'SF_ADAPTER_API_VERSION');
  assert.equal(future.apiVersion, 2);
  assert.equal(
    future.message,
    'adapter package "acme-future@1.2.0" targets Sessionflow adapter API 2, but this SDK implements API 1: upgrade @sessionflow/sdk or install a version of acme-future built for API 1',
  );
  assert.equal(existsSync(join(futureDir, 'IMPORTED')), false, 'an incompatible package must not be imported');

  const keyword = problemOf(registry.problems, 'acme-keyword-only');
  assert.equal(keyword.code, 'SF_ADAPTER_MANIFEST');
  assert.match(keyword.message, /keyword "sessionflow-adapter".*no "sessionflow" section/);
  assert.equal(existsSync(join(keywordDir, 'IMPORTED')), false);

  const unbuilt = problemOf(registry.problems, 'acme-unbuilt');
  assert.equal(unbuilt.code, 'SF_ADAPTER_LOAD');
  assert.match(unbuilt.message, /adapter entry "\.\/dist\/index\.js" does not exist .*is the package built\?/);

  const broken = problemOf(registry.problems, 'acme-broken');
  assert.equal(broken.code, 'SF_ADAPTER_LOAD');
  assert.match(broken.message, /importing adapter entry "\.\/index\.js" failed: boom while loading acme-broken/);

  const plain = problemOf(registry.problems, 'acme-plain');
  assert.equal(plain.code, 'SF_ADAPTER_LOAD');
  assert.match(plain.message, /does not export an adapter definition; .*wrap it in defineAdapter\(\)/);

  // Packages without the section or keyword are neither reported nor imported.
  assert.equal(registry.problems.some((x) => x.packageName === 'left-pad-ish' || x.packageName === '@sessionflow/sdk'), false);
  assert.equal(existsSync(join(unrelatedDir, 'IMPORTED')), false);
  assert.equal(registry.problems.length, 5);
});

test('duplicate adapter ids: the first package wins and the second is reported', async (t) => {
  const p = project(t);
  p.install('acme-crm', 'acme-crm');
  p.install('acme-crm-fork', 'acme-crm-fork');
  const registry = await AdapterRegistry.load({ projectDir: p.root, builtins: false });
  assert.deepEqual(registry.ids(), ['acme-crm']);
  assert.equal(registry.get('acme-crm')?.packageName, 'acme-crm');
  const dup = problemOf(registry.problems, 'acme-crm-fork');
  assert.equal(dup.code, 'SF_ADAPTER_DUPLICATE');
  assert.match(dup.message, /adapter id "acme-crm" from package "acme-crm-fork@1\.0\.1" is already provided by package "acme-crm@1\.0\.0"/);
});

test('discovery walks up from the project directory; a nearer package shadows a farther one', async (t) => {
  const p = project(t);
  const app = join(p.root, 'apps', 'billing');
  mkdirSync(join(app, 'src'), { recursive: true });
  p.install('acme-crm', 'acme-crm'); // in the root node_modules
  p.install('acme-crm-fork', 'acme-crm', app); // same package name, nearer
  p.install('scoped-erp', '@acme/erp'); // only in the root
  const registry = await AdapterRegistry.load({ projectDir: join(app, 'src'), builtins: false });
  assert.deepEqual(registry.ids().sort(), ['acme-crm', 'acme-erp']);
  assert.equal(registry.get('acme-crm')?.definition.displayName, 'ACME CRM (fork)');
  assert.deepEqual(registry.problems, []);
});

test('extraPackages accepts directories and names and reports missing ones', async (t) => {
  const p = project(t);
  cpSync(join(fixtures, 'scoped-erp'), join(p.root, 'local-erp'), { recursive: true });
  p.install('acme-crm', 'acme-crm', join(p.root, 'elsewhere'));
  const registry = await AdapterRegistry.load({
    projectDir: join(p.root, 'elsewhere'),
    builtins: false,
    extraPackages: ['../local-erp', 'acme-crm', 'not-installed', './no-such-dir'],
  });
  assert.deepEqual(registry.ids(), ['acme-erp', 'acme-crm']);
  assert.equal(problemOf(registry.problems, 'not-installed').code, 'SF_ADAPTER_LOAD');
  assert.match(problemOf(registry.problems, 'not-installed').message, /adapter package "not-installed" is not installed/);
  assert.match(problemOf(registry.problems, './no-such-dir').message, /has no readable package.json/);
  assert.equal(registry.problems.length, 2);
});

test('an extra package without a sessionflow section is a manifest problem', async (t) => {
  const p = project(t);
  const dir = p.install('unrelated', 'left-pad-ish');
  const registry = await AdapterRegistry.load({ projectDir: p.root, builtins: false, extraPackages: ['left-pad-ish'] });
  assert.equal(registry.ids().length, 0);
  const problem = problemOf(registry.problems, 'left-pad-ish');
  assert.equal(problem.code, 'SF_ADAPTER_MANIFEST');
  assert.equal(existsSync(join(dir, 'IMPORTED')), false);
});

test('malformed manifests are reported without importing anything', async (t) => {
  const p = project(t);
  const write = (name: string, sessionflow: unknown) => {
    const dir = join(p.root, 'node_modules', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', sessionflow }));
  };
  write('bad-section', 'yes');
  write('bad-api', { apiVersion: '1', adapters: ['./x.js'] });
  write('no-entries', { apiVersion: 1, adapters: [] });
  write('escapes', { apiVersion: 1, adapters: ['../acme-crm/index.js'] });
  write('old-api', { apiVersion: 0, adapters: ['./x.js'] });
  mkdirSync(join(p.root, 'node_modules', 'broken-json'));
  writeFileSync(join(p.root, 'node_modules', 'broken-json', 'package.json'), '{ not json');
  const registry = await AdapterRegistry.load({ projectDir: p.root, builtins: false });
  assert.equal(registry.ids().length, 0);
  assert.match(problemOf(registry.problems, 'bad-section').message, /"sessionflow" in package.json must be an object/);
  assert.match(problemOf(registry.problems, 'bad-api').message, /"sessionflow.apiVersion" in package.json must be an integer/);
  assert.match(problemOf(registry.problems, 'no-entries').message, /"sessionflow.adapters" in package.json must be a non-empty array/);
  assert.match(problemOf(registry.problems, 'escapes').message, /points outside the package directory/);
  const old = problemOf(registry.problems, 'old-api');
  assert.equal(old.code, 'SF_ADAPTER_API_VERSION');
  assert.match(old.message, /targets Sessionflow adapter API 0, but this SDK implements API 1: install a version of old-api built for API 1$/);
  assert.equal(registry.problems.length, 5);
});

test('a definition whose own apiVersion differs from the SDK is refused after import', async (t) => {
  const p = project(t);
  installLiar(p.root);
  const registry = await AdapterRegistry.load({ projectDir: p.root, builtins: false });
  assert.equal(registry.get('liar'), undefined);
  const problem = problemOf(registry.problems, 'acme-liar');
  assert.equal(problem.code, 'SF_ADAPTER_API_VERSION');
  assert.equal(problem.apiVersion, 3);
  assert.match(problem.message, /adapter "liar" in package "acme-liar@4\.0\.0" targets Sessionflow adapter API 3, but this SDK implements API 1/);
});

test('built-in adapters installed next to the SDK are loaded first and marked built-in', async (t) => {
  const p = project(t);
  const registry = await AdapterRegistry.load({ projectDir: p.root });
  const http = registry.get('http');
  assert.ok(http, `http adapter not loaded; problems: ${JSON.stringify(registry.problems)}`);
  assert.equal(http.builtin, true);
  assert.equal(http.packageName, '@sessionflow/adapter-http');
  assert.equal(http.definition.apiVersion, SDK_API_VERSION);
  assert.ok(BUILTIN_ADAPTER_PACKAGES.includes(http.packageName));
  assert.equal(registry.problems.some((x) => x.packageName === '@sessionflow/adapter-http'), false);
  // Built-ins come first, in the order of BUILTIN_ADAPTER_PACKAGES, all marked built-in.
  const builtinOrder = registry.list().map((a) => BUILTIN_ADAPTER_PACKAGES.indexOf(a.packageName));
  assert.ok(registry.list().every((a) => a.builtin));
  assert.deepEqual(builtinOrder, [...builtinOrder].sort((x, y) => x - y));

  const without = await AdapterRegistry.load({ projectDir: p.root, builtins: false });
  assert.equal(without.get('http'), undefined);
});

test('fromDefinitions registers definitions in order and reports duplicates', () => {
  const make = (id: string, displayName: string) =>
    defineAdapter({
      id,
      displayName,
      version: '1.0.0',
      apiVersion: 1,
      variants: [{ id: 'v', direction: 'receiver', stepKinds: ['call'], sessionReuse: 'supported', csrf: false, auth: [{ type: 'none' }], parallelSafe: true, streaming: false }],
      configSchema: { type: 'object' },
      async send() {
        return { status: 200, headers: {}, body: new Uint8Array() };
      },
    });
  const registry = AdapterRegistry.fromDefinitions([make('a', 'A'), make('b', 'B'), make('a', 'A2')]);
  assert.deepEqual(registry.ids(), ['a', 'b']);
  assert.equal(registry.get('a')?.definition.displayName, 'A');
  assert.equal(registry.list().length, 2);
  assert.equal(registry.problems.length, 1);
  assert.equal(registry.problems[0]?.code, 'SF_ADAPTER_DUPLICATE');
  assert.throws(() => AdapterRegistry.fromDefinitions([{ id: 'x' } as never]), /must come from defineAdapter/);
});

test('sessionflow.ids: a package refused for its API version still names its adapter ids; a bad ids list is a manifest problem', async (t) => {
  const p = project(t);
  const write = (name: string, sessionflow: unknown) => {
    const dir = join(p.root, 'node_modules', ...name.split('/'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '2.0.0', type: 'module', sessionflow }));
    // Importing it would leave a mark: refused packages must never be imported.
    writeFileSync(join(dir, 'index.js'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(new URL('./IMPORTED', import.meta.url), '');\n`);
    return dir;
  };
  const futureDir = write('@acme/sessionflow-adapter-suite', { apiVersion: 2, adapters: ['./index.js'], ids: ['crm', 'erp-idoc'] });
  write('acme-future-plain', { apiVersion: 2, adapters: ['./index.js'] });
  write('acme-future-bad-ids', { apiVersion: 2, adapters: ['./index.js'], ids: 'crm' });
  const badIdsDir = write('acme-bad-ids', { apiVersion: 1, adapters: ['./index.js'], ids: ['CRM Adapter'] });
  write('acme-empty-ids', { apiVersion: 1, adapters: ['./index.js'], ids: [] });
  const registry = await AdapterRegistry.load({ projectDir: p.root, builtins: false });

  const suite = problemOf(registry.problems, '@acme/sessionflow-adapter-suite');
  assert.equal(suite.code, 'SF_ADAPTER_API_VERSION');
  assert.deepEqual(suite.adapterIds, ['crm', 'erp-idoc']);
  assert.equal(existsSync(join(futureDir, 'IMPORTED')), false);
  assert.equal(problemOf(registry.problems, 'acme-future-plain').adapterIds, undefined, 'without ids nothing is known');
  const futureBad = problemOf(registry.problems, 'acme-future-bad-ids');
  assert.equal(futureBad.code, 'SF_ADAPTER_API_VERSION', 'the API version is the reason it is refused');
  assert.equal(futureBad.adapterIds, undefined, 'a malformed ids list is not trusted');
  for (const name of ['acme-bad-ids', 'acme-empty-ids']) {
    const bad = problemOf(registry.problems, name);
    assert.equal(bad.code, 'SF_ADAPTER_MANIFEST');
    assert.match(bad.message, /"sessionflow\.ids" in package\.json must be a non-empty array of the adapter ids the package provides/);
    assert.equal(bad.adapterIds, undefined);
  }
  assert.equal(existsSync(join(badIdsDir, 'IMPORTED')), false);
  assert.equal(registry.problems.length, 5);
});

test('sessionflow.ids is accepted on a compatible package; a definition refused after import reports its own id', async (t) => {
  const p = project(t);
  const crmDir = p.install('acme-crm', 'acme-crm');
  const pkgFile = join(crmDir, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { sessionflow: Record<string, unknown> };
  pkg.sessionflow.ids = ['acme-crm'];
  writeFileSync(pkgFile, JSON.stringify(pkg));
  installLiar(p.root);
  const registry = await AdapterRegistry.load({ projectDir: p.root, builtins: false });
  assert.deepEqual(registry.ids(), ['acme-crm']);
  const liar = problemOf(registry.problems, 'acme-liar');
  assert.equal(liar.code, 'SF_ADAPTER_API_VERSION');
  assert.deepEqual(liar.adapterIds, ['liar']);
  assert.equal(registry.problems.length, 1);
});

test('every built-in adapter package declares exactly the adapter ids it provides (sessionflow.ids)', async (t) => {
  const p = project(t);
  const registry = await AdapterRegistry.load({ projectDir: p.root });
  const builtins = registry.list().filter((a) => a.builtin);
  assert.equal(builtins.length, BUILTIN_ADAPTER_PACKAGES.length, `problems: ${JSON.stringify(registry.problems)}`);
  for (const a of builtins) {
    const pkg = JSON.parse(readFileSync(join(a.packageDir, 'package.json'), 'utf8')) as { sessionflow?: { ids?: unknown } };
    assert.deepEqual(pkg.sessionflow?.ids, [a.definition.id], a.packageName);
  }
});
