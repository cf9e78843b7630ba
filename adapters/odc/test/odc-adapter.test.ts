import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdapterError, SessionJar, validateAdapterConfig } from '@sessionflow/sdk';
import { startODataMock } from '@sessionflow/sdk/testing';
import adapter, { odcServiceUrl } from '../src/index.js';
import { call, json } from './support.js';

const ORDERS = [
  { OrderID: '1', Customer: 'ACME', Amount: 10 },
  { OrderID: '2', Customer: 'Globex', Amount: 20 },
  { OrderID: '3', Customer: 'ACME', Amount: 30 },
];

test('declaration and config: basic auth only, serviceName required, client is three digits', () => {
  const v = adapter.variant(undefined)!;
  assert.equal(adapter.id, 'odc');
  assert.equal(v.sessionReuse, 'supported');
  assert.equal(v.csrf, false);
  assert.deepEqual(v.auth.map((a) => a.type), ['basic']);
  assert.deepEqual(validateAdapterConfig(adapter, { client: '100', serviceName: 'ZORDERS_SRV', serviceVersion: 2, entitySet: 'Orders' }), []);
  assert.deepEqual(validateAdapterConfig(adapter, {}).map((p) => p.message), ['missing required field "serviceName"']);
  assert.equal(validateAdapterConfig(adapter, { serviceName: 'X', client: '1000' })[0]?.path[0], 'client');
});

test('service URL follows the SAP convention /sap/opu/odata/<ns>/<service>;v=NNNN/?sap-client=NNN', () => {
  assert.equal(odcServiceUrl('gw', 'https://gw.example.com:44300', { serviceName: 'ZORDERS_SRV' }).href, 'https://gw.example.com:44300/sap/opu/odata/SAP/ZORDERS_SRV/');
  assert.equal(
    odcServiceUrl('gw', 'https://gw.example.com/', { serviceName: 'ZORDERS_SRV', serviceVersion: 2, client: '100' }).href,
    'https://gw.example.com/sap/opu/odata/SAP/ZORDERS_SRV;v=0002/?sap-client=100',
  );
  assert.equal(odcServiceUrl('gw', 'https://proxy.example.com/gw', { serviceName: 'Z_SRV', namespace: '/ACME/' }).href, 'https://proxy.example.com/gw/sap/opu/odata/ACME/Z_SRV/');
  assert.throws(() => odcServiceUrl('gw', 'https://gw?sap-client=100', { serviceName: 'Z' }), (e: unknown) => e instanceof AdapterError && e.code === 'SF_ODC_CONFIG');
  assert.throws(() => odcServiceUrl('gw', 'ftp://gw', { serviceName: 'Z' }), (e: unknown) => e instanceof AdapterError && e.code === 'SF_HTTP_INVALID_URL');
});

test('Gateway service: query with paging, create with a CSRF token, sap-client on every request, one authentication per session', async (t) => {
  const gw = await startODataMock({
    version: 'v2',
    servicePath: '/sap/opu/odata/SAP/ZORDERS_SRV;v=0002',
    sapClient: '100',
    pageSize: 2,
    entitySets: { Orders: { key: 'OrderID', rows: ORDERS } },
  });
  t.after(() => gw.close());
  const jar = new SessionJar();
  const config = { client: '100', serviceName: 'ZORDERS_SRV', serviceVersion: 2 };
  const q = await call({ adapter, variant: 'odc', address: gw.url, jar, config: { ...config, entitySet: 'Orders' } });
  assert.deepEqual(json(q.body).d.results.map((o: { OrderID: string }) => o.OrderID), ['1', '2', '3']);
  const c = await call({ adapter, variant: 'odc', address: gw.url, jar, config: { ...config, operation: 'create', entitySet: 'Orders' }, body: { OrderID: '4', Customer: 'Initech', Amount: 5 } });
  assert.equal(c.status, 201);
  const r = await call({ adapter, variant: 'odc', address: gw.url, jar, config: { ...config, operation: 'read', entitySet: 'Orders', key: '4' } });
  assert.equal(json(r.body).d.Customer, 'Initech');
  const reqs = gw.requests();
  assert.deepEqual(
    reqs.map((x) => [x.method, x.path, x.csrfToken]),
    [
      ['GET', '/sap/opu/odata/SAP/ZORDERS_SRV;v=0002/Orders', 'none'],
      ['GET', '/sap/opu/odata/SAP/ZORDERS_SRV;v=0002/Orders', 'none'],
      ['GET', '/sap/opu/odata/SAP/ZORDERS_SRV;v=0002/', 'fetch'],
      ['POST', '/sap/opu/odata/SAP/ZORDERS_SRV;v=0002/Orders', 'token'],
      ['GET', "/sap/opu/odata/SAP/ZORDERS_SRV;v=0002/Orders('4')", 'none'],
    ],
  );
  assert.ok(reqs.every((x) => x.query['sap-client'] === '100'), 'sap-client on every request, next links included');
  const s = gw.stats();
  assert.equal(s.authentications, 1);
  assert.equal(s.sessionsCreated, 1);
  assert.equal(s.csrfRejections, 0);
});

test('Gateway errors: wrong client and unknown entity set are SF_ODATA_ERROR with the Gateway message', async (t) => {
  const gw = await startODataMock({ version: 'v2', servicePath: '/sap/opu/odata/SAP/ZORDERS_SRV', sapClient: '100', entitySets: { Orders: { key: 'OrderID', rows: ORDERS } } });
  t.after(() => gw.close());
  await assert.rejects(call({ adapter, variant: 'odc', address: gw.url, config: { client: '200', serviceName: 'ZORDERS_SRV', entitySet: 'Orders' } }), (e: unknown) => {
    assert.ok(e instanceof AdapterError);
    assert.equal(e.code, 'SF_ODATA_ERROR');
    assert.equal(e.details.code, 'SAP_CLIENT');
    assert.match(e.message, /sap-client=\*\*\*/);
    return true;
  });
  await assert.rejects(call({ adapter, variant: 'odc', address: gw.url, config: { client: '100', serviceName: 'ZORDERS_SRV', entitySet: 'Nope' } }), (e: unknown) => e instanceof AdapterError && e.details.status === 404);
  await assert.rejects(call({ adapter, variant: 'odc', address: gw.url, config: { entitySet: 'Orders' } }), (e: unknown) => e instanceof AdapterError && e.code === 'SF_ODC_CONFIG');
});
