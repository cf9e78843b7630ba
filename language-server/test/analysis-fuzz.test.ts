/**
 * Fuzz: random mutations of the example flows and rule fixtures (deleted and duplicated lines,
 * swapped values, truncation, wrong types, random bytes, re-indentation). `analyze` never
 * throws, no rule fails internally, every range lies within the document, and quick fixes
 * stay within the document too. Seeded PRNG; the iteration count bounds the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlow } from '@sessionflow/sdk';
import { analyze, applyEdits, INTERNAL_RULE, quickFixes } from '../src/index.js';
import { testCatalog } from './fixtures/adapters.js';
import { EXAMPLES_DIR } from './fixtures/paths.js';
import { rng } from './support/prng.js';

const EXAMPLES = EXAMPLES_DIR;
const RULES = fileURLToPath(new URL('./fixtures/rules/', import.meta.url));
const corpus: string[] = [
  ...readdirSync(EXAMPLES).filter((f) => f.endsWith('.flow.yaml')).map((f) => readFileSync(join(EXAMPLES, f), 'utf8')),
  ...readdirSync(RULES).flatMap((d) =>
    readdirSync(join(RULES, d)).filter((f) => f.endsWith('.flow.yaml')).map((f) => readFileSync(join(RULES, d, f), 'utf8')),
  ),
];

const VALUES = ['', 'null', '~', '42', '-1', 'true', 'false', '[]', '{}', '[1, 2]', '{ a: 1 }', '"${header.x}"', '${property.y}', 'onExchange', 'none', 'http', 'split', '&a', '*a', '!!binary x', '|', '>-', "'", '"', '{', '[', ': :', '- -', '#', 'onPremise', 'https://h/', 'http://erp:80'];

function mutate(text: string, rnd: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  let lines = text.split('\n');
  const n = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < n; k++) {
    const i = Math.floor(rnd() * Math.max(1, lines.length));
    switch (Math.floor(rnd() * 9)) {
      case 0:
        lines.splice(i, 1);
        break;
      case 1:
        lines.splice(i, 0, lines[Math.floor(rnd() * lines.length)] ?? '');
        break;
      case 2: {
        const j = Math.floor(rnd() * lines.length);
        const a = lines[i] ?? '';
        const b = lines[j] ?? '';
        const va = a.split(': ');
        const vb = b.split(': ');
        if (va.length > 1 && vb.length > 1) {
          lines[i] = `${va[0]}: ${vb.slice(1).join(': ')}`;
          lines[j] = `${vb[0]}: ${va.slice(1).join(': ')}`;
        }
        break;
      }
      case 3: {
        const joined = lines.join('\n');
        lines = joined.slice(0, Math.floor(rnd() * joined.length)).split('\n');
        break;
      }
      case 4: {
        const l = lines[i] ?? '';
        const c = l.indexOf(': ');
        if (c >= 0) lines[i] = `${l.slice(0, c)}: ${pick(VALUES)}`;
        break;
      }
      case 5: {
        const l = lines[i] ?? '';
        const pos = Math.floor(rnd() * (l.length + 1));
        const bytes = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => String.fromCharCode(Math.floor(rnd() * 0x3000))).join('');
        lines[i] = l.slice(0, pos) + bytes + l.slice(pos);
        break;
      }
      case 6:
        lines[i] = (rnd() < 0.5 ? ' ' : '') + (lines[i] ?? '').replace(/^ {1,2}/, rnd() < 0.5 ? '' : '   ');
        break;
      case 7:
        lines[i] = `${lines[i] ?? ''}${pick([' # sessionflow-disable-next-line', ' #', '\r', '\t', ' ]', ' }', ','])}`;
        break;
      default: {
        const l = lines[i] ?? '';
        lines[i] = l.replace(/\b(call|send|split|loop|multicast|route|process|steps|receivers|auth|proxy)\b/, () => pick(['call', 'send', 'split', 'loop', 'multicast', 'route', 'process', 'steps', 'set', 'x']));
      }
    }
  }
  return lines.join(rnd() < 0.1 ? '\r\n' : '\n');
}

test('analyze never throws and keeps every range inside the document (fuzz)', () => {
  const rnd = rng(0x5e55);
  const options = { adapters: testCatalog() };
  const ITERATIONS = 2000;
  let diagnostics = 0;
  let fixesChecked = 0;
  for (let it = 0; it < ITERATIONS; it++) {
    const base = corpus[Math.floor(rnd() * corpus.length)] as string;
    const text = mutate(base, rnd);
    const doc = parseFlow(text);
    let diags;
    try {
      diags = analyze(doc, options);
    } catch (err) {
      assert.fail(`analyze threw on iteration ${it}: ${String(err)}\n---\n${text}`);
    }
    for (const d of diags) {
      diagnostics++;
      assert.notEqual(d.rule, INTERNAL_RULE, `a rule failed on iteration ${it}: ${d.message}\n---\n${text}`);
      assert.ok(d.range.start >= 0 && d.range.start <= d.range.end && d.range.end <= text.length, `range ${JSON.stringify(d.range)} outside [0, ${text.length}] (${d.rule})`);
      assert.ok(typeof d.message === 'string' && d.message.length > 0);
    }
    if (it % 8 === 0) {
      for (const d of diags.slice(0, 6)) {
        const fixes = quickFixes(doc, d, options);
        for (const f of fixes) {
          for (const e of f.edits) assert.ok(e.range.start >= 0 && e.range.start <= e.range.end && e.range.end <= text.length, `fix edit range outside the document (${d.rule}: ${f.title})`);
          const fixed = applyEdits(text, f.edits);
          assert.doesNotThrow(() => analyze(parseFlow(fixed), options));
          fixesChecked++;
        }
      }
    }
  }
  assert.ok(diagnostics > ITERATIONS, `the mutations produce diagnostics (${diagnostics})`);
  assert.ok(fixesChecked > 100, `quick fixes were exercised (${fixesChecked})`);
});
