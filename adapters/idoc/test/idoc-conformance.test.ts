/**
 * The SDK's conformance kit on the idoc adapter. The kit's test backend answers JSON, so its
 * `answer` hook wraps each 2xx answer in a SOAP 1.1 envelope with an IDoc number, as the SAP
 * IDoc endpoint does (error statuses stay as they are). The step path is empty so that the
 * IDoc is posted to the kit's addresses instead of the default /sap/bc/srt/idoc.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { HttpResponse, OutboundMessage } from '@sessionflow/sdk';
import { assertConformance } from '@sessionflow/sdk/testing';
import { buildEnvelope } from '@sessionflow/adapter-soap';
import adapter from '../src/index.js';

const idoc = readFileSync(new URL('./fixtures/orders05.xml', import.meta.url));

const message = (): OutboundMessage => ({
  body: new Uint8Array(idoc),
  // Probe values the adapter must never send: cookies and credentials belong to the session client.
  headers: { Cookie: 'probe=conformance', Authorization: 'Bearer conformance-probe' },
  properties: {},
  contentType: 'application/xml',
});

test('SDK conformance kit: session reuse in every mode, auth, faults with stable codes, no secrets', async () => {
  const report = await assertConformance(adapter, {
    message,
    request: () => ({ path: '' }),
    answer: (res: HttpResponse): HttpResponse => {
      if (res.status < 200 || res.status > 299) return res;
      const envelope = buildEnvelope('1.1', '<idoc:IdocAssignResponse xmlns:idoc="urn:sap-com:document:sap:idoc:soap:messages"><DbId>0000000000424242</DbId></idoc:IdocAssignResponse>');
      return { ...res, headers: { ...res.headers, 'content-type': 'text/xml; charset=utf-8' }, body: new TextEncoder().encode(envelope) };
    },
  });
  for (const [name, mode] of [['session-none', 'none'], ['session-reuse', 'exchange'], ['session-reuse', 'flow'], ['auth:none', 'none'], ['auth:basic', 'none'], ['fault:status-500', 'none'], ['fault:reset', 'none']] as const) {
    assert.ok(report.checks.some((c) => c.name === name && c.mode === mode && c.ok && !c.skipped), `${name}/${mode} ran and passed`);
  }
});
