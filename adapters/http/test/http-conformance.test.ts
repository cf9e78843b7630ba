import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertConformance } from '@sessionflow/sdk/testing';
import adapter from '../src/index.js';

test('SDK conformance kit: session reuse in every mode, CSRF, auth types, faults with stable codes, no secrets', async () => {
  // forwardHeaders "*": the kit's message carries probe Cookie and Authorization headers, which must still never be sent.
  const report = await assertConformance(adapter, { configFor: () => ({ forwardHeaders: ['*'] }) });
  const ran = (name: string, mode?: string) => report.checks.some((c) => c.name === name && (mode === undefined || c.mode === mode) && c.ok && !c.skipped);
  for (const mode of ['none', 'exchange', 'flow']) assert.ok(ran(mode === 'none' ? 'session-none' : 'session-reuse', mode), `session check in mode ${mode} ran`);
  for (const name of ['csrf', 'auth:none', 'auth:basic', 'auth:oauth2-client-credentials', 'fault:status-500', 'fault:reset', 'no-manual-session-headers']) {
    assert.ok(ran(name), `${name} ran and passed`);
  }
});
