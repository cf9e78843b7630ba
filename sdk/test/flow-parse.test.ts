import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDynamic } from '../src/flow/expression.js';
import type {
  CallStep,
  LoopStep,
  MulticastStep,
  Node,
  NodePath,
  ProcessStep,
  Range,
  RouteStep,
  ScriptStep,
  SetStep,
  SplitStep,
  Step,
} from '../src/flow/model.js';
import { parseFlow } from '../src/flow/parse.js';
import type { FlowDocument } from '../src/flow/parse.js';
import { rng } from './prng.js';
import { EXAMPLES_DIR } from './examples-dir.js';

const fixtures = fileURLToPath(new URL('./fixtures/flows/', import.meta.url));
const examplesDir = EXAMPLES_DIR;
const read = (name: string): string => readFileSync(fixtures + name, 'utf8');

function src(doc: FlowDocument, r: Range | undefined): string {
  assert.ok(r, 'range expected');
  return doc.text.slice(r.start, r.end);
}

function as<T extends Step>(step: Step | undefined, kind: T['kind']): T {
  assert.ok(step, `expected a ${kind} step`);
  assert.equal(step.kind, kind);
  return step as T;
}

/** Every model node (objects with `range` and `path`), depth first. */
function modelNodes(value: unknown, out: Node[] = [], seen = new Set<unknown>()): Node[] {
  if (!value || typeof value !== 'object' || seen.has(value)) return out;
  seen.add(value);
  const v = value as Record<string, unknown>;
  if (v.range && Array.isArray(v.path)) out.push(v as unknown as Node);
  for (const [k, child] of Object.entries(v)) {
    if (k === 'template' || k === 'raw' || (k === 'value' && !(child && typeof child === 'object' && 'range' in child))) continue;
    if (Array.isArray(child)) for (const c of child) modelNodes(c, out, seen);
    else modelNodes(child, out, seen);
  }
  return out;
}

