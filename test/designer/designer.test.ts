// The designer webview in headless Chromium (no VS Code): rendering of the example flows,
// diagnostic badges and quick fixes, keyboard navigation, edits from the UI (checked as the
// `edit` request the host receives and the text the host's edit produces), and invalid YAML.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import {
  applyOp,
  clearPosted,
  fixture,
  harnessSkipReason,
  hostUpdate,
  openPage,
  posted,
  screenshot,
  send,
  startHarness,
  type Harness,
} from './harness.js';
import { inspectNode } from '../../extension/src/designer/core.js';
import { parseFlow } from '@sessionflow/sdk';
import type { EditRequestMessage, WebviewMessage } from '../../extension/webview/protocol.js';

const skip = harnessSkipReason();

async function lastEdit(page: Page): Promise<EditRequestMessage> {
  const edits = (await posted(page)).filter((m): m is EditRequestMessage => m.type === 'edit');
  assert.ok(edits.length > 0, 'the webview posted an edit request');
  return edits[edits.length - 1] as EditRequestMessage;
}

async function waitPosted(page: Page, type: WebviewMessage['type']): Promise<WebviewMessage[]> {
  await page.waitForFunction((t) => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === t), type, { timeout: 10_000 });
  return (await posted(page)).filter((m) => m.type === type);
}

async function box(page: Page, id: string): Promise<{ x: number; y: number; width: number; height: number }> {
  const b = await page.locator(`.node[data-id="${id}"] > rect.frame`).boundingBox();
  assert.ok(b, `node ${id} is rendered`);
  return b;
}

