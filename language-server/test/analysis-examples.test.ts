/**
 * The shared example flows: pitfalls.flow.yaml reports every trap its comments name, at the
 * node the comment sits on; the other examples are clean (no diagnostics of any severity).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFlow } from '@sessionflow/sdk';
import { analyze, ruleByName } from '../src/index.js';
import { testCatalog } from './fixtures/adapters.js';
import { EXAMPLES_DIR } from './fixtures/paths.js';

const EXAMPLES = EXAMPLES_DIR;
const options = { adapters: testCatalog() };

test('pitfalls.flow.yaml reports each trap its comments name, on the commented node', () => {
  const text = readFileSync(join(EXAMPLES, 'pitfalls.flow.yaml'), 'utf8');
  const doc = parseFlow(text);
  const diags = analyze(doc, options);
  const lines = text.split('\n');
  let lineStart = 0;
  const traps: { rule: string; line: number }[] = [];
  lines.forEach((line, i) => {
    const m = /#\s*((?:session|flow|security)\/[a-z0-9-]+)/.exec(line);
    if (m && m[1]) {
      const rule = m[1];
      assert.ok(ruleByName(rule), `the comment names a real rule: ${rule}`);
      const indent = /^\s*/.exec(line)?.[0].length ?? 0;
      const at = doc.pathAt(lineStart + indent);
      assert.ok(at, `a node starts line ${i + 1}`);
      const owner = doc.rangeAt(at.path, 'value');
      assert.ok(owner, `range of ${at.path.join('.')}`);
      const hits = diags.filter((d) => d.rule === rule && d.range.start >= lineStart && d.range.end <= owner.end);
      assert.ok(hits.length > 0, `line ${i + 1}: expected ${rule} within ${JSON.stringify(text.slice(lineStart, owner.end).slice(0, 80))}; got ${diags.map((d) => d.rule).join(', ')}`);
      traps.push({ rule, line: i + 1 });
    }
    lineStart += line.length + 1;
  });
  assert.ok(traps.length >= 6, `found ${traps.length} named traps`);
  // Nothing is reported beyond warnings/errors the traps explain (no structural errors).
  const structural = diags.filter((d) => d.rule.startsWith('flow/') && d.severity === 'error');
  assert.deepEqual(structural, []);
});

for (const name of readdirSync(EXAMPLES).filter((f) => f.endsWith('.flow.yaml') && f !== 'pitfalls.flow.yaml').sort()) {
  test(`example ${name} is clean`, () => {
    const text = readFileSync(join(EXAMPLES, name), 'utf8');
    const diags = analyze(parseFlow(text), options);
    assert.deepEqual(
      diags.map((d) => `${d.severity} ${d.rule}: ${d.message}`),
      [],
    );
  });
}