describe('parseFlow: ranges on every node kind (all-kinds fixture)', () => {
  const doc = parseFlow(read('all-kinds.flow.yaml'), { uri: 'file:///all-kinds.flow.yaml' });
  const f = doc.flow;

  it('parses without problems and keeps the uri', () => {
    assert.deepEqual(doc.problems, []);
    assert.equal(doc.uri, 'file:///all-kinds.flow.yaml');
    assert.equal(doc.isLegacy, false);
  });

  it('top level: flow id, formatVersion, description', () => {
    assert.equal(f.id?.value, 'all-kinds');
    assert.equal(src(doc, f.id?.range), 'all-kinds');
    assert.equal(src(doc, f.id?.keyRange), 'flow');
    assert.deepEqual(f.id?.path, ['flow']);
    assert.equal(f.formatVersion?.value, 2);
    assert.equal(src(doc, f.formatVersion?.range), '2');
    assert.equal(src(doc, f.description?.range), 'Every step kind, nested.');
    assert.equal(f.range.start, doc.text.indexOf('flow: all-kinds'));
  });

  it('runtime and sender', () => {
    assert.equal(src(doc, f.runtime?.keyRange), 'runtime');
    assert.ok(src(doc, f.runtime?.range).startsWith('sessionHandling: onExchange'));
    assert.equal(src(doc, f.runtime?.sessionHandling?.range), 'onExchange');
    assert.equal(src(doc, f.runtime?.sessionHandling?.keyRange), 'sessionHandling');
    assert.equal(src(doc, f.runtime?.log?.range), 'info');
    assert.equal(src(doc, f.runtime?.sessionStore?.range), 'memory');
    assert.equal(src(doc, f.sender?.adapter?.range), 'http');
    assert.equal(src(doc, f.sender?.urlPath?.range), '/in');
    assert.deepEqual(f.sender?.urlPath?.path, ['sender', 'path']);
    assert.equal(f.sender?.csrf?.value, false);
    assert.deepEqual(f.sender?.raw, { maxBodyBytes: 1024 });
  });

  it('credentials', () => {
    assert.deepEqual(
      f.credentials.map((c) => [c.name, src(doc, c.keyRange), src(doc, c.type?.range)]),
      [
        ['erp-user', 'erp-user', 'basic'],
        ['cert', 'cert', 'client-certificate'],
      ],
    );
    assert.equal(src(doc, f.credentials[0]?.range), '{ type: basic }');
    assert.equal(src(doc, f.credentialsNode?.keyRange), 'credentials');
  });

  it('receivers: fields, auth, logoff, proxy, config', () => {
    const [erp, dyn, onprem] = f.receivers;
    assert.ok(erp && dyn && onprem);
    assert.deepEqual(f.receivers.map((r) => src(doc, r.keyRange)), ['erp', 'dyn', 'onprem']);
    assert.deepEqual(erp.path, ['receivers', 'erp']);
    assert.equal(src(doc, erp.adapter?.range), 'http');
    assert.equal(src(doc, erp.address?.range), '"https://erp.example.com/api/${env.ERP_TENANT}"');
    assert.equal(erp.address?.value, 'https://erp.example.com/api/${env.ERP_TENANT}');
    assert.equal(isDynamic(erp.address!.template), false);
    assert.equal(src(doc, erp.auth?.keyRange), 'auth');
    assert.equal(src(doc, erp.auth?.range), '{ type: basic, credential: erp-user }');
    assert.equal(src(doc, erp.auth?.type?.range), 'basic');
    assert.equal(src(doc, erp.auth?.type?.keyRange), 'type');
    assert.equal(src(doc, erp.auth?.credential?.range), 'erp-user');
    assert.deepEqual(erp.auth?.credential?.path, ['receivers', 'erp', 'auth', 'credential']);
    assert.equal(erp.csrf?.value, true);
    assert.equal(src(doc, erp.csrf?.keyRange), 'csrf');
    assert.equal(erp.stateful?.value, false);
    assert.equal(erp.parallelCallsInSession?.value, true);
    assert.equal(erp.timeoutMs?.value, 5000);
    assert.equal(src(doc, erp.timeoutMs?.range), '5000');
    assert.equal(src(doc, erp.logoff?.method?.range), 'POST');
    assert.equal(src(doc, erp.logoff?.urlPath?.range), '/logout');

    assert.equal(src(doc, dyn.variant?.range), 'soap-1.1');
    assert.equal(src(doc, dyn.auth?.user?.range), '${header.user}');
    assert.equal(src(doc, dyn.auth?.password?.range), "'${property.pw}'");
    assert.equal(isDynamic(dyn.auth!.user!.template), true);
    assert.equal(isDynamic(dyn.auth!.password!.template), true);
    assert.equal(src(doc, dyn.session?.range), 'none');

    assert.equal(src(doc, onprem.auth?.type?.range), 'client-certificate');
    assert.equal(src(doc, onprem.proxy?.keyRange), 'proxy');
    assert.equal(src(doc, onprem.proxy?.type?.range), 'onPremise');
    assert.equal(src(doc, onprem.proxy?.virtualHost?.range), 'virtual-erp.example:44300');
    assert.equal(src(doc, onprem.proxy?.locationId?.range), 'loc1');
    assert.deepEqual(onprem.proxy?.cookieDomains?.value, { 'erp.internal': 'virtual-erp.example' });
    assert.equal(src(doc, onprem.proxy?.cookieDomains?.range), '{ erp.internal: virtual-erp.example }');
    assert.deepEqual(onprem.config?.value, { pageSize: 100, nested: { a: [1, 2] } });
    assert.equal(src(doc, onprem.config?.keyRange), 'config');
    assert.ok(src(doc, onprem.config?.range).startsWith('pageSize: 100'));
  });

  it('processes and their steps', () => {
    const p = f.processes[0];
    assert.ok(p);
    assert.equal(p.name, 'enrich');
    assert.equal(src(doc, p.keyRange), 'enrich');
    const s = as<SetStep>(p.steps[0], 'set');
    assert.deepEqual(s.path, ['processes', 'enrich', 'steps', 0]);
    assert.equal(src(doc, s.id?.range), 'p-set');
    assert.equal(src(doc, s.kindKeyRange), 'set');
    assert.equal(s.properties[0]?.name, 'enriched');
    assert.equal(src(doc, s.properties[0]?.keyRange), 'enriched');
    assert.equal(src(doc, s.properties[0]?.value.range), '"yes"');
    assert.deepEqual(s.properties[0]?.value.path, ['processes', 'enrich', 'steps', 0, 'set', 'properties', 'enriched']);
  });

  it('send step with headers and query', () => {
    const s = as<CallStep>(f.steps[0], 'send');
    assert.deepEqual(s.path, ['steps', 0]);
    assert.ok(src(doc, s.range).startsWith('id: prime'));
    assert.ok(src(doc, s.range).endsWith('lang: ${header.lang}'));
    assert.equal(src(doc, s.kindKeyRange), 'send');
    assert.equal(src(doc, s.receiver.range), 'erp');
    assert.equal(s.receiver.value, 'erp');
    assert.equal(src(doc, s.name?.range), 'Prime the session');
    assert.equal(src(doc, s.method?.range), 'GET');
    assert.equal(src(doc, s.urlPath?.range), '/token');
    assert.deepEqual(
      s.headers.map((h) => [h.name, src(doc, h.keyRange), src(doc, h.value.range), h.value.value]),
      [
        ['X-CSRF-Token', 'X-CSRF-Token', 'Fetch', 'Fetch'],
        ['X-Count', 'X-Count', '5', '5'],
      ],
    );
    assert.equal(s.query[0]?.name, 'lang');
    assert.equal(src(doc, s.query[0]?.value.range), '${header.lang}');
    assert.equal(isDynamic(s.query[0]!.value.template), true);
  });

  it('split step and its nested call', () => {
    const s = as<SplitStep>(f.steps[1], 'split');
    assert.equal(src(doc, s.kindKeyRange), 'split');
    assert.equal(src(doc, s.splitPath?.range), '$.items');
    assert.deepEqual(s.splitPath?.path, ['steps', 1, 'split', 'path']);
    assert.equal(s.parallel?.value, true);
    assert.equal(src(doc, s.maxConcurrency?.range), '4');
    const c = as<CallStep>(s.steps[0], 'call');
    assert.deepEqual(c.path, ['steps', 1, 'split', 'steps', 0]);
    assert.ok(src(doc, c.range).startsWith('id: post-item'));
    assert.equal(src(doc, c.kindKeyRange), 'call');
    assert.equal(src(doc, c.method?.range), 'POST');
    assert.deepEqual(c.body?.value, { id: '${body.id}' });
    assert.equal(src(doc, c.body?.range), '{ id: "${body.id}" }');
  });

  it('multicast branches', () => {
    const m = as<MulticastStep>(f.steps[2], 'multicast');
    assert.equal(m.parallel?.value, false);
    assert.equal(m.branches.length, 2);
    const b0 = as<ScriptStep>(m.branches[0]?.[0], 'script');
    assert.deepEqual(b0.path, ['steps', 2, 'multicast', 'branches', 0, 0]);
    assert.equal(src(doc, b0.script.range), './scripts/b0.ts');
    const b1 = as<ProcessStep>(m.branches[1]?.[0], 'process');
    assert.deepEqual(b1.path, ['steps', 2, 'multicast', 'branches', 1, 0]);
    assert.equal(src(doc, b1.process.range), 'enrich');
    assert.equal(src(doc, b1.kindKeyRange), 'process');
    const b1s = as<CallStep>(m.branches[1]?.[1], 'send');
    assert.deepEqual(b1s.path, ['steps', 2, 'multicast', 'branches', 1, 1]);
    assert.equal(src(doc, b1s.receiver.range), 'dyn');
  });

  it('loop step', () => {
    const l = as<LoopStep>(f.steps[3], 'loop');
    assert.equal(src(doc, l.while?.range), `"\${property.hasMore} == 'true' and \${property.page} < 10"`);
    assert.deepEqual(l.while?.path, ['steps', 3, 'loop', 'while']);
    assert.equal(l.max?.value, 20);
    const c = as<CallStep>(l.steps[0], 'call');
    assert.deepEqual(c.path, ['steps', 3, 'loop', 'steps', 0]);
    assert.equal(src(doc, c.receiver.range), 'onprem');
  });

  it('route step: when and otherwise', () => {
    const r = as<RouteStep>(f.steps[4], 'route');
    const w = r.when[0];
    assert.ok(w);
    assert.deepEqual(w.path, ['steps', 4, 'route', 'when', 0]);
    assert.equal(src(doc, w.if?.range), `"\${header.type} == 'order'"`);
    const c = as<CallStep>(w.steps[0], 'call');
    assert.deepEqual(c.path, ['steps', 4, 'route', 'when', 0, 'steps', 0]);
    assert.equal(src(doc, c.id?.range), 'order');
    const o = as<SetStep>(r.otherwise?.[0], 'set');
    assert.deepEqual(o.path, ['steps', 4, 'route', 'otherwise', 0]);
    assert.equal(src(doc, o.headers[0]?.value.range), 'other');
    assert.equal(src(doc, o.body?.range), '"no route for ${header.type}"');
    assert.ok('template' in o.body! && isDynamic(o.body.template));
  });

  it('rangeAt round-trips every model node (value and key)', () => {
    const nodes = modelNodes(f);
    assert.ok(nodes.length > 80, `only ${nodes.length} nodes`);
    for (const n of nodes) {
      if (n.path.length === 0) continue;
      assert.deepEqual(doc.rangeAt(n.path), n.range, `value range of ${JSON.stringify(n.path)}`);
      if (n.keyRange) assert.deepEqual(doc.rangeAt(n.path, 'key'), n.keyRange, `key range of ${JSON.stringify(n.path)}`);
    }
  });

  it('pathAt finds the node at an offset (keys and scalar values)', () => {
    let scalars = 0;
    for (const n of modelNodes(f)) {
      const v = (n as { value?: unknown }).value;
      if (n.path.length === 0) continue;
      if (n.keyRange) {
        for (const o of [n.keyRange.start, n.keyRange.end - 1]) {
          assert.deepEqual(doc.pathAt(o), { path: n.path, part: 'key' }, `key at ${o} of ${JSON.stringify(n.path)}`);
        }
      }
      if (v !== undefined && (v === null || typeof v !== 'object') && n.range.end > n.range.start) {
        scalars++;
        const mid = (n.range.start + n.range.end) >> 1;
        assert.deepEqual(doc.pathAt(mid), { path: n.path, part: 'value' }, `value at ${mid} of ${JSON.stringify(n.path)}`);
      }
    }
    assert.ok(scalars > 40);
    assert.equal(doc.pathAt(doc.text.length + 10), undefined);
  });

  it('pathAt inside a map but between pairs gives the map', () => {
    const text = 'flow: x\nruntime:\n  log: info\n\n  sessionHandling: none\n';
    const d = parseFlow(text);
    const off = text.indexOf('\n\n') + 1;
    assert.deepEqual(d.pathAt(off), { path: ['runtime'], part: 'value' });
  });
});

