/**
 * The VS Code extension end to end, in a real VS Code (code-server 4.139 = VS Code 1.139)
 * driven by playwright-core and Debian's Chromium.
 *
 * It packages the .vsix (esbuild + vsce), installs it into a fresh extensions dir, opens a temp
 * workspace with a flow full of session traps and a runnable flow aimed at the SDK's test
 * backend, and checks what a user sees: the Problems panel with rule names, a quick fix
 * applied with Ctrl+., completion of receivers and session modes, a hover that explains a
 * rule, and "Sessionflow: Run Flow" printing the message processing log and the session
 * summary, with the credential typed into the secret prompt (and never written anywhere).
 *
 * Needs `bash test/scripts/setup-e2e.sh` (Node 24, code-server, Chromium). Without it the test
 * is skipped locally and fails with CI=true. Screenshots: test/e2e/.artifacts/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestBackend, type TestBackend } from '@sessionflow/sdk/testing';
import type { BrowserContext } from 'playwright-core';
import { e2eSkipReason, locateInfra, artifactsDir } from './support/infra.js';
import {
  findFiles,
  installExtension,
  outputChannelText,
  packageVsix,
  prepareDirs,
  startCodeServer,
  type CodeServer,
  type CodeServerDirs,
} from './support/codeServer.js';
import { launchBrowser, until, Workbench } from './support/workbench.js';

let skipReason: string | undefined;
let infraError: unknown;
try {
  skipReason = e2eSkipReason();
} catch (err) {
  infraError = err;
}

const PASSWORD = 'alice-pw';

function trapsFlow(backendUrl: string): string {
  const other = backendUrl.replace('127.0.0.1', 'localhost');
  return `# Session traps for the end-to-end test.
flow: traps
formatVersion: 2

runtime:
  sessionHandling: onIntegrationFlow

sender:
  adapter: http
  path: /traps

credentials:
  erp-user: { type: basic }

receivers:
  erp:
    adapter: http
    address: ${backendUrl}/api/items
    auth: { type: basic, credential: erp-user }
    csrf: true
  crm:
    adapter: http
    address: ${other}/crm
    auth: { type: basic, credential: erp-user }

steps:
  - id: read
    call: erp
    method: GET
    headers: { Cookie: "JSESSIONID=\${property.sid}" }
  - id: fan-out
    split:
      path: $.items
      parallel: true
      steps:
        - id: post-item
          call: crm
          method: POST
  - id: notify
    call: erp2
`;
}

function runFlowText(backendUrl: string): string {
  return `# A CSRF-protected backend, primed once before a parallel split.
flow: orders
formatVersion: 2

runtime:
  sessionHandling: onExchange
  log: debug

sender:
  adapter: http
  path: /orders

credentials:
  erp-user: { type: basic }

receivers:
  erp:
    adapter: http
    address: ${backendUrl}/api/items
    auth: { type: basic, credential: erp-user }
    csrf: true

steps:
  - id: prime
    send: erp
    method: GET
    headers: { X-CSRF-Token: Fetch }
  - id: items
    split:
      path: $.items
      parallel: true
      steps:
        - id: post-item
          call: erp
          method: POST
`;
}

const LEGACY_FLOW = `# A flow written before session handling existed.
flow: legacy-report
sender:
  adapter: http
  path: /report
receivers:
  hr:
    adapter: http
    address: https://hr.example.com/api
steps:
  - call: hr
`;

/** Receivers using an adapter from a workspace adapter package (acme) and a typo of it. */
const CUSTOM_FLOW = `flow: custom
formatVersion: 2
runtime:
  sessionHandling: none
receivers:
  crm:
    adapter: acme
    address: https://crm.example.com/api
  typo:
    adapter: acmee
    address: https://crm.example.com/api
steps:
  - call: crm
  - call: typo
`;

/** A third-party adapter package in the workspace's node_modules, found by the registry's discovery. */
function writeAcmeAdapter(workspace: string, bundledSdk: string): void {
  const dir = join(workspace, 'node_modules/acme-adapter');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'acme-adapter',
      version: '1.0.0',
      type: 'module',
      keywords: ['sessionflow-adapter'],
      sessionflow: { apiVersion: 1, adapters: ['./index.js'] },
    }),
  );
  writeFileSync(
    join(dir, 'index.js'),
    `import { defineAdapter } from '@sessionflow/sdk';
export default defineAdapter({
  id: 'acme', displayName: 'ACME CRM', version: '1.0.0', apiVersion: 1,
  variants: [{ id: 'rest', direction: 'receiver', stepKinds: ['call', 'send'], sessionReuse: 'supported', csrf: false,
    auth: [{ type: 'none' }, { type: 'basic' }], parallelSafe: true, streaming: false }],
  configSchema: { type: 'object', properties: {}, additionalProperties: false },
  async send(message, context) {
    const res = await context.http.request({ method: context.step.method ?? 'POST', url: context.receiver.address, body: message.body });
    return { status: res.status, headers: res.headers, body: res.body };
  },
});
`,
  );
  // The project's own SDK install; here the copy bundled in the installed extension.
  mkdirSync(join(workspace, 'node_modules/@sessionflow'), { recursive: true });
  symlinkSync(bundledSdk, join(workspace, 'node_modules/@sessionflow/sdk'), 'dir');
}

