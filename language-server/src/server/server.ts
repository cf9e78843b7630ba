/**
 * The Sessionflow language server: wires the analysis core and the editor features to an
 * LSP connection. Every handler is guarded: an exception is logged (without document
 * content) and the request answers with an empty result, so one bad request never takes
 * the server down.
 */
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  ErrorCodes,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeAction,
  type CodeActionParams,
  type CompletionItem,
  type Connection,
  type DocumentSymbol,
  type Hover,
  type InitializeParams,
  type InitializeResult,
  type Location,
  type SymbolInformation,
  type TextEdit as LspTextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver/node.js';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyze, parseFlow, quickFixes, tryReparseFlow } from './core.js';
import type { AnalysisOptions, Diagnostic, FlowDocument, Range, TextChange } from './core.js';
import { fromLspDiagnostic, toCodeAction, toLspDiagnostic, toLspRange } from './convert.js';
import { complete } from './completion.js';
import { hover } from './hover.js';
import { declarationOf, refAt, referencesTo, type NamedRef } from './model-walk.js';
import { documentSymbols } from './symbols.js';
import { Workspace, type FolderContext } from './workspace.js';

/** Kind of the "Migrate to format 2" source action. */
export const MIGRATE_ACTION_KIND = `${CodeActionKind.Source}.sessionflow.migrateFormat`;

export interface ServerOptions {
  /** Delay between the last change and the analysis of a document (ms). Default 200. */
  debounceMs?: number;
}