describe('parseFlow: examples and fixtures', () => {
  for (const name of readdirSync(examplesDir).filter((n) => n.endsWith('.flow.yaml'))) {
    it(`${name} parses with zero problems`, () => {
      const doc = parseFlow(readFileSync(examplesDir + name, 'utf8'));
      assert.deepEqual(doc.problems, []);
      assert.ok(doc.flow.id?.value);
      assert.ok(doc.flow.steps.length > 0);
      assert.equal(doc.isLegacy, false);
    });
  }

  it('legacy flows (no formatVersion, or 1) are marked', () => {
    assert.equal(parseFlow(read('legacy.flow.yaml')).isLegacy, true);
    assert.equal(parseFlow('flow: a\nformatVersion: 1\n').isLegacy, true);
    assert.equal(parseFlow('flow: a\nformatVersion: 2\n').isLegacy, false);
    assert.deepEqual(parseFlow(read('legacy.flow.yaml')).problems, []);
  });

  it('JSON input works, with ranges and escapes inside strings', () => {
    const doc = parseFlow(read('all-kinds.flow.json'));
    assert.deepEqual(doc.problems, []);
    assert.equal(doc.flow.id?.value, 'json-flow');
    assert.equal(src(doc, doc.flow.id?.range), '"json-flow"');
    assert.equal(src(doc, doc.flow.id?.keyRange), '"flow"');
    const split = as<SplitStep>(doc.flow.steps[1], 'split');
    const call = as<CallStep>(split.steps[0], 'call');
    assert.equal(call.headers[0]?.value.value, 'A${body.id}');
    assert.equal(src(doc, call.headers[0]?.value.range), '"\\u0041${body.id}"');
    assert.equal(src(doc, doc.flow.receivers[0]?.auth?.type?.range), '"basic"');
  });
});

