/**
 * Sessionflow for VS Code: the language client (diagnostics, quick fixes, completion, hover
 * come from the language server), commands, a "Run" CodeLens and the session-mode status item.
 */
import { registerDesigner } from './designer/index.js';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { createLanguageClient } from './client.js';
import { clearCredentials, migrateFlow, newFlow, revealOffset, validateWorkspace } from './commands.js';
import { CredentialStore } from './credentials.js';
import { FLOW_SELECTOR, RunCodeLensProvider, SessionModeStatus } from './flowInfo.js';
import { runFlow } from './runFlow.js';

let client: LanguageClient | undefined;

/** Wraps a command so an unexpected error becomes one clear message (no stack to the user). */
function guarded(output: vscode.OutputChannel, name: string, fn: (...args: unknown[]) => Promise<void>): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    try {
      await fn(...args);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      output.appendLine(`[${name}] failed: ${message}`);
      void vscode.window.showErrorMessage(`Sessionflow: ${name} failed: ${message}`);
    }
  };
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const started = performance.now();
  const output = vscode.window.createOutputChannel('Sessionflow');
  const credentials = new CredentialStore(context.secrets);
  const codeLens = new RunCodeLensProvider();
  context.subscriptions.push(...registerDesigner(context, output));
  context.subscriptions.push(
    output,
    codeLens,
    new SessionModeStatus(),
    vscode.languages.registerCodeLensProvider(FLOW_SELECTOR, codeLens),
    vscode.commands.registerCommand('sessionflow.runFlow', guarded(output, 'Run Flow', (arg) => runFlow({ output, credentials }, arg))),
    vscode.commands.registerCommand('sessionflow.validateWorkspace', guarded(output, 'Validate Workspace', () => validateWorkspace())),
    vscode.commands.registerCommand('sessionflow.newFlow', guarded(output, 'New Flow', () => newFlow())),
    vscode.commands.registerCommand('sessionflow.migrateFlow', guarded(output, 'Migrate Flow', (arg) => migrateFlow(arg))),
    vscode.commands.registerCommand('sessionflow.clearCredentials', guarded(output, 'Clear Credentials', () => clearCredentials(credentials))),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('sessionflow')) output.appendLine('settings: sessionflow.* changed; the language server re-analyses open flows');
    }),
    vscode.commands.registerCommand('sessionflow.revealOffset', (uri: vscode.Uri, offset: number) => revealOffset(uri, offset)),
  );

  const version = (context.extension.packageJSON as { version?: string }).version ?? '?';
  output.appendLine(`Sessionflow ${version}: activating (VS Code ${vscode.version})`);
  client = createLanguageClient(context, {
    onFirstDiagnostics: (uri, ms, count) =>
      output.appendLine(`first diagnostics for ${vscode.workspace.asRelativePath(uri)}: ${count} after ${ms.toFixed(0)} ms (didOpen → publishDiagnostics)`),
  });
  context.subscriptions.push({ dispose: () => void client?.stop() });
  // Not awaited by activate(): commands and the CodeLens work while the server starts.
  client.start().then(
    () => output.appendLine(`activation: language client ready ${(performance.now() - started).toFixed(0)} ms after activate()`),
    (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      output.appendLine(`activation: the language server did not start: ${message}`);
      void vscode.window.showErrorMessage(`Sessionflow: the language server did not start: ${message}`);
    },
  );
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c !== undefined) await c.stop();
}
