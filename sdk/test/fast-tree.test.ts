/**
 * The fast path of parseFlow (js-yaml events → yaml library nodes) against the yaml library's
 * own parseDocument, node by node: whenever `fastTree` accepts a text, its tree must equal the
 * composed Document's tree in node kinds, flow style, scalar values and types, and ranges
 * (start and end of every node), its data must equal `toJS()`, and the yaml library must report
 * no error or warning for that text. Corpus: the examples, the fixtures, random documents written
 * by the yaml library in every style, and thousands of mutations of all of these.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, parseDocument, stringify } from 'yaml';
import { fastTree } from '../src/flow/fast-tree.js';
import { parseFlow } from '../src/index.js';
import { rng } from './prng.js';

const examplesDir = new URL('../../../shared/examples/', import.meta.url);
const fixturesDir = new URL('./fixtures/flows/', import.meta.url);

function files(dir: URL, suffixes: string[]): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => suffixes.some((s) => f.endsWith(s)))
      .map((f) => readFileSync(new URL(f, dir), 'utf8'));
  } catch {
    return [];
  }
}

/**
 * First difference between the two trees, as a path and a message; undefined when equal.
 * Ranges: start and end of every node, and the node end (third number) of block-context nodes,
 * which decides a block collection's end. (A flow-context node's node end is not read anywhere.)
 */
function diff(a: unknown, b: unknown, path: string, inFlow = false): string | undefined {
  const kind = (n: unknown): string => (isMap(n) ? 'map' : isSeq(n) ? 'seq' : isScalar(n) ? 'scalar' : isPair(n) ? 'pair' : n === null ? 'null' : typeof n);
  if (kind(a) !== kind(b)) return `${path}: kind ${kind(a)} vs ${kind(b)}`;
  if (a === null || typeof a !== 'object') return undefined;
  if (isPair(a) && isPair(b)) return diff(a.key, b.key, `${path}.key`, true) ?? diff(a.value, b.value, `${path}.value`, inFlow);
  const ra = (a as { range?: number[] }).range;
  const rb = (b as { range?: number[] }).range;
  if (ra?.[0] !== rb?.[0] || ra?.[1] !== rb?.[1] || (!inFlow && ra?.[2] !== rb?.[2])) return `${path}: range ${JSON.stringify(ra)} vs ${JSON.stringify(rb)}`;
  if (isScalar(a) && isScalar(b)) {
    if (!Object.is(a.value, b.value)) return `${path}: value ${JSON.stringify(a.value)} vs ${JSON.stringify(b.value)}`;
    if (a.type !== b.type) return `${path}: type ${a.type} vs ${b.type}`;
    return undefined;
  }
  if ((isMap(a) || isSeq(a)) && (isMap(b) || isSeq(b))) {
    if (Boolean(a.flow) !== Boolean(b.flow)) return `${path}: flow ${a.flow} vs ${b.flow}`;
    if (a.items.length !== b.items.length) return `${path}: ${a.items.length} vs ${b.items.length} items`;
    for (let i = 0; i < a.items.length; i++) {
      const d = diff(a.items[i], b.items[i], `${path}[${i}]`, inFlow || Boolean(a.flow));
      if (d) return d;
    }
  }
  return undefined;
}

interface Tally {
  fast: number;
  slow: number;
}

function check(text: string, tally: Tally): void {
  const fast = fastTree(text);
  if (!fast) {
    tally.slow++;
    return;
  }
  tally.fast++;
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  const show = (): string => `\n--- text ---\n${text.length > 2000 ? `${text.slice(0, 2000)}…` : text}\n------------`;
  assert.deepEqual(
    [...doc.errors, ...doc.warnings].map((e) => e.message),
    [],
    `the fast path accepted a text the yaml library reports problems for${show()}`,
  );
  const d = diff(fast.root, doc.contents, '$');
  assert.equal(d, undefined, `tree differs: ${d}${show()}`);
  assert.deepEqual(fast.data, doc.toJS({ maxAliasCount: 100 }), `data differs${show()}`);
}

