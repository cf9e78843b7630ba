import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientCredentialsTokenProvider, createSessionClient, SessionJar, validateAdapterConfig } from '@sessionflow/sdk';
import { startSuccessFactorsMock, type SuccessFactorsMock, type SuccessFactorsMockOptions } from '@sessionflow/sdk/testing';
import adapter, { parseSoapFault, sfapiEnvelope } from '../src/index.js';
import { call, dec, json, rejects } from './support.js';

async function sfMock(t: { after(fn: () => Promise<void>): void }, o: SuccessFactorsMockOptions = {}): Promise<SuccessFactorsMock> {
  const m = await startSuccessFactorsMock(o);
  t.after(() => m.close());
  return m;
}

test('declaration: four variants with the session and auth capabilities of the spec', () => {
  assert.equal(adapter.id, 'successfactors');
  assert.equal(adapter.defaultVariant, 'odata-v2');
  const v = (id: string) => adapter.variant(id)!;
  assert.deepEqual(
    ['odata-v2', 'soap', 'rest', 'odata-v4'].map((id) => [id, v(id).sessionReuse, v(id).auth.map((a) => a.type)]),
    [
      ['odata-v2', 'required', ['basic', 'oauth2-saml-bearer']],
      ['soap', 'required', ['basic', 'oauth2-saml-bearer']],
      ['rest', 'unsupported', ['oauth2-client-credentials']],
      ['odata-v4', 'unsupported', ['oauth2-client-credentials', 'oauth2-saml-bearer']],
    ],
  );
  assert.equal(v('odata-v2').csrf, true);
  assert.deepEqual(validateAdapterConfig(adapter, { companyId: 'ACME' }), []);
  assert.deepEqual(validateAdapterConfig(adapter, { entitySet: 'User', paging: 'server' }), []);
  assert.equal(validateAdapterConfig(adapter, { company: 'x' })[0]?.keyword, 'additionalProperties');
});

test('sfapi helpers: envelope wrapping and fault parsing', () => {
  const env = sfapiEnvelope('<query><queryString>SELECT a FROM User</queryString></query>');
  assert.match(env, /<soapenv:Body><query xmlns="urn:sfobject.sfapi.successfactors.com"><queryString>SELECT a FROM User<\/queryString><\/query><\/soapenv:Body>/);
  assert.equal(sfapiEnvelope(env), env.replace(/^<\?xml[^>]*\?>/, ''), 'an envelope is sent as is');
  assert.deepEqual(
    parseSoapFault('<Envelope><Body><Fault><faultcode>soapenv:Client</faultcode><faultstring>INVALID_SESSION: gone</faultstring></Fault></Body></Envelope>'),
    { faultcode: 'soapenv:Client', faultstring: 'INVALID_SESSION: gone', errorCode: 'INVALID_SESSION' },
  );
  assert.equal(parseSoapFault('<Envelope><Body><ok/></Body></Envelope>'), undefined);
});

test('odata-v2: server paging in one session (one authentication, skiptoken accepted) over several calls', async (t) => {
  const sf = await sfMock(t);
  const jar = new SessionJar();
  const base = { adapter, variant: 'odata-v2', address: sf.odataV2Url, jar };
  const res = await call({ ...base, config: { entitySet: 'User', query: { $select: 'userId,lastName' } } });
  assert.deepEqual(json(res.body).d.results.map((u: { userId: string }) => u.userId), ['u1', 'u2', 'u3', 'u4', 'u5']);
  assert.deepEqual(Object.keys(json(res.body).d.results[0]).sort(), ['__metadata', 'lastName', 'userId']);
  assert.equal(res.properties?.odataPages, 3);
  await call({ ...base, config: { entitySet: 'User', query: { $filter: "department eq 'Math'" } } });
  await call({ ...base, config: { operation: 'read', entitySet: 'User', key: 'u3' } });
  const reqs = sf.requests();
  assert.equal(reqs.length, 3 + 1 + 1);
  assert.deepEqual(reqs.map((r) => r.authorization ?? '-'), ['basic', '-', '-', '-', '-']);
  assert.equal(reqs.at(-1)?.path, "/odata/v2/User('u3')");
  const s = sf.stats();
  assert.equal(s.odataV2Authentications, 1);
  assert.equal(s.odataV2Sessions, 1);
  assert.equal(s.invalidSkiptokens, 0);
});

