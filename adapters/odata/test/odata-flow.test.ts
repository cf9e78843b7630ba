/** The odata adapter inside a real flow run: parseFlow + FlowRunner against the OData mock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdapterRegistry, FlowRunner, parseFlow, staticCredentials } from '@sessionflow/sdk';
import { startODataMock } from '@sessionflow/sdk/testing';
import adapter from '../src/index.js';

test('flow: query with server paging, then create and merge in one exchange session (one authentication, one CSRF fetch)', async (t) => {
  const m = await startODataMock({
    version: 'v2',
    servicePath: '/odata/v2',
    pageSize: 2,
    entitySets: { Products: { key: 'ID', rows: [1, 2, 3, 4, 5].map((ID) => ({ ID, Name: `P${ID}`, Price: ID })) } },
  });
  t.after(() => m.close());
  const flow = `flow: odata-demo
formatVersion: 2
runtime:
  sessionHandling: onExchange
credentials:
  shop-user: { type: basic }
receivers:
  products:
    adapter: odata
    variant: v2
    address: ${m.serviceUrl}
    auth: { type: basic, credential: shop-user }
    csrf: true
    config:
      entitySet: Products
steps:
  - id: list
    send: products
    method: GET
  - id: add
    send: products
    method: POST
  - id: reprice
    call: products
    method: MERGE
    path: Products(6)
`;
  const doc = parseFlow(flow, { uri: 'file:///tmp/odata-demo.flow.yaml' });
  assert.deepEqual(doc.problems, []);
  const runner = await FlowRunner.create(doc, {
    registry: AdapterRegistry.fromDefinitions([adapter]),
    credentials: staticCredentials({ 'shop-user': { type: 'basic', user: 'alice', password: 'alice-pw' } }),
  });
  t.after(() => runner.close());
  const result = await runner.runExchange({ body: '{"ID":6,"Name":"P6","Price":6}', contentType: 'application/json' });
  assert.equal(result.status, 'completed', JSON.stringify(result.error));
  assert.equal(m.engine.rows('Products')?.length, 6);
  assert.deepEqual(m.requests().map((r) => [r.method, r.path.replace('/odata/v2/', ''), r.csrfToken]), [
    ['GET', 'Products', 'none'],
    ['GET', 'Products', 'none'],
    ['GET', 'Products', 'none'],
    ['GET', '', 'fetch'],
    ['POST', 'Products', 'token'],
    ['POST', 'Products(6)', 'token'],
  ]);
  assert.equal(m.requests()[5]?.headers['x-http-method'], 'MERGE');
  const s = m.stats();
  assert.equal(s.authentications, 1);
  assert.equal(s.csrfFetches, 1);
  assert.equal(result.receivers.products?.calls, 5, 'five requests made by the adapter; the CSRF fetch is the session client’s own');
  assert.equal(result.receivers.products?.csrfFetches, 1);
});