const VALUES = ['', 'null', '~', '42', '-1', '0x1f', '0o17', '1.50', '.inf', '-.Inf', '.nan', '1e3', 'true', 'False', 'TRUE', 'yes', '[]', '{}', '[1, 2]', '{ a: 1 }', '"${header.x}"', "'it''s'", '"a\\tb\\u00e9"', '|', '|-', '>', '|+', '&a x', '*a', '!!str 1', "'", '"', '{', '[', ': :', '- -', '#', 'a # c', 'a#b', 'https://h/x?y=1', '"multi\n  line"', 'plain\n  folded', '- x', 'key: v'];

function mutate(text: string, rnd: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  let lines = text.split('\n');
  const n = 1 + Math.floor(rnd() * 3);
  for (let k = 0; k < n; k++) {
    const i = Math.floor(rnd() * Math.max(1, lines.length));
    switch (Math.floor(rnd() * 9)) {
      case 0:
        lines.splice(i, 1);
        break;
      case 1:
        lines.splice(i, 0, lines[Math.floor(rnd() * lines.length)] ?? '');
        break;
      case 2:
        lines.splice(i, 0, pick(['', '  ', '# comment', '  # indented comment', '   ']));
        break;
      case 3: {
        const joined = lines.join('\n');
        lines = joined.slice(0, Math.floor(rnd() * joined.length)).split('\n');
        break;
      }
      case 4:
      case 5: {
        const l = lines[i] ?? '';
        const c = l.indexOf(': ');
        if (c >= 0) lines[i] = `${l.slice(0, c)}: ${pick(VALUES)}`;
        else if (/^\s*- /.test(l)) lines[i] = l.replace(/- .*/, `- ${pick(VALUES)}`);
        break;
      }
      case 6:
        lines[i] = (rnd() < 0.5 ? ' ' : '') + (lines[i] ?? '').replace(/^ {1,2}/, rnd() < 0.5 ? '' : '   ');
        break;
      case 7:
        lines[i] = `${lines[i] ?? ''}${pick([' # c', ' #', '  ', ' ]', ' }', ',', ':', ' :'])}`;
        break;
      default: {
        const l = lines[i] ?? '';
        const q = pick(['"', "'"]);
        lines[i] = l.replace(/: (\S.*)$/, (_m, v: string) => `: ${q}${v}${q}`);
      }
    }
  }
  return lines.join('\n');
}

function randomValue(rnd: () => number, depth: number): unknown {
  const r = rnd();
  if (depth > 3 || r < 0.45) {
    const scalars: unknown[] = ['plain', 'with space', 'a: colon', 'hash # inside', "quote ' single", 'double " quote', 'multi\nline\ntext\n', 'trailing\n\n', '  lead', '', 'true', '12', '-3.5', 'null', '${header.x}', 'é ü 中文', 42, -7, 3.25, 0, true, false, null, 1e21];
    return scalars[Math.floor(rnd() * scalars.length)];
  }
  if (r < 0.75) {
    const o: Record<string, unknown> = {};
    const n = Math.floor(rnd() * 4);
    for (let i = 0; i < n; i++) o[['k', 'key two', 'id', 'steps', '42', 'x-y', "it's"][Math.floor(rnd() * 7)] as string] = randomValue(rnd, depth + 1);
    return o;
  }
  return Array.from({ length: Math.floor(rnd() * 4) }, () => randomValue(rnd, depth + 1));
}