test('odata-v2: without a session the second page fails (why the variant requires session reuse)', async (t) => {
  const sf = await sfMock(t);
  const err = await rejects(call({ adapter, variant: 'odata-v2', address: sf.odataV2Url, jar: null, config: { entitySet: 'User' } }));
  assert.equal(err.code, 'SF_ODATA_ERROR');
  assert.equal(err.details.code, 'INVALID_SKIPTOKEN');
  assert.equal(sf.stats().invalidSkiptokens, 1);
});

const QUERY = '<query><queryString>SELECT userId, lastName FROM User</queryString></query>';

test('soap: login first, once per session, calls in that session; no Basic header; exact SOAP requests on the wire', async (t) => {
  const sf = await sfMock(t);
  const jar = new SessionJar();
  const base = { adapter, variant: 'soap', address: sf.sfapiUrl, jar, config: { companyId: 'ACME' } };
  const logs: string[] = [];
  const res = await call({ ...base, body: QUERY, logs });
  assert.ok(logs.includes('no SFAPI session yet: logging in'));
  const text = dec.decode(res.body);
  assert.match(text, /<numResults>5<\/numResults>/);
  assert.match(text, /<lastName>Lovelace<\/lastName>/);
  await call({ ...base, body: QUERY });
  await call({ ...base, body: '<upsert><type>User</type><sfobject><id>u1</id></sfobject><sfobject><id>u2</id></sfobject></upsert>' });
  const calls = sf.sfapiCalls();
  assert.deepEqual(
    calls.map((c) => [c.operation, c.outcome, c.cookie, c.authorization]),
    [
      ['login', 'ok', false, false],
      ['query', 'ok', true, false],
      ['query', 'ok', true, false],
      ['upsert', 'ok', true, false],
    ],
  );
  assert.equal(calls[0]?.soapAction, '"login"');
  assert.equal(calls[1]?.soapAction, '"query"');
  assert.equal(calls[1]?.contentType, 'text/xml; charset=utf-8');
  const s = sf.stats();
  assert.equal(s.sfapiLogins, 1);
  assert.equal(s.sfapiSessionsCreated, 1);
  assert.equal(s.sfapiInvalidSessionFaults, 0, 'no call was sent before the login');
});

test('soap: after the idle expiry the INVALID_SESSION fault leads to one new login and a retry', async (t) => {
  let clock = 1_000_000;
  const sf = await sfMock(t, { now: () => clock });
  const jar = new SessionJar();
  const base = { adapter, variant: 'soap', address: sf.sfapiUrl, jar, config: { companyId: 'ACME' }, body: QUERY };
  await call(base);
  clock += 10 * 60_000 + 1; // 10 minutes idle
  const logs: string[] = [];
  const res = await call({ ...base, logs });
  assert.match(dec.decode(res.body), /<numResults>5<\/numResults>/);
  assert.ok(logs.includes('SFAPI session expired: logging in again'));
  const s = sf.stats();
  assert.equal(s.sfapiLogins, 2);
  assert.equal(s.sfapiExpiredSessions, 1);
  assert.equal(s.sfapiInvalidSessionFaults, 1, 'only the expired call');
  assert.deepEqual(
    sf.sfapiCalls().map((c) => [c.operation, c.outcome, c.authorization]),
    [
      ['login', 'ok', false],
      ['query', 'ok', false],
      ['query', 'INVALID_SESSION', false],
      ['login', 'ok', false],
      ['query', 'ok', false],
    ],
  );
});

test('soap: with a client that cannot tell whether a session is open, the INVALID_SESSION fault leads to the login', async (t) => {
  const sf = await sfMock(t);
  const client = createSessionClient({ receiver: 'svc', jar: new SessionJar(), auth: { type: 'basic', user: 'alice', password: 'alice-pw' } });
  const http = { request: client.request.bind(client) }; // no hasSession
  const base = { adapter, variant: 'soap', address: sf.sfapiUrl, http, config: { companyId: 'ACME' }, body: QUERY };
  await call(base);
  await call(base);
  assert.deepEqual(
    sf.sfapiCalls().map((c) => [c.operation, c.outcome, c.authorization]),
    [
      ['query', 'INVALID_SESSION', false],
      ['login', 'ok', false],
      ['query', 'ok', false],
      ['query', 'ok', false],
    ],
  );
});