describe('parseFlow: expression problems point inside the string', () => {
  const cases: [string, string, string][] = [
    ['plain', 'address: https://x/${nope.a}/y', '${nope.a}'],
    ['double-quoted', 'address: "https://x/${nope.a}"', '${nope.a}'],
    ['double-quoted with escapes', 'address: "\\t\\u00e9\\"${nope.a}"', '${nope.a}'],
    ['double-quoted with a surrogate pair escape', 'address: "\\U0001F600${nope.a}"', '${nope.a}'],
    ['single-quoted with doubled quote', "address: 'it''s ${nope.a}'", '${nope.a}'],
    ['unterminated', 'address: "a ${header.x"', '${header.x'],
    ['block scalar: whole node', 'address: |\n      a ${nope.a}\n', '|\n      a ${nope.a}\n'],
    ['folded plain: whole node', 'address: a\n      ${nope.a}', 'a\n      ${nope.a}'],
  ];
  for (const [label, line, want] of cases) {
    it(label, () => {
      const text = `flow: x\nformatVersion: 2\nreceivers:\n  r:\n    adapter: http\n    ${line}\n`;
      const doc = parseFlow(text);
      assert.equal(doc.problems.length, 1, JSON.stringify(doc.problems));
      const p = doc.problems[0]!;
      assert.equal(p.code, 'flow/schema');
      assert.match(p.message, /^receivers\.r\.address: invalid expression: /);
      assert.equal(src(doc, p.range), want);
      assert.deepEqual(p.path, ['receivers', 'r', 'address']);
    });
  }

  it('conditions: syntax errors point at the offending token', () => {
    const text = 'flow: x\nsteps:\n  - loop:\n      while: "${property.a} = 1"\n      steps: []\n';
    const doc = parseFlow(text);
    assert.equal(doc.problems.length, 1);
    assert.match(doc.problems[0]!.message, /steps\[0\]\.loop\.while: invalid condition: .*"=="/);
    assert.equal(src(doc, doc.problems[0]!.range), '=');
  });

  it('strings inside a structured body are checked too', () => {
    const text = 'flow: x\nsteps:\n  - call: r\n    body:\n      items: [{ id: "${body.id}" }, { id: "${bdy.id}" }]\n';
    const doc = parseFlow(text);
    assert.equal(doc.problems.length, 1, JSON.stringify(doc.problems));
    assert.equal(src(doc, doc.problems[0]!.range), '${bdy.id}');
    assert.deepEqual(doc.problems[0]!.path, ['steps', 0, 'body', 'items', 1, 'id']);
  });

  it('route conditions with bad expressions', () => {
    const text = "flow: x\nsteps:\n  - route:\n      when:\n        - if: \"${hdr.a} == 'x'\"\n          steps: []\n";
    const doc = parseFlow(text);
    assert.equal(doc.problems.length, 1);
    assert.equal(src(doc, doc.problems[0]!.range), '${hdr.a}');
  });
});

