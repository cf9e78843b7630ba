/**
 * Session scopes of the runner against the real test backend: what happens on the wire is
 * read from the backend's own counters, not from the runner.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBackend, type TestBackend } from '../src/testing/index.js';
import { defineAdapter } from '../src/adapter/define.js';
import { AdapterRegistry } from '../src/adapter/registry.js';
import { FlowRunner, type RunnerOptions } from '../src/runtime/index.js';
import { flowDoc, flowText, httpRegistry, testCredentials } from './fixtures/runtime/support.js';

async function withBackend(fn: (b: TestBackend) => Promise<void>): Promise<void> {
  const backend = await startTestBackend();
  try {
    await fn(backend);
  } finally {
    await backend.close();
  }
}

async function runner(text: string, extra: Partial<RunnerOptions> = {}): Promise<FlowRunner> {
  return FlowRunner.create(flowDoc(text), { registry: await httpRegistry(), credentials: testCredentials(), ...extra });
}

const items = (n: number): string => JSON.stringify({ items: Array.from({ length: n }, (_, i) => ({ no: i })) });

test('none: every call authenticates and opens its own session', async () => {
  await withBackend(async (b) => {
    const r = await runner(flowText({ mode: 'none', address: `${b.url}/api/data`, steps: '- call: backend\n  method: GET\n- call: backend\n  method: GET\n- send: backend' }));
    const report = await r.run({ exchanges: 2, concurrency: 2, input: {} });
    await r.close();
    assert.equal(report.succeeded, 2);
    const s = b.stats();
    assert.equal(s.requests, 6);
    assert.equal(s.authentications, 6);
    assert.equal(s.sessionsCreated, 6);
    assert.ok(b.requests().every((q) => q.authorization && !q.cookie), 'no cookie is ever sent back');
    assert.deepEqual(report.receivers.backend, { calls: 6, requests: 6, credentialsSent: 6, sessionsOpened: 6, csrfFetches: 0, logoffs: 0, reauthentications: 0 });
    assert.equal(report.sessionHandling, 'none');
  });
});

test('onExchange: one authentication per exchange, shared by a primed parallel split of 20 items', async () => {
  await withBackend(async (b) => {
    const r = await runner(
      flowText({
        mode: 'onExchange',
        address: `${b.url}/api/data`,
        steps: [
          '- id: prime',
          '  send: backend',
          '  method: GET',
          '- id: items',
          '  split:',
          '    path: $.items',
          '    parallel: true',
          '    maxConcurrency: 20',
          '    steps:',
          '      - id: post-item',
          '        call: backend',
          '        method: POST',
        ].join('\n'),
      }),
    );
    const report = await r.run({ exchanges: 3, concurrency: 3, input: { body: items(20), contentType: 'application/json' } });
    await r.close();
    assert.equal(report.succeeded, 3, JSON.stringify(report.errors));
    const s = b.stats();
    assert.equal(s.requests, 3 * 21);
    assert.equal(s.authentications, 3);
    assert.equal(s.sessionsCreated, 3);
    // Every item of one exchange was served by that exchange's one session.
    for (const res of report.results) {
      const gathered = JSON.parse(new TextDecoder().decode(res.body)) as { session: string; received: { no: number } }[];
      assert.equal(gathered.length, 20);
      assert.deepEqual(gathered.map((g) => g.received.no), Array.from({ length: 20 }, (_, i) => i), 'results in item order');
      assert.equal(new Set(gathered.map((g) => g.session)).size, 1);
    }
    assert.equal(report.receivers.backend?.sessionsOpened, 3);
    assert.equal(report.receivers.backend?.calls, 63);
  });
});

test('onExchange: an unprimed parallel split of 5 items opens 5 sessions (one per branch)', async () => {
  await withBackend(async (b) => {
    const r = await runner(
      flowText({
        mode: 'onExchange',
        address: `${b.url}/api/data`,
        log: 'debug',
        steps: ['- id: items', '  split:', '    path: $.items', '    parallel: true', '    steps:', '      - id: post-item', '        call: backend', '      - id: again', '        call: backend'].join('\n'),
      }),
    );
    const res = await r.runExchange({ body: items(5), contentType: 'application/json' });
    await r.close();
    assert.equal(res.status, 'completed', res.error?.message);
    const s = b.stats();
    assert.equal(s.sessionsCreated, 5);
    assert.equal(s.authentications, 5, 'each branch authenticates once, its second call reuses its own session');
    assert.equal(s.requests, 10);
    const opened = res.mpl.filter((e) => e.http?.sessionOpened);
    assert.equal(opened.length, 5);
    assert.deepEqual(new Set(opened.map((e) => e.branch)), new Set(['items[0]', 'items[1]', 'items[2]', 'items[3]', 'items[4]']));
  });
});

test('onExchange: a sequential split shares the exchange session even without priming', async () => {
  await withBackend(async (b) => {
    const r = await runner(
      flowText({ mode: 'onExchange', address: `${b.url}/api/data`, steps: ['- split:', '    path: $.items', '    steps:', '      - call: backend'].join('\n') }),
    );
    const res = await r.runExchange({ body: items(4), contentType: 'application/json' });
    await r.close();
    assert.equal(res.status, 'completed');
    assert.equal(b.stats().authentications, 1);
  });
});

test('onIntegrationFlow: one authentication over 100 exchanges at concurrency 10', async () => {
  await withBackend(async (b) => {
    const r = await runner(flowText({ mode: 'onIntegrationFlow', address: `${b.url}/api/price`, steps: '- call: backend' }));
    const report = await r.run({ exchanges: 100, concurrency: 10, input: { body: '{}', contentType: 'application/json' } });
    await r.close();
    assert.equal(report.succeeded, 100);
    assert.equal(report.failed, 0);
    assert.equal(b.stats().authentications, 1);
    assert.equal(b.stats().sessionsCreated, 1);
    assert.equal(report.receivers.backend?.credentialsSent, 1);
  });
});

test('logoff leaves zero active sessions (exchange and branch sessions alike)', async () => {
  await withBackend(async (b) => {
    const r = await runner(
      flowText({
        mode: 'onExchange',
        address: `${b.url}/api/data`,
        receiverExtra: 'logoff: { path: /logout }',
        steps: ['- call: backend', '- call: backend'].join('\n'),
      }),
    );
    const report = await r.run({ exchanges: 5, concurrency: 5, input: {} });
    assert.equal(report.succeeded, 5);
    assert.equal(b.stats().activeSessions, 0);
    assert.equal(b.stats().logoffs, 5);
    assert.equal(report.receivers.backend?.logoffs, 5);
    const res = report.results[0]!;
    const last = res.mpl[res.mpl.length - 1]!;
    assert.equal(last.kind, 'logoff');
    assert.equal(last.status, 'ok');
    assert.equal(last.httpStatus, 204);
    await r.close();

    // An unprimed parallel split: every branch session is logged off, also when the exchange fails.
    b.resetStats();
    const r2 = await runner(
      flowText({
        mode: 'onExchange',
        address: `${b.url}/api/data`,
        receiverExtra: 'logoff: { path: /logout }',
        steps: ['- split:', '    path: $.items', '    parallel: true', '    steps:', '      - call: backend', '- call: backend', '  path: /_fault/status/500'].join('\n'),
      }),
    );
    const res2 = await r2.runExchange({ body: items(3), contentType: 'application/json' });
    await r2.close();
    assert.equal(res2.status, 'failed');
    assert.equal(b.stats().sessionsCreated, 3);
    assert.equal(b.stats().logoffs, 3);
    assert.equal(b.stats().activeSessions, 0);
  });
});

test('onIntegrationFlow: logoff runs once, at close()', async () => {
  await withBackend(async (b) => {
    const r = await runner(
      flowText({ mode: 'onIntegrationFlow', address: `${b.url}/api/data`, receiverExtra: 'logoff: { method: POST, path: logout }', steps: '- call: backend' }),
    );
    await r.run({ exchanges: 10, concurrency: 5, input: {} });
    assert.equal(b.stats().activeSessions, 1);
    assert.equal(b.stats().logoffs, 0);
    await r.close();
    assert.equal(b.stats().activeSessions, 0);
    assert.equal(b.stats().logoffs, 1);
    assert.equal(r.stats().backend?.logoffs, 1);
    assert.ok(b.requests().some((q) => q.path === '/api/logout'), '"logout" is resolved next to the address');
  });
});

test('isolation: 500 exchanges at concurrency 50 alternating two dynamic users never mix users', async () => {
  await withBackend(async (b) => {
    const r = await runner(
      flowText({
        mode: 'onExchange',
        address: `${b.url}/api/data`,
        auth: '{ type: basic, user: "${header.user}", password: "${header.password}" }',
        steps: ['- call: backend', '  method: GET', '  path: "/api/as/${header.user}/first"', '- call: backend', '  method: GET', '  path: "/api/as/${header.user}/second"'].join('\n'),
      }),
    );
    const users = [
      { user: 'alice', password: 'alice-pw' },
      { user: 'bob', password: 'bob-pw' },
    ];
    const report = await r.run({ exchanges: 500, concurrency: 50, input: (i) => ({ headers: users[i % 2]! }) });
    await r.close();
    assert.equal(report.succeeded, 500, JSON.stringify(report.errors.slice(0, 3)));
    const requests = b.requests();
    assert.equal(requests.length, 1000);
    for (const q of requests) {
      const expected = /^\/api\/as\/(\w+)\//.exec(q.path)?.[1];
      assert.equal(q.user, expected, `${q.path} served as ${q.user}`);
    }
    report.results.forEach((res, i) => {
      const body = JSON.parse(new TextDecoder().decode(res.body)) as { user: string };
      assert.equal(body.user, users[i % 2]!.user);
    });
    assert.equal(b.stats().authentications, 500, 'one login per exchange');
    assert.equal(b.stats().byUser.alice?.authentications, 250);
  });
});

test('forgetSessions in the middle of an onIntegrationFlow run costs exactly one re-authentication', async () => {
  await withBackend(async (b) => {
    const r = await runner(flowText({ mode: 'onIntegrationFlow', address: `${b.url}/api/data`, steps: '- call: backend\n- call: backend' }));
    const report = await r.run({
      exchanges: 60,
      concurrency: 10,
      input: {},
      onProgress: (done) => {
        if (done === 30) b.forgetSessions();
      },
    });
    await r.close();
    assert.equal(report.exchanges, 60);
    assert.equal(report.succeeded, 60, JSON.stringify(report.errors.slice(0, 3)));
    assert.equal(b.stats().authentications, 2);
    assert.equal(b.stats().sessionsCreated, 2);
    assert.ok((report.receivers.backend?.reauthentications ?? 0) >= 1);
  });
});

test('CSRF-protected parallel split after a priming send: one token fetch, no rejection', async () => {
  await withBackend(async (b) => {
    const r = await runner(
      flowText({
        mode: 'onExchange',
        address: `${b.url}/api/items`,
        receiverExtra: 'csrf: true',
        steps: [
          '- id: fetch-token',
          '  send: backend',
          '  method: GET',
          '  headers: { X-CSRF-Token: Fetch }',
          '- id: items',
          '  split:',
          '    path: $.items',
          '    parallel: true',
          '    steps:',
          '      - id: post-item',
          '        call: backend',
          '        method: POST',
        ].join('\n'),
      }),
    );
    const input = { body: items(10), contentType: 'application/json' };
    const report = await r.run({ exchanges: 2, concurrency: 2, input });
    await r.close();
    assert.equal(report.succeeded, 2, JSON.stringify(report.errors));
    const s = b.stats();
    assert.equal(s.authentications, 2);
    assert.equal(s.csrfFetches, 2, 'the priming call fetched the token; the split reused it');
    assert.equal(s.csrfRejections, 0);
    assert.equal(s.requests, 22);
    // The send kept the order as body: the split found the items.
    const gathered = JSON.parse(new TextDecoder().decode(report.results[0]!.body)) as unknown[];
    assert.equal(gathered.length, 10);
  });
});

test('stateful paging: a do-while loop reads every block in one session (and loops to max without one)', async () => {
  await withBackend(async (b) => {
    const steps = [
      '- id: read-blocks',
      '  loop:',
      '    while: "${property.hasMore} == \'true\'"',
      '    max: 6',
      '    steps:',
      '      - id: next-block',
      '        call: backend',
      '        method: GET',
      '      - id: remember',
      '        set:',
      '          properties:',
      '            hasMore: "${response.header.X-Has-More}"',
      '            lastBlock: "${body.block}"',
    ].join('\n');
    const r = await runner(flowText({ mode: 'onExchange', address: `${b.url}/api/blocks`, steps }));
    const res = await r.runExchange({});
    await r.close();
    assert.equal(res.status, 'completed');
    assert.equal(res.properties.lastBlock, '3');
    assert.equal(res.properties.hasMore, 'false');
    assert.equal(res.mpl.find((e) => e.stepId === 'read-blocks')?.message, '3 iterations');
    assert.equal(b.stats().authentications, 1);
    assert.equal(new Set(b.requests().map((q) => q.sessionHash)).size, 1);

    // Without a session the backend starts over on every call: the loop stops at max.
    b.resetStats();
    const events: string[] = [];
    const r2 = await runner(flowText({ mode: 'none', address: `${b.url}/api/blocks`, steps }), { onEvent: (e) => e.type === 'warning' && events.push(e.message) });
    const res2 = await r2.runExchange({});
    await r2.close();
    assert.equal(res2.status, 'completed', 'reaching max is not an error');
    assert.equal(res2.properties.lastBlock, '1');
    assert.match(res2.mpl.find((e) => e.stepId === 'read-blocks')?.message ?? '', /stopped after reaching max 6 iterations/);
    assert.equal(events.length, 1);
    assert.equal(b.stats().requests, 6);
  });
});

test('session opt-outs: receiver session: none, legacy flows and the override', async () => {
  await withBackend(async (b) => {
    const three = '- call: backend\n- call: backend\n- call: backend';
    const optOut = await runner(flowText({ mode: 'onExchange', address: `${b.url}/api/data`, receiverExtra: 'session: none', steps: three }));
    await optOut.runExchange({});
    await optOut.close();
    assert.equal(b.stats().authentications, 3);

    b.resetStats();
    const legacyText = flowText({ mode: 'onExchange', address: `${b.url}/api/data`, steps: three }).replace('formatVersion: 2\n', 'formatVersion: 1\n');
    const legacy = await FlowRunner.create(flowDoc(legacyText), { registry: await httpRegistry(), credentials: testCredentials() });
    assert.equal(legacy.sessionHandling, 'none');
    await legacy.runExchange({});
    await legacy.close();
    assert.equal(b.stats().authentications, 3, 'a legacy flow runs without sessions');

    b.resetStats();
    const overridden = await runner(flowText({ mode: 'none', address: `${b.url}/api/data`, steps: three }), { sessionHandling: 'onExchange' });
    assert.equal(overridden.sessionHandling, 'onExchange');
    await overridden.runExchange({});
    await overridden.close();
    assert.equal(b.stats().authentications, 1);
  });
});

test('parallelCallsInSession: false serialises the calls that share one session', async () => {
  await withBackend(async (b) => {
    // A pass-through adapter that measures how many of its calls overlap.
    let inFlight = 0;
    let maxInFlight = 0;
    const probe = defineAdapter({
      id: 'probe',
      displayName: 'Probe',
      version: '0.0.1',
      apiVersion: 1,
      variants: [
        { id: 'probe', direction: 'receiver', stepKinds: ['call', 'send'], sessionReuse: 'supported', csrf: false, auth: [{ type: 'basic' }], parallelSafe: true, streaming: false },
      ],
      configSchema: { type: 'object' },
      async send(_message, context) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          const res = await context.http.request({ method: 'GET', url: context.receiver.address, signal: context.signal });
          return { status: res.status, headers: res.headers, body: res.body };
        } finally {
          inFlight--;
        }
      },
    });
    const registry = AdapterRegistry.fromDefinitions([probe]);
    const steps = ['- send: backend', '- split:', '    path: $.items', '    parallel: true', '    steps:', '      - call: backend'].join('\n');
    for (const [flag, expectSerial] of [['false', true], ['true', false]] as const) {
      inFlight = 0;
      maxInFlight = 0;
      const text = flowText({ mode: 'onExchange', address: `${b.url}/api/data`, receiverExtra: `parallelCallsInSession: ${flag}`, steps }).replace('adapter: http', 'adapter: probe');
      const r = await FlowRunner.create(flowDoc(text), { registry, credentials: testCredentials() });
      const res = await r.runExchange({ body: items(5), contentType: 'application/json' });
      await r.close();
      assert.equal(res.status, 'completed', res.error?.message);
      if (expectSerial) assert.equal(maxInFlight, 1);
      else assert.ok(maxInFlight > 1, `parallel calls overlap (max ${maxInFlight})`);
    }
  });
});
