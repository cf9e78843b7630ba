/**
 * Editor chrome for flow files, computed from the document text with the SDK parser:
 * a "Run" CodeLens above the `flow:` line and a status bar item with the session mode.
 */
import * as vscode from 'vscode';
import { loadSdk } from './sdk.js';
import type { FlowDocument } from '@sessionflow/sdk';
import { describeSessionMode, type SessionModeInfo } from './sessionMode.js';

export const FLOW_SELECTOR: vscode.DocumentSelector = [{ scheme: 'file', pattern: '**/*.flow.yaml' }, { scheme: 'untitled', language: 'yaml' }];

export function isFlowDocument(doc: vscode.TextDocument): boolean {
  return doc.uri.path.endsWith('.flow.yaml');
}

/** Parses a document once per version. */
const cache = new WeakMap<vscode.TextDocument, { version: number; parsed: FlowDocument }>();
export async function parseDocument(doc: vscode.TextDocument): Promise<FlowDocument> {
  const hit = cache.get(doc);
  if (hit !== undefined && hit.version === doc.version) return hit.parsed;
  const sdk = await loadSdk();
  const parsed = sdk.parseFlow(doc.getText(), { uri: doc.uri.toString() });
  cache.set(doc, { version: doc.version, parsed });
  return parsed;
}

export class RunCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  async provideCodeLenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (!isFlowDocument(doc)) return [];
    const parsed = await parseDocument(doc);
    const id = parsed.flow.id;
    if (id === undefined) return [];
    const start = doc.positionAt(id.keyRange?.start ?? id.range.start);
    const range = new vscode.Range(start, start);
    return [
      new vscode.CodeLens(range, {
        title: '$(play) Run',
        tooltip: 'Run this flow locally once (Sessionflow: Run Flow)',
        command: 'sessionflow.runFlow',
        arguments: [doc.uri],
      }),
    ];
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export class SessionModeStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('sessionflow.sessionMode', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private generation = 0;

  constructor() {
    this.item.name = 'Sessionflow Session Mode';
    this.disposables.push(
      this.item,
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule(0)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === vscode.window.activeTextEditor?.document) this.schedule(150);
      }),
    );
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.update();
    }, delayMs);
  }

  private async update(): Promise<void> {
    const generation = ++this.generation;
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined || !isFlowDocument(editor.document)) {
      this.item.hide();
      return;
    }
    let info: SessionModeInfo;
    try {
      info = describeSessionMode(await parseDocument(editor.document));
    } catch {
      this.item.hide();
      return;
    }
    if (generation !== this.generation) return;
    this.item.text = `$(plug) Session: ${info.text}`;
    this.item.tooltip = info.tooltip;
    this.item.command =
      info.offset === undefined
        ? undefined
        : { title: 'Go to session handling', command: 'sessionflow.revealOffset', arguments: [editor.document.uri, info.offset] };
    this.item.show();
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