describe('parseFlow: broken YAML gives problems, not exceptions', () => {
  it('unclosed flow sequence: problem with a range, partial model', () => {
    const doc = parseFlow(read('broken-yaml.flow.yaml'));
    const syntax = doc.problems.filter((p) => p.code === 'flow/yaml-syntax');
    assert.ok(syntax.length >= 1);
    for (const p of syntax) assert.ok(p.range.start >= 0 && p.range.end <= doc.text.length && p.range.start <= p.range.end);
    assert.equal(doc.flow.id?.value, 'broken');
    assert.equal(doc.flow.receivers[0]?.name, 'erp');
    assert.equal(doc.flow.receivers[0]?.adapter?.value, 'http');
  });

  it('duplicate key: points at the second key', () => {
    const text = 'flow: a\nformatVersion: 2\nflow: b\n';
    const doc = parseFlow(text);
    const p = doc.problems.find((x) => x.code === 'flow/yaml-syntax');
    assert.ok(p);
    assert.match(p.message, /unique/);
    assert.equal(p.range.start, text.lastIndexOf('flow'));
    assert.equal(doc.flow.id?.value, 'a');
  });

  it('unterminated quoted string', () => {
    const text = 'flow: x\nsteps:\n  - id: "oops\n    call: r\n';
    const doc = parseFlow(text);
    assert.ok(doc.problems.some((p) => p.code === 'flow/yaml-syntax'));
  });

  it('tab indentation and bad indentation', () => {
    for (const text of ['flow: x\nsteps:\n\t- call: r\n', 'flow: x\n  runtime: 1\n bad: 2\n', 'a: b: c\n']) {
      const doc = parseFlow(text);
      assert.ok(doc.problems.some((p) => p.code === 'flow/yaml-syntax'), text);
    }
  });

  it('several documents', () => {
    const text = 'flow: a\n---\nflow: b\n';
    const doc = parseFlow(text);
    const p = doc.problems.find((x) => x.code === 'flow/yaml-syntax');
    assert.ok(p);
    assert.equal(doc.flow.id?.value, 'a');
  });

  it('empty, whitespace, scalar and list documents', () => {
    for (const text of ['', '   \n\n', '42', '- a\n- b\n', '~', 'null']) {
      const doc = parseFlow(text);
      assert.deepEqual(doc.flow.steps, []);
      assert.ok(doc.problems.some((p) => p.code === 'flow/schema'), `schema problem for ${JSON.stringify(text)}`);
      for (const p of doc.problems) assert.ok(p.range.end <= text.length);
    }
  });

  it('non-string input does not throw', () => {
    for (const v of [undefined, null, 42, {}] as unknown[]) {
      const doc = parseFlow(v as string);
      assert.ok(Array.isArray(doc.problems));
    }
  });

  it('steps with no kind or a wrong shape are left out of the model, others kept', () => {
    const doc = parseFlow('flow: x\nsteps:\n  - id: a\n  - 42\n  - call: r\n  - [1]\n  - call: [x]\n');
    assert.deepEqual(
      doc.flow.steps.map((s) => [s.kind, s.path]),
      [
        ['call', ['steps', 2]],
        ['call', ['steps', 4]],
      ],
    );
    assert.equal((doc.flow.steps[1] as CallStep).receiver.value, '');
  });

  it('aliases are followed in the model; an alias bomb does not blow up', () => {
    const doc = parseFlow('flow: x\nformatVersion: 2\nreceivers:\n  a: &r { adapter: http }\n  b: *r\n');
    assert.equal(doc.flow.receivers[1]?.adapter?.value, 'http');
    let bomb = 'flow: x\nsteps:\n  - &s0 { call: r }\n';
    for (let i = 1; i <= 30; i++) bomb += `  - &s${i} { split: { path: $, steps: [*s${i - 1}, *s${i - 1}, *s${i - 1}] } }\n`;
    const d2 = parseFlow(bomb);
    assert.ok(Array.isArray(d2.problems));
    assert.ok(d2.problems.length >= 1);
  });
});