test('soap: failures are clear step errors (bad password, no session handling, faults, missing credentials)', async (t) => {
  const sf = await sfMock(t);
  const bad = await rejects(call({ adapter, variant: 'soap', address: sf.sfapiUrl, auth: { type: 'basic', user: 'alice', password: 'wrong' }, config: { companyId: 'ACME' }, body: QUERY }));
  assert.equal(bad.code, 'SF_SFAPI_LOGIN');
  assert.match(bad.message, /LOGIN_FAILED/);
  assert.doesNotMatch(bad.message, /wrong/);
  const noJar = await rejects(call({ adapter, variant: 'soap', address: sf.sfapiUrl, jar: null, config: { companyId: 'ACME' }, body: QUERY }));
  assert.equal(noJar.code, 'SF_SFAPI_SESSION');
  assert.match(noJar.message, /sessionHandling/);
  const fault = await rejects(call({ adapter, variant: 'soap', address: sf.sfapiUrl, config: { companyId: 'ACME' }, body: '<query><queryString>SELECT x FROM Nothing</queryString></query>' }));
  assert.equal(fault.code, 'SF_SOAP_FAULT');
  assert.equal(fault.details.errorCode, 'INVALID_SFQL');
  const noCred = await rejects(call({ adapter, variant: 'soap', address: sf.sfapiUrl, credentials: false, config: { companyId: 'ACME' }, body: QUERY }));
  assert.equal(noCred.code, 'SF_SFAPI_CREDENTIALS');
  const noCompany = await rejects(call({ adapter, variant: 'soap', address: sf.sfapiUrl, body: QUERY }));
  assert.equal(noCompany.code, 'SF_SFAPI_CONFIG');
});

function bearer(sf: SuccessFactorsMock) {
  return new ClientCredentialsTokenProvider({ tokenUrl: sf.tokenUrl, clientId: 'sf-client', clientSecret: 'sf-secret', receiver: 'svc' });
}

test('rest: bearer token per call, one token fetched; cookies the API sets are never sent back', async (t) => {
  const sf = await sfMock(t);
  const tokens = bearer(sf);
  // The runtime gives sessionReuse "unsupported" variants a client without a jar.
  const http = createSessionClient({ receiver: 'svc', jar: null, auth: tokens.toHttpAuth() });
  const base = { adapter, variant: 'rest', address: sf.restUrl, http };
  const r1 = await call({ ...base, step: { method: 'GET', path: 'jobs', query: { status: 'open' } } });
  assert.deepEqual(json(r1.body), { method: 'GET', path: '/rest/jobs', query: { status: 'open' }, client: 'sf-client', received: null });
  const r2 = await call({ ...base, step: { method: 'POST', path: 'jobs' }, body: { title: 'x' } });
  assert.deepEqual(json(r2.body).received, { title: 'x' });
  sf.revokeTokens();
  const r3 = await call({ ...base, step: { method: 'GET', path: 'jobs' } });
  assert.equal(r3.status, 200, 'a revoked token is replaced once');
  const reqs = sf.requests();
  assert.ok(reqs.every((r) => r.authorization === 'bearer'));
  assert.ok(reqs.every((r) => !r.cookie), 'no Cookie header ever reached the API');
  const s = sf.stats();
  assert.equal(s.cookiesReceivedOnStatelessApis, 0);
  assert.equal(s.tokensIssued, 2);
  assert.equal(reqs[1]?.headers['content-type'], 'application/json');
  const err = await rejects(call({ ...base, step: { method: 'GET', path: 'https://evil.example/x' } }));
  assert.equal(err.code, 'SF_HTTP_INVALID_URL');
});

test('odata-v4: bearer per call, @odata.nextLink paging without a session, no cookie sent back', async (t) => {
  const sf = await sfMock(t);
  const http = createSessionClient({ receiver: 'svc', jar: null, auth: bearer(sf).toHttpAuth() });
  const res = await call({ adapter, variant: 'odata-v4', address: sf.odataV4Url, http, config: { entitySet: 'User', query: { $filter: "department eq 'R&D'" } } });
  assert.deepEqual(json(res.body).value.map((u: { userId: string }) => u.userId), ['u1', 'u2', 'u5']);
  await call({ adapter, variant: 'odata-v4', address: sf.odataV4Url, http, config: { operation: 'read', entitySet: 'User', key: 'u2' } });
  const reqs = sf.requests();
  assert.equal(reqs.length, 3);
  assert.equal(reqs[0]?.query.$filter, "department eq 'R&D'");
  assert.equal(reqs[0]?.headers['odata-version'], '4.0');
  assert.ok(reqs.every((r) => r.authorization === 'bearer' && !r.cookie));
  assert.equal(sf.stats().cookiesReceivedOnStatelessApis, 0);
  assert.equal(sf.stats().tokensIssued, 1);
});