/** Only these documents are analysed. */
export function isFlowUri(uri: string): boolean {
  return /\.flow\.(ya?ml|json)$/i.test(uri.split(/[?#]/)[0] ?? '');
}

/** Logs an error without its message (which may quote document content): class, code and top frames. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return typeof err;
  const code = (err as { code?: unknown }).code;
  const frames = (err.stack ?? '')
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('at '))
    .slice(0, 4)
    .join(' | ');
  return `${err.name}${typeof code === 'string' || typeof code === 'number' ? ` [${code}]` : ''}${frames ? ` ${frames}` : ''}`;
}

const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export interface SessionflowServer {
  documents: TextDocuments<TextDocument>;
  /** Analyses a document now (used by tests and after configuration changes). */
  validate(uri: string): Promise<void>;
}

export function createServer(connection: Connection, options: ServerOptions = {}): SessionflowServer {
  const debounceMs = options.debounceMs ?? 200;
  // Text changes since the last parsed version of each document (offsets as applied in order),
  // so a parse can re-use the previous one (`tryReparseFlow`) instead of parsing the whole text.
  const editLogs = new Map<string, { baseVersion: number; endVersion: number; changes: TextChange[] } | null>();
  const MAX_LOGGED_CHANGES = 64;
  const documents = new TextDocuments<TextDocument>({
    create: (uri, languageId, version, content) => TextDocument.create(uri, languageId, version, content),
    update: (doc, changes, version) => {
      const prior = editLogs.get(doc.uri);
      let log: { baseVersion: number; endVersion: number; changes: TextChange[] } | null =
        prior && prior.endVersion === doc.version ? prior : { baseVersion: doc.version, endVersion: doc.version, changes: [] };
      let cur = doc;
      for (const c of changes) {
        if (log && 'range' in c && c.range && log.changes.length < MAX_LOGGED_CHANGES) {
          log.changes.push({ start: cur.offsetAt(c.range.start), end: cur.offsetAt(c.range.end), text: c.text });
        } else {
          log = null;
        }
        cur = TextDocument.update(cur, [c], version);
      }
      if (log) log.endVersion = version;
      editLogs.set(doc.uri, log);
      return cur;
    },
  });
  let supportsConfiguration = false;
  let supportsWatchedFilesRegistration = false;
  let hierarchicalSymbols = true;

  const log = (message: string) => {
    try {
      connection.console.log(message);
    } catch {
      /* connection gone */
    }
  };
  const logError = (what: string, err: unknown) => {
    try {
      connection.console.error(`sessionflow: ${what} failed: ${describeError(err)}`);
    } catch {
      /* connection gone */
    }
  };

  const workspace = new Workspace({
    log,
    fetchSettings: async (scopeUri) => {
      if (!supportsConfiguration) return undefined;
      return connection.workspace.getConfiguration(scopeUri ? { scopeUri, section: 'sessionflow' } : { section: 'sessionflow' });
    },
  });
  const reportedProblems = new Set<string>();

  // ---------------------------------------------------------------------------------------
  // Parsed documents and analyses, cached per document version.
  // ---------------------------------------------------------------------------------------
  const parsed = new Map<string, { version: number; fd: FlowDocument }>();
  const analysed = new Map<string, { version: number; diagnostics: Diagnostic[] }>();

  function flowDoc(doc: TextDocument): FlowDocument {
    const hit = parsed.get(doc.uri);
    if (hit && hit.version === doc.version) return hit.fd;
    const log = editLogs.get(doc.uri);
    editLogs.delete(doc.uri);
    let fd: FlowDocument | undefined;
    if (hit && log && log.baseVersion === hit.version && log.endVersion === doc.version && log.changes.length > 0) {
      // the previous version's FlowDocument is taken over by the re-parse (never used again)
      parsed.delete(doc.uri);
      let cur: FlowDocument | undefined = hit.fd;
      for (const change of log.changes) {
        cur = tryReparseFlow(cur, change);
        if (!cur) break;
      }
      if (cur && cur.text === doc.getText()) fd = cur;
    }
    fd ??= parseFlow(doc.getText(), { uri: doc.uri });
    parsed.set(doc.uri, { version: doc.version, fd });
    return fd;
  }

  async function folderContext(uri: string): Promise<FolderContext> {
    const ctx = await workspace.contextFor(uri);
    for (const p of ctx.problems) {
      const key = `${ctx.dir}\u0000${p}`;
      if (reportedProblems.has(key)) continue;
      reportedProblems.add(key);
      log(`sessionflow: ${p}`);
    }
    return ctx;
  }

  function analysisOptions(ctx: FolderContext): AnalysisOptions {
    return { adapters: ctx.adapters, severities: ctx.severities };
  }

  /** Diagnostics of the current version (computed on demand when the debounced run has not happened yet). */
  async function diagnosticsFor(doc: TextDocument): Promise<Diagnostic[]> {
    const hit = analysed.get(doc.uri);
    if (hit && hit.version === doc.version) return hit.diagnostics;
    const ctx = await folderContext(doc.uri);
    const current = documents.get(doc.uri) ?? doc;
    const diagnostics = analyze(flowDoc(current), analysisOptions(ctx));
    analysed.set(doc.uri, { version: current.version, diagnostics });
    return diagnostics;
  }

  // ---------------------------------------------------------------------------------------
  // Debounced validation: per document, latest version wins, stale runs are dropped.
  // ---------------------------------------------------------------------------------------
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const generations = new Map<string, number>();

  function schedule(uri: string, delay: number): void {
    if (!isFlowUri(uri)) return;
    const previous = timers.get(uri);
    if (previous) clearTimeout(previous);
    const generation = (generations.get(uri) ?? 0) + 1;
    generations.set(uri, generation);
    const timer = setTimeout(() => {
      timers.delete(uri);
      void run(uri, generation);
    }, delay);
    timers.set(uri, timer);
  }

  function cancel(uri: string): void {
    const previous = timers.get(uri);
    if (previous) clearTimeout(previous);
    timers.delete(uri);
    generations.set(uri, (generations.get(uri) ?? 0) + 1);
  }

  async function run(uri: string, generation: number): Promise<void> {
    try {
      const doc = documents.get(uri);
      if (!doc) return;
      const ctx = await folderContext(uri);
      // A newer change or a close arrived while the adapters loaded: this run is stale.
      if (generations.get(uri) !== generation) return;
      const latest = documents.get(uri);
      if (!latest || latest.version !== doc.version) return;
      const diagnostics = analyze(flowDoc(latest), analysisOptions(ctx));
      analysed.set(uri, { version: latest.version, diagnostics });
      if (generations.get(uri) !== generation) return;
      await connection.sendDiagnostics({ uri, version: latest.version, diagnostics: diagnostics.map((d) => toLspDiagnostic(latest, d)) });
    } catch (err) {
      logError('validation', err);
    }
  }

  async function validate(uri: string): Promise<void> {
    cancel(uri);
    const generation = generations.get(uri) ?? 0;
    await run(uri, generation);
  }

  function revalidateAll(): void {
    analysed.clear();
    for (const doc of documents.all()) schedule(doc.uri, 0);
  }

  // TextDocuments fires onDidChangeContent right after onDidOpen for the same version.
  const openedVersion = new Map<string, number>();
  documents.onDidOpen((e) => {
    openedVersion.set(e.document.uri, e.document.version);
    schedule(e.document.uri, 0);
  });
  documents.onDidChangeContent((e) => {
    const uri = e.document.uri;
    if (openedVersion.get(uri) === e.document.version) {
      openedVersion.delete(uri);
      return;
    }
    openedVersion.delete(uri);
    schedule(uri, debounceMs);
  });
  documents.onDidClose((e) => {
    const uri = e.document.uri;
    cancel(uri);
    parsed.delete(uri);
    editLogs.delete(uri);
    analysed.delete(uri);
    openedVersion.delete(uri);
    if (isFlowUri(uri)) void connection.sendDiagnostics({ uri, diagnostics: [] }).catch((err: unknown) => logError('clearing diagnostics', err));
  });

  // ---------------------------------------------------------------------------------------
  // Guard: every request handler goes through it.
  // ---------------------------------------------------------------------------------------
  function guard<P extends { textDocument: { uri: string } }, R>(name: string, fallback: R, fn: (doc: TextDocument, params: P) => Promise<R> | R) {
    return async (params: P): Promise<R> => {
      try {
        const doc = documents.get(params.textDocument.uri);
        if (!doc || !isFlowUri(doc.uri)) return fallback;
        return await fn(doc, params);
      } catch (err) {
        if (err instanceof ResponseError) throw err;
        logError(name, err);
        return fallback;
      }
    };
  }

  function offsetOf(doc: TextDocument, position: { line: number; character: number }): number {
    const line = Number.isFinite(position?.line) ? Math.max(0, Math.floor(position.line)) : 0;
    const character = Number.isFinite(position?.character) ? Math.max(0, Math.floor(position.character)) : 0;
    return doc.offsetAt({ line, character });
  }

  // ---------------------------------------------------------------------------------------
  // Lifecycle and configuration
  // ---------------------------------------------------------------------------------------
  connection.onInitialize((params: InitializeParams): InitializeResult => {
    try {
      const caps = params.capabilities ?? {};
      supportsConfiguration = caps.workspace?.configuration === true;
      supportsWatchedFilesRegistration = caps.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
      hierarchicalSymbols = caps.textDocument?.documentSymbol?.hierarchicalDocumentSymbolSupport !== false;
      const folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
      workspace.setFolders(folders);
      workspace.setInitializationOptions(params.initializationOptions);
    } catch (err) {
      logError('initialize', err);
    }
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        completionProvider: { triggerCharacters: [':', ' '], resolveProvider: false },
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, MIGRATE_ACTION_KIND] },
        documentSymbolProvider: { label: 'Sessionflow' },
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'sessionflow-language-server', version: '0.1.0' },
    };
  });

  connection.onInitialized(() => {
    void (async () => {
      try {
        if (supportsConfiguration) await connection.client.register(DidChangeConfigurationNotification.type, { section: 'sessionflow' });
        if (supportsWatchedFilesRegistration) {
          await connection.client.register(DidChangeWatchedFilesNotification.type, {
            watchers: [{ globPattern: '**/sessionflow.config.{yaml,yml}' }, { globPattern: '**/package.json' }],
          });
        }
      } catch (err) {
        logError('client registration', err);
      }
      try {
        connection.workspace.onDidChangeWorkspaceFolders((e) => {
          for (const f of e.removed) workspace.removeFolder(f.uri);
          for (const f of e.added) workspace.addFolder(f.uri);
          revalidateAll();
        });
      } catch {
        /* the client does not support workspace folders */
      }
    })();
  });

  connection.onDidChangeConfiguration((params) => {
    try {
      workspace.settingsChanged(params?.settings);
      revalidateAll();
    } catch (err) {
      logError('configuration change', err);
    }
  });

  connection.onDidChangeWatchedFiles(() => {
    try {
      workspace.invalidate();
      revalidateAll();
    } catch (err) {
      logError('watched files', err);
    }
  });

  // ---------------------------------------------------------------------------------------
  // Code actions
  // ---------------------------------------------------------------------------------------
  connection.onCodeAction(
    guard<CodeActionParams, CodeAction[]>('codeAction', [], async (doc, params) => {
      const only = params.context?.only;
      const wants = (kind: string) => !only || only.some((k) => kind === k || kind.startsWith(`${k}.`));
      const fd = flowDoc(doc);
      const ctx = await folderContext(doc.uri);
      const opts = analysisOptions(ctx);
      const actions: CodeAction[] = [];
      if (wants(CodeActionKind.QuickFix)) {
        for (const lspDiag of params.context?.diagnostics ?? []) {
          const d = fromLspDiagnostic(doc, lspDiag);
          if (!d) continue;
          let fixes;
          try {
            fixes = quickFixes(fd, d, opts);
          } catch (err) {
            logError(`quick fix for ${d.rule}`, err);
            continue;
          }
          for (const fix of fixes) actions.push(toCodeAction(doc, fix, lspDiag));
        }
      }
      if (wants(MIGRATE_ACTION_KIND) && fd.isLegacy) {
        const current = await diagnosticsFor(doc);
        const legacy: Diagnostic = current.find((d) => d.rule === 'flow/legacy-format') ?? {
          rule: 'flow/legacy-format',
          severity: 'warning',
          message: 'legacy flow format',
          range: fd.flow.formatVersion?.range ?? { start: 0, end: 0 },
        };
        const fixes = quickFixes(fd, legacy, opts);
        const fix = fixes.find((f) => f.isPreferred) ?? fixes[0];
        if (fix) actions.push(toCodeAction(doc, { ...fix, title: 'Migrate to format 2' }, undefined, MIGRATE_ACTION_KIND));
      }
      return actions;
    }),
  );

  // ---------------------------------------------------------------------------------------
  // Completion and hover
  // ---------------------------------------------------------------------------------------
  connection.onCompletion(
    guard('completion', [] as CompletionItem[], async (doc, params) => {
      const offset = offsetOf(doc, params.position);
      let fd: FlowDocument | undefined;
      try {
        fd = flowDoc(doc);
      } catch (err) {
        logError('parse for completion', err);
      }
      const ctx = await folderContext(doc.uri);
      return complete({ doc, fd, adapters: ctx.adapters, offset });
    }),
  );

  connection.onHover(
    guard('hover', null as Hover | null, async (doc, params) => {
      const offset = offsetOf(doc, params.position);
      const fd = flowDoc(doc);
      const ctx = await folderContext(doc.uri);
      const diagnostics = await diagnosticsFor(doc);
      const h = hover(fd, offset, diagnostics, ctx.adapters);
      if (!h) return null;
      return { contents: { kind: 'markdown', value: h.markdown }, range: toLspRange(doc, h.range) };
    }),
  );

  // ---------------------------------------------------------------------------------------
  // Outline, navigation, rename
  // ---------------------------------------------------------------------------------------
  connection.onDocumentSymbol(
    guard('documentSymbol', [] as DocumentSymbol[] | SymbolInformation[], (doc) => {
      const symbols = documentSymbols(doc, flowDoc(doc).flow);
      if (hierarchicalSymbols) return symbols;
      const flat: SymbolInformation[] = [];
      const visit = (list: DocumentSymbol[], container?: string) => {
        for (const s of list) {
          const info: SymbolInformation = { name: s.name, kind: s.kind, location: { uri: doc.uri, range: s.selectionRange } };
          if (container) info.containerName = container;
          flat.push(info);
          if (s.children) visit(s.children, s.name);
        }
      };
      visit(symbols);
      return flat;
    }),
  );

  const location = (doc: TextDocument, r: Range): Location => ({ uri: doc.uri, range: toLspRange(doc, r) });

  connection.onDefinition(
    guard('definition', null as Location | null, (doc, params) => {
      const fd = flowDoc(doc);
      const ref = refAt(fd.flow, offsetOf(doc, params.position));
      if (!ref) return null;
      const decl = declarationOf(fd.flow, ref.kind, ref.name);
      return decl ? location(doc, decl.range) : null;
    }),
  );

  connection.onReferences(
    guard('references', [] as Location[], (doc, params) => {
      const fd = flowDoc(doc);
      const ref = refAt(fd.flow, offsetOf(doc, params.position));
      if (!ref) return [];
      return referencesTo(fd.flow, ref.kind, ref.name, params.context?.includeDeclaration === true).map((r) => location(doc, r.range));
    }),
  );

  /** Range of the name inside a (possibly quoted) scalar. */
  function nameRange(text: string, ref: NamedRef): Range {
    const raw = text.slice(ref.range.start, ref.range.end);
    if (raw.length >= 2 && (raw[0] === '"' || raw[0] === "'") && raw[raw.length - 1] === raw[0]) {
      return { start: ref.range.start + 1, end: ref.range.end - 1 };
    }
    return ref.range;
  }

  connection.onPrepareRename(
    guard('prepareRename', null as { range: ReturnType<typeof toLspRange>; placeholder: string } | null, (doc, params) => {
      const fd = flowDoc(doc);
      const ref = refAt(fd.flow, offsetOf(doc, params.position));
      if (!ref) return null;
      if (!declarationOf(fd.flow, ref.kind, ref.name)) {
        throw new ResponseError(ErrorCodes.InvalidRequest, `There is no ${ref.kind} named "${ref.name}" to rename.`);
      }
      return { range: toLspRange(doc, nameRange(doc.getText(), ref)), placeholder: ref.name };
    }),
  );

  connection.onRenameRequest(
    guard('rename', null as WorkspaceEdit | null, (doc, params) => {
      const fd = flowDoc(doc);
      const ref = refAt(fd.flow, offsetOf(doc, params.position));
      if (!ref) return null;
      const newName = String(params.newName ?? '').trim();
      if (!NAME_RE.test(newName)) {
        throw new ResponseError(
          ErrorCodes.InvalidParams,
          `"${newName}" is not a valid ${ref.kind} name: use letters, digits, '_', '.' and '-', starting with a letter, digit or '_'.`,
        );
      }
      if (newName !== ref.name && declarationOf(fd.flow, ref.kind, newName)) {
        throw new ResponseError(ErrorCodes.InvalidParams, `A ${ref.kind} named "${newName}" already exists.`);
      }
      if (!declarationOf(fd.flow, ref.kind, ref.name)) {
        throw new ResponseError(ErrorCodes.InvalidRequest, `There is no ${ref.kind} named "${ref.name}" to rename.`);
      }
      const text = doc.getText();
      const edits: LspTextEdit[] = referencesTo(fd.flow, ref.kind, ref.name, true).map((r) => ({
        range: toLspRange(doc, nameRange(text, r)),
        newText: newName,
      }));
      return { changes: { [doc.uri]: edits } };
    }),
  );

  connection.onShutdown(() => {
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
  });

  documents.listen(connection);
  return { documents, validate };
}

/** Creates the server on `connection` and starts listening. */
export function startServer(connection: Connection, options: ServerOptions = {}): SessionflowServer {
  const server = createServer(connection, options);
  connection.listen();
  return server;
}
