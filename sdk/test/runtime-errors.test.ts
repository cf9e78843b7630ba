/** Failures: backend faults, bad flows, missing credentials, auth, secrets and log levels. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defineAdapter } from '../src/adapter/define.js';
import { AdapterRegistry } from '../src/adapter/registry.js';
import type { AdapterDefinition } from '../src/adapter/types.js';
import { startTestBackend, type TestBackend } from '../src/testing/index.js';
import {
  CredentialError,
  FlowRunner,
  FlowValidationError,
  MissingCredentialError,
  staticCredentials,
  type RunnerOptions,
} from '../src/runtime/index.js';
import { parseFlow } from '../src/flow/parse.js';
import { flowDoc, flowText, httpRegistry, testCredentials } from './fixtures/runtime/support.js';

async function withBackend(fn: (b: TestBackend) => Promise<void>, options?: Parameters<typeof startTestBackend>[0]): Promise<void> {
  const backend = await startTestBackend(options);
  try {
    await fn(backend);
  } finally {
    await backend.close();
  }
}

async function create(text: string, extra: Partial<RunnerOptions> = {}): Promise<FlowRunner> {
  return FlowRunner.create(flowDoc(text), { registry: await httpRegistry(), credentials: testCredentials(), ...extra });
}

test('backend faults give failed exchanges with clear messages; succeeded + failed = exchanges', async () => {
  await withBackend(async (b) => {
    const runner = await create(
      flowText({
        address: `${b.url}/api/data`,
        receiverExtra: 'timeoutMs: 300',
        steps: '- id: fetch\n  call: backend\n  method: GET\n  path: "${header.target}"',
      }),
    );
    const targets = ['/api/ok', '/_fault/reset', '/_fault/hang', '/_fault/garbage', '/_fault/status/500', '/api/ok2'];
    const report = await runner.run({ exchanges: targets.length, concurrency: 3, input: (i) => ({ headers: { target: targets[i]! } }) });
    await runner.close();
    assert.equal(report.exchanges, 6);
    assert.equal(report.succeeded + report.failed, 6);
    assert.equal(report.succeeded, 2);
    const codes = report.results.map((r) => r.error?.code ?? 'ok');
    assert.deepEqual(codes, ['ok', 'SF_HTTP_RESET', 'SF_HTTP_TIMEOUT', 'SF_HTTP_BAD_RESPONSE', 'SF_HTTP_STATUS', 'ok']);
    for (const r of report.results.filter((x) => x.status === 'failed')) {
      assert.match(r.error!.message, /^step "fetch" \(receiver "backend"\): receiver "backend"/);
      assert.ok(r.error!.message.endsWith(`(${r.error!.code})`), r.error!.message);
      assert.equal(r.error!.stepId, 'fetch');
      assert.equal(r.error!.receiver, 'backend');
      assert.equal(r.mpl[0]?.status, 'failed');
    }
    assert.match(report.results[4]!.error!.message, /answered 500/);
    assert.equal(report.errors.length, 4);
  });
});

test('a missing credential is refused before any request', async () => {
  await withBackend(async (b) => {
    const text = flowText({ address: `${b.url}/api/data`, steps: '- call: backend', auth: '{ type: basic, credential: bob-cred }' });
    await assert.rejects(
      FlowRunner.create(flowDoc(text), { registry: await httpRegistry(), credentials: staticCredentials({}) }),
      (e: unknown) => {
        assert.ok(e instanceof MissingCredentialError);
        assert.equal(e.credential, 'bob-cred');
        assert.equal(e.code, 'SF_CREDENTIAL_MISSING');
        assert.match(e.message, /credential "bob-cred" \(needed by receiver "backend"\) is not set: set SESSIONFLOW_CREDENTIAL_BOB_CRED_USER and SESSIONFLOW_CREDENTIAL_BOB_CRED_PASSWORD/);
        return true;
      },
    );
    await assert.rejects(
      FlowRunner.create(flowDoc(text), { registry: await httpRegistry(), credentials: staticCredentials({ 'bob-cred': { type: 'oauth2', clientId: 'a', clientSecret: 'b' } }) }),
      (e: unknown) => e instanceof CredentialError && e.code === 'SF_CREDENTIAL_TYPE',
    );
    const certFlow = flowText({ address: `${b.url}/api/data`, steps: '- call: backend', auth: '{ type: client-certificate, credential: alice-cred }' });
    await assert.rejects(
      FlowRunner.create(flowDoc(certFlow), {
        registry: await httpRegistry(),
        credentials: staticCredentials({ 'alice-cred': { type: 'client-certificate', certPath: '/nonexistent/c.pem', keyPath: '/nonexistent/k.pem' } }),
      }),
      /the certificate file \/nonexistent\/c\.pem of credential "alice-cred" cannot be read \(ENOENT\)/,
    );
    assert.equal(b.stats().requests, 0);
  });
});

test('a flow with errors is refused with file:line:col for each problem', async () => {
  const registry = await httpRegistry();
  const text = [
    'flow: broken',
    'formatVersion: 2',
    'receivers:',
    '  erp:',
    '    adapter: soap',
    '    address: http://127.0.0.1:9/x',
    '  web:',
    '    adapter: http',
    '    address: http://127.0.0.1:9/y',
    '    config: { sendBody: sometimes }',
    'processes:',
    '  p: { steps: [] }',
    'steps:',
    '  - call: nowhere',
    '  - process: missing',
    '',
  ].join('\n');
  const doc = parseFlow(text, { uri: 'file:///flows/broken.flow.yaml' });
  assert.deepEqual(doc.problems, []);
  await assert.rejects(FlowRunner.create(doc, { registry, credentials: staticCredentials({}) }), (e: unknown) => {
    assert.ok(e instanceof FlowValidationError);
    assert.equal(e.problems.length, 4);
    assert.deepEqual(e.problems.map((p) => p.line), [5, 10, 14, 15], 'sorted by position');
    assert.match(e.message, /broken\.flow\.yaml:10:25: receiver "web": config\.sendBody: must be one of: auto, always, never/);
    assert.match(e.message, /\/flows\/broken\.flow\.yaml:5:14: receiver "erp": adapter "soap" is not installed \(installed: http\)/);
    assert.match(e.message, /\/flows\/broken\.flow\.yaml:14:11: step calls receiver "nowhere", which is not declared/);
    assert.match(e.message, /\/flows\/broken\.flow\.yaml:15:14: process "missing" is not declared under processes \(declared: p\)/);
    return true;
  });
  // Parse/schema problems (here: a bad condition) refuse the flow too.
  const bad = parseFlow(flowText({ address: 'http://127.0.0.1:9/', steps: '- loop:\n    while: "${body} = 1"\n    steps: []' }), { uri: 'file:///flows/cond.flow.yaml' });
  await assert.rejects(FlowRunner.create(bad, { registry, credentials: testCredentials() }), (e: unknown) => {
    assert.ok(e instanceof FlowValidationError);
    assert.match(e.message, /\/flows\/cond\.flow\.yaml:\d+:\d+: .*"=" is not an operator/);
    return true;
  });
});

test('auth types that need the platform fail the step with SF_AUTH_UNSUPPORTED_LOCALLY', async () => {
  const runner = await create(flowText({ address: 'http://127.0.0.1:9/x', auth: '{ type: principal-propagation }', steps: '- id: c\n  call: backend' }));
  const res = await runner.runExchange({});
  await runner.close();
  assert.equal(res.status, 'failed');
  assert.equal(res.error?.code, 'SF_AUTH_UNSUPPORTED_LOCALLY');
  assert.match(res.error?.message ?? '', /^step "c" \(receiver "backend"\): receiver "backend" uses auth type principal-propagation/);
});

test('a dynamic user that evaluates to nothing fails clearly', async () => {
  const runner = await create(flowText({ address: 'http://127.0.0.1:9/x', auth: '{ type: basic, user: "${header.user}", password: "${header.pw}" }', steps: '- call: backend' }));
  const res = await runner.runExchange({});
  await runner.close();
  assert.equal(res.error?.code, 'SF_AUTH_DYNAMIC_EMPTY');
  assert.match(res.error?.message ?? '', /user expression "\$\{header.user\}" of receiver "backend" evaluated to an empty value/);
});

test('log levels: none keeps no MPL, info has statuses without http details, debug has hashes only', async () => {
  await withBackend(async (b) => {
    const steps = '- id: a\n  call: backend\n- id: b\n  call: backend';
    const results = [];
    for (const log of ['none', 'info', 'debug']) {
      const runner = await create(flowText({ mode: 'onExchange', address: `${b.url}/api/data`, log, steps }));
      results.push(await runner.runExchange({ body: '{}', contentType: 'application/json' }));
      await runner.close();
    }
    const [none, info, debug] = results;
    assert.deepEqual(none!.mpl, []);
    assert.equal(info!.mpl.length, 2);
    assert.ok(info!.mpl.every((e) => e.http === undefined && e.httpStatus === 200));
    assert.equal(debug!.mpl.length, 2);
    const [first, second] = debug!.mpl;
    assert.equal(first!.http?.credentialsSent, true);
    assert.equal(first!.http?.sessionOpened, true);
    assert.equal(second!.http?.credentialsSent, false);
    assert.match(second!.http?.sessionCookieSentHash ?? '', /^[0-9a-f]{12}$/);
    // No secret in anything the runner returns.
    const all = JSON.stringify(results.map((r) => ({ ...r, body: undefined })));
    assert.ok(!all.includes('alice-pw'));
    assert.ok(!all.includes(Buffer.from('alice:alice-pw').toString('base64')));
    assert.ok(!all.includes('JSESSIONID='));
  });
});

test('log level override and query values are masked in MPL urls', async () => {
  await withBackend(async (b) => {
    const runner = await create(flowText({ address: `${b.url}/api/data`, steps: '- call: backend\n  query: { token: secret-token-value }' }), { logLevel: 'debug' });
    const res = await runner.runExchange({});
    await runner.close();
    assert.equal(res.mpl[0]?.http?.url, `${b.url}/api/data?token=***`);
    assert.ok(!JSON.stringify(res.mpl).includes('secret-token-value'));
  });
});

test('a bug while running one exchange is a failed exchange (SF_INTERNAL), never a lost one', async () => {
  const runner = await create(flowText({ address: 'http://127.0.0.1:9/x', steps: '- set: { body: ok }' }));
  const evil = {
    get h(): string {
      throw new Error('boom');
    },
  } as unknown as Record<string, string>;
  const report = await runner.run({
    exchanges: 5,
    concurrency: 2,
    input: (i) => (i === 2 ? { headers: evil } : {}),
  });
  await runner.close();
  assert.equal(report.succeeded, 4);
  assert.equal(report.failed, 1);
  assert.equal(report.results[2]?.error?.code, 'SF_INTERNAL');
  assert.match(report.results[2]?.error?.message ?? '', /boom/);
  assert.equal(report.results.length, 5);
});

function inlineAdapter(sessionReuse: 'supported' | 'unsupported', behaviour: 'get' | 'throw'): AdapterDefinition {
  return defineAdapter({
    id: 'probe',
    displayName: 'Probe',
    version: '0.0.1',
    apiVersion: 1,
    variants: [
      {
        id: 'probe',
        direction: 'receiver',
        stepKinds: ['call', 'send'],
        sessionReuse,
        csrf: false,
        auth: [{ type: 'none' }, { type: 'basic' }, { type: 'oauth2-client-credentials' }],
        parallelSafe: true,
        streaming: false,
      },
    ],
    configSchema: { type: 'object' },
    async send(_message, context) {
      if (behaviour === 'throw') throw new TypeError('cannot read properties of undefined');
      const res = await context.http.request({ method: 'GET', url: context.receiver.address, signal: context.signal });
      return { status: res.status, headers: res.headers, body: res.body };
    },
  });
}

test('an adapter variant without session reuse gets no jar; an adapter bug is SF_ADAPTER_ERROR', async () => {
  await withBackend(async (b) => {
    const text = flowText({ mode: 'onExchange', address: `${b.url}/api/data`, steps: '- call: backend\n- call: backend\n- call: backend' }).replace('adapter: http', 'adapter: probe');
    const registry = AdapterRegistry.fromDefinitions([inlineAdapter('unsupported', 'get')]);
    const runner = await FlowRunner.create(flowDoc(text), { registry, credentials: testCredentials() });
    const res = await runner.runExchange({});
    await runner.close();
    assert.equal(res.status, 'completed', res.error?.message);
    assert.equal(b.stats().authentications, 3);

    const broken = await FlowRunner.create(flowDoc(text.replace('- call: backend\n- call: backend\n', '')), {
      registry: AdapterRegistry.fromDefinitions([inlineAdapter('supported', 'throw')]),
      credentials: testCredentials(),
    });
    const failed = await broken.runExchange({});
    await broken.close();
    assert.equal(failed.error?.code, 'SF_ADAPTER_ERROR');
    assert.match(failed.error?.message ?? '', /\(receiver "backend"\): the adapter failed: cannot read properties of undefined/);
  });
});

test('oauth2-client-credentials: one token fetch serves many calls', async () => {
  let tokenRequests = 0;
  let lastAuth = '';
  let lastBody = '';
  const tokenServer = createServer((req, res) => {
    tokenRequests++;
    lastAuth = req.headers.authorization ?? '';
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      lastBody = body;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ access_token: 'tok-1', token_type: 'bearer', expires_in: 3600 }));
    });
  });
  await new Promise<void>((r) => tokenServer.listen(0, '127.0.0.1', r));
  const tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/oauth/token`;
  try {
    await withBackend(
      async (b) => {
        const text = flowText({
          address: `${b.url}/api/data`,
          auth: `{ type: oauth2-client-credentials, credential: api-client, tokenUrl: "${tokenUrl}" }`,
          steps: '- call: backend',
        }).replace('  bob-cred: { type: basic }', '  bob-cred: { type: basic }\n  api-client: { type: oauth2-client-credentials }');
        const runner = await FlowRunner.create(flowDoc(text), {
          registry: await httpRegistry(),
          credentials: staticCredentials({ 'api-client': { type: 'oauth2', clientId: 'cid', clientSecret: 'csecret' } }),
        });
        const report = await runner.run({ exchanges: 5, concurrency: 5, input: {} });
        await runner.close();
        assert.equal(report.succeeded, 5, JSON.stringify(report.errors));
        assert.equal(tokenRequests, 1);
        assert.equal(lastAuth, `Basic ${Buffer.from('cid:csecret').toString('base64')}`);
        assert.equal(lastBody, 'grant_type=client_credentials');
        assert.equal(b.stats().byUser.carol?.authentications, 5, 'mode none: the bearer token goes with every call');
      },
      { bearerTokens: { 'tok-1': 'carol' } },
    );
  } finally {
    await new Promise<void>((r) => tokenServer.close(() => r()));
  }
});
