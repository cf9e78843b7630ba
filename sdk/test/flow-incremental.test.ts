/**
 * Differential fuzz test of `reparseFlow`: for many random edits, the incremental result must
 * equal a full `parseFlow` of the new text (model with ranges, problems, isLegacy).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { stringify } from 'yaml';
import { parseFlow } from '../src/flow/parse.js';
import type { FlowDocument } from '../src/flow/parse.js';
import { reparseFlow, reparseStats } from '../src/flow/incremental.js';
import { isMap, isPair, isScalar, isSeq } from 'yaml';
import { AdapterRegistry } from '../src/index.js';
import { rng } from './prng.js';

// language-server pieces, imported by URL so that the sdk's TypeScript project does not include them
type Analyze = (doc: FlowDocument, options: { adapters: unknown }) => unknown[];
const lsUrl = (p: string): string => new URL(`../../language-server/${p}`, import.meta.url).href;
const { generateFlow } = (await import(lsUrl('bench/generate-flow.ts'))) as { generateFlow: (n: number) => unknown };
const { analyze } = (await import(lsUrl('src/index.ts'))) as { analyze: Analyze };
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const adapters: unknown = await AdapterRegistry.load({ projectDir: repoRoot });

const here = dirname(fileURLToPath(import.meta.url));
const examplesDir = join(here, '..', '..', '..', 'shared', 'examples');

function examples(): { name: string; text: string }[] {
  let files: string[] = [];
  try {
    files = readdirSync(examplesDir).filter((f) => f.endsWith('.flow.yaml'));
  } catch {
    files = [];
  }
  return files.map((f) => ({ name: f, text: readFileSync(join(examplesDir, f), 'utf8') }));
}

const SNIPPETS = ['x', ' ', '\n', 'a', '1', ':', '${', '}', '"', "'", '- ', '#', '  ', 'true', '${body.x}', '${bad', '\n      X-New: "v"', '\n    headers:\n      A: b', 'call', '[', '{', '&a', '*a', '\t', '\r\n', '|', '>'];

function randomChange(text: string, r: () => number): { start: number; end: number; text: string } {
  const kind = r();
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)] as T;
  if (kind < 0.35) {
    // replace a value after ": " on some line
    const at = Math.floor(r() * text.length);
    const colon = text.indexOf(': ', at);
    if (colon >= 0) {
      const lineEnd = text.indexOf('\n', colon);
      const end = lineEnd < 0 ? text.length : lineEnd;
      return { start: colon + 2, end, text: pick(['v', '5', '"quoted"', '${x.y}', '${', 'true', '', 'application/xml', 'a b c']) };
    }
  }
  if (kind < 0.5) {
    // add a header line after a line that holds "headers:"
    const at = text.indexOf('headers:', Math.floor(r() * text.length));
    if (at >= 0) {
      const lineEnd = text.indexOf('\n', at);
      if (lineEnd >= 0) {
        const lineStart = text.lastIndexOf('\n', at) + 1;
        const ind = ' '.repeat(at - lineStart + 2);
        return { start: lineEnd + 1, end: lineEnd + 1, text: `${ind}X-Fuzz: "${pick(['1', '${a', 'b'])}"\n` };
      }
    }
  }
  const start = Math.floor(r() * (text.length + 1));
  const del = r() < 0.5 ? 0 : Math.floor(r() * 4);
  return { start, end: Math.min(text.length, start + del), text: r() < 0.3 ? '' : pick(SNIPPETS) };
}

function apply(text: string, c: { start: number; end: number; text: string }): string {
  return text.slice(0, c.start) + c.text + text.slice(c.end);
}

/** The yaml tree as ranges and values (what rules and navigation use of `doc.root`). */
function treeShape(n: unknown, depth = 0): unknown {
  if (depth > 80) return '...';
  if (isMap(n)) return { map: n.items.map((p) => (isPair(p) ? [treeShape(p.key, depth + 1), treeShape(p.value, depth + 1)] : null)), range: n.range, flow: !!n.flow };
  if (isSeq(n)) return { seq: n.items.map((x) => treeShape(x, depth + 1)), range: n.range, flow: !!n.flow };
  if (isScalar(n)) return { value: n.value, range: n.range, type: n.type };
  return n === null || n === undefined ? null : String(n);
}

let analyzeEvery = 4;
let analysed = 0;

