/** Every step kind of the flow format, run by the FlowRunner. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startTestBackend, type TestBackend } from '../src/testing/index.js';
import { FlowRunner, MAX_PROCESS_DEPTH, type ExchangeResult, type RunnerOptions } from '../src/runtime/index.js';
import { flowDoc, flowText, httpRegistry, testCredentials } from './fixtures/runtime/support.js';

const SCRIPTS = fileURLToPath(new URL('./fixtures/runtime/scripts/', import.meta.url));
const UNUSED = 'http://127.0.0.1:9/unused';
const dec = new TextDecoder();
const text = (r: ExchangeResult): string => dec.decode(r.body);
const json = (r: ExchangeResult): unknown => JSON.parse(text(r));

async function withBackend(fn: (b: TestBackend) => Promise<void>): Promise<void> {
  const backend = await startTestBackend();
  try {
    await fn(backend);
  } finally {
    await backend.close();
  }
}

async function runOnce(flow: string, input: Parameters<FlowRunner['runExchange']>[0] = {}, extra: Partial<RunnerOptions> = {}): Promise<ExchangeResult> {
  const runner = await FlowRunner.create(flowDoc(flow), { registry: await httpRegistry(), credentials: testCredentials(), baseDir: SCRIPTS, env: { REGION: 'eu' }, ...extra });
  try {
    return await runner.runExchange(input);
  } finally {
    await runner.close();
  }
}

test('call: the response becomes the body; its headers are ${response.header.X}', async () => {
  await withBackend(async (b) => {
    const res = await runOnce(
      flowText({
        address: `${b.url}/api/orders`,
        steps: [
          '- id: post',
          '  call: backend',
          '  path: /api/orders/${property.no}',
          '  query: { region: "${env.REGION}" }',
          '  headers: { X-Trace: "t-${header.trace}" }',
          '- id: blocks',
          '  call: backend',
          '  method: GET',
          '  path: /api/blocks',
          '- set:',
          '    properties:',
          '      more: "${response.header.x-has-more}"',
        ].join('\n'),
      }),
      { body: '{"order":1}', contentType: 'application/json', headers: { trace: 'abc' }, properties: { no: '17' } },
    );
    assert.equal(res.status, 'completed', res.error?.message);
    assert.equal(res.contentType?.startsWith('application/json'), true);
    assert.deepEqual(Object.keys(json(res) as object).sort(), ['block', 'session', 'user']);
    assert.equal(res.properties.more, 'true');
    const first = b.requests()[0]!;
    assert.equal(first.method, 'POST');
    assert.equal(first.path, '/api/orders/17');
  });
});

test('call: the step body replaces what is sent, a structured body is sent as JSON', async () => {
  await withBackend(async (b) => {
    const res = await runOnce(
      flowText({ address: `${b.url}/api/x`, steps: ['- call: backend', '  body: { id: "${property.id}", fixed: 1 }'].join('\n') }),
      { body: 'ignored', properties: { id: 'A7' } },
    );
    assert.equal(res.status, 'completed', res.error?.message);
    assert.deepEqual((json(res) as { received: unknown }).received, { id: 'A7', fixed: 1 });
  });
});

test('send: the reply is discarded and the body kept; an error status still fails the step', async () => {
  await withBackend(async (b) => {
    const ok = await runOnce(flowText({ address: `${b.url}/api/x`, steps: '- send: backend' }), { body: 'keep me', contentType: 'text/plain' });
    assert.equal(ok.status, 'completed');
    assert.equal(text(ok), 'keep me');
    assert.equal(ok.contentType, 'text/plain');
    const bad = await runOnce(flowText({ address: `${b.url}/api/x`, steps: '- id: notify\n  send: backend\n  path: /_fault/status/503' }));
    assert.equal(bad.status, 'failed');
    assert.equal(bad.error?.code, 'SF_HTTP_STATUS');
    assert.match(bad.error?.message ?? '', /^step "notify" \(receiver "backend"\): receiver "backend" answered 503/);
  });
});

test('set: headers, properties and body with expressions', async () => {
  const res = await runOnce(
    flowText({
      address: UNUSED,
      steps: [
        '- set:',
        '    headers: { X-Customer: "${body.customer.id}", x-region: "${env.REGION}" }',
        '    properties: { count: "${body.lines[1]}", user: "${header.user}" }',
        '- set:',
        '    body: "customer ${header.x-customer} of ${property.user} in ${header.X-Region}"',
      ].join('\n'),
    }),
    { body: '{"customer":{"id":"C1"},"lines":[10,20]}', contentType: 'application/json', headers: { User: 'alice' } },
  );
  assert.equal(res.status, 'completed', res.error?.message);
  assert.equal(res.headers['X-Customer'], 'C1');
  assert.equal(res.properties.count, '20');
  assert.equal(res.properties.user, 'alice');
  assert.equal(text(res), 'customer C1 of alice in eu');
  const structured = await runOnce(flowText({ address: UNUSED, steps: '- set:\n    body: { a: [1, "${header.h}"] }' }), { headers: { h: 'x' } });
  assert.deepEqual(json(structured), { a: [1, 'x'] });
  assert.equal(structured.contentType, 'application/json');
});

test('script: a JS or TS module transforms the message; failures name the script', async () => {
  const res = await runOnce(
    flowText({ address: UNUSED, steps: '- id: enrich\n  script: enrich.mjs' }),
    { body: '{"a":1}', contentType: 'application/json', properties: { p: 1 } },
  );
  assert.equal(res.status, 'completed', res.error?.message);
  assert.deepEqual(json(res), { a: 1, enriched: true, step: 'enrich' });
  assert.equal(res.headers['X-Enriched'], 'yes');
  assert.deepEqual(res.properties, { p: 1, seenBy: 'enrich' });

  const upper = await runOnce(flowText({ address: UNUSED, steps: '- script: upper.ts' }), { body: 'hello' });
  assert.equal(text(upper), 'HELLO');
  assert.equal(upper.contentType, 'text/plain');

  const failed = await runOnce(flowText({ address: UNUSED, steps: '- id: check\n  script: fails.mjs' }));
  assert.equal(failed.error?.code, 'SF_SCRIPT');
  assert.equal(failed.error?.stepId, 'check');
  assert.ok(failed.error?.message.includes(`script ${SCRIPTS}fails.mjs failed: order has no customer`), failed.error?.message);

  const missing = await runOnce(flowText({ address: UNUSED, steps: '- script: nowhere.mjs' }));
  assert.equal(missing.error?.code, 'SF_SCRIPT');
  assert.match(missing.error?.message ?? '', /nowhere\.mjs/);

  const noDefault = await runOnce(flowText({ address: UNUSED, steps: '- script: no-default.mjs' }));
  assert.match(noDefault.error?.message ?? '', /no-default\.mjs has no default export function/);
});

test('split: sequential and parallel splits gather results in item order', async () => {
  const body = JSON.stringify({ items: [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }] });
  for (const parallel of [false, true]) {
    const res = await runOnce(
      flowText({
        address: UNUSED,
        steps: ['- id: each', '  split:', '    path: $.items', `    parallel: ${parallel}`, '    maxConcurrency: 2', '    steps:', '      - set: { body: "item-${body.n}" }'].join('\n'),
      }),
      { body, contentType: 'application/json' },
    );
    assert.equal(res.status, 'completed', res.error?.message);
    assert.deepEqual(json(res), ['item-1', 'item-2', 'item-3', 'item-4']);
    assert.equal(res.mpl.filter((e) => e.kind === 'set').length, 4);
    assert.deepEqual(res.mpl.filter((e) => e.kind === 'set').map((e) => e.depth), [1, 1, 1, 1]);
  }
  // A path that matches several nodes splits the matches; a non-JSON body fails clearly.
  const many = await runOnce(flowText({ address: UNUSED, steps: '- split:\n    path: $..id\n    steps: []' }), { body: '{"a":{"id":1},"b":[{"id":2}]}', contentType: 'application/json' });
  assert.deepEqual(json(many), [1, 2]);
  const xml = await runOnce(flowText({ address: UNUSED, steps: '- id: s\n  split:\n    path: $.x\n    steps: []' }), { body: '<a/>', contentType: 'application/xml' });
  assert.equal(xml.error?.code, 'SF_SPLIT_UNSUPPORTED_BODY');
  assert.match(xml.error?.message ?? '', /^step "s": .*XML/);
});

test('split: a failing item fails the exchange and names the inner step', async () => {
  await withBackend(async (b) => {
    const res = await runOnce(
      flowText({
        address: `${b.url}/api/x`,
        steps: ['- id: items', '  split:', '    path: $.items', '    parallel: true', '    steps:', '      - id: post-item', '        call: backend', '        path: "${body.path}"'].join('\n'),
      }),
      { body: JSON.stringify({ items: [{ path: '/api/ok' }, { path: '/_fault/status/500' }, { path: '/api/ok' }] }), contentType: 'application/json' },
    );
    assert.equal(res.status, 'failed');
    assert.equal(res.error?.stepId, 'post-item');
    assert.equal(res.error?.receiver, 'backend');
    assert.match(res.error?.message ?? '', /^step "post-item" \(receiver "backend"\): receiver "backend" answered 500 .*\(SF_HTTP_STATUS\)$/);
    assert.equal(res.mpl.find((e) => e.stepId === 'items')?.status, 'failed');
  });
});

test('multicast: the same message goes down every branch, results gathered as an array', async () => {
  for (const parallel of [false, true]) {
    const res = await runOnce(
      flowText({
        address: UNUSED,
        steps: [
          '- id: fan',
          '  multicast:',
          `    parallel: ${parallel}`,
          '    branches:',
          '      - - set: { body: "a:${body}" }',
          '      - - set: { properties: { x: "1" } }',
          '      - - set: { body: "c:${header.h}" }',
        ].join('\n'),
      }),
      { body: 'msg', headers: { h: 'H' } },
    );
    assert.equal(res.status, 'completed', res.error?.message);
    assert.deepEqual(json(res), ['a:msg', 'msg', 'c:H']);
    assert.equal(res.properties.x, undefined, 'branches work on copies');
    assert.deepEqual(new Set(res.mpl.filter((e) => e.kind === 'set').map((e) => e.branch)), new Set(['fan/branch[0]', 'fan/branch[1]', 'fan/branch[2]']));
  }
});

test('loop: do-while semantics — the steps run once even when the condition is false at the start', async () => {
  const res = await runOnce(
    flowText({
      address: UNUSED,
      steps: ['- id: l', '  loop:', '    while: "${property.go} == \'yes\'"', '    steps:', '      - set: { body: "${body}x" }'].join('\n'),
    }),
    { body: '', properties: { go: 'no' } },
  );
  assert.equal(text(res), 'x');
  const counted = await runOnce(
    flowText({
      address: UNUSED,
      steps: ['- loop:', '    while: "${body} != \'xxxx\'"', '    max: 10', '    steps:', '      - set: { body: "${body}x" }'].join('\n'),
    }),
  );
  assert.equal(text(counted), 'xxxx');
});

test('route: the first matching when wins, else otherwise', async () => {
  const flow = flowText({
    address: UNUSED,
    steps: [
      '- id: r',
      '  route:',
      '    when:',
      '      - if: "${body.amount} > 1000"',
      '        steps: [{ set: { body: big } }]',
      '      - if: "${body.amount} > 10"',
      '        steps: [{ set: { body: medium } }]',
      '    otherwise:',
      '      - set: { body: small }',
    ].join('\n'),
  });
  const route = async (amount: number): Promise<string> =>
    text(await runOnce(flow, { body: JSON.stringify({ amount }), contentType: 'application/json' }));
  assert.equal(await route(5000), 'big');
  assert.equal(await route(50), 'medium');
  assert.equal(await route(5), 'small');
});

test('process: runs a local process; endless recursion stops at the depth guard', async () => {
  const res = await runOnce(
    flowText({
      address: UNUSED,
      processes: 'stamp:\n  steps:\n    - set: { headers: { X-Stamped: "${property.by}" } }',
      steps: '- process: stamp',
    }),
    { properties: { by: 'me' } },
  );
  assert.equal(res.status, 'completed', res.error?.message);
  assert.equal(res.headers['X-Stamped'], 'me');
  const rec = await runOnce(
    flowText({ address: UNUSED, processes: 'again:\n  steps:\n    - id: recurse\n      process: again', steps: '- process: again' }),
  );
  assert.equal(rec.status, 'failed');
  assert.equal(rec.error?.code, 'SF_PROCESS_DEPTH');
  assert.match(rec.error?.message ?? '', new RegExp(`more than ${MAX_PROCESS_DEPTH} levels`));
});
