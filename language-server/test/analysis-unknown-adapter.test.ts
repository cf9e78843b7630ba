/**
 * flow/unknown-adapter and refused adapter packages: the adapter ids a refused package declares
 * (`sessionflow.ids` in its manifest → AdapterPackageProblem.adapterIds) decide which receivers
 * it affects; without them the rule guesses from the package name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdapterRegistry, parseFlow } from '@sessionflow/sdk';
import { analyze, type AdapterCatalog, type Diagnostic } from '../src/index.js';
import { testCatalog } from './fixtures/adapters.js';

const API2 = 'targets Sessionflow adapter API 2, but this SDK implements API 1';

function finding(adapterId: string, problems: NonNullable<AdapterCatalog['problems']>): Diagnostic {
  const text = `flow: x\nformatVersion: 2\nreceivers:\n  r:\n    adapter: ${adapterId}\n    address: https://r.example.com/\nsteps:\n  - call: r\n`;
  const d = analyze(parseFlow(text), { adapters: testCatalog(problems) }).find((x) => x.rule === 'flow/unknown-adapter');
  assert.ok(d, `a flow/unknown-adapter finding for adapter ${adapterId}`);
  assert.equal(text.slice(d.range.start, d.range.end), adapterId);
  return d;
}

const refused = (d: Diagnostic) => d.data?.refused === true && /package was refused/.test(d.message);

test('declared adapter ids name the receivers a refused package affects, whatever the package is called', () => {
  const suite = { packageName: '@acme/integration-suite', code: 'SF_ADAPTER_API_VERSION', message: `adapter package "@acme/integration-suite@2.0.0" ${API2}`, adapterIds: ['crm', 'erp-idoc'] };
  for (const id of ['crm', 'erp-idoc']) {
    const d = finding(id, [suite]);
    assert.ok(refused(d), `adapter ${id}: ${d.message}`);
    assert.match(d.message, /adapter API 2/);
  }
  const other = finding('billing', [suite]);
  assert.equal(refused(other), false);
  assert.match(other.message, /is not installed.*failed to load: @acme\/integration-suite/);
});

test('declared ids win over the name guess; without them the name is guessed', () => {
  const named = { packageName: '@acme/sessionflow-adapter-crm', code: 'SF_ADAPTER_API_VERSION', message: `adapter package "@acme/sessionflow-adapter-crm@2.0.0" ${API2}` };
  assert.ok(refused(finding('crm', [named])), 'name guess: sessionflow-adapter-crm → crm');
  const declared = { ...named, adapterIds: ['acme-crm'] };
  assert.ok(refused(finding('acme-crm', [declared])));
  assert.equal(refused(finding('crm', [declared])), false, 'the package declares acme-crm, not crm');
  assert.ok(refused(finding('crm', [{ ...named, adapterIds: [] }])), 'an empty list tells nothing: the name is guessed');
});

test('end to end: the registry copies sessionflow.ids of a refused package, and the rule uses them', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'sf-unknown-adapter-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'node_modules', '@acme', 'integration-suite');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: '@acme/integration-suite', version: '2.0.0', sessionflow: { apiVersion: 2, adapters: ['./index.js'], ids: ['crm'] } }));
  const registry = await AdapterRegistry.load({ projectDir: root, builtins: false });
  assert.deepEqual(registry.problems.map((p) => [p.code, p.adapterIds]), [['SF_ADAPTER_API_VERSION', ['crm']]]);
  const d = finding('crm', registry.problems);
  assert.ok(refused(d), d.message);
  assert.match(d.message, /"@acme\/integration-suite@2\.0\.0" targets Sessionflow adapter API 2/);
});