function assertSame(got: FlowDocument, want: FlowDocument, what: string): void {
  assert.equal(got.text, want.text, `${what}: text`);
  assert.deepEqual(treeShape(got.root), treeShape(want.root), `${what}: yaml tree`);
  const probe = Math.floor(got.text.length / 3);
  assert.deepEqual(got.pathAt(probe), want.pathAt(probe), `${what}: pathAt`);
  assert.deepEqual(got.positionAt(probe), want.positionAt(probe), `${what}: positionAt`);
  if (want.flow.steps.length > 0) {
    const last = want.flow.steps[want.flow.steps.length - 1]?.path ?? [];
    assert.deepEqual(got.rangeAt(last), want.rangeAt(last), `${what}: rangeAt`);
    assert.deepEqual(got.rangeAt([...last, 'id'], 'key'), want.rangeAt([...last, 'id'], 'key'), `${what}: rangeAt key`);
  }
  if (++analysed % analyzeEvery === 0) assert.deepEqual(analyze(got, { adapters }), analyze(want, { adapters }), `${what}: analyze diagnostics`);
  assert.deepEqual(got.flow, want.flow, `${what}: flow model`);
  assert.deepEqual(got.problems, want.problems, `${what}: problems`);
  assert.equal(got.isLegacy, want.isLegacy, `${what}: isLegacy`);
}

function fuzz(name: string, base: string, edits: number, seed: number, chain: boolean): void {
  const r = rng(seed);
  let prev = parseFlow(base);
  for (let n = 0; n < edits; n++) {
    const change = randomChange(prev.text, r);
    const newText = apply(prev.text, change);
    const got = reparseFlow(prev, change);
    const want = parseFlow(newText);
    assertSame(got, want, `${name} edit #${n} ${JSON.stringify(change)}`);
    // keep the text close to valid: continue from the edit half of the time, or restart
    if (chain && r() < 0.8 && !want.problems.some((p) => p.code === 'flow/yaml-syntax')) prev = got;
    else prev = parseFlow(base);
  }
}

test('reparseFlow equals parseFlow on random edits of the example flows', () => {
  const ex = examples();
  assert.ok(ex.length > 0, 'examples found');
  const before = { ...reparseStats };
  analyzeEvery = 1;
  ex.forEach((e, k) => fuzz(e.name, e.text, 250, 1000 + k, true));
  console.log(`examples: incremental: ${reparseStats.incremental - before.incremental}, fallback: ${reparseStats.fallback - before.fallback}`);
});

test('reparseFlow equals parseFlow on random edits of a generated flow', () => {
  const text = stringify(generateFlow(40));
  analyzeEvery = 3;
  const before = { ...reparseStats };
  fuzz('generated', text, 700, 42, true);
  const inc = reparseStats.incremental - before.incremental;
  const fb = reparseStats.fallback - before.fallback;
  console.log(`generated: incremental: ${inc}, fallback: ${fb}`);
  assert.ok(inc > 50, `the incremental path is taken (incremental ${inc}, fallback ${fb})`);
});

/** A change near or inside a random double-quoted string: mostly safe text, sometimes quotes, escapes or line breaks. */
function quotedChange(text: string, r: () => number): { start: number; end: number; text: string } {
  // mostly a string value (after `: "`), sometimes any quote (a key, or the text between strings)
  const from = Math.floor(r() * text.length);
  const valueAt = text.indexOf(': "', from);
  const at = r() < 0.8 && valueAt >= 0 ? valueAt + 2 : text.indexOf('"', from);
  const close = at >= 0 ? text.indexOf('"', at + 1) : -1;
  if (at < 0 || close < 0) return { start: 0, end: 0, text: '' };
  const pos = at + Math.floor(r() * (close - at + 1));
  const del = r() < 0.4 ? Math.floor(r() * 4) : 0;
  const pool = ['x', 'abc', 'é', '${header.x}', ' ', '/', '#', ':', '{', ']', ',', '"', '\\', '\n', "'", '\u2028', '日本'];
  const ins = r() < 0.8 ? (pool[Math.floor(r() * pool.length)] as string) : '';
  return { start: pos, end: Math.min(pos + del, text.length), text: ins };
}

