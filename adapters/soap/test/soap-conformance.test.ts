/**
 * The SDK's conformance kit on the soap adapter. The kit's test backend answers JSON, so its
 * `answer` hook wraps each 2xx answer in a SOAP envelope of the variant's version (error
 * statuses stay as they are: a SOAP stack without a fault body). Sessions, credentials and
 * faults are the backend's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpResponse, OutboundMessage } from '@sessionflow/sdk';
import { assertConformance } from '@sessionflow/sdk/testing';
import adapter, { buildEnvelope, escapeText } from '../src/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

const message = (): OutboundMessage => ({
  body: enc.encode('<Ping xmlns="urn:conformance"><n>1</n></Ping>'),
  // Probe values the adapter must never send: cookies and credentials belong to the session client.
  headers: { Cookie: 'probe=conformance', Authorization: 'Bearer conformance-probe' },
  properties: {},
  contentType: 'application/xml',
});

test('SDK conformance kit: every variant (soap-1.1, soap-1.2, sap-rm), session reuse, auth, faults, no secrets', async () => {
  const report = await assertConformance(adapter, {
    message,
    answer: (res: HttpResponse, { variant }): HttpResponse => {
      if (res.status < 200 || res.status > 299) return res;
      const version = variant.id === 'soap-1.2' ? '1.2' : '1.1';
      const envelope = buildEnvelope(version, `<Echo xmlns="urn:conformance">${escapeText(dec.decode(res.body))}</Echo>`);
      const contentType = version === '1.1' ? 'text/xml; charset=utf-8' : 'application/soap+xml; charset=utf-8';
      return { ...res, headers: { ...res.headers, 'content-type': contentType }, body: enc.encode(envelope) };
    },
  });
  for (const variant of ['soap-1.1', 'soap-1.2', 'sap-rm']) {
    for (const [name, mode] of [['session-none', 'none'], ['session-reuse', 'exchange'], ['session-reuse', 'flow'], ['auth:basic', 'none'], ['fault:status-500', 'none'], ['fault:reset', 'none']] as const) {
      assert.ok(report.checks.some((c) => c.variant === variant && c.name === name && c.mode === mode && c.ok && !c.skipped), `${variant}: ${name}/${mode} ran and passed`);
    }
  }
});
