/**
 * The xi adapter inside a flow: parseFlow + FlowRunner against the XI inbound mock, a
 * BestEffort call followed by an ExactlyOnce send in one exchange session.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdapterRegistry, FlowRunner, FlowValidationError, parseFlow, staticCredentials } from '@sessionflow/sdk';
import { startXiMock } from '@sessionflow/sdk/testing';
import adapter from '../src/index.js';

const ORDER = '<ns0:SalesOrder xmlns:ns0="urn:example:sd"><Item>pen</Item></ns0:SalesOrder>';

function flow(endpoint: string, steps: string): string {
  const receiver = (variant: string, iface: string) => `    adapter: xi
    variant: ${variant}
    address: ${endpoint}
    auth: { type: basic, credential: pi-cred }
    config:
      senderService: BS_CPI
      receiverService: S4H_100
      interface: ${iface}
      interfaceNamespace: urn:example:sd`;
  return `flow: xi-orders
formatVersion: 2
runtime:
  sessionHandling: onExchange
credentials:
  pi-cred: { type: basic }
receivers:
  check:
${receiver('xi-be', 'SalesOrderCheck_In')}
  post:
${receiver('xi-eo', 'SalesOrderCreate_In')}
steps:
${steps}
`;
}

async function runner(text: string): Promise<FlowRunner> {
  const doc = parseFlow(text, { uri: 'file:///tmp/xi-orders.flow.yaml' });
  assert.deepEqual(doc.problems.map((p) => p.message), []);
  return FlowRunner.create(doc, {
    registry: AdapterRegistry.fromDefinitions([adapter]),
    credentials: staticCredentials({ 'pi-cred': { type: 'basic', user: 'alice', password: 'alice-pw' } }),
  });
}

test('flow: BE call then EO send in one session; the BE response payload becomes the body', async (t) => {
  const mock = await startXiMock({
    handlers: { SalesOrderCheck_In: (m) => ({ payload: `<Checked>${m.payload.toString('utf8')}</Checked>` }) },
  });
  t.after(() => mock.close());
  const r = await runner(flow(mock.endpoint, '  - id: check\n    call: check\n  - id: post\n    send: post'));
  t.after(() => r.close());
  const result = await r.runExchange({ body: ORDER, contentType: 'application/xml' });
  assert.equal(result.status, 'completed', JSON.stringify(result.error));
  assert.equal(new TextDecoder().decode(result.body), `<Checked>${ORDER}</Checked>`);
  const messages = mock.messages();
  assert.deepEqual(messages.map((m) => [m.interface, m.qualityOfService]), [
    ['SalesOrderCheck_In', 'BestEffort'],
    ['SalesOrderCreate_In', 'ExactlyOnce'],
  ]);
  // The EO message carries the BE answer (the message body after the call).
  assert.equal(messages[1]?.payload.toString('utf8'), `<Checked>${ORDER}</Checked>`);
  assert.equal(result.properties.xiQualityOfService, 'ExactlyOnce');
  assert.equal(mock.stats().authentications, 1);
});

test('flow: a call on the ExactlyOnce variant is refused before any request', async (t) => {
  const mock = await startXiMock();
  t.after(() => mock.close());
  await assert.rejects(runner(flow(mock.endpoint, '  - id: post\n    call: post')), (err: unknown) => {
    assert.ok(err instanceof FlowValidationError);
    assert.match(err.message, /xi xi-eo\) does not support "call" steps \(supported: send\)/);
    return true;
  });
  assert.equal(mock.stats().requests, 0);
});