/** 1-based line of the first line containing `needle`. */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `fixture has no line containing ${needle}`);
  return i + 1;
}

describe('VS Code extension end to end (code-server + Chromium)', { skip: skipReason ?? false, timeout: 420_000 }, () => {
  let root: string;
  let dirs: CodeServerDirs;
  let server: CodeServer | undefined;
  let browser: BrowserContext | undefined;
  let backend: TestBackend | undefined;
  let wb: Workbench;
  let workspace: string;
  let traps: string;
  /** The traps flow as saved after the quick fix. */
  let current = '';
  const figures: Record<string, string> = {};

  const output = (): string => outputChannelText(dirs, 'Sessionflow');

  /** A test step that leaves a screenshot and the extension's output behind when it fails. */
  const step = (name: string, fn: () => Promise<void>): void => {
    it(name, async () => {
      try {
        await fn();
      } catch (err) {
        const slug = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40).toLowerCase();
        await wb?.screenshot(`FAILED-${slug}`).catch(() => undefined);
        console.log(`--- Sessionflow output at the failure of "${name}":\n${dirs ? output().slice(-3000) : ''}`);
        throw err;
      }
    });
  };

  before(async () => {
    if (infraError !== undefined) throw infraError;
    const { infra } = locateInfra();
    root = mkdtempSync(join(tmpdir(), 'sessionflow-e2e-'));
    rmSync(artifactsDir, { recursive: true, force: true });
    mkdirSync(artifactsDir, { recursive: true });
    backend = await startTestBackend();

    const t0 = performance.now();
    const vsix = await packageVsix(root);
    figures['vsix size'] = `${(statSync(vsix).size / 1024).toFixed(0)} KiB`;
    figures['build + package'] = `${(performance.now() - t0).toFixed(0)} ms`;

    dirs = prepareDirs(root, {
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      'chat.disableAIFeatures': true,
      'extensions.ignoreRecommendations': true,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'window.restoreWindows': 'none',
      'editor.hover.delay': 300,
      'editor.minimap.enabled': false,
      'files.autoSave': 'off',
    });
    const installed = await installExtension(infra, dirs, vsix);

    workspace = join(root, 'workspace');
    mkdirSync(workspace);
    traps = trapsFlow(backend.url);
    writeFileSync(join(workspace, 'traps.flow.yaml'), traps);
    writeFileSync(join(workspace, 'orders.flow.yaml'), runFlowText(backend.url));
    writeFileSync(join(workspace, 'orders.sample.json'), JSON.stringify({ items: [{ sku: 'a' }, { sku: 'b' }, { sku: 'c' }] }));
    writeFileSync(join(workspace, 'legacy.flow.yaml'), LEGACY_FLOW);
    writeFileSync(join(workspace, 'custom.flow.yaml'), CUSTOM_FLOW);
    writeAcmeAdapter(workspace, join(installed, 'dist/node_modules/@sessionflow/sdk'));

    server = await startCodeServer(infra, dirs);
    browser = await launchBrowser(join(root, 'chromium'), infra.chromium);
    const page = browser.pages()[0] ?? (await browser.newPage());
    wb = new Workbench(page, artifactsDir);
    const t1 = performance.now();
    await wb.open(server.url, workspace);
    figures['workbench ready'] = `${(performance.now() - t1).toFixed(0)} ms`;
    await wb.screenshot('workbench');
  });

  after(async () => {
    try {
      if (browser !== undefined) await browser.close().catch(() => undefined);
      if (server !== undefined) await server.stop();
      if (backend !== undefined) await backend.close();
    } finally {
      console.log('\nVS Code end-to-end figures:');
      for (const [k, v] of Object.entries(figures)) console.log(`  ${k}: ${v}`);
      if (root !== undefined && process.env.SESSIONFLOW_E2E_KEEP !== '1') rmSync(root, { recursive: true, force: true });
    }
  });

  step('activates on a flow file and the Problems panel lists the session traps with rule names', async () => {
    const opened = performance.now();
    await wb.quickOpen('traps.flow.yaml');
    // First diagnostics as the user sees them: a squiggle in the editor.
    await wb.activeEditor().locator('.squiggly-warning, .squiggly-error').first().waitFor({ timeout: 60_000 });
    figures['open flow → first squiggle (UI)'] = `${(performance.now() - opened).toFixed(0)} ms`;
    await wb.openProblems();
    const expected = ['session/csrf-flow-scope', 'session/manual-cookie-header', 'session/unprimed-parallel', 'flow/unknown-receiver'];
    const rows = await until('all expected problems', async () => {
      const r = await wb.problemRows();
      return expected.every((rule) => r.some((row) => row.includes(rule))) ? r : undefined;
    }, 30_000).catch(async (err: unknown) => {
      await wb.screenshot('problems-missing');
      throw new Error(`${(err as Error).message}; rows: ${JSON.stringify(await wb.problemRows())}`);
    });
    await wb.screenshot('problems-panel');
    assert.ok(rows.some((r) => r.includes('session/csrf-flow-scope') && /warning/i.test(r)), 'csrf-flow-scope is a warning');
    assert.ok(rows.some((r) => r.includes('flow/unknown-receiver') && /error/i.test(r)), 'unknown-receiver is an error');
    const counts = await wb.statusProblemCounts();
    assert.ok(counts !== undefined && counts[0] >= 1 && counts[1] >= 3, `status bar problem counts: ${JSON.stringify(counts)}`);

    const log = await until('activation line in the Sessionflow output', async () => {
      const text = output();
      return /language client ready (\d+) ms/.test(text) && /first diagnostics for traps\.flow\.yaml/.test(text) ? text : undefined;
    }, 30_000);
    figures['activation (activate() → client ready)'] = `${/language client ready (\d+) ms/.exec(log)![1]} ms`;
    figures['didOpen → first diagnostics (extension)'] = `${/first diagnostics for traps\.flow\.yaml: \d+ after (\d+) ms/.exec(log)![1]} ms`;

    // The status bar shows the flow's session mode, read from the text.
    await until('session mode status item', async () => (await wb.page.locator('.statusbar-item', { hasText: 'Session: onIntegrationFlow' }).count()) > 0, 15_000);
  });

  step('applies a quick fix with Ctrl+. and the warning goes away', async () => {
    const line = lineOf(traps, 'Cookie:');
    await wb.goTo(line, 17);
    await wb.page.keyboard.press('Control+.');
    const action = wb.page.locator('.action-widget .monaco-list-row', { hasText: 'Remove the Cookie header' }).first();
    await action.waitFor({ timeout: 15_000 });
    await wb.screenshot('quick-fix-menu');
    await action.click();
    await until('Cookie header removed from the text', async () => !(await wb.visibleLines()).some((l) => l.includes('Cookie')), 10_000);
    // Save, so the exact edit can be checked on disk.
    await wb.page.keyboard.press('Control+S');
    const file = join(workspace, 'traps.flow.yaml');
    current = await until('saved file without the Cookie header', async () => {
      const t = readFileSync(file, 'utf8');
      return t.includes('Cookie') ? undefined : t;
    }, 10_000);
    assert.match(current, /- id: read\n {4}call: erp\n {4}method: GET\n/, 'the rest of the step is intact');
    assert.ok(current.startsWith('# Session traps'), 'the comment survives the edit');
    await until('manual-cookie-header gone from Problems', async () => {
      const rows = await wb.problemRows();
      return rows.some((r) => r.includes('session/csrf-flow-scope')) && !rows.some((r) => r.includes('session/manual-cookie-header'));
    }, 20_000);
    await wb.screenshot('after-quick-fix');
  });

  step('completes receiver names and session modes', async () => {
    const text = current;
    // Receivers: the value of `call: crm` inside the split.
    const callLine = lineOf(text, 'call: crm');
    await wb.goTo(callLine, (text.split('\n')[callLine - 1] ?? '').indexOf('crm') + 1);
    await wb.page.keyboard.press('Shift+End');
    await wb.page.keyboard.press('Delete');
    await wb.page.keyboard.press('Control+Space');
    const receivers = await wb.suggestions();
    await wb.screenshot('completion-receivers');
    await wb.page.keyboard.press('Escape');
    await wb.page.keyboard.press('Control+Z');
    assert.ok(receivers.some((s) => /\berp\b/.test(s)) && receivers.some((s) => /\bcrm\b/.test(s)), `receiver completions: ${JSON.stringify(receivers)}`);

    const modeLine = lineOf(text, 'sessionHandling:');
    await wb.goTo(modeLine, (text.split('\n')[modeLine - 1] ?? '').indexOf('onIntegrationFlow') + 1);
    await wb.page.keyboard.press('Shift+End');
    await wb.page.keyboard.press('Delete');
    await wb.page.keyboard.press('Control+Space');
    const modes = await wb.suggestions();
    await wb.screenshot('completion-modes');
    await wb.page.keyboard.press('Escape');
    await wb.page.keyboard.press('Control+Z');
    for (const mode of ['none', 'onExchange', 'onIntegrationFlow']) {
      assert.ok(modes.some((s) => s.includes(mode)), `session mode completions include ${mode}: ${JSON.stringify(modes)}`);
    }
    await until('undo restored the mode', async () => (await wb.visibleLines()).some((l) => l.includes('sessionHandling: onIntegrationFlow')), 5_000);
  });

  step('hover on a warning explains the rule', async () => {
    const line = lineOf(current, 'csrf: true');
    await wb.goTo(line, 12);
    await wb.page.keyboard.press('Control+K');
    await wb.page.keyboard.press('Control+I');
    const hover = await until('rule documentation in the hover', async () => {
      const t = await wb.hoverText();
      return t.includes('session/csrf-flow-scope') && /Why it matters/i.test(t) ? t : undefined;
    }, 15_000);
    await wb.screenshot('hover-rule');
    await wb.page.keyboard.press('Escape');
    assert.match(hover, /onExchange/);
  });

  step('Validate Workspace reports unopened flows, with a workspace adapter package discovered by the bundled server', async () => {
    await wb.command('Sessionflow: Validate Workspace');
    await wb.notification(/flow file\(s\) validated/, 30_000);
    await wb.command('View: Toggle Maximized Panel');
    const rows = await until('problems of the unopened flows', async () => {
      const r = await wb.problemRows();
      return r.some((row) => row.includes('flow/legacy-format')) && r.some((row) => row.includes('flow/unknown-adapter')) ? r : undefined;
    }, 30_000).catch(async (err: unknown) => {
      await wb.screenshot('validate-missing');
      throw new Error(`${(err as Error).message}; rows: ${JSON.stringify(await wb.problemRows())}`);
    });
    await wb.screenshot('validate-workspace');
    await wb.command('View: Toggle Maximized Panel');
    const unknown = rows.filter((r) => r.includes('flow/unknown-adapter'));
    assert.equal(unknown.length, 1, `only the typo is unknown (acme comes from the workspace package): ${JSON.stringify(unknown)}`);
    assert.match(unknown[0]!, /receiver "typo"/);
    assert.match(unknown[0]!, /did you mean "acme"/);
  });

  step('Migrate Flow applies the migration edit and keeps the comment', async () => {
    await wb.quickOpen('legacy.flow.yaml');
    await until('status item for the legacy flow', async () => (await wb.page.locator('.statusbar-item', { hasText: 'legacy flow' }).count()) > 0, 15_000);
    await wb.command('Sessionflow: Migrate Flow to Format 2');
    await until('formatVersion in the editor', async () => (await wb.visibleLines()).some((l) => l.includes('formatVersion: 2')), 15_000);
    await wb.page.keyboard.press('Control+S');
    const migrated = await until('migrated file on disk', async () => {
      const t = readFileSync(join(workspace, 'legacy.flow.yaml'), 'utf8');
      return t.includes('formatVersion: 2') ? t : undefined;
    }, 10_000);
    await wb.screenshot('migrated');
    assert.ok(migrated.startsWith('# A flow written before session handling existed.'), 'comment kept');
    assert.match(migrated, /sessionHandling: none/);
    await until('legacy-format gone from Problems', async () => !(await wb.problemRows()).some((r) => r.includes('flow/legacy-format')), 20_000);
    await until('status item shows the migrated mode', async () => (await wb.page.locator('.statusbar-item', { hasText: 'Session: none' }).count()) > 0, 10_000);
  });

  step('New Flow creates a flow from a template that has no warnings', async () => {
    await wb.command('Sessionflow: New Flow');
    await wb.answerInput('Flow id', 'fresh-orders');
    await wb.answerInput('template', 'HTTP call with a session per exchange');
    const file = join(workspace, 'fresh-orders.flow.yaml');
    await until('the new flow file', async () => existsSync(file), 15_000);
    await until('the new flow in the editor', async () => (await wb.page.title()).startsWith('fresh-orders.flow.yaml'), 15_000);
    assert.match(readFileSync(file, 'utf8'), /^flow: fresh-orders\nformatVersion: 2\n/);
    // Give the server time to publish, then check that no warning or error is listed for it.
    await until('Run CodeLens on the new flow', async () => (await wb.activeEditor().locator('.codelens-decoration', { hasText: 'Run' }).count()) > 0, 20_000);
    await wb.screenshot('new-flow');
    const rows = await wb.problemRows();
    assert.ok(rows.some((r) => r.includes('session/csrf-flow-scope')), `the Problems panel lists the other flows' problems: ${JSON.stringify(rows)}`);
    assert.ok(!rows.some((r) => r.includes('fresh-orders.flow.yaml')), `no problems for the new flow: ${JSON.stringify(rows)}`);
  });

  step('Run Flow asks for the credential, runs against the test backend and prints the MPL and session summary', async () => {
    await wb.quickOpen('orders.flow.yaml');
    // The Run CodeLens sits above the `flow:` line.
    await wb.activeEditor().locator('.codelens-decoration', { hasText: 'Run' }).first().waitFor({ timeout: 20_000 });
    await wb.screenshot('run-codelens');
    await wb.command('Sessionflow: Run Flow');
    await wb.answerInput('credential "erp-user"', 'alice');
    await wb.screenshot('credential-prompt-user');
    await wb.answerInput(/Password of alice/, PASSWORD);
    const runStarted = performance.now();
    const log = await until('the session summary in the Sessionflow output', async () => {
      const t = output();
      return t.includes('Session summary per receiver') ? t : undefined;
    }, 60_000).catch(async (err: unknown) => {
      await wb.screenshot('run-missing-summary');
      throw new Error(`${(err as Error).message}\noutput so far:\n${output()}`);
    });
    figures['Run Flow: password entered → summary in the output'] = `${(performance.now() - runStarted).toFixed(0)} ms`;
    await until('the Output panel shows the summary', async () => (await wb.panelText()).includes('Session summary'), 10_000);
    await wb.screenshot('run-output');

    assert.match(log, /completed in \d+ ms/);
    assert.match(log, /OK\s+send prime → erp/);
    assert.match(log, /post-item → erp \[/);
    assert.match(log, /session cookie #[0-9a-f]{12}/);
    const summary = /erp: (\d+) call\(s\), (\d+) authentication\(s\), (\d+) session\(s\) opened, (\d+) CSRF fetch\(es\), (\d+) call\(s\) reused/.exec(log);
    assert.ok(summary, `summary line for erp in:\n${log}`);
    assert.equal(Number(summary[1]), 4, 'prime + 3 items');
    assert.equal(Number(summary[2]), 1, 'one authentication for the whole exchange');
    assert.equal(Number(summary[3]), 1, 'one session');
    assert.equal(Number(summary[5]), 3, 'three calls reused the session');
    assert.equal(backend!.stats().authentications, 1, 'the backend checked the password once');
    assert.equal(backend!.stats().sessionsCreated, 1);

    // The secret never reaches logs, settings or files.
    const everything = findFiles(dirs.userDataDir, (n) => /\.(log|json|txt)$/.test(n)).map((f) => readFileSync(f, 'utf8'));
    assert.ok(!everything.some((t) => t.includes(PASSWORD)), 'the password appears in no log, settings or state file');
    assert.ok(!findFiles(workspace, () => true).some((f) => readFileSync(f, 'utf8').includes(PASSWORD)), 'nor in the workspace');
    // A second run uses the stored credential: no prompt.
    const second = performance.now();
    await wb.command('Sessionflow: Run Flow');
    await until('second run summary', async () => (output().match(/Session summary per receiver/g) ?? []).length >= 2, 60_000);
    figures['Run Flow again (stored credential) → summary'] = `${(performance.now() - second).toFixed(0)} ms`;
    assert.equal(backend!.stats().authentications, 2, 'the second run authenticated with the stored credential');

    // Clear Stored Credentials: the next run asks again; cancelling the prompt cancels the run.
    await wb.command('Sessionflow: Clear Stored Credentials');
    await wb.notification('1 stored credential(s) cleared');
    await wb.command('Sessionflow: Run Flow');
    await wb.answerInput('credential "erp-user"', 'alice');
    await until('password prompt', async () => (await wb.quickInput().innerText()).includes('Password of alice'), 10_000);
    await wb.page.keyboard.press('Escape');
    await wb.notification('cancelled: a credential was not supplied');
    await wb.screenshot('credentials-cleared');
    assert.equal(backend!.stats().authentications, 2, 'no request was made by the cancelled run');
  });
});
