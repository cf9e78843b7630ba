/**
 * The SDK's conformance kit on the odc adapter. The kit's test backend answers plain JSON, so
 * its `answer` hook wraps each 2xx answer in an OData V2 collection; error statuses stay as
 * they are. The adapter builds the Gateway service URL itself (<address>/sap/opu/odata/SAP/
 * <service>/), so for the kit's fault and no-auth endpoints the resource path climbs back to the
 * backend's root (resolved like a link, on the receiver's origin). The variant claims no CSRF
 * support (the adapter fetches write tokens itself), so the kit's CSRF check does not apply.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpResponse } from '@sessionflow/sdk';
import { assertConformance, type ConformancePurpose } from '@sessionflow/sdk/testing';
import adapter from '../src/index.js';

const UP = '../../../../../'; // from /sap/opu/odata/SAP/ZCONF_SRV/ to /
const RESOURCE: Partial<Record<ConformancePurpose, string>> = {
  'auth-none': `${UP}_fault/status/200`,
  'fault-status': `${UP}_fault/status/500`,
  'fault-reset': `${UP}_fault/reset`,
};

test('SDK conformance kit: session reuse in every mode, basic auth, faults with stable codes, no secrets', async () => {
  const report = await assertConformance(adapter, {
    configFor: () => ({ client: '100', serviceName: 'ZCONF_SRV', entitySet: 'Items' }),
    address: (url, purpose) => (RESOURCE[purpose] ? url : `${url}/conformance/${purpose}`),
    request: (purpose) => (RESOURCE[purpose] ? { path: RESOURCE[purpose] } : {}),
    answer: (res: HttpResponse): HttpResponse => {
      if (res.status < 200 || res.status > 299) return res;
      const body = { d: { results: [JSON.parse(new TextDecoder().decode(res.body)) as unknown] } };
      return { ...res, headers: { ...res.headers, 'content-type': 'application/json' }, body: new TextEncoder().encode(JSON.stringify(body)) };
    },
  });
  for (const [name, mode] of [['session-none', 'none'], ['session-reuse', 'exchange'], ['session-reuse', 'flow'], ['auth:basic', 'none'], ['fault:status-500', 'none'], ['fault:reset', 'none']] as const) {
    assert.ok(report.checks.some((c) => c.name === name && c.mode === mode && c.ok && !c.skipped), `${name}/${mode} ran and passed`);
  }
});
