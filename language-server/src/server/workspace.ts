/**
 * Per-workspace-folder analysis settings: the adapter catalog loaded from the folder (plus
 * configured adapter packages) and the rule severities, merged from the project's
 * `sessionflow.config.yaml` / package.json, the client's initialization options and the
 * client's `sessionflow` settings.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AdapterRegistry, loadProjectConfig } from './core.js';
import type { AdapterCatalog, Severity } from './core.js';

export type SeverityMap = Record<string, Severity | 'off'>;

/** The `sessionflow` settings section (client settings and initialization options). */
export interface ClientSettings {
  adapterPackages?: string[];
  rules?: SeverityMap;
}

export interface FolderContext {
  /** The folder (or, for a file outside every folder, its directory). */
  dir: string;
  adapters: AdapterCatalog;
  severities: SeverityMap;
  /** Human-readable problems with the configuration or adapter packages (no document content). */
  problems: string[];
}

const SEVERITY_VALUES = new Set(['off', 'hint', 'info', 'warning', 'error']);

/** Accepts the settings shape leniently: drops entries of the wrong type. */
export function sanitizeSettings(raw: unknown): ClientSettings {
  const out: ClientSettings = {};
  if (!raw || typeof raw !== 'object') return out;
  const r = raw as Record<string, unknown>;
  if (Array.isArray(r.adapterPackages)) out.adapterPackages = r.adapterPackages.filter((p): p is string => typeof p === 'string' && p !== '');
  if (r.rules && typeof r.rules === 'object' && !Array.isArray(r.rules)) {
    const rules: SeverityMap = {};
    for (const [k, v] of Object.entries(r.rules as Record<string, unknown>)) {
      if (typeof v === 'string' && SEVERITY_VALUES.has(v)) rules[k] = v as Severity | 'off';
    }
    out.rules = rules;
  }
  return out;
}

export function uriToPath(uri: string): string | undefined {
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
  } catch {
    return undefined;
  }
}

export function pathToUri(path: string): string {
  return pathToFileURL(path).href;
}

export interface WorkspaceOptions {
  /** Fetches the client's `sessionflow` settings for a folder (workspace/configuration), or undefined. */
  fetchSettings?: (scopeUri: string | undefined) => Promise<unknown>;
  log: (message: string) => void;
}

export class Workspace {
  private folders: string[] = [];
  private initOptions: ClientSettings = {};
  /** Settings pushed with didChangeConfiguration (clients without workspace/configuration). */
  private pushedSettings: ClientSettings = {};
  private readonly contexts = new Map<string, Promise<FolderContext>>();

  constructor(private readonly options: WorkspaceOptions) {}

  setFolders(uris: string[]): void {
    this.folders = uris.map(uriToPath).filter((p): p is string => p !== undefined).map((p) => resolve(p));
    this.contexts.clear();
  }

  addFolder(uri: string): void {
    const p = uriToPath(uri);
    if (p && !this.folders.includes(resolve(p))) this.folders.push(resolve(p));
    this.contexts.clear();
  }

  removeFolder(uri: string): void {
    const p = uriToPath(uri);
    if (p) this.folders = this.folders.filter((f) => f !== resolve(p));
    this.contexts.clear();
  }

  setInitializationOptions(raw: unknown): void {
    const r = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
    // Accept both `{ adapterPackages }` and `{ sessionflow: { adapterPackages } }`.
    this.initOptions = sanitizeSettings(r.sessionflow && typeof r.sessionflow === 'object' ? r.sessionflow : r);
  }

  /** Settings changed: drop every cached context (the next analysis reloads). */
  settingsChanged(pushed: unknown): void {
    const r = pushed && typeof pushed === 'object' ? (pushed as Record<string, unknown>) : {};
    this.pushedSettings = sanitizeSettings(r.sessionflow);
    this.contexts.clear();
  }

  /** Forget cached folder contexts (e.g. a config file changed on disk). */
  invalidate(): void {
    this.contexts.clear();
  }

  /** The folder a document belongs to: the innermost workspace folder, else the file's directory. */
  folderOf(uri: string): { dir: string; scopeUri: string | undefined } {
    const p = uriToPath(uri);
    if (!p) return { dir: this.folders[0] ?? process.cwd(), scopeUri: undefined };
    const file = resolve(p);
    let best: string | undefined;
    for (const f of this.folders) {
      if ((file === f || file.startsWith(f.endsWith('/') || f.endsWith('\\') ? f : f + (f.includes('\\') ? '\\' : '/'))) && (!best || f.length > best.length)) best = f;
    }
    if (best) return { dir: best, scopeUri: pathToUri(best) };
    return { dir: dirname(file), scopeUri: undefined };
  }

  contextFor(uri: string): Promise<FolderContext> {
    const { dir, scopeUri } = this.folderOf(uri);
    let ctx = this.contexts.get(dir);
    if (!ctx) {
      ctx = this.load(dir, scopeUri);
      this.contexts.set(dir, ctx);
    }
    return ctx;
  }

  private async load(dir: string, scopeUri: string | undefined): Promise<FolderContext> {
    const problems: string[] = [];
    let client: ClientSettings = this.pushedSettings;
    if (this.options.fetchSettings) {
      try {
        client = sanitizeSettings(await this.options.fetchSettings(scopeUri));
      } catch (err) {
        problems.push(`could not read the client's sessionflow settings: ${errorText(err)}`);
      }
    }
    let fileSeverities: SeverityMap = {};
    let fileAdapterPackages: string[] = [];
    try {
      const config = await loadProjectConfig(dir);
      fileSeverities = config.severities ?? {};
      fileAdapterPackages = config.adapterPackages ?? [];
      for (const p of config.problems ?? []) problems.push(p);
    } catch (err) {
      problems.push(`could not read the project configuration in ${dir}: ${errorText(err)}`);
    }
    const extraPackages = [...new Set([...fileAdapterPackages, ...(this.initOptions.adapterPackages ?? []), ...(client.adapterPackages ?? [])])];
    let adapters: AdapterCatalog;
    try {
      const registry = await AdapterRegistry.load({ projectDir: dir, extraPackages });
      adapters = registry;
      for (const p of registry.problems) problems.push(p.message);
    } catch (err) {
      problems.push(`could not load adapters for ${dir}: ${errorText(err)}`);
      adapters = { get: () => undefined, ids: () => [] };
    }
    const severities: SeverityMap = { ...fileSeverities, ...(this.initOptions.rules ?? {}), ...(client.rules ?? {}) };
    return { dir, adapters, severities, problems };
  }
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return (err.message.split('\n')[0] ?? '').slice(0, 300);
  return String(err).slice(0, 300);
}