function randomDocument(rnd: () => number): string {
  const value = { flow: 'f', formatVersion: 2, steps: [randomValue(rnd, 1), randomValue(rnd, 1)], extra: randomValue(rnd, 0) };
  const styles = [
    () => stringify(value),
    () => stringify(value, { collectionStyle: 'flow' }),
    () => stringify(value, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' }),
    () => stringify(value, { defaultStringType: 'QUOTE_SINGLE' }),
    () => stringify(value, { defaultStringType: 'BLOCK_LITERAL' }),
    () => stringify(value, { defaultStringType: 'BLOCK_FOLDED', lineWidth: 20 }),
    () => stringify(value, { indent: 4, indentSeq: false }),
    () => stringify(value, { lineWidth: 12, minContentWidth: 4 }),
    () => JSON.stringify(value, null, 2),
    () => JSON.stringify(value),
  ];
  return (styles[Math.floor(rnd() * styles.length)] as () => string)();
}

describe('fastTree equals the yaml library', () => {
  const corpus = [...files(examplesDir, ['.flow.yaml']), ...files(fixturesDir, ['.flow.yaml', '.flow.json'])];

  it('has a corpus', () => {
    assert.ok(corpus.length >= 5, `examples and fixtures found (${corpus.length})`);
  });

  it('on the examples and fixtures (and takes the fast path for them)', () => {
    const tally = { fast: 0, slow: 0 };
    for (const text of corpus) check(text, tally);
    // every valid example without anchors/tags is eligible
    assert.ok(tally.fast >= corpus.length - 2, `fast path taken for ${tally.fast} of ${corpus.length}`);
  });

  it('on hand-picked constructs', () => {
    const tally = { fast: 0, slow: 0 };
    const cases = [
      'a:\nb: 1\n',
      'a:   \n  # c\nb: 1',
      'a: 1\nb:',
      'a:\n- x\n- y\n',
      '- a\n-\n- c\n',
      'a: |-\n  x\n\n\nb: 1\n',
      'a: |+\n  x\n\n\nb: 1\n',
      'a: >\n  x\n  y\n',
      'a: |\n  x\n  # not a comment\nb: 2  # c\n# end\n',
      'a: {x: 1 , y: [1 ,2 ] }  # c\nb: 2',
      'a: b\n  c\n  d\nz: 1',
      '{"a": [1, {"b": null}], "c": "d"}\n',
      "a: 'x'  \n",
      '- - a\n  - b\n- c: d\n  e: f\n',
      'a: { }\nb: [ ]\n',
      'a:\n  b:\n    c: 1\n\n\nd: 2\n',
      'a: 1.50\nb: 0x1F\nc: 0o17\nd: .inf\ne: 1e3\nf: ~\ng: Null\nh: True\n',
      'a: "x\\ty\\u00e9"\nb: \'it\'\'s\'\n',
      'key with spaces: v\n"quoted key": 1\n\'single\': 2\n',
      'a:\n  - x: 1\n    y: 2\n  - z\n',
      'a: [x, {b: c}, [d]]\n',
      'a: {\n  b: 1,\n  c: [\n    2\n  ]\n}\n',
      'a: x # c\n  # indented comment\nb: y\n',
      'a:   \nb: 1\n',
      'a: # c\nb: 1',
      'a:\n\nb: 1',
      'a:\n  \nb: 1',
      'k: {a: x\n}\n',
      'k: [1\n, 2  ]\n',
      '- k: [1,\n  2]\n',
      '- k: [1,\n   2]\n',
      'x:\n  k: [1,\n  2]\n',
      'x:\n  k: [1,\n   2]\n',
      'x:\n  k: [1,\n   2\n  ]\n',
      'x:\n  k: {\n    a: 1\n  }\n',
      'k: {a: 1 , b: 2\n}\n',
      'k: [ {a: 1}  , [2] ,\n  3 ]\n',
      '{"a": "b"  ,\n "c" : "d"\n}\n',
      'k: { a :  b }\n',
      '- {a: [ ] , b: { } }\n',
    ];
    for (const c of cases) check(c, tally);
    assert.ok(tally.fast >= 15, `fast path taken for ${tally.fast} of ${cases.length}`);
  });

  it('on random documents in every style the yaml library writes', () => {
    const rnd = rng(0xfa57);
    const tally = { fast: 0, slow: 0 };
    for (let i = 0; i < 1500; i++) check(randomDocument(rnd), tally);
    assert.ok(tally.fast > 1000, `fast path taken for ${tally.fast} of 1500`);
  });

  it('on mutations of the corpus and of random documents', () => {
    const rnd = rng(0x5eed);
    const tally = { fast: 0, slow: 0 };
    for (let i = 0; i < 3000; i++) {
      const base = i % 2 === 0 ? (corpus[Math.floor(rnd() * corpus.length)] as string) : randomDocument(rnd);
      check(mutate(base, rnd), tally);
    }
    assert.ok(tally.fast > 500 && tally.slow > 500, `both paths exercised (fast ${tally.fast}, slow ${tally.slow})`);
  });
});

describe('parseFlow is the same on either path', () => {
  it('model and problems equal with and without the fast path', () => {
    const rnd = rng(0xabc);
    const corpus = [...files(examplesDir, ['.flow.yaml']), ...files(fixturesDir, ['.flow.yaml', '.flow.json'])];
    let compared = 0;
    // the model is built from the compact tree on the fast path, from the yaml nodes on the other
    for (let i = 0; i < corpus.length + 800; i++) {
      const text = i < corpus.length ? (corpus[i] as string) : mutate(corpus[Math.floor(rnd() * corpus.length)] as string, rnd);
      if (!fastTree(text)) continue;
      compared++;
      const a = parseFlow(text);
      const b = parseFlow(text, { fastPath: false });
      assert.deepEqual(JSON.parse(JSON.stringify(a.flow)), JSON.parse(JSON.stringify(b.flow)), `model differs for\n${text}`);
      assert.deepEqual(a.problems, b.problems, `problems differ for\n${text}`);
      assert.equal(a.isLegacy, b.isLegacy);
    }
    assert.ok(compared > 250, `compared ${compared}`);
  });
});

describe('fast-path nodes keep their range in fields', () => {
  const tree = fastTree('a:\n  b: "x"\n  c: [1, 2]\n');
  assert.ok(tree);
  const root = tree.root;
  assert.ok(isMap(root));
  const b = root.items[0]?.value;
  assert.ok(isMap(b));
  const x = b.items[0]?.value;
  assert.ok(isScalar(x));

  it('hands out a copy: writing its elements changes nothing, assigning it does', () => {
    const r = x.range as [number, number, number];
    assert.deepEqual(r, [8, 11, 12]);
    r[0] = 99;
    assert.deepEqual(x.range, [8, 11, 12]);
    x.range = [9, 12, 13];
    assert.deepEqual(x.range, [9, 12, 13]);
    x.range = [8, 11, 12];
  });

  it('is a yaml node to the library: clone, toJS and stringify see the same node', () => {
    const copy = b.clone();
    assert.deepEqual(copy.range, b.range);
    assert.notEqual(copy.range, b.range);
    assert.deepEqual(root.toJSON(), { a: { b: 'x', c: [1, 2] } });
    assert.equal(stringify(root).trim(), 'a:\n  b: "x"\n  c: [ 1, 2 ]');
    assert.ok(x instanceof Object.getPrototypeOf(parseDocument('"q"').contents).constructor);
  });
});

describe('fast-path collections make their items when first read', () => {
  it('reads the same items every time; an assigned list replaces them', () => {
    const tree = fastTree('steps:\n  - call: a\n  - call: b\n');
    assert.ok(tree && isMap(tree.root));
    const steps = tree.root.items[0]?.value;
    assert.ok(isSeq(steps));
    const first = steps.items;
    assert.equal(steps.items, first, 'made once, then kept');
    assert.equal(first.length, 2);
    const item = first[1];
    assert.ok(isMap(item));
    assert.deepEqual(item.toJSON(), { call: 'b' });
    steps.items = [item];
    assert.deepEqual(tree.root.toJSON(), { steps: [{ call: 'b' }] });
    const copy = tree.root.clone();
    assert.deepEqual(copy.toJSON(), { steps: [{ call: 'b' }] });
  });
});
