/**
 * The step index `buildContext` reads once for the rules (`ctx.index`, and `ctx.steps` from it)
 * must see exactly what the reference walkers see: `allSteps` (steps, order, enclosing
 * composites, process names), `walkExchange` (exchange order with local processes expanded) and
 * `countPerExchange`. Checked on the shared examples, every rule fixture and flows with nested
 * composites and local processes that call each other.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlow, type Step } from '@sessionflow/sdk';
import { buildContext } from '../src/index.js';
import { allSteps, countPerExchangeTree, walkExchangeTree, type Enclosing, type EnclosingChain } from '../src/analysis/helpers.js';
import { calledReceiver, countPerExchange, walkExchange } from './support/reference-walkers.js';
import { testCatalog } from './fixtures/adapters.js';
import { EXAMPLES_DIR } from './fixtures/paths.js';

const RULES = fileURLToPath(new URL('./fixtures/rules/', import.meta.url));

const NESTED = `flow: nested
formatVersion: 2
runtime: { sessionHandling: onExchange }
receivers:
  a: { adapter: http, address: "https://a.example.com" }
  b: { adapter: http, address: "https://b.example.com" }
processes:
  p:
    steps:
      - call: a
      - process: q
  q:
    steps:
      - multicast: { branches: [ [ { call: b } ], [ { process: p }, { process: q } ] ] }
  p:
    steps: [ { call: b } ]
steps:
  - process: p
  - split:
      path: $.x
      parallel: true
      steps:
        - loop: { steps: [ { call: a }, { process: q } ] }
        - route:
            when: [ { if: "\${header.t} == 'x'", steps: [ { call: b } ] } ]
            otherwise: [ { process: p }, { send: a } ]
  - multicast: { parallel: false, branches: [ [], [ { process: missing } ] ] }
`;

const corpus: [string, string][] = [
  ['nested', NESTED],
  ...readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.flow.yaml'))
    .map((f): [string, string] => [f, readFileSync(join(EXAMPLES_DIR, f), 'utf8')]),
  ...readdirSync(RULES).flatMap((d) =>
    readdirSync(join(RULES, d))
      .filter((f) => f.endsWith('.flow.yaml'))
      .map((f): [string, string] => [`${d}/${f}`, readFileSync(join(RULES, d, f), 'utf8')]),
  ),
];

const describe = (e: Enclosing): string => `${e.kind}:${e.parallel}:${JSON.stringify(e.step.path)}`;

function chainList(chain: EnclosingChain | undefined): Enclosing[] {
  const out: Enclosing[] = [];
  for (let c = chain; c; c = c.outer) out.unshift(c.enclosing);
  return out;
}

test('the step index sees what allSteps, walkExchange and countPerExchange see', () => {
  for (const [name, text] of corpus) {
    const doc = parseFlow(text);
    const ctx = buildContext(doc, { adapters: testCatalog() });

    const expected = allSteps(doc.flow);
    assert.equal(ctx.steps.length, expected.length, `${name}: number of steps`);
    ctx.steps.forEach((v, i) => {
      const e = expected[i];
      assert.ok(e);
      assert.equal(v.step, e.step, `${name}: step ${i}`);
      assert.equal(v.processName, e.processName, `${name}: process of step ${i}`);
      assert.equal('processName' in v, 'processName' in e, `${name}: processName key of step ${i}`);
      assert.deepEqual(v.enclosing.map(describe), e.enclosing.map(describe), `${name}: enclosing of step ${i}`);
    });
    assert.deepEqual(
      ctx.index.nodes.map((n) => n.step),
      expected.map((v) => v.step),
      `${name}: index nodes`,
    );
    assert.deepEqual(
      ctx.index.calls.map((n) => n.step),
      expected.map((v) => v.step).filter((s) => s.kind === 'call' || s.kind === 'send'),
      `${name}: index calls`,
    );
    for (const n of ctx.index.calls) assert.equal(n.info, ctx.receiverByName.get(calledReceiver(n.step) as string), `${name}: receiver of a call`);

    const walked: string[] = [];
    walkExchange(doc.flow, (step: Step, enclosing: Enclosing[]) => walked.push(`${JSON.stringify(step.path)} in ${enclosing.map(describe).join(' > ')}`));
    const walkedTree: string[] = [];
    walkExchangeTree(ctx.index, (node, chain) => walkedTree.push(`${JSON.stringify(node.step.path)} in ${chainList(chain).map(describe).join(' > ')}`));
    assert.deepEqual(walkedTree, walked, `${name}: exchange walk`);

    for (const r of ctx.receivers) {
      const want = countPerExchange(doc.flow, doc.flow.steps ?? [], (s) => calledReceiver(s) === r.receiver.name);
      const got = countPerExchangeTree(ctx.index, ctx.index.main, (n) => typeof n.receiver === 'string' && n.receiver === r.receiver.name);
      assert.equal(got, want, `${name}: calls per exchange of ${r.receiver.name}`);
    }
  }
});
