import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdapterError, defineAdapter } from '../src/index.js';
import type { AdapterContext, AdapterDeclaration, AdapterDefinition, AdapterResult, OutboundMessage, VariantDeclaration } from '../src/index.js';
import {
  assertConformance,
  ConformanceError,
  exampleConfig,
  formatConformanceReport,
  runConformance,
  startTestBackend,
  type ConformanceReport,
} from '../src/testing/index.js';

const variantBase: VariantDeclaration = {
  id: 'rest',
  direction: 'receiver',
  stepKinds: ['call', 'send'],
  sessionReuse: 'supported',
  csrf: true,
  auth: [{ type: 'none' }, { type: 'basic' }, { type: 'client-certificate' }],
  parallelSafe: true,
  streaming: false,
};

type Send = (message: OutboundMessage, context: AdapterContext) => Promise<AdapterResult>;

/** A correct, minimal adapter: address + step path, step method (default POST), JSON body. */
const goodSend: Send = async (message, context) => {
  const { receiver, step } = context;
  const url = new URL(step.path ?? '', receiver.address);
  const method = (step.method ?? 'POST').toUpperCase();
  context.log.debug(`${method} ${url.origin}${url.pathname}`, { receiver: receiver.name });
  const res = await context.http.request({
    method,
    url: url.href,
    headers: { 'content-type': message.contentType ?? 'application/octet-stream', ...step.headers },
    ...(method === 'GET' ? {} : { body: message.body }),
    signal: context.signal,
  });
  if (res.status >= 400) throw new AdapterError('DEMO_HTTP_STATUS', `receiver "${receiver.name}" answered ${res.status}`, { status: res.status });
  return { status: res.status, headers: res.headers, body: res.body };
};

function adapter(over: Partial<AdapterDeclaration> = {}, variant: Partial<VariantDeclaration> = {}): AdapterDefinition {
  return defineAdapter({
    id: 'demo',
    displayName: 'Demo',
    version: '1.0.0',
    apiVersion: 1,
    variants: [{ ...variantBase, ...variant }],
    configSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['tenant'],
      properties: { tenant: { type: 'string', examples: ['acme'] }, mode: { type: 'string', enum: ['fast', 'safe'], default: 'safe' } },
    },
    send: goodSend,
    ...over,
  });
}

function check(report: ConformanceReport, name: string, mode?: string) {
  const c = report.checks.find((x) => x.name === name && (mode === undefined || x.mode === mode));
  assert.ok(c, `check ${name}${mode ? `/${mode}` : ''} missing; got ${report.checks.map((x) => `${x.name}/${x.mode}`).join(', ')}`);
  return c;
}

