/**
 * security/inline-secret walks only the tree nodes whose source can hold a secret key name
 * (offsets of key words in the text), unless an escape in the text could spell a letter of a
 * key its source does not show. This compares the pruned walk with the full walk on JSON and
 * YAML texts whose keys are built from key-word fragments and the characters JSON escapes
 * (`"` and `\`): a comment holding `\q` (which changes no key) forces the full walk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFlow } from '@sessionflow/sdk';
import { parse, stringify } from 'yaml';
import { analyze } from '../src/index.js';
import { testCatalog } from './fixtures/adapters.js';
import { EXAMPLES_DIR } from './fixtures/paths.js';
import { rng } from './support/prng.js';

const FRAGMENTS = ['pass', 'word', 'tok', 'en', 'sec', 'ret', 'api', 'key', 'x', '-', '_', ' ', '"', '\\', '/', '""'];

function secretFindings(text: string): string[] {
  return analyze(parseFlow(text), { adapters: testCatalog() })
    .filter((d) => d.rule === 'security/inline-secret')
    .map((d) => `${d.range.start}-${d.range.end} ${d.message}`);
}

/** Adds random keys (fragments joined) with literal values to every map of the data, recursively. */
function salt(v: unknown, rnd: () => number): unknown {
  if (Array.isArray(v)) return v.map((x) => salt(x, rnd));
  if (!v || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = salt(x, rnd);
  if (rnd() < 0.5) {
    let key = '';
    const n = 2 + Math.floor(rnd() * 4);
    for (let i = 0; i < n; i++) key += FRAGMENTS[Math.floor(rnd() * FRAGMENTS.length)];
    if (!(key in out)) out[key] = rnd() < 0.5 ? `v-${Math.floor(rnd() * 1000)}` : Math.floor(rnd() * 1000);
  }
  return out;
}

test('the pruned walk finds exactly what the full walk finds', () => {
  const rnd = rng(0x5ec7e7);
  const examples = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.flow.yaml')).map((f) => parse(readFileSync(join(EXAMPLES_DIR, f), 'utf8')) as unknown);
  let withFindings = 0;
  let compared = 0;
  for (let i = 0; i < 600; i++) {
    const data = salt(examples[i % examples.length], rnd);
    const text = i % 2 === 0 ? JSON.stringify(data, null, 2) : stringify(data);
    if (/\\[A-Za-z0-9]/.test(text)) continue; // the full walk anyway
    const pruned = secretFindings(text);
    const full = secretFindings(`${text}\n# \\q forces the full walk\n`);
    assert.deepEqual(pruned, full, text);
    compared++;
    if (pruned.length > 0) withFindings++;
  }
  assert.ok(compared > 250 && withFindings > 60, `compared ${compared}, with findings ${withFindings}`);
});
