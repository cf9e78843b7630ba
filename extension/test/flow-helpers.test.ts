/**
 * The extension's VS Code-free pieces: New Flow templates (valid flows without warnings),
 * flow id validation, which credentials a run asks for, and the session-mode status text.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { AdapterRegistry, parseFlow } from '@sessionflow/sdk';
import { analyze } from '@sessionflow/language-server';
import { FLOW_TEMPLATES, validateFlowId } from '../src/templates.js';
import { credentialNeeds, runtimeType } from '../src/flowCredentials.js';
import { describeSessionMode } from '../src/sessionMode.js';

const repoRoot = resolve(import.meta.dirname, '../..');

describe('New Flow templates', () => {
  it('each renders a format-2 flow that parses cleanly and has no warning or error', async () => {
    const adapters = await AdapterRegistry.load({ projectDir: repoRoot });
    assert.ok(FLOW_TEMPLATES.length >= 3);
    for (const template of FLOW_TEMPLATES) {
      const text = template.render('my-flow');
      const doc = parseFlow(text);
      assert.deepEqual(doc.problems, [], `${template.label}: parse problems`);
      assert.equal(doc.flow.id?.value, 'my-flow');
      assert.equal(doc.isLegacy, false);
      const serious = analyze(doc, { adapters }).filter((d) => d.severity === 'error' || d.severity === 'warning');
      assert.deepEqual(serious.map((d) => `${d.rule}: ${d.message}`), [], `${template.label}: diagnostics`);
    }
  });

  it('validates flow ids like the format does', () => {
    assert.equal(validateFlowId('orders-to-erp'), undefined);
    assert.equal(validateFlowId('a1'), undefined);
    assert.match(validateFlowId('') ?? '', /empty/);
    assert.match(validateFlowId('Orders') ?? '', /lowercase/);
    assert.match(validateFlowId('-x') ?? '', /lowercase/);
    assert.match(validateFlowId('a b') ?? '', /lowercase/);
  });
});

describe('credentialNeeds', () => {
  it('lists declared credentials that receivers use, with the runtime type to ask for', () => {
    const doc = parseFlow(`flow: f
formatVersion: 2
credentials:
  erp-user: { type: basic }
  s4: { type: oauth2-client-credentials }
  cert: { type: client-certificate }
  unused: { type: basic }
receivers:
  erp: { adapter: http, address: "https://erp.example.com", auth: { type: basic, credential: erp-user } }
  erp2: { adapter: http, address: "https://erp2.example.com", auth: { type: basic, credential: erp-user } }
  s4: { adapter: http, address: "https://s4.example.com", auth: { type: oauth2-client-credentials, credential: s4, tokenUrl: "https://s4.example.com/token" } }
  dyn: { adapter: http, address: "https://d.example.com", auth: { type: basic, user: "\${header.u}", password: "\${header.p}" } }
  mtls: { adapter: http, address: "https://m.example.com", auth: { type: client-certificate, credential: cert } }
steps:
  - call: erp
`);
    const needs = credentialNeeds(doc);
    assert.deepEqual(
      needs.map((n) => [n.name, n.declaredType, n.receivers, runtimeType(n.declaredType)]),
      [
        ['erp-user', 'basic', ['erp', 'erp2'], 'basic'],
        ['s4', 'oauth2-client-credentials', ['s4'], 'oauth2'],
        ['cert', 'client-certificate', ['mtls'], 'client-certificate'],
      ],
    );
  });
});

describe('describeSessionMode', () => {
  it('shows the mode from the text, legacy flows as none, and flags an unknown value', () => {
    assert.equal(describeSessionMode(parseFlow('flow: a\nformatVersion: 2\nruntime:\n  sessionHandling: onExchange\n')).text, 'onExchange');
    const missing = describeSessionMode(parseFlow('flow: a\nformatVersion: 2\n'));
    assert.equal(missing.text, 'none');
    assert.equal(missing.offset, undefined);
    assert.equal(describeSessionMode(parseFlow('flow: a\n')).text, 'none (legacy flow)');
    const text = 'flow: a\nformatVersion: 2\nruntime:\n  sessionHandling: sometimes\n';
    const bad = describeSessionMode(parseFlow(text));
    assert.equal(bad.text, 'sometimes?');
    assert.equal(bad.offset, text.indexOf('sometimes'));
  });
});