describe('conformance kit', () => {
  it('passes a correct adapter and runs every session mode, CSRF, auth and fault check', async () => {
    const report = await runConformance(adapter());
    assert.equal(report.passed, true, formatConformanceReport(report));
    assert.equal(check(report, 'session-none', 'none').ok, true);
    assert.match(check(report, 'session-none', 'none').detail, /3 call\(s\) with basic auth: 3 credential check\(s\)/);
    assert.match(check(report, 'session-reuse', 'exchange').detail, /2 credential check\(s\), 2 session\(s\)/);
    assert.match(check(report, 'session-reuse', 'flow').detail, /1 credential check\(s\), 1 session\(s\)/);
    assert.match(check(report, 'csrf').detail, /succeeded with 1 token fetch/);
    assert.equal(check(report, 'auth:none').ok, true);
    assert.match(check(report, 'auth:basic').detail, /wrong password gives DEMO_HTTP_STATUS/);
    const cert = check(report, 'auth:client-certificate');
    assert.equal(cert.skipped, true);
    assert.match(cert.detail, /not testable locally/);
    assert.match(check(report, 'fault:status-500').detail, /DEMO_HTTP_STATUS/);
    assert.match(check(report, 'fault:reset').detail, /SF_HTTP_RESET/);
    assert.equal(check(report, 'no-manual-session-headers').ok, true);
    assert.equal(check(report, 'no-secrets-in-logs').ok, true);
    assert.match(check(report, 'config').detail, /"tenant":"acme"/);
  });

  it('fails an adapter that ends its session after each call (session reuse does not really reuse)', async () => {
    const a = adapter({
      send: async (message, context) => {
        const r = await goodSend(message, context);
        await context.http.request({ method: 'POST', url: new URL('logout', context.receiver.address).href, signal: context.signal });
        return r;
      },
    }, { csrf: false });
    const report = await runConformance(a);
    assert.equal(report.passed, false);
    const reuse = check(report, 'session-reuse', 'exchange');
    assert.equal(reuse.ok, false);
    assert.match(reuse.detail, /checked credentials 6 time\(s\) for 6 call\(s\).*expected 2/);
    assert.equal(check(report, 'session-reuse', 'flow').ok, false);
  });

  it('fails an adapter that forwards Cookie/Authorization from the message, also for sessionReuse "unsupported"', async () => {
    const a = adapter({
      send: async (message, context) => {
        const url = new URL(context.step.path ?? '', context.receiver.address);
        const cookie = Object.entries(message.headers).find(([k]) => k.toLowerCase() === 'cookie');
        const res = await context.http.request({ method: 'POST', url: url.href, headers: cookie ? { Cookie: cookie[1] } : {}, body: message.body });
        if (res.status >= 400) throw new AdapterError('DEMO_HTTP_STATUS', `answered ${res.status}`);
        return { status: res.status, headers: res.headers, body: res.body };
      },
    }, { sessionReuse: 'unsupported', csrf: false });
    const report = await runConformance(a);
    assert.equal(report.passed, false);
    const manual = check(report, 'no-manual-session-headers');
    assert.equal(manual.ok, false);
    assert.match(manual.detail, /Cookie/);
    const noCookie = check(report, 'no-cookie-sent', 'exchange');
    assert.equal(noCookie.ok, false, noCookie.detail);
    assert.match(noCookie.detail, /carried a Cookie header/);
    assert.ok(!report.checks.some((c) => c.name === 'session-reuse'), 'no session-reuse check for an unsupported variant');
    // The probe cookie value never shows up in the report.
    assert.doesNotMatch(formatConformanceReport(report), /probe-[A-Za-z0-9_-]{12}/);
  });

  it('a correct "unsupported" adapter passes: the runtime gives it no jar, so no cookie is sent back', async () => {
    const report = await runConformance(adapter({}, { sessionReuse: 'unsupported', csrf: false }));
    assert.equal(report.passed, true, formatConformanceReport(report));
    assert.match(check(report, 'no-cookie-sent', 'flow').detail, /6 call\(s\).*6 credential check\(s\).*none sent back/);
  });

  it('reports csrf: true with sessionReuse "unsupported" as inconsistent', async () => {
    const report = await runConformance(adapter({}, { sessionReuse: 'unsupported', csrf: true }));
    const csrf = check(report, 'csrf');
    assert.equal(csrf.ok, false);
    assert.match(csrf.detail, /fetched in one session and used in another/);
  });

  it('fails an adapter that logs the password and cookie values, without printing them', async () => {
    let password = '';
    const a = adapter({
      send: async (message, context) => {
        const r = await goodSend(message, context);
        // A careless adapter: logs every message header (the probe Authorization/Cookie values).
        context.log.info('sent', { headers: message.headers });
        return r;
      },
    }, { csrf: false });
    const report = await runConformance(a, { credentials: (password = 'sekrit-PW-123', { user: 'alice', password }), backend: undefined });
    const logs = check(report, 'no-secrets-in-logs');
    assert.equal(logs.ok, false);
    assert.match(logs.detail, /contain a password, token or cookie value/);
    assert.match(logs.detail, /\*\*\*/);
    assert.doesNotMatch(formatConformanceReport(report), /probe-/);
  });

  it('fails an adapter whose errors have no stable code, or that swallows an error status', async () => {
    const noCode = adapter({
      send: async (message, context) => {
        const url = new URL(context.step.path ?? '', context.receiver.address);
        const res = await context.http.request({ method: 'POST', url: url.href, body: message.body }).catch(() => {
          throw new Error('something broke');
        });
        if (res.status >= 400) throw new Error(`status ${res.status}`);
        return { status: res.status, headers: res.headers, body: res.body };
      },
    }, { csrf: false });
    const report = await runConformance(noCode);
    assert.equal(check(report, 'fault:reset').ok, false);
    assert.match(check(report, 'fault:reset').detail, /without a stable string code/);
    assert.equal(check(report, 'fault:status-500').ok, false);

    const swallow = adapter({
      send: async (message, context) => {
        const url = new URL(context.step.path ?? '', context.receiver.address);
        const res = await context.http.request({ method: 'POST', url: url.href, body: message.body });
        return { status: 200, headers: res.headers, body: res.body };
      },
    }, { csrf: false });
    const r2 = await runConformance(swallow);
    const st = check(r2, 'fault:status-500');
    assert.equal(st.ok, false);
    assert.match(st.detail, /returned status 200 for a backend answering 500/);
  });

  it('fails an adapter that bypasses context.http', async () => {
    const a = adapter({ send: async () => ({ status: 200, headers: {}, body: new Uint8Array() }) }, { csrf: false });
    const report = await runConformance(a);
    assert.match(check(report, 'session-none').detail, /made no request through context.http/);
    assert.equal(report.passed, false);
  });

  it('reports an invalid config, variants that do not exist, and honours options.variants', async () => {
    const report = await runConformance(adapter(), { configFor: () => ({ tenant: 42 }), variants: ['rest', 'nope'] });
    assert.equal(check(report, 'config').ok, false);
    assert.match(check(report, 'config').detail, /tenant: must be string/);
    assert.match(check(report, 'variant').detail, /variant "nope" is not declared/);
  });

  it('uses a given backend and credentials, and skips bearer checks without a token', async () => {
    const backend = await startTestBackend();
    try {
      const report = await runConformance(adapter({}, { auth: [{ type: 'basic' }, { type: 'oauth2-client-credentials' }] }), { backend, calls: 2 });
      assert.equal(report.passed, true, formatConformanceReport(report));
      assert.equal(check(report, 'auth:oauth2-client-credentials').skipped, true);
      assert.match(check(report, 'auth:oauth2-client-credentials').detail, /bearerToken/);
      assert.match(check(report, 'session-none').detail, /2 call\(s\)/);
      assert.match(check(report, 'auth:basic').detail, /as user "alice"/);
      // The kit leaves the given backend running (the caller owns it).
      assert.equal((await fetch(`${backend.url}/_stats`)).status, 200);
    } finally {
      await backend.close();
    }
  });

  it('checks bearer-token auth (OAuth2 types) with its own backend and session reuse through bearer tokens', async () => {
    const report = await runConformance(adapter({}, { auth: [{ type: 'oauth2-client-credentials' }], csrf: false }));
    assert.equal(report.passed, true, formatConformanceReport(report));
    assert.match(check(report, 'session-reuse', 'exchange').detail, /oauth2-client-credentials auth/);
    assert.equal(check(report, 'auth:oauth2-client-credentials').ok, true);
  });

  it('assertConformance throws ConformanceError listing the failures, returns the report otherwise', async () => {
    const ok = await assertConformance(adapter({}, { csrf: false }));
    assert.equal(ok.passed, true);
    const bad = adapter({ send: async () => ({ status: 200, headers: {}, body: new Uint8Array() }) }, { csrf: false });
    await assert.rejects(assertConformance(bad), (err: unknown) => {
      assert.ok(err instanceof ConformanceError);
      assert.equal(err.code, 'SF_ADAPTER_CONFORMANCE');
      assert.match(err.message, /✘ session-none/);
      return true;
    });
  });

  it('reports a value that is not a definition, and an API version mismatch', async () => {
    const r = await runConformance({ id: 'x' } as unknown as AdapterDefinition);
    assert.equal(r.passed, false);
    assert.match(r.checks[0]!.detail, /defineAdapter/);
    const old = adapter({ apiVersion: 2 }, { csrf: false });
    const r2 = await runConformance(old, { calls: 2 });
    assert.equal(check(r2, 'api-version').ok, false);
    assert.match(check(r2, 'api-version').detail, /targets adapter API 2.*implements API 1/);
  });

  it('builds an example config from a schema', () => {
    assert.deepEqual(
      exampleConfig({
        type: 'object',
        required: ['a', 'b', 'c', 'd', 'e'],
        properties: { a: { type: 'string', default: 'x' }, b: { enum: ['p', 'q'] }, c: { type: 'integer', minimum: 5 }, d: { type: 'boolean' }, e: { type: 'object', required: ['f'], properties: { f: { const: 1 } } }, z: { type: 'string' } },
      }),
      { a: 'x', b: 'p', c: 5, d: false, e: { f: 1 } },
    );
  });
});