describe('parseFlow: never throws on junk', () => {
  // rng: deterministic (mulberry32), so failures are reproducible
  const alphabet = ' \n\t:-{}[],"\'#&*!|>%@`?$\\abcdefxyz0129steps:call:flow:split:${}\r\u0000\uffff\ud800é😀';

  function check(text: string): void {
    const doc = parseFlow(text);
    assert.ok(Array.isArray(doc.problems));
    for (const p of doc.problems) {
      assert.ok(p.range.start >= 0 && p.range.start <= p.range.end && p.range.end <= text.length, JSON.stringify(p));
      assert.ok(typeof p.message === 'string' && p.message.length > 0);
    }
    doc.pathAt(text.length >> 1);
    doc.rangeAt(['steps', 0, 'call']);
    const pos = doc.positionAt(text.length);
    assert.equal(doc.offsetAt(pos), text.length);
  }

  it('random strings', () => {
    const r = rng(1234);
    for (let i = 0; i < 300; i++) {
      const len = Math.floor(r() * 200);
      let s = '';
      for (let j = 0; j < len; j++) s += alphabet[Math.floor(r() * alphabet.length)];
      check(s);
    }
  });

  it('random bytes decoded as latin1 and utf8', () => {
    const r = rng(99);
    for (let i = 0; i < 100; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(r() * 300) }, () => Math.floor(r() * 256)));
      check(bytes.toString('latin1'));
      check(bytes.toString('utf8'));
    }
  });

  it('mutated example files', () => {
    const r = rng(7);
    const sources = readdirSync(examplesDir)
      .filter((n) => n.endsWith('.flow.yaml'))
      .map((n) => readFileSync(examplesDir + n, 'utf8'));
    sources.push(read('all-kinds.flow.yaml'), read('all-kinds.flow.json'));
    for (let i = 0; i < 200; i++) {
      let s = sources[i % sources.length]!;
      for (let k = 0; k < 1 + Math.floor(r() * 5); k++) {
        const at = Math.floor(r() * s.length);
        const op = r();
        if (op < 0.4) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 10));
        else if (op < 0.8) s = s.slice(0, at) + alphabet[Math.floor(r() * alphabet.length)] + s.slice(at);
        else s = s.slice(0, at) + s.slice(at).replace(/\n/, '\n  ');
      }
      check(s);
    }
  });

  it('huge and deeply nested input', () => {
    let big = 'flow: big\nformatVersion: 2\nreceivers:\n  r: { adapter: http }\nsteps:\n';
    for (let i = 0; i < 3000; i++) big += `  - id: s${i}\n    call: r\n    headers: { X-N: "${'${'}property.n${i}}" }\n`;
    const doc = parseFlow(big);
    assert.deepEqual(doc.problems, []);
    assert.equal(doc.flow.steps.length, 3000);
    check('['.repeat(20000));
    check('- '.repeat(5000) + 'x');
    let deep = 'flow: deep\nsteps:\n';
    let indent = '  ';
    for (let i = 0; i < 150; i++) {
      deep += `${indent}- split:\n${indent}    path: $\n${indent}    steps:\n`;
      indent += '      ';
    }
    deep += `${indent}- call: r\n`;
    check(deep);
  });
});

