/** The successfactors adapter inside real flow runs against the SuccessFactors mock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdapterRegistry, FlowRunner, parseFlow, staticCredentials } from '@sessionflow/sdk';
import { startSuccessFactorsMock } from '@sessionflow/sdk/testing';
import adapter from '../src/index.js';

const credentials = staticCredentials({
  'sf-user': { type: 'basic', user: 'alice', password: 'alice-pw' },
  'sf-oauth': { type: 'oauth2', clientId: 'sf-client', clientSecret: 'sf-secret' },
});

test('flow: odata-v2 paging in the exchange session, rest and odata-v4 with bearer tokens and no cookies', async (t) => {
  const sf = await startSuccessFactorsMock();
  t.after(() => sf.close());
  const flow = `flow: sf-demo
formatVersion: 2
runtime:
  sessionHandling: onExchange
credentials:
  sf-user: { type: basic }
  sf-oauth: { type: oauth2-client-credentials }
receivers:
  sf-odata:
    adapter: successfactors
    variant: odata-v2
    address: ${sf.odataV2Url}
    auth: { type: basic, credential: sf-user }
    config:
      entitySet: User
  sf-rest:
    adapter: successfactors
    variant: rest
    address: ${sf.restUrl}
    auth: { type: oauth2-client-credentials, credential: sf-oauth, tokenUrl: ${sf.tokenUrl} }
  sf-v4:
    adapter: successfactors
    variant: odata-v4
    address: ${sf.odataV4Url}
    auth: { type: oauth2-client-credentials, credential: sf-oauth, tokenUrl: ${sf.tokenUrl} }
    config:
      entitySet: User
steps:
  - send: sf-odata
  - send: sf-odata
  - send: sf-rest
    method: GET
    path: jobs
  - send: sf-rest
    method: GET
    path: jobs
  - call: sf-v4
`;
  const doc = parseFlow(flow, { uri: 'file:///tmp/sf-demo.flow.yaml' });
  assert.deepEqual(doc.problems, []);
  const runner = await FlowRunner.create(doc, { registry: AdapterRegistry.fromDefinitions([adapter]), credentials });
  t.after(() => runner.close());
  const result = await runner.runExchange({});
  assert.equal(result.status, 'completed', JSON.stringify(result.error));
  const users = JSON.parse(new TextDecoder().decode(result.body)) as { value: unknown[] };
  assert.equal(users.value.length, 5);
  const s = sf.stats();
  assert.equal(s.odataV2Authentications, 1, 'one login for both OData V2 calls (6 requests)');
  assert.equal(s.invalidSkiptokens, 0);
  assert.equal(s.tokensIssued, 2, 'one cached token per receiver (sf-rest: two calls, sf-v4: one)');
  assert.equal(s.cookiesReceivedOnStatelessApis, 0, 'rest and odata-v4 never send cookies back');
  assert.ok(s.statelessRequests >= 5);
});