describe('designer webview (harness)', { skip }, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  test('renders sender, steps in order, nested split group, receiver, and call edges with session labels', async () => {
    const page = await openPage(h);
    const text = await fixture('csrf-splitter.flow.yaml');
    await send(page, await hostUpdate(text, 1));
    const ids = await page.$$eval('.node', (ns) => ns.map((n) => n.getAttribute('data-id')));
    assert.deepEqual(ids.sort(), ['receivers.receiver', 'sender', 'steps.0', 'steps.1', 'steps.1.split.steps.0'].sort());
    assert.equal(await page.getAttribute('.node[data-id="steps.1"]', 'class').then((c) => c?.includes('group')), true);
    assert.match((await page.textContent('.node[data-id="steps.0"]')) ?? '', /send · fetch-token/);
    assert.match((await page.textContent('.node[data-id="receivers.receiver"]')) ?? '', /http · auth: basic/);
    // Order: sender above the first step above the split; the item step inside the split group.
    const [s, a, g, inner, r] = await Promise.all(['sender', 'steps.0', 'steps.1', 'steps.1.split.steps.0', 'receivers.receiver'].map((id) => box(page, id)));
    assert.ok(s!.y < a!.y && a!.y < g!.y, 'steps are laid out in order');
    assert.ok(inner!.x >= g!.x && inner!.y >= g!.y && inner!.x + inner!.width <= g!.x + g!.width && inner!.y + inner!.height <= g!.y + g!.height, 'the split body is nested in its group');
    assert.ok(r!.x > g!.x + g!.width, 'receivers sit to the right of the flow');
    assert.equal(await page.locator('.lane').count(), 1);
    // Call edges with session behaviour: the priming call opens the session, the parallel items reuse it.
    assert.equal(await page.textContent('.session-label[data-from="steps.0"]'), 'send · new session');
    assert.equal(await page.textContent('.session-label[data-from="steps.1.split.steps.0"]'), 'call · reuses session');
    assert.equal(await page.locator('.call').count(), 2);
    assert.equal(await page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations?.length ?? 0), 0, 'no CSP violation');
    await screenshot(page, 'csrf-splitter.png');
    await page.close();
  });

  test('all example flows render every step, process and receiver', async () => {
    const page = await openPage(h);
    let version = 1;
    for (const name of ['pitfalls.flow.yaml', 'stateful-paging.flow.yaml', 'two-users.flow.yaml', 'high-load-stateless.flow.yaml']) {
      const text = await fixture(name);
      const upd = await hostUpdate(text, version++);
      await send(page, upd);
      const g = upd.graph!;
      const expected = new Set<string>([...g.receivers.map((r) => r.id), ...(g.sender ? ['sender'] : [])]);
      const addSteps = (steps: typeof g.steps): void => {
        for (const st of steps) {
          expected.add(st.id);
          for (const l of st.lanes ?? []) addSteps(l.steps);
        }
      };
      addSteps(g.steps);
      for (const p of g.processes) addSteps(p.steps);
      const ids = new Set(await page.$$eval('.node', (ns) => ns.map((n) => n.getAttribute('data-id') ?? '')));
      assert.deepEqual([...ids].sort(), [...expected].sort(), name);
      await screenshot(page, name.replace('.flow.yaml', '.png'));
    }
    await page.close();
  });

  test('diagnostics appear as badges on their nodes; clicking one shows the message and offers the quick fix', async () => {
    const page = await openPage(h);
    const text = await fixture('pitfalls.flow.yaml');
    const upd = await hostUpdate(text, 1);
    await send(page, upd);
    const unprimed = upd.diagnostics.find((d) => d.rule === 'session/unprimed-parallel');
    assert.ok(unprimed, 'the analysis reports session/unprimed-parallel on pitfalls');
    const badges = await page.$$eval('.badge', (bs) => bs.map((b) => b.getAttribute('data-badge')));
    assert.ok(badges.includes('steps.4'), `the split carries a badge (badges: ${badges.join(', ')})`);
    assert.ok(badges.includes('receivers.s4-cloud'), 'the oauth2 receiver carries a badge');
    assert.match((await page.getAttribute('.badge[data-badge="receivers.s4-cloud"]', 'class')) ?? '', /sev-(error|warning)/);
    await clearPosted(page);
    await page.click('.badge[data-badge="steps.4"]');
    await page.waitForSelector('.panel .problems .problem');
    const panelText = (await page.textContent('.panel .problems')) ?? '';
    assert.ok(panelText.includes(unprimed.message), 'the panel shows the diagnostic message');
    const requests = await waitPosted(page, 'requestQuickFixes');
    const req = requests.find((m) => m.type === 'requestQuickFixes' && m.diagnosticId === unprimed.id);
    assert.ok(req, 'the webview asks the host for the quick fixes of that diagnostic');
    await send(page, { type: 'quickFixes', diagnosticId: unprimed.id, fixes: [{ index: 0, title: 'Add a priming call before the split' }] });
    await page.click('.panel .quick-fix');
    const applied = (await waitPosted(page, 'applyQuickFix'))[0];
    assert.deepEqual(applied, { type: 'applyQuickFix', diagnosticId: unprimed.id, index: 0 });
    await screenshot(page, 'pitfalls-badge.png');
    await page.close();
  });

  test('keyboard: Tab focuses the first node, arrows move through nodes in document order, Enter reveals, → follows a call', async () => {
    const page = await openPage(h);
    const text = await fixture('csrf-splitter.flow.yaml');
    await send(page, await hostUpdate(text, 1));
    await page.focus('#add-receiver');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-id')), 'sender', 'Tab reaches the first node');
    await clearPosted(page);
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-id')), 'steps.0');
    const reveal = (await waitPosted(page, 'reveal'))[0];
    const doc = parseFlow(text);
    assert.deepEqual(reveal, { type: 'reveal', range: { start: doc.flow.steps[0]!.range.start, end: doc.flow.steps[0]!.range.end } });
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-id')), 'steps.1.split.steps.0', 'ArrowDown enters the split group');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-id')), 'receivers.receiver', 'ArrowRight follows the call edge');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.querySelectorAll('.node[tabindex="0"]').length), 1, 'one roving tab stop');
    await clearPosted(page);
    await page.keyboard.press('Delete');
    const del = await lastEdit(page);
    assert.deepEqual(del.op, { op: 'deleteStep', path: ['steps', 0] });
    await clearPosted(page);
    await page.keyboard.press('Alt+ArrowDown');
    assert.deepEqual((await lastEdit(page)).op, { op: 'moveStep', path: ['steps', 0], to: 1 });
    await screenshot(page, 'keyboard-focus.png');
    await page.close();
  });

  test('edits in the UI post typed edit requests; the host edit changes only the intended lines; the graph follows', async () => {
    const page = await openPage(h);
    let text = await fixture('csrf-splitter.flow.yaml');
    let version = 1;
    await send(page, await hostUpdate(text, version));

    // Delete a step with the panel button.
    await page.click('.node[data-id="steps.0"]');
    await clearPosted(page);
    await page.click('#delete-step');
    const del = await lastEdit(page);
    assert.deepEqual(del, { type: 'edit', version: 1, op: { op: 'deleteStep', path: ['steps', 0] } });
    const afterDelete = applyOp(text, del);
    assert.equal(
      afterDelete,
      text.replace("  - id: fetch-token               # `send`: the reply is dropped, the order stays the body\n    send: receiver\n    method: GET\n    headers: { X-CSRF-Token: Fetch }\n", ''),
    );
    text = afterDelete;
    await send(page, await hostUpdate(text, ++version));
    assert.equal(await page.locator('.node[data-id="steps.0"].group').count(), 1, 'the split is now the first step');
    assert.equal(await page.textContent('.session-label[data-from="steps.0.split.steps.0"]'), 'call · new session per item', 'without the priming call each parallel item opens a session');

    // Session mode from the toolbar.
    await clearPosted(page);
    await page.selectOption('#mode', 'onIntegrationFlow');
    const mode = await lastEdit(page);
    assert.deepEqual(mode.op, { op: 'setSessionMode', mode: 'onIntegrationFlow' });
    assert.equal(applyOp(text, mode), text.replace('sessionHandling: onExchange   #', 'sessionHandling: onIntegrationFlow   #'));

    // Add a receiver through the form.
    await page.click('#add-receiver');
    await page.fill('#new-receiver-name', 'crm');
    await page.fill('#new-receiver-address', 'https://crm.example.com/api');
    await clearPosted(page);
    await page.click('.add-receiver button[type=submit]');
    const add = await lastEdit(page);
    assert.equal(add.op.op, 'addReceiver');
    const withCrm = applyOp(text, add);
    assert.equal(withCrm, text.replace('    csrf: true\n', '    csrf: true\n  crm:\n    adapter: ' + (add.op.op === 'addReceiver' ? String(add.op.fields.adapter) : '') + '\n    address: https://crm.example.com/api\n    auth:\n      type: none\n'));
    text = withCrm;
    await send(page, await hostUpdate(text, ++version));
    assert.equal(await page.locator('.node[data-id="receivers.crm"]').count(), 1);

    // Connect the call to the new receiver with the generated property form.
    await page.click('.node[data-id="steps.0.split.steps.0"]');
    const inspect = (await waitPosted(page, 'inspect')).at(-1);
    assert.deepEqual(inspect, { type: 'inspect', nodeId: 'steps.0.split.steps.0', path: ['steps', 0, 'split', 'steps', 0], nodeKind: 'step' });
    const fields = inspectNode(parseFlow(text), ['steps', 0, 'split', 'steps', 0]);
    await send(page, { type: 'inspectResult', nodeId: 'steps.0.split.steps.0', fields });
    await clearPosted(page);
    await page.selectOption('select[data-path=\'["steps",0,"split","steps",0,"call"]\']', 'crm');
    const connect = await lastEdit(page);
    assert.deepEqual(connect.op, { op: 'setCallTarget', path: ['steps', 0, 'split', 'steps', 0], receiver: 'crm' });
    const connected = applyOp(text, connect);
    assert.equal(connected, text.replace('          call: receiver\n', '          call: crm\n'));
    await clearPosted(page);
    // The method is an enum in the flow schema: a select.
    await page.selectOption('select[data-path=\'["steps",0,"split","steps",0,"method"]\']', 'PUT');
    const method = await lastEdit(page);
    assert.deepEqual(method.op, { op: 'setField', path: ['steps', 0, 'split', 'steps', 0, 'method'], value: 'PUT' });
    assert.equal(applyOp(text, method), text.replace('          method: POST\n', '          method: PUT\n'));
    await clearPosted(page);
    await page.fill('input[data-path=\'["steps",0,"split","steps",0,"path"]\']', '/items/${property.id}');
    await page.press('input[data-path=\'["steps",0,"split","steps",0,"path"]\']', 'Enter');
    const pathEdit = await lastEdit(page);
    assert.deepEqual(pathEdit.op, { op: 'setField', path: ['steps', 0, 'split', 'steps', 0, 'path'], value: '/items/${property.id}' });
    assert.equal(applyOp(text, pathEdit), text.replace('          method: POST\n', '          method: POST\n          path: /items/${property.id}\n'));
    text = connected;
    await send(page, await hostUpdate(text, ++version));
    assert.equal(await page.locator('.call[data-from="steps.0.split.steps.0"][data-to="receivers.crm"]').count(), 1, 'the call edge now points at crm');

    // Add a step after the split, then wrap two steps in a split.
    await page.click('.node[data-id="steps.0"]', { position: { x: 30, y: 10 } });
    await page.click('#add-after');
    await page.selectOption('#new-step-kind', 'send');
    await page.selectOption('#new-step-target', 'crm');
    await page.fill('#new-step-id', 'notify');
    await clearPosted(page);
    await page.click('.add-step button[type=submit]');
    const addStep = await lastEdit(page);
    assert.deepEqual(addStep.op, { op: 'addStep', list: ['steps'], index: 1, step: { id: 'notify', send: 'crm' } });
    text = applyOp(text, addStep);
    assert.ok(text.endsWith('          method: POST\n  - id: notify\n    send: crm\n'));
    await send(page, await hostUpdate(text, ++version));
    await page.click('.node[data-id="steps.0"]', { position: { x: 30, y: 10 } });
    await page.click('.node[data-id="steps.1"]', { modifiers: ['Shift'] });
    await page.click('#wrap');
    await page.fill('#split-path', '$.orders');
    await clearPosted(page);
    await page.click('.wrap-form button[type=submit]');
    const wrap = await lastEdit(page);
    assert.deepEqual(wrap.op, { op: 'wrapInSplit', list: ['steps'], from: 0, to: 1, split: { path: '$.orders' } });
    text = applyOp(text, wrap);
    await send(page, await hostUpdate(text, ++version));
    assert.equal(await page.locator('.node[data-id="steps.0.split.steps.0.split.steps.0"]').count(), 1, 'the wrapped steps are nested one level deeper');
    const original = await fixture('csrf-splitter.flow.yaml');
    for (const line of original.split('\n').filter((l) => l.includes('#') && !l.includes('fetch-token'))) {
      assert.ok(text.includes(line.trim()), `the comment line ${JSON.stringify(line.trim())} survived every edit`);
    }
    await screenshot(page, 'after-edits.png');
    await page.close();
  });

  test('invalid YAML keeps the last good graph and shows the parse error; editing is paused', async () => {
    const page = await openPage(h);
    const text = await fixture('stateful-paging.flow.yaml');
    await send(page, await hostUpdate(text, 1));
    const before = await page.locator('.node').count();
    const broken = text.replace('  - id: forward\n', '  - id: forward\n   bad: [unclosed\n');
    const upd = await hostUpdate(broken, 2);
    assert.equal(upd.graph, null);
    await send(page, upd);
    assert.equal(await page.isVisible('.banner'), true);
    assert.match((await page.textContent('.banner')) ?? '', /YAML error at line \d+, column \d+: .+ showing the last valid graph/);
    assert.equal(await page.locator('.node').count(), before, 'the last good graph stays on the canvas');
    assert.equal(await page.isDisabled('#mode'), true, 'no edits while the text does not parse');
    await screenshot(page, 'invalid-yaml.png');
    await send(page, await hostUpdate(text, 3));
    assert.equal(await page.isVisible('.banner'), false);
    await page.close();
  });

  test('invalid YAML on first load: the error, no crash', async () => {
    const page = await openPage(h);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await send(page, await hostUpdate('flow: x\nsteps: [\n', 1));
    assert.equal(await page.isVisible('.banner'), true);
    assert.equal(await page.locator('.node').count(), 0);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