test('reparseFlow equals parseFlow on edits inside quoted strings (JSON and quoted YAML)', () => {
  const json = JSON.stringify(generateFlow(40), null, 2);
  const yamlQuoted = stringify(generateFlow(25), { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' });
  const exJson = examples().map((e) => JSON.stringify(parseFlow(e.text).yaml.toJS(), null, 2));
  const before = { ...reparseStats };
  analyzeEvery = 3;
  for (const [name, base, seed] of [['json', json, 7], ['quoted yaml', yamlQuoted, 8], ...exJson.map((t, k) => [`example ${k} as JSON`, t, 20 + k] as const)] as const) {
    const r = rng(seed);
    let prev = parseFlow(base);
    for (let n = 0; n < 150; n++) {
      const change = quotedChange(prev.text, r);
      const got = reparseFlow(prev, change);
      const want = parseFlow(apply(prev.text, change));
      assertSame(got, want, `${name} edit #${n} ${JSON.stringify(change)}`);
      prev = r() < 0.85 && !want.problems.some((p) => p.code === 'flow/yaml-syntax') ? got : parseFlow(base);
    }
  }
  const scalar = reparseStats.scalarEdits - before.scalarEdits;
  console.log(`quoted strings: scalar edits ${scalar}, fallback ${reparseStats.fallback - before.fallback}`);
  assert.ok(scalar > 300, `the scalar-edit path is taken (${scalar})`);
});

test('reparseFlow: a re-parsed version does not keep the versions before it alive', async () => {
  // a language server holds only the latest version of a document; if each version held the one
  // it was re-parsed from, an editing session would keep every version of the file in memory
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (const [name, text, from, to] of [
    // a step item's value: the step-item path
    ['YAML', stringify(generateFlow(30)), 'application/json', 'text/plain'],
    // inside a quoted string of a JSON flow: the scalar-edit path
    ['JSON', JSON.stringify(generateFlow(30), null, 2), '"application/json"', '"application/xml"'],
  ] as const) {
    const before = reparseStats.incremental;
    const { first, latest } = ((): { first: WeakRef<FlowDocument>; latest: FlowDocument } => {
      let doc = parseFlow(text);
      const ref = new WeakRef(doc);
      for (let n = 0; n < 3; n++) {
        const at = doc.text.indexOf(n % 2 === 0 ? from : to, Math.floor(doc.text.length / 2));
        assert.ok(at > 0, `${name}: the value to edit`);
        const [a, b] = n % 2 === 0 ? [from, to] : [to, from];
        // the changed part only, as an editor reports it: without the characters the two values
        // share at their start and end (the JSON values' quotes stay untouched)
        let s = 0;
        while (a[s] === b[s]) s++;
        let e = 0;
        while (e < Math.min(a.length, b.length) - s && a[a.length - 1 - e] === b[b.length - 1 - e]) e++;
        doc = reparseFlow(doc, { start: at + s, end: at + a.length - e, text: b.slice(s, b.length - e) });
      }
      return { first: ref, latest: doc };
    })();
    assert.equal(reparseStats.incremental - before, 3, `${name}: every re-parse incremental`);
    // a WeakRef's target stays alive until the current job ends
    await new Promise((r) => setImmediate(r));
    gc();
    assert.equal(first.deref(), undefined, `${name}: the first version is still reachable from the latest`);
    assertSame(latest, parseFlow(latest.text), `${name}: the latest version`);
  }
});

test('reparseFlow: the lazy yaml document and rangeAt match a full parse', () => {
  const text = stringify(generateFlow(30));
  const prev = parseFlow(text);
  const at = text.indexOf('application/json', Math.floor(text.length / 2));
  assert.ok(at > 0);
  const change = { start: at, end: at + 'application/json'.length, text: 'text/plain' };
  const got = reparseFlow(prev, change);
  const want = parseFlow(apply(text, change));
  assert.equal(String(got.yaml), String(want.yaml));
  assert.deepEqual(got.rangeAt(['steps', 3]), want.rangeAt(['steps', 3]));
  assert.deepEqual(got.positionAt(at + 5), want.positionAt(at + 5));
});

test('reparseFlow: a re-used previous document, CRLF text and anchors take the full parse, with the same result', () => {
  const text = stringify(generateFlow(12));
  // a header value inside a top-level step item (not the last one)
  const middleOfSteps = (t: string): number => t.indexOf('application/json', t.indexOf('\nsteps:'));
  const at = middleOfSteps(text);
  assert.ok(at > 0);
  const change = { start: at, end: at + 4, text: 'text' };
  const want = parseFlow(apply(text, change));
  for (const base of [text, text.replace(/\n/g, '\r\n'), `${text}x: &a 1\ny: *a\n`]) {
    const prev = parseFlow(base);
    const c = base === text ? change : { start: middleOfSteps(base), end: 0, text: 'text' };
    c.end = c.start + 4;
    const before = { ...reparseStats };
    const first = reparseFlow(prev, c);
    assert.equal(reparseStats.incremental - before.incremental, base === text ? 1 : 0, 'incremental only for the plain LF text');
    assertSame(first, parseFlow(apply(base, c)), 'first re-parse');
    // the previous document was taken over (or not): a second re-parse of it is still right
    const again = reparseFlow(prev, c);
    assertSame(again, parseFlow(apply(base, c)), 'second re-parse of the same previous document');
    if (base === text) assertSame(again, want, 'plain text');
  }
});
