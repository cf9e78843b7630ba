// The runner (FlowRunner from @sessionflow/sdk, flows as YAML, the built-in http adapter)
// against a real backend: Debian's Tomcat 10 with BASIC auth kept in the HTTP session and
// Tomcat's own REST CSRF filter. Every count comes from Tomcat's access log (./tomcat.ts marks
// requests that carried an Authorization header, never the value); open sessions are read
// from Tomcat itself (ops/sessions.jsp lists live sessions as hashes).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AdapterRegistry, FlowRunner, parseFlow, staticCredentials } from '@sessionflow/sdk';
import type { ExchangeResult, RunnerOptions } from '@sessionflow/sdk';
import { startTomcat, tomcatUnavailableReason, TOMCAT_USERS, type TomcatInstance } from './tomcat.js';

const unavailable = tomcatUnavailableReason();
const inCi = !['', '0', 'false'].includes((process.env.CI ?? '').trim().toLowerCase());

if (unavailable !== undefined && inCi) {
  test('Tomcat 10 is installed (required in CI)', () => {
    assert.fail(`${unavailable}. In CI, test/scripts/setup.sh installs it (npm run test:all runs it first).`);
  });
}

interface Echo {
  user: string | null;
  session: string;
  newSession: boolean;
  method: string;
  tag: string | null;
}

const decoder = new TextDecoder();

function bodyJson<T>(r: ExchangeResult): T {
  return JSON.parse(decoder.decode(r.body)) as T;
}

function failures(results: ExchangeResult[]): string[] {
  return results.filter((r) => r.status === 'failed').map((r) => `${r.id}: ${r.error?.message ?? 'failed'}`);
}

