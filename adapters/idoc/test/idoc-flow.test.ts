/**
 * The idoc adapter inside a flow: parseFlow + FlowRunner against the IDoc inbound mock.
 * The IDoc numbers reach the exchange as the property idocNumbers, usable in expressions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AdapterRegistry, FlowRunner, parseFlow, staticCredentials } from '@sessionflow/sdk';
import { startIdocMock } from '@sessionflow/sdk/testing';
import adapter from '../src/index.js';

const ORDERS05 = readFileSync(new URL('./fixtures/orders05.xml', import.meta.url), 'utf8');

async function runner(url: string, sapClient: string): Promise<FlowRunner> {
  const text = `flow: idoc-orders
formatVersion: 2
runtime:
  sessionHandling: onIntegrationFlow
credentials:
  s4-cred: { type: basic }
receivers:
  s4:
    adapter: idoc
    address: ${url}
    auth: { type: basic, credential: s4-cred }
    config:
      sapClient: "${sapClient}"
steps:
  - id: post
    send: s4
  - id: remember
    set:
      headers:
        X-IDoc-Numbers: \${property.idocNumbers}
`;
  const doc = parseFlow(text, { uri: 'file:///tmp/idoc-orders.flow.yaml' });
  assert.deepEqual(doc.problems.map((p) => p.message), []);
  return FlowRunner.create(doc, {
    registry: AdapterRegistry.fromDefinitions([adapter]),
    credentials: staticCredentials({ 's4-cred': { type: 'basic', user: 'alice', password: 'alice-pw' } }),
  });
}

test('flow: three exchanges post three IDocs in one flow-wide session; numbers in the property idocNumbers', async (t) => {
  const mock = await startIdocMock({ firstIdocNumber: 500 });
  t.after(() => mock.close());
  const r = await runner(mock.url, '100');
  t.after(() => r.close());
  const report = await r.run({ exchanges: 3, concurrency: 1, input: { body: ORDERS05, contentType: 'application/xml' } });
  assert.equal(report.succeeded, 3, JSON.stringify(report.errors));
  assert.deepEqual(report.results.map((x) => x.properties.idocNumbers), [['0000000000000500'], ['0000000000000501'], ['0000000000000502']]);
  // send keeps the message body; the expression saw the property.
  assert.equal(new TextDecoder().decode(report.results[0]!.body), ORDERS05);
  assert.match(report.results[1]!.headers['X-IDoc-Numbers'] ?? report.results[1]!.headers['x-idoc-numbers'] ?? '', /0000000000000501/);
  const stats = mock.stats();
  assert.equal(stats.idocs, 3);
  assert.equal(stats.authentications, 1);
  assert.equal(stats.sessionsCreated, 1);
});

test('flow: a posting fault fails the exchange with the SOAP fault', async (t) => {
  const mock = await startIdocMock();
  t.after(() => mock.close());
  const r = await runner(mock.url, '999');
  t.after(() => r.close());
  const result = await r.runExchange({ body: ORDERS05, contentType: 'application/xml' });
  assert.equal(result.status, 'failed');
  assert.equal(result.error?.code, 'SF_SOAP_FAULT');
  assert.match(result.error?.message ?? '', /client "999" does not exist/);
});
