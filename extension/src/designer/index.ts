/**
 * The visual flow designer: a CustomTextEditorProvider for `*.flow.yaml` whose model is the
 * text document itself. The webview renders the graph the host core computes from the text;
 * every designer action is a typed `edit` request that the host turns into a minimal
 * WorkspaceEdit (computed with the yaml Document API, never re-stringifying the file), so VS
 * Code owns undo/redo, the dirty marker and saving. Diagnostics are the language server's
 * (the same analysis core), shown as badges; their quick fixes are the server's code actions.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distDir, loadSdk } from '../sdk.js';
import type { DiagnosticView, HostMessage, Severity, WebviewMessage } from '../../webview/protocol.js';

export const DESIGNER_VIEW_TYPE = 'sessionflow.designer';
export const OPEN_DESIGNER_COMMAND = 'sessionflow.openDesigner';

type Core = typeof import('./core.js');
type Catalog = import('./core.js').AdapterCatalog;

let corePromise: Promise<Core> | undefined;

/** The host core (dist/designer.mjs), loaded on the first designer: activation stays cheap. */
function loadCore(): Promise<Core> {
  corePromise ??= (import(pathToFileURL(join(distDir(), 'designer.mjs')).href) as Promise<Core>).catch((err: unknown) => {
    corePromise = undefined;
    throw err;
  });
  return corePromise;
}

const catalogs = new Map<string, Promise<Catalog>>();

/** The adapters the language server would load for this document's workspace folder. */
function catalogFor(uri: vscode.Uri): Promise<Catalog> {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  const projectDir = folder?.uri.fsPath ?? vscode.Uri.joinPath(uri, '..').fsPath;
  let p = catalogs.get(projectDir);
  if (!p) {
    const extraPackages = vscode.workspace.getConfiguration('sessionflow', uri).get<string[]>('adapterPackages') ?? [];
    p = loadSdk()
      .then((sdk) => sdk.AdapterRegistry.load({ projectDir, extraPackages }) as Promise<Catalog>)
      .catch(() => ({ get: () => undefined, ids: () => [] }) as Catalog);
    catalogs.set(projectDir, p);
  }
  return p;
}

function nonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