describe('runner against Tomcat 10', { skip: unavailable }, () => {
  let tomcat: TomcatInstance;
  let registry: AdapterRegistry;

  before(async () => {
    [tomcat, registry] = await Promise.all([startTomcat(), AdapterRegistry.load({ projectDir: process.cwd() })]);
    console.log(`# private Tomcat answered after ${tomcat.startupMs} ms at ${tomcat.url}`);
  });

  after(async () => {
    await tomcat?.stop();
  });

  /** A runner for a flow given as YAML (credential `tc-user` = alice). */
  async function runner(yaml: string, options: Partial<RunnerOptions> = {}): Promise<FlowRunner> {
    const doc = parseFlow(yaml, { uri: 'file:///tmp/runner-tomcat.flow.yaml' });
    assert.deepEqual(doc.problems, [], 'the test flow parses cleanly');
    const alice = TOMCAT_USERS.alice;
    return FlowRunner.create(doc, {
      registry,
      credentials: staticCredentials({ 'tc-user': { type: 'basic', user: alice.user, password: alice.password } }),
      ...options,
    });
  }

  const flowHead = (mode: string, receivers: string): string =>
    [
      'flow: runner-tomcat',
      'formatVersion: 2',
      `runtime: { sessionHandling: ${mode} }`,
      'credentials:',
      '  tc-user: { type: basic }',
      'receivers:',
      receivers,
    ].join('\n');

  /** Sessions Tomcat still holds, as hashes (ops/sessions.jsp). */
  async function liveSessions(): Promise<Set<string>> {
    const res = await fetch(`${tomcat.url}/ops/sessions.jsp?t=ops-sessions`);
    assert.equal(res.status, 200);
    return new Set(((await res.json()) as { live: string[] }).live);
  }

  test('none: every call authenticates (5 exchanges x 3 calls = 15 logins)', async () => {
    const r = await runner(
      `${flowHead('none', `  echo:\n    adapter: http\n    address: ${tomcat.url}/api/echo.jsp\n    auth: { type: basic, credential: tc-user }`)}
steps:
  - { id: a, call: echo, method: GET, query: { t: rt-none } }
  - { id: b, call: echo, method: GET, query: { t: rt-none } }
  - { id: c, call: echo, method: GET, query: { t: rt-none } }
`,
    );
    let report;
    try {
      report = await r.run({ exchanges: 5, concurrency: 2, input: {} });
    } finally {
      await r.close();
    }
    assert.deepEqual(failures(report.results), []);
    assert.equal(report.receivers.echo?.calls, 15);
    assert.equal(report.receivers.echo?.credentialsSent, 15);
    const log = await tomcat.accessLog({ tag: 'rt-none' }, { atLeast: 15 });
    assert.equal(log.length, 15);
    assert.ok(log.every((e) => e.status === 200 && e.authorization && e.user === 'alice'));
    // Tomcat opened a new session for each call.
    assert.equal(new Set(report.results.map((x) => bodyJson<Echo>(x).session)).size, 5);
  });

  test('onExchange: one login per exchange, including a primed parallel split of 20 items to a CSRF-protected path', async () => {
    const r = await runner(
      `${flowHead(
        'onExchange',
        `  erp:\n    adapter: http\n    address: ${tomcat.url}/api/csrf/echo.jsp\n    auth: { type: basic, credential: tc-user }\n    csrf: true`,
      )}
steps:
  - id: fetch-token
    send: erp
    method: GET
    headers: { X-CSRF-Token: Fetch }
    query: { t: rt-exchange }
  - id: items
    split:
      path: $.items
      parallel: true
      maxConcurrency: 10
      steps:
        - { id: post-item, call: erp, method: POST, query: { t: rt-exchange } }
`,
    );
    const exchanges = 3;
    const body = JSON.stringify({ items: Array.from({ length: 20 }, (_, i) => ({ line: i + 1 })) });
    let report;
    try {
      report = await r.run({ exchanges, concurrency: 3, input: { body, contentType: 'application/json' } });
    } finally {
      await r.close();
    }
    assert.deepEqual(failures(report.results), []);
    const log = await tomcat.accessLog({ tag: 'rt-exchange' }, { atLeast: exchanges * 21 });
    assert.equal(log.length, exchanges * 21);
    assert.equal(log.filter((e) => e.authorization).length, exchanges, 'one authenticated request per exchange');
    assert.equal(log.filter((e) => e.csrfFetch).length, exchanges, 'one CSRF token fetch per exchange');
    const posts = log.filter((e) => e.method === 'POST');
    assert.equal(posts.length, exchanges * 20);
    assert.ok(posts.every((e) => e.status === 200 && !e.authorization), "Tomcat's CSRF filter accepted every item, none logged in");
    // Each exchange's 20 items ran in that exchange's one session; the exchanges had different sessions.
    const perExchange = report.results.map((x) => new Set(bodyJson<Echo[]>(x).map((e) => e.session)));
    assert.ok(perExchange.every((s) => s.size === 1));
    assert.equal(new Set(perExchange.map((s) => [...s][0])).size, exchanges);
    assert.equal(report.receivers.erp?.credentialsSent, exchanges);
  });

  test('onIntegrationFlow: 100 exchanges at concurrency 10 share one login', async () => {
    const r = await runner(
      `${flowHead('onIntegrationFlow', `  pricing:\n    adapter: http\n    address: ${tomcat.url}/api/echo.jsp\n    auth: { type: basic, credential: tc-user }`)}
steps:
  - { id: price, call: pricing, method: POST, query: { t: rt-flow } }
`,
    );
    let report;
    try {
      report = await r.run({ exchanges: 100, concurrency: 10, input: { body: '{"sku":"PUMP-200"}', contentType: 'application/json' } });
    } finally {
      await r.close();
    }
    assert.deepEqual(failures(report.results), []);
    const log = await tomcat.accessLog({ tag: 'rt-flow' }, { atLeast: 100 });
    assert.equal(log.length, 100);
    assert.equal(await tomcat.countAuthorized({ tag: 'rt-flow' }), 1);
    assert.ok(log.every((e) => e.status === 200 && e.user === 'alice'));
    assert.equal(new Set(report.results.map((x) => bodyJson<Echo>(x).session)).size, 1);
  });

  test('logoff: every session an exchange opened is ended on Tomcat (none left open)', async () => {
    const receivers = (logoff: boolean): string =>
      `  erp:\n    adapter: http\n    address: ${tomcat.url}/api/echo.jsp\n    auth: { type: basic, credential: tc-user }` +
      (logoff ? `\n    logoff: { method: GET, path: /app/api/logout.jsp?t=rt-logoff }` : '');
    const steps = (tag: string): string => `steps:
  - { id: first, call: erp, method: GET, query: { t: ${tag} } }
  - { id: second, call: erp, method: GET, query: { t: ${tag} } }
`;
    const exchanges = 6;

    // Control: without logoff the sessions stay open on Tomcat.
    const control = await runner(`${flowHead('onExchange', receivers(false))}\n${steps('rt-nologoff')}`);
    let kept;
    try {
      kept = await control.run({ exchanges: 2, concurrency: 2, input: {} });
    } finally {
      await control.close();
    }
    assert.deepEqual(failures(kept.results), []);
    const keptHashes = kept.results.map((x) => bodyJson<Echo>(x).session);
    const liveBefore = await liveSessions();
    assert.ok(keptHashes.every((h) => liveBefore.has(h)), 'without logoff the sessions are still alive');

    const r = await runner(`${flowHead('onExchange', receivers(true))}\n${steps('rt-logoff')}`);
    let report;
    try {
      report = await r.run({ exchanges, concurrency: 3, input: {} });
    } finally {
      await r.close();
    }
    assert.deepEqual(failures(report.results), []);
    assert.equal(report.receivers.erp?.logoffs, exchanges);
    const opened = report.results.map((x) => bodyJson<Echo>(x).session);
    assert.equal(new Set(opened).size, exchanges, 'one session per exchange');

    // Tomcat's view: each exchange logged in once, each session got one logout (answered from
    // the session, without credentials), and none of the sessions is alive any more.
    const log = await tomcat.accessLog({ tag: 'rt-logoff' }, { atLeast: exchanges * 3 });
    const logouts = log.filter((e) => e.path === '/app/api/logout.jsp');
    assert.equal(log.filter((e) => e.authorization).length, exchanges);
    assert.equal(logouts.length, exchanges);
    assert.ok(logouts.every((e) => e.status === 200 && !e.authorization && e.user === 'alice'));
    const live = await liveSessions();
    assert.deepEqual(opened.filter((h) => live.has(h)), [], 'no session of the logoff run is left open');
  });
});