describe('positionAt / offsetAt', () => {
  it('round-trips every offset with LF, CRLF and CR line ends and UTF-16 characters', () => {
    const text = 'flow: a\r\nsteps:\r\n  - call: é😀\rx\n\nend';
    const doc = parseFlow(text);
    for (let o = 0; o <= text.length; o++) {
      const p = doc.positionAt(o);
      if (text[o - 1] === '\r' && text[o] === '\n') continue; // between \r and \n: inside the line break
      assert.equal(doc.offsetAt(p), o, `offset ${o} → ${JSON.stringify(p)}`);
    }
    assert.deepEqual(doc.positionAt(text.indexOf('steps')), { line: 1, character: 0 });
    assert.deepEqual(doc.positionAt(text.indexOf('x')), { line: 3, character: 0 });
    assert.deepEqual(doc.positionAt(text.indexOf('end')), { line: 5, character: 0 });
    assert.deepEqual(doc.positionAt(text.indexOf('😀') + 2), { line: 2, character: 13 });
  });

  it('clamps out-of-range input', () => {
    const doc = parseFlow('a: 1\nb: 2\n');
    assert.deepEqual(doc.positionAt(-5), { line: 0, character: 0 });
    assert.deepEqual(doc.positionAt(1000), { line: 2, character: 0 });
    assert.equal(doc.offsetAt({ line: 0, character: 99 }), 4);
    assert.equal(doc.offsetAt({ line: 99, character: 0 }), 10);
    assert.equal(doc.offsetAt({ line: -1, character: 3 }), 0);
  });

  it('rangeAt for missing paths and empty values', () => {
    const text = 'flow: x\nruntime:\nsteps: []\n';
    const doc = parseFlow(text, { schema: false });
    assert.equal(doc.rangeAt(['nope']), undefined);
    assert.equal(doc.rangeAt(['steps', 0]), undefined);
    const r = doc.rangeAt(['runtime']);
    assert.ok(r);
    assert.equal(r.start, r.end);
    assert.equal(src(doc, doc.rangeAt(['runtime'], 'key')), 'runtime');
    assert.deepEqual(doc.rangeAt([]), { start: 0, end: text.length - 1 });
  });

  it('schema: false skips schema validation', () => {
    assert.deepEqual(parseFlow('flow: BAD ID\nnope: 1\n', { schema: false }).problems, []);
    assert.equal(parseFlow('flow: BAD ID\nnope: 1\n').problems.length, 2);
  });

  it('problem paths are NodePaths', () => {
    const doc = parseFlow('flow: x\nsteps:\n  - call: r\n    metod: GET\n');
    const p: { path?: NodePath } | undefined = doc.problems[0];
    assert.deepEqual(p?.path, ['steps', 0, 'metod']);
  });
});

describe('scalar fields make their path when read', () => {
  it('every scalar field of the model: its path leads to its range, JSON carries the path', () => {
    let fields = 0;
    for (const name of readdirSync(examplesDir).filter((f) => f.endsWith('.flow.yaml'))) {
      const text = readFileSync(examplesDir + name, 'utf8');
      const doc = parseFlow(text);
      const seen = new Set<object>();
      const walk = (v: unknown): void => {
        if (!v || typeof v !== 'object' || seen.has(v)) return;
        seen.add(v);
        if (Array.isArray(v)) return v.forEach(walk);
        const o = v as { path?: unknown; range?: Range; value?: unknown };
        if ('at' in o && 'key' in o) {
          fields++;
          const path = o.path as (string | number)[];
          assert.ok(Array.isArray(path), `${name}: a path`);
          assert.notEqual(o.path, path, 'a new array on each read (callers may keep or change it)');
          assert.deepEqual(doc.rangeAt(path), o.range, `${name}: ${JSON.stringify(path)}`);
          assert.deepEqual(JSON.parse(JSON.stringify(o)).path, path);
          return;
        }
        for (const x of Object.values(o)) walk(x);
      };
      walk(doc.flow);
    }
    assert.ok(fields > 100, `${fields} fields`);
  });
});
