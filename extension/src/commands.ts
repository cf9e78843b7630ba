/** Validate Workspace, New Flow, Migrate Flow, Clear Credentials and small helper commands. */
import * as vscode from 'vscode';
import { isFlowDocument, parseDocument } from './flowInfo.js';
import type { CredentialStore } from './credentials.js';
import { FLOW_TEMPLATES, validateFlowId } from './templates.js';

const FLOW_GLOB = '**/*.flow.yaml';
const EXCLUDE_GLOB = '**/{node_modules,.git,dist}/**';
const MAX_FILES = 2000;

export function diagnosticCode(d: vscode.Diagnostic): string | undefined {
  const code = d.code;
  if (code === undefined) return undefined;
  if (typeof code === 'object') return String(code.value);
  return String(code);
}

function isOurs(d: vscode.Diagnostic): boolean {
  return d.source === undefined || d.source.toLowerCase().startsWith('sessionflow');
}

/** Resolves when each uri has had diagnostics published (or the timeout passed). */
function waitForDiagnostics(uris: vscode.Uri[], timeoutMs: number, alreadySeen: (uri: vscode.Uri) => boolean): Promise<void> {
  const pending = new Set(uris.filter((u) => !alreadySeen(u)).map((u) => u.toString()));
  if (pending.size === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      sub.dispose();
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      for (const uri of e.uris) pending.delete(uri.toString());
      if (pending.size === 0) done();
    });
  });
}

export async function validateWorkspace(): Promise<void> {
  const uris = await vscode.workspace.findFiles(FLOW_GLOB, EXCLUDE_GLOB, MAX_FILES);
  if (uris.length === 0) {
    void vscode.window.showInformationMessage('Sessionflow: no *.flow.yaml files in this workspace.');
    return;
  }
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Sessionflow: validating ${uris.length} flow file(s)` },
    async () => {
      const before = new Set(vscode.workspace.textDocuments.map((d) => d.uri.toString()));
      const wait = waitForDiagnostics(uris, 20_000, (u) => before.has(u.toString()));
      // Opening a document (without showing it) hands it to the language server, which publishes its diagnostics.
      for (const uri of uris) await vscode.workspace.openTextDocument(uri);
      await wait;
    },
  );
  let errors = 0;
  let warnings = 0;
  let others = 0;
  for (const uri of uris) {
    for (const d of vscode.languages.getDiagnostics(uri).filter(isOurs)) {
      if (d.severity === vscode.DiagnosticSeverity.Error) errors++;
      else if (d.severity === vscode.DiagnosticSeverity.Warning) warnings++;
      else others++;
    }
  }
  await vscode.commands.executeCommand('workbench.actions.view.problems');
  void vscode.window.showInformationMessage(
    `Sessionflow: ${uris.length} flow file(s) validated: ${errors} error(s), ${warnings} warning(s), ${others} info/hint(s).`,
  );
}

export async function newFlow(): Promise<void> {
  const id = await vscode.window.showInputBox({
    title: 'Sessionflow: New Flow',
    prompt: 'Flow id (also the file name)',
    placeHolder: 'orders-to-erp',
    ignoreFocusOut: true,
    validateInput: validateFlowId,
  });
  if (id === undefined) return;
  const pick = await vscode.window.showQuickPick(
    FLOW_TEMPLATES.map((t) => ({ label: t.label, description: t.description, template: t })),
    { title: 'Sessionflow: New Flow — template', ignoreFocusOut: true },
  );
  if (pick === undefined) return;
  const text = pick.template.render(id);
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (folder === undefined) {
    const doc = await vscode.workspace.openTextDocument({ language: 'yaml', content: text });
    await vscode.window.showTextDocument(doc);
    return;
  }
  let target = vscode.Uri.joinPath(folder.uri, `${id}.flow.yaml`);
  if (await exists(target)) {
    const chosen = await vscode.window.showSaveDialog({ defaultUri: target, filters: { 'Sessionflow flows': ['flow.yaml'] }, title: `${id}.flow.yaml exists: save the new flow as` });
    if (chosen === undefined) return;
    target = chosen;
  }
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(target));
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

function activeFlowUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  const doc = vscode.window.activeTextEditor?.document;
  return doc !== undefined && isFlowDocument(doc) ? doc.uri : undefined;
}

function legacyDiagnostic(uri: vscode.Uri): vscode.Diagnostic | undefined {
  return vscode.languages.getDiagnostics(uri).find((d) => diagnosticCode(d) === 'flow/legacy-format');
}

/** The code action kind of the server's "Migrate to format 2" source action. */
export const MIGRATE_ACTION_KIND = 'source.sessionflow.migrateFormat';

function withEdit(actions: (vscode.CodeAction | vscode.Command)[] | undefined, accept: (a: vscode.CodeAction) => boolean): vscode.CodeAction | undefined {
  return (actions ?? []).find((a): a is vscode.CodeAction => 'edit' in a && a.edit !== undefined && accept(a));
}

/** The server's source action for the whole document. */
async function sourceMigration(doc: vscode.TextDocument): Promise<vscode.CodeAction | undefined> {
  const range = new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length));
  const actions = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', doc.uri, range, MIGRATE_ACTION_KIND);
  return withEdit(actions, (a) => a.kind?.value === MIGRATE_ACTION_KIND);
}

/** Fallback: the quick fix attached to the flow/legacy-format diagnostic. */
async function quickFixMigration(uri: vscode.Uri): Promise<vscode.CodeAction | undefined> {
  let diagnostic = legacyDiagnostic(uri);
  if (diagnostic === undefined) {
    await waitForDiagnostics([uri], 10_000, () => false);
    diagnostic = legacyDiagnostic(uri);
  }
  if (diagnostic === undefined) return undefined;
  const actions = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
  return withEdit(actions, (a) => /migrat/i.test(a.title) || (a.diagnostics ?? []).some((d) => diagnosticCode(d) === 'flow/legacy-format'));
}

/** Applies the language server's migration edit (rule flow/legacy-format) as a WorkspaceEdit. */
export async function migrateFlow(arg: unknown): Promise<void> {
  const uri = activeFlowUri(arg);
  if (uri === undefined) {
    void vscode.window.showWarningMessage('Sessionflow: open a *.flow.yaml file to migrate it.');
    return;
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  const parsed = await parseDocument(doc);
  if (!parsed.isLegacy) {
    void vscode.window.showInformationMessage(`Sessionflow: ${vscode.workspace.asRelativePath(uri)} already uses format version 2.`);
    return;
  }
  const migration = (await sourceMigration(doc)) ?? (await quickFixMigration(uri));
  if (migration?.edit === undefined) {
    void vscode.window.showErrorMessage('Sessionflow: the language server offered no migration edit for this file (is the rule flow/legacy-format turned off in sessionflow.rules?).');
    return;
  }
  const ok = await vscode.workspace.applyEdit(migration.edit);
  if (!ok) {
    void vscode.window.showErrorMessage('Sessionflow: the migration edit could not be applied (the file changed meanwhile?).');
    return;
  }
  void vscode.window.showInformationMessage(`Sessionflow: ${migration.title}.`);
}

export async function clearCredentials(store: CredentialStore): Promise<void> {
  const count = await store.clear();
  void vscode.window.showInformationMessage(
    count === 0 ? 'Sessionflow: no stored credentials.' : `Sessionflow: ${count} stored credential(s) cleared.`,
  );
}

export async function revealOffset(uri: vscode.Uri, offset: number): Promise<void> {
  const editor = await vscode.window.showTextDocument(uri);
  const pos = editor.document.positionAt(offset);
  editor.selection = new vscode.Selection(pos, pos);
  editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
