import { test } from 'node:test';
import { assertConformance } from '@sessionflow/sdk/testing';
import adapter from '../src/index.js';

test('SDK conformance kit: session reuse, auth, faults with stable codes, no secrets (mdn: none against the generic backend)', async () => {
  // The kit's backend answers JSON, not MDNs: the receipt is switched off, everything else is the real adapter.
  await assertConformance(adapter, { configFor: () => ({ as2From: 'SENDER', as2To: 'PARTNER', mdn: 'none' }) });
});
