/** The language client: starts the bundled language server (dist/server.mjs) over IPC. */
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

export interface ClientTimings {
  /** Called once per document with the time from didOpen to its first published diagnostics. */
  onFirstDiagnostics(uri: vscode.Uri, ms: number, count: number): void;
}

export function createLanguageClient(context: vscode.ExtensionContext, timings: ClientTimings): LanguageClient {
  const module = context.asAbsolutePath('dist/server.mjs');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const config = vscode.workspace.getConfiguration('sessionflow');
  const opened = new Map<string, number>();
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', pattern: '**/*.flow.yaml' },
      { scheme: 'file', pattern: '**/*.flow.json' },
    ],
    synchronize: {
      configurationSection: 'sessionflow',
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{sessionflow.config.yaml,sessionflow.config.yml,package.json}'),
    },
    // Rule severities are not passed here: the server pulls the live `sessionflow` settings
    // (workspace/configuration), so a snapshot taken at start could only go stale.
    initializationOptions: {
      adapterPackages: config.get<string[]>('adapterPackages', []),
    },
    diagnosticCollectionName: 'sessionflow',
    outputChannel: vscode.window.createOutputChannel('Sessionflow Language Server'),
    middleware: {
      didOpen: (document, next) => {
        opened.set(document.uri.toString(), performance.now());
        return next(document);
      },
      handleDiagnostics: (uri, diagnostics, next) => {
        const key = uri.toString();
        const start = opened.get(key);
        if (start !== undefined) {
          opened.delete(key);
          timings.onFirstDiagnostics(uri, performance.now() - start, diagnostics.length);
        }
        next(uri, diagnostics);
      },
    },
  };
  return new LanguageClient('sessionflow', 'Sessionflow Language Server', serverOptions, clientOptions);
}
