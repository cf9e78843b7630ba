/**
 * The soap adapter inside a flow: parseFlow + FlowRunner against the SOAP mock, with the
 * flow's session handling deciding how often the backend sees credentials.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdapterRegistry, FlowRunner, FlowValidationError, parseFlow, staticCredentials } from '@sessionflow/sdk';
import { startSoapMock } from '@sessionflow/sdk/testing';
import adapter from '../src/index.js';

const ORDER = '<CreateOrder xmlns="urn:example:orders"><item>pen</item><quantity>3</quantity></CreateOrder>';

function flow(url: string, mode: string, steps: string): string {
  return `flow: soap-orders
formatVersion: 2
runtime:
  sessionHandling: ${mode}
credentials:
  alice-cred: { type: basic }
receivers:
  orders:
    adapter: soap
    variant: soap-1.2
    address: ${url}/orders
    auth: { type: basic, credential: alice-cred }
    config:
      soapAction: urn:example:orders/CreateOrder
  orders-rm:
    adapter: soap
    variant: sap-rm
    address: ${url}/rm
    auth: { type: basic, credential: alice-cred }
steps:
${steps}
`;
}

const STEPS = `  - id: create
    call: orders
  - id: check
    call: orders
  - id: notify
    send: orders-rm`;

async function runner(text: string): Promise<FlowRunner> {
  const doc = parseFlow(text, { uri: 'file:///tmp/soap-orders.flow.yaml' });
  assert.deepEqual(doc.problems.map((p) => p.message), []);
  return FlowRunner.create(doc, {
    registry: AdapterRegistry.fromDefinitions([adapter]),
    credentials: staticCredentials({ 'alice-cred': { type: 'basic', user: 'alice', password: 'alice-pw' } }),
  });
}

test('flow: onExchange shares one SOAP session per exchange; the Body content becomes the message body', async (t) => {
  const mock = await startSoapMock();
  t.after(() => mock.close());
  const r = await runner(flow(mock.url, 'onExchange', STEPS));
  t.after(() => r.close());
  const report = await r.run({ exchanges: 2, concurrency: 1, input: { body: ORDER, contentType: 'application/xml' } });
  assert.equal(report.succeeded, 2, JSON.stringify(report.errors));
  const result = report.results[0]!;
  assert.equal(new TextDecoder().decode(result.body), ORDER);
  assert.match(String(result.properties.sapMessageId), /^[0-9a-f-]{36}$/);
  const stats = mock.stats();
  assert.equal(stats.calls, 6);
  assert.equal(stats.oneWay, 2);
  assert.equal(stats.authentications, 2, 'one password check per exchange');
  assert.equal(stats.sessionsCreated, 2);
  assert.deepEqual(mock.calls().map((c) => c.version), ['1.2', '1.2', '1.1', '1.2', '1.2', '1.1']);
});

test('flow: a SOAP fault fails the exchange with SF_SOAP_FAULT and the reason', async (t) => {
  const mock = await startSoapMock({ faults: { CreateOrder: { code: 'Client', reason: 'unknown item pen' } } });
  t.after(() => mock.close());
  const r = await runner(flow(mock.url, 'none', STEPS));
  t.after(() => r.close());
  const result = await r.runExchange({ body: ORDER, contentType: 'application/xml' });
  assert.equal(result.status, 'failed');
  assert.equal(result.error?.code, 'SF_SOAP_FAULT');
  assert.equal(result.error?.stepId, 'create');
  assert.match(result.error?.message ?? '', /SOAP fault env:Sender — unknown item pen/);
  assert.equal(mock.stats().calls, 1, 'the flow stops at the failed step');
});

test('flow: a call on the one-way sap-rm variant is refused before any request', async (t) => {
  const mock = await startSoapMock();
  t.after(() => mock.close());
  await assert.rejects(runner(flow(mock.url, 'none', '  - id: notify\n    call: orders-rm')), (err: unknown) => {
    assert.ok(err instanceof FlowValidationError);
    assert.match(err.message, /does not support "call" steps \(supported: send\)/);
    return true;
  });
  assert.equal(mock.stats().requests, 0);
});
