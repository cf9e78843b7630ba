/**
 * Data-driven rule tests. Each folder under fixtures/rules/ holds flow files and a case.json:
 *
 *   { "rule": "session/unprimed-parallel",
 *     "cases": [ { "file": "trigger.flow.yaml",
 *                  "expect": [ { "severity": "warning", "text": "split", "line": 19, "message": "substring" } ],
 *                  "fixes": [ { "diagnostic": 0, "title": "title prefix", "expected": "trigger.fixed.yaml" } ] },
 *                { "file": "clean.flow.yaml", "expect": [] } ] }
 *
 * `expect` lists exactly the diagnostics of that rule, in offset order: the sliced range text,
 * the 1-based line of its start, the severity, and a message substring. Each fix is applied
 * and compared with the expected file byte for byte (comments and formatting kept).
 * Set SESSIONFLOW_UPDATE_FIXTURES=1 to (re)write missing expected files on purpose — review them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { parseFlow } from '@sessionflow/sdk';
import { analyze, applyEdits, quickFixes, rules, type AnalysisOptions, type Diagnostic } from '../src/index.js';
import { testCatalog } from './fixtures/adapters.js';

interface Expect {
  severity: string;
  text?: string;
  startsWith?: string;
  line?: number;
  message?: string;
}
interface FixSpec {
  diagnostic?: number;
  title: string;
  expected: string;
}
interface Case {
  file: string;
  expect: Expect[];
  expectAtLeast?: number;
  fixes?: FixSpec[];
}
interface RuleCases {
  rule: string;
  cases: Case[];
}

const FIXTURES = fileURLToPath(new URL('./fixtures/rules/', import.meta.url));
const UPDATE = process.env.SESSIONFLOW_UPDATE_FIXTURES === '1';
const options: AnalysisOptions = { adapters: testCatalog() };

const folders = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
const all: { folder: string; spec: RuleCases }[] = folders.map((folder) => ({
  folder,
  spec: JSON.parse(readFileSync(join(FIXTURES, folder, 'case.json'), 'utf8')) as RuleCases,
}));

function diagnosticsOf(text: string, rule: string, uri: string): { diags: Diagnostic[]; all: Diagnostic[] } {
  const doc = parseFlow(text, { uri });
  const allDiags = analyze(doc, options);
  return { diags: allDiags.filter((d) => d.rule === rule), all: allDiags };
}

test('every rule has a fixture folder with a triggering and a clean case, and docs', () => {
  const byRule = new Map(all.map((a) => [a.spec.rule, a.spec]));
  for (const rule of rules) {
    const spec = byRule.get(rule.name);
    assert.ok(spec, `no fixture folder for ${rule.name}`);
    assert.ok(spec.cases.some((c) => c.expect.length > 0), `${rule.name}: no triggering case`);
    assert.ok(spec.cases.some((c) => c.expect.length === 0), `${rule.name}: no clean case`);
    if (rule.fixes) assert.ok(spec.cases.some((c) => (c.fixes ?? []).length > 0), `${rule.name}: has a quick fix but no fix case`);
    for (const key of ['summary', 'why', 'example', 'fix'] as const) assert.ok(rule.docs[key].trim().length > 10, `${rule.name}: docs.${key} is empty`);
    if (rule.name !== 'flow/yaml-syntax') assert.doesNotThrow(() => parseYaml(rule.docs.example), `${rule.name}: docs.example is not valid YAML`);
  }
  assert.equal(new Set(rules.map((r) => r.name)).size, rules.length, 'rule names are unique');
});

for (const { folder, spec } of all) {
  for (const c of spec.cases) {
    test(`${spec.rule}: ${c.file}${c.expect.length === 0 ? ' (clean)' : ''}`, () => {
      const file = join(FIXTURES, folder, c.file);
      const text = readFileSync(file, 'utf8');
      const doc = parseFlow(text, { uri: file });
      const { diags } = diagnosticsOf(text, spec.rule, file);
      const shown = diags.map((d) => `${doc.positionAt(d.range.start).line + 1}: ${JSON.stringify(text.slice(d.range.start, d.range.end))} ${d.message}`).join('\n');
      if (c.expectAtLeast !== undefined) assert.ok(diags.length >= c.expectAtLeast, `expected at least ${c.expectAtLeast} ${spec.rule}, got:\n${shown}`);
      else assert.equal(diags.length, c.expect.length, `expected ${c.expect.length} ${spec.rule} diagnostics, got:\n${shown}`);
      c.expect.forEach((e, i) => {
        const d = diags[i] as Diagnostic;
        const sliced = text.slice(d.range.start, d.range.end);
        assert.equal(d.rule, spec.rule);
        assert.equal(d.severity, e.severity, `severity of #${i}`);
        if (e.text !== undefined) assert.equal(sliced, e.text, `range text of #${i}`);
        if (e.startsWith !== undefined) assert.ok(sliced.startsWith(e.startsWith), `range of #${i} starts with ${e.startsWith}: ${JSON.stringify(sliced)}`);
        if (e.line !== undefined) assert.equal(doc.positionAt(d.range.start).line + 1, e.line, `line of #${i}`);
        if (e.message !== undefined) assert.ok(d.message.includes(e.message), `message of #${i} contains ${JSON.stringify(e.message)}: ${d.message}`);
        assert.ok(d.message.length > 30, 'messages explain what and why');
      });
      // Each finding can be silenced with the generic disable fix.
      if (diags.length > 0 && spec.rule !== 'flow/yaml-syntax') {
        const first = diags[0] as Diagnostic;
        const disable = quickFixes(doc, first, options).find((f) => f.title.startsWith('Disable '));
        assert.ok(disable, 'a disable-next-line fix is offered');
        const after = diagnosticsOf(applyEdits(text, disable.edits), spec.rule, file).diags;
        assert.equal(after.length, diags.length - 1, 'the disable comment silences exactly that finding');
      }
      for (const fix of c.fixes ?? []) {
        const d = diags[fix.diagnostic ?? 0];
        assert.ok(d, `diagnostic #${fix.diagnostic ?? 0} for fix ${fix.title}`);
        const offered = quickFixes(doc, d, options);
        const chosen = offered.find((f) => f.title.startsWith(fix.title));
        assert.ok(chosen, `fix "${fix.title}" offered; got: ${offered.map((f) => f.title).join(' | ')}`);
        const result = applyEdits(text, chosen.edits);
        const expectedFile = join(FIXTURES, folder, fix.expected);
        if (UPDATE && !existsSync(expectedFile)) writeFileSync(expectedFile, result);
        assert.equal(result, readFileSync(expectedFile, 'utf8'), `text after "${chosen.title}"`);
        // The fixed text still parses, introduces no schema problem and clears the finding.
        const fixedDoc = parseFlow(result);
        const before = new Set(doc.problems.map((p) => p.message));
        const newProblems = fixedDoc.problems.filter((p) => !before.has(p.message) && p.code === 'flow/yaml-syntax');
        assert.deepEqual(newProblems, [], 'no YAML syntax problem after the fix');
        if (spec.rule !== 'flow/schema') {
          assert.deepEqual(
            fixedDoc.problems.filter((p) => p.code === 'flow/schema').map((p) => p.message),
            doc.problems.filter((p) => p.code === 'flow/schema').map((p) => p.message),
            'no new schema problem after the fix',
          );
        }
        const left = diagnosticsOf(result, spec.rule, file).diags;
        assert.ok(left.length < diags.length, `"${chosen.title}" clears the finding (before ${diags.length}, after ${left.length})`);
      }
    });
  }
}
