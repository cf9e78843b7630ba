/**
 * The SDK's conformance kit on the xi adapter. The kit's test backend answers JSON, so its
 * `answer` hook turns each 2xx answer into a SOAP 1.1 envelope without payload (an XI
 * acknowledgement); error statuses stay as they are. Both qualities of service are checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpResponse, OutboundMessage } from '@sessionflow/sdk';
import { assertConformance } from '@sessionflow/sdk/testing';
import { buildEnvelope } from '@sessionflow/adapter-soap';
import adapter from '../src/index.js';

const message = (): OutboundMessage => ({
  body: new TextEncoder().encode('<Order xmlns="urn:conformance"><id>1</id></Order>'),
  // Probe values the adapter must never send: cookies and credentials belong to the session client.
  headers: { Cookie: 'probe=conformance', Authorization: 'Bearer conformance-probe' },
  properties: {},
  contentType: 'application/xml',
});

test('SDK conformance kit: xi-be and xi-eo, session reuse in every mode, auth, faults, no secrets', async () => {
  const report = await assertConformance(adapter, {
    message,
    configFor: () => ({ senderService: 'CONFORMANCE', interface: 'Order_Out', interfaceNamespace: 'urn:conformance' }),
    answer: (res: HttpResponse): HttpResponse => {
      if (res.status < 200 || res.status > 299) return res;
      return { ...res, headers: { ...res.headers, 'content-type': 'text/xml; charset=utf-8' }, body: new TextEncoder().encode(buildEnvelope('1.1', '')) };
    },
  });
  for (const variant of ['xi-be', 'xi-eo']) {
    for (const [name, mode] of [['session-none', 'none'], ['session-reuse', 'exchange'], ['session-reuse', 'flow'], ['auth:basic', 'none'], ['fault:status-500', 'none'], ['fault:reset', 'none']] as const) {
      assert.ok(report.checks.some((c) => c.variant === variant && c.name === name && c.mode === mode && c.ok && !c.skipped), `${variant}: ${name}/${mode} ran and passed`);
    }
  }
});