function htmlFor(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const n = nonce();
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.css'));
  const csp = [`default-src 'none'`, `img-src ${webview.cspSource} data:`, `style-src ${webview.cspSource}`, `font-src ${webview.cspSource}`, `script-src 'nonce-${n}'`].join('; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${style.toString()}">
<title>Flow designer</title>
</head>
<body>
<div id="app"></div>
<script nonce="${n}" src="${script.toString()}"></script>
</body>
</html>`;
}

const SEVERITY: Record<number, Severity> = {
  [vscode.DiagnosticSeverity.Error]: 'error',
  [vscode.DiagnosticSeverity.Warning]: 'warning',
  [vscode.DiagnosticSeverity.Information]: 'info',
  [vscode.DiagnosticSeverity.Hint]: 'hint',
};

function ruleOf(d: vscode.Diagnostic): string {
  const c = d.code;
  if (typeof c === 'object' && c !== null) return String(c.value);
  return c === undefined ? (d.source ?? 'diagnostic') : String(c);
}

/** The language server's diagnostics for the document, as offsets. */
function diagnosticsOf(document: vscode.TextDocument): { views: DiagnosticView[]; source: vscode.Diagnostic[] } {
  const source = vscode.languages.getDiagnostics(document.uri).filter((d) => d.source === undefined || d.source === 'sessionflow');
  const views = source.map((d, i) => ({
    id: `d${i}`,
    rule: ruleOf(d),
    severity: SEVERITY[d.severity] ?? 'info',
    message: d.message,
    range: { start: document.offsetAt(d.range.start), end: document.offsetAt(d.range.end) },
  }));
  return { views, source };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class DesignerProvider implements vscode.CustomTextEditorProvider {
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly output: vscode.OutputChannel | undefined,
  ) {}

  async resolveCustomTextEditor(document: vscode.TextDocument, panel: vscode.WebviewPanel): Promise<void> {
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist')] };
    webview.html = htmlFor(webview, this.extensionUri);
    const post = (m: HostMessage): void => void webview.postMessage(m);
    let diagnostics = diagnosticsOf(document);
    let fixes = new Map<string, vscode.CodeAction[]>();
    let timer: NodeJS.Timeout | undefined;
    let diagTimer: NodeJS.Timeout | undefined;

    const sendUpdate = async (): Promise<void> => {
      try {
        const [core, catalog] = await Promise.all([loadCore(), catalogFor(document.uri)]);
        diagnostics = diagnosticsOf(document);
        fixes = new Map();
        const { message } = core.buildUpdate(document.getText(), document.version, [], catalog);
        post({ ...message, diagnostics: diagnostics.views });
      } catch (err) {
        this.output?.appendLine(`[designer] could not build the graph: ${errorText(err)}`);
        post({ type: 'update', version: document.version, graph: null, parseError: { message: `the designer could not read this file: ${errorText(err)}`, line: 0, character: 0 }, diagnostics: [], adapters: [] });
      }
    };
    const scheduleUpdate = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void sendUpdate(), 120);
    };

    const applyTextEdits = async (edits: { range: { start: number; end: number }; newText: string }[]): Promise<boolean> => {
      const we = new vscode.WorkspaceEdit();
      for (const e of edits) we.replace(document.uri, new vscode.Range(document.positionAt(e.range.start), document.positionAt(e.range.end)), e.newText);
      return vscode.workspace.applyEdit(we);
    };

    const onMessage = async (m: WebviewMessage): Promise<void> => {
      switch (m.type) {
        case 'ready':
          await sendUpdate();
          break;
        case 'edit': {
          if (m.version !== document.version) {
            post({ type: 'editResult', ok: false, message: 'The file changed while you were editing; the graph is updated, please try again.' });
            await sendUpdate();
            break;
          }
          try {
            const core = await loadCore();
            const edits = core.editsFor(document.getText(), m.op);
            const ok = edits.length === 0 || (await applyTextEdits(edits));
            post(ok ? { type: 'editResult', ok: true } : { type: 'editResult', ok: false, message: 'VS Code refused the edit (is the file read-only?)' });
          } catch (err) {
            post({ type: 'editResult', ok: false, message: errorText(err) });
          }
          break;
        }
        case 'reveal': {
          const range = new vscode.Range(document.positionAt(m.range.start), document.positionAt(m.range.end));
          const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === document.uri.toString());
          if (visible) {
            visible.selection = new vscode.Selection(range.start, range.start);
            visible.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
          } else {
            await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: true, selection: new vscode.Range(range.start, range.start) });
          }
          break;
        }
        case 'inspect': {
          try {
            const [core, catalog] = await Promise.all([loadCore(), catalogFor(document.uri)]);
            post({ type: 'inspectResult', nodeId: m.nodeId, fields: core.inspectText(document.getText(), m.path, catalog) });
          } catch (err) {
            this.output?.appendLine(`[designer] inspect failed: ${errorText(err)}`);
          }
          break;
        }
        case 'requestQuickFixes': {
          const index = diagnostics.views.findIndex((d) => d.id === m.diagnosticId);
          const diag = diagnostics.source[index];
          if (!diag) {
            post({ type: 'quickFixes', diagnosticId: m.diagnosticId, fixes: [] });
            break;
          }
          const actions =
            (await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', document.uri, diag.range, vscode.CodeActionKind.QuickFix.value)) ?? [];
          const isAction = (a: vscode.CodeAction | vscode.Command): a is vscode.CodeAction => !(typeof (a as vscode.Command).command === 'string');
          const mine = actions.filter(isAction).filter((a) => (a.diagnostics ?? []).some((d) => d.message === diag.message && d.range.isEqual(diag.range)));
          fixes.set(m.diagnosticId, mine);
          post({ type: 'quickFixes', diagnosticId: m.diagnosticId, fixes: mine.map((a, i) => ({ index: i, title: a.title })) });
          break;
        }
        case 'applyQuickFix': {
          const action = fixes.get(m.diagnosticId)?.[m.index];
          if (!action) break;
          if (action.edit) await vscode.workspace.applyEdit(action.edit);
          if (action.command) await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
          break;
        }
        default:
          break;
      }
    };

    const subscriptions: vscode.Disposable[] = [
      webview.onDidReceiveMessage((m: WebviewMessage) => {
        onMessage(m).catch((err: unknown) => this.output?.appendLine(`[designer] ${m?.type ?? 'message'} failed: ${errorText(err)}`));
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() === document.uri.toString() && e.contentChanges.length > 0) scheduleUpdate();
      }),
      vscode.languages.onDidChangeDiagnostics((e) => {
        if (!e.uris.some((u) => u.toString() === document.uri.toString())) return;
        if (diagTimer) clearTimeout(diagTimer);
        diagTimer = setTimeout(() => {
          diagnostics = diagnosticsOf(document);
          fixes = new Map();
          post({ type: 'diagnostics', version: document.version, diagnostics: diagnostics.views });
        }, 60);
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor.document.uri.toString() !== document.uri.toString() || !panel.visible) return;
        const sel = e.selections[0];
        if (sel) post({ type: 'highlight', offset: document.offsetAt(sel.active) });
      }),
    ];
    panel.onDidDispose(() => {
      if (timer) clearTimeout(timer);
      if (diagTimer) clearTimeout(diagTimer);
      for (const s of subscriptions) s.dispose();
    });
  }
}

/** Registers the designer (custom editor + `sessionflow.openDesigner`). Call from activate(). */
export function registerDesigner(context: vscode.ExtensionContext, output?: vscode.OutputChannel): vscode.Disposable[] {
  const provider = new DesignerProvider(context.extensionUri, output);
  return [
    vscode.window.registerCustomEditorProvider(DESIGNER_VIEW_TYPE, provider, {
      webviewOptions: { retainContextWhenHidden: true },
      supportsMultipleEditorsPerDocument: true,
    }),
    vscode.commands.registerCommand(OPEN_DESIGNER_COMMAND, async (arg?: unknown) => {
      const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
      if (!uri) {
        void vscode.window.showInformationMessage('Sessionflow: open a *.flow.yaml file first, then run "Open Flow Designer".');
        return;
      }
      await vscode.commands.executeCommand('vscode.openWith', uri, DESIGNER_VIEW_TYPE, { viewColumn: vscode.ViewColumn.Beside, preview: false });
    }),
  ];
}
