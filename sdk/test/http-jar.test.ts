import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent } from 'undici';
import { createSessionClient, SessionJar, SessionStore, sessionScope, type HttpAuth } from '../src/http/index.js';
import { jarStoreSetCookies } from '../src/http/jar.js';
import { startTestBackend, type TestBackend } from '../src/testing/index.js';

const alice: HttpAuth = { type: 'basic', user: 'alice', password: 'alice-pw' };

/**
 * Resolves every host name to 127.0.0.1, like an on-premise connector that maps a virtual
 * host to the internal backend.
 */
function virtualHostAgent(): Agent {
  return new Agent({
    connect: {
      lookup: (_host: string, opts: { all?: boolean }, cb: (...args: any[]) => void) => {
        if (opts?.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
        else cb(null, '127.0.0.1', 4);
      },
    } as any,
  });
}

describe('session jar', () => {
  it('rejects cookies for a foreign domain and public suffixes', async () => {
    const jar = new SessionJar();
    const url = new URL('http://app.example.com/x');
    const accepted = jarStoreSetCookies(jar, url, ['A=1; Domain=evil.example.org; Path=/', 'B=1; Domain=com; Path=/', 'C=1; Path=/']);
    assert.equal(accepted, 1);
    assert.equal(await jar.cookieCount(), 1);
    assert.equal(await jar.hasSession('http://app.example.com/y'), true);
    assert.equal(await jar.hasSession('http://evil.example.org/'), false);
    assert.equal(await jar.hasSession('not a url'), false);
  });

  it('honours path, secure and expiry', async () => {
    const jar = new SessionJar();
    const url = new URL('https://erp.example.com/sap/opu/x');
    jarStoreSetCookies(jar, url, ['P=1; Path=/sap', 'S=1; Secure; Path=/', 'E=1; Max-Age=0; Path=/', 'Old=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT']);
    assert.equal(await jar.cookieCount(), 2);
    assert.equal(await jar.hasSession('https://erp.example.com/other'), true, 'secure cookie on https');
    assert.equal(await jar.hasSession('http://erp.example.com/sap/x'), false, 'another origin (http) gets nothing');
    const pathOnly = new SessionJar();
    jarStoreSetCookies(pathOnly, url, ['P=1; Path=/sap']);
    assert.equal(await pathOnly.hasSession('https://erp.example.com/sap/y'), true);
    assert.equal(await pathOnly.hasSession('https://erp.example.com/other'), false);
  });

  it('maps backend cookie domains to the virtual domain', async () => {
    const jar = new SessionJar({ cookieDomains: { '.corp.internal': 'virtual.example' } });
    const url = new URL('http://erp.virtual.example/x');
    assert.equal(jarStoreSetCookies(jar, url, ['A=1; Domain=corp.internal; Path=/']), 1);
    assert.equal(jarStoreSetCookies(jar, url, ['B=1; Domain=other.internal; Path=/']), 0, 'unmapped foreign domain dropped');
    assert.equal(await jar.hasSession('http://erp.virtual.example/y'), true);
  });

  it('SessionStore creates jars lazily per scope and passes the cookie domain mapping', async () => {
    const store = new SessionStore({ cookieDomains: { 'corp.internal': 'erp.virtual' } });
    assert.equal(store.openJars, 0);
    assert.equal(store.jarFor(sessionScope('none')), null);
    const j1 = store.jarFor(sessionScope('exchange', 'ex-1'))!;
    assert.equal(store.jarFor({ kind: 'exchange', id: 'ex-1' }), j1);
    assert.notEqual(store.jarFor({ kind: 'exchange', id: 'ex-2' }), j1);
    assert.equal(store.jarFor(sessionScope('flow')), store.jarFor({ kind: 'flow' }));
    assert.equal(store.openJars, 3);
    store.release({ kind: 'exchange', id: 'ex-1' });
    store.release({ kind: 'exchange', id: 'unknown' });
    assert.equal(store.openJars, 2);
    assert.equal(jarStoreSetCookies(j1, new URL('http://erp.virtual/x'), ['A=1; Domain=corp.internal']), 1);
    assert.throws(() => sessionScope('exchange'), /needs an exchange id/);
  });
});

describe('session client: on-premise cookie domain mapping', () => {
  let b: TestBackend;
  let agent: Agent;
  before(async () => {
    b = await startTestBackend({ cookieDomain: 'erp.corp.internal', affinityCookie: 'LB_NODE' });
    agent = virtualHostAgent();
  });
  after(async () => {
    await agent.close();
    await b.close();
  });

  it('without a mapping the backend-domain cookies are dropped and every call authenticates', async () => {
    b.resetStats();
    const jar = new SessionJar();
    const c = createSessionClient({ receiver: 'erp', jar, auth: alice, dispatcher: agent });
    for (let i = 0; i < 3; i++) await c.request({ method: 'GET', url: `http://erp.virtual.test:${b.port}/x` });
    assert.equal(await jar.cookieCount(), 0);
    assert.equal(b.stats().authentications, 3);
  });

  it('with cookieDomains the session is reused on the virtual host', async () => {
    b.resetStats();
    const jar = new SessionJar();
    const c = createSessionClient({ receiver: 'erp', jar, auth: alice, dispatcher: agent, cookieDomains: { 'erp.corp.internal': 'virtual.test' } });
    const rs = [];
    for (let i = 0; i < 3; i++) rs.push(await c.request({ method: 'GET', url: `http://erp.virtual.test:${b.port}/x` }));
    assert.equal(await jar.cookieCount(), 2);
    assert.equal(b.stats().authentications, 1);
    assert.deepEqual(rs.map((r) => r.trace.credentialsSent), [true, false, false]);
    assert.deepEqual(b.requests()[2]!.cookieNames.sort(), ['JSESSIONID', 'LB_NODE']);
    // The mapped domain cookie reaches other hosts of the virtual domain only through their own origin.
    assert.equal(await jar.hasSession(`http://other.virtual.test:${b.port}/x`), false);
  });

  it('a virtual host without a dot works when mapped (cookie becomes host-only)', async () => {
    b.resetStats();
    const jar = new SessionJar();
    const c = createSessionClient({ receiver: 'erp', jar, auth: alice, dispatcher: agent, cookieDomains: { 'erp.corp.internal': 'erpvirtual' } });
    await c.request({ method: 'GET', url: `http://erpvirtual:${b.port}/x` });
    const r = await c.request({ method: 'GET', url: `http://erpvirtual:${b.port}/x` });
    assert.equal(r.trace.credentialsSent, false);
    assert.equal(b.stats().authentications, 1);
  });
});
