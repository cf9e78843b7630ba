/** The odc adapter inside a real flow run against a Gateway-shaped OData mock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdapterRegistry, FlowRunner, parseFlow, staticCredentials } from '@sessionflow/sdk';
import { startODataMock } from '@sessionflow/sdk/testing';
import adapter from '../src/index.js';

test('flow: two Gateway calls in one exchange share one session', async (t) => {
  const gw = await startODataMock({
    version: 'v2',
    servicePath: '/sap/opu/odata/SAP/ZORDERS_SRV',
    sapClient: '100',
    entitySets: { Orders: { key: 'OrderID', rows: [{ OrderID: '1', Customer: 'ACME' }] } },
  });
  t.after(() => gw.close());
  const flow = `flow: odc-demo
formatVersion: 2
runtime:
  sessionHandling: onExchange
credentials:
  gw-user: { type: basic }
receivers:
  gateway:
    adapter: odc
    address: ${gw.url}
    auth: { type: basic, credential: gw-user }
    config:
      client: "100"
      serviceName: ZORDERS_SRV
      entitySet: Orders
steps:
  - send: gateway
    method: POST
  - call: gateway
    method: GET
`;
  const doc = parseFlow(flow, { uri: 'file:///tmp/odc-demo.flow.yaml' });
  assert.deepEqual(doc.problems, []);
  const runner = await FlowRunner.create(doc, {
    registry: AdapterRegistry.fromDefinitions([adapter]),
    credentials: staticCredentials({ 'gw-user': { type: 'basic', user: 'alice', password: 'alice-pw' } }),
  });
  t.after(() => runner.close());
  const result = await runner.runExchange({ body: '{"OrderID":"2","Customer":"Globex"}', contentType: 'application/json' });
  assert.equal(result.status, 'completed', JSON.stringify(result.error));
  const body = JSON.parse(new TextDecoder().decode(result.body)) as { d: { results: { OrderID: string }[] } };
  assert.deepEqual(body.d.results.map((o) => o.OrderID), ['1', '2']);
  assert.equal(gw.stats().authentications, 1);
  assert.ok(gw.requests().every((r) => r.query['sap-client'] === '100'));
});
