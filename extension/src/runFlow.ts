/**
 * "Sessionflow: Run Flow": runs the active flow once, locally, in the extension host.
 *
 * The runner lives in dist/runner.mjs (loaded on first use) and uses the SDK's FlowRunner with
 * the adapters the language server sees (built-ins plus the workspace's adapter packages).
 * Credentials come from SecretStorage (asked for on first use); the message is the flow's
 * `<name>.sample.json` next to it, or a file the user picks. The message processing log is
 * streamed to the "Sessionflow" output channel and ends with a per-receiver session summary.
 */
import * as vscode from 'vscode';
import { dirname, basename, join } from 'node:path';
import { existsSync } from 'node:fs';
import { credentialNeeds, type CredentialStore } from './credentials.js';
import { isFlowDocument, parseDocument } from './flowInfo.js';
import { loadRunner } from './sdk.js';

export interface RunFlowContext {
  output: vscode.OutputChannel;
  credentials: CredentialStore;
}

function flowUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  const doc = vscode.window.activeTextEditor?.document;
  return doc !== undefined && isFlowDocument(doc) ? doc.uri : undefined;
}

/** `<dir>/<name>.sample.json` (or `.sample.xml`) for `<dir>/<name>.flow.yaml`. */
export function sampleMessagePath(flowPath: string): string | undefined {
  const name = basename(flowPath).replace(/\.flow\.ya?ml$/, '');
  for (const ext of ['json', 'xml']) {
    const p = join(dirname(flowPath), `${name}.sample.${ext}`);
    if (existsSync(p)) return p;
  }
  return undefined;
}

async function pickMessage(flowPath: string): Promise<string | undefined> {
  const sample = sampleMessagePath(flowPath);
  if (sample !== undefined) return sample;
  const picked = await vscode.window.showOpenDialog({
    title: 'Sessionflow: message to run the flow with',
    openLabel: 'Run with this message',
    canSelectMany: false,
    defaultUri: vscode.Uri.file(dirname(flowPath)),
    filters: { Messages: ['json', 'xml', 'txt'], 'All files': ['*'] },
  });
  return picked?.[0]?.fsPath;
}

export async function runFlow(ctx: RunFlowContext, arg: unknown): Promise<void> {
  const uri = flowUri(arg);
  if (uri === undefined || uri.scheme !== 'file') {
    void vscode.window.showWarningMessage('Sessionflow: open a saved *.flow.yaml file to run it.');
    return;
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  const parsed = await parseDocument(doc);
  const flowName = parsed.flow.id?.value ?? basename(uri.fsPath);
  const messagePath = await pickMessage(uri.fsPath);
  if (messagePath === undefined) return;
  const credentials = await ctx.credentials.resolve(credentialNeeds(parsed));
  if (credentials === undefined) {
    void vscode.window.showWarningMessage(`Sessionflow: run of ${flowName} cancelled: a credential was not supplied.`);
    return;
  }
  const runner = await loadRunner();
  const out = ctx.output;
  out.show(true);
  const folder = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? dirname(uri.fsPath);
  const config = vscode.workspace.getConfiguration('sessionflow', uri);

  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Sessionflow: running ${flowName}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      try {
        return await runner.runLocal({
          flowText: doc.getText(),
          flowPath: uri.fsPath,
          messagePath,
          projectDir: folder,
          adapterPackages: config.get<string[]>('adapterPackages', []),
          credentials: Object.fromEntries(credentials),
          signal: abort.signal,
          write: (line) => out.appendLine(line),
          progress: (message) => progress.report({ message }),
        });
      } finally {
        sub.dispose();
      }
    },
  );
  if (result.status === 'completed') {
    void vscode.window.showInformationMessage(`Sessionflow: ${flowName} completed in ${Math.round(result.durationMs)} ms. See the Sessionflow output for the log and session summary.`);
  } else {
    void vscode.window.showErrorMessage(`Sessionflow: ${flowName} failed: ${result.error ?? 'unknown error'}`);
  }
}
