/**
 * Adapter registry: the built-in adapters plus every adapter package found in the project's
 * `node_modules` (n8n/Node-RED style: a `sessionflow` section in package.json, keyword
 * `sessionflow-adapter`). Only package.json files are read during discovery; a package is
 * imported only after its manifest passed and its API version matches this SDK. Loading never
 * throws for a bad package: it becomes an entry in `problems`.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ADAPTER_ID_PATTERN, isAdapterDefinition } from './define.js';
import { SDK_API_VERSION } from './types.js';
import type { AdapterDefinition } from './types.js';

export const BUILTIN_ADAPTER_PACKAGES: readonly string[] = [
  '@sessionflow/adapter-http',
  '@sessionflow/adapter-soap',
  '@sessionflow/adapter-odata',
  '@sessionflow/adapter-idoc',
  '@sessionflow/adapter-as2',
  '@sessionflow/adapter-xi',
  '@sessionflow/adapter-odc',
  '@sessionflow/adapter-successfactors',
];

/** The package.json keyword that marks an adapter package. */
export const ADAPTER_PACKAGE_KEYWORD = 'sessionflow-adapter';

export interface LoadedAdapter {
  definition: AdapterDefinition;
  packageName: string;
  packageVersion: string;
  packageDir: string;
  builtin: boolean;
}

export type AdapterPackageProblemCode = 'SF_ADAPTER_API_VERSION' | 'SF_ADAPTER_MANIFEST' | 'SF_ADAPTER_LOAD' | 'SF_ADAPTER_DUPLICATE';

export interface AdapterPackageProblem {
  packageName: string;
  packageDir: string;
  code: AdapterPackageProblemCode;
  message: string;
  /** The API version the package targets (for SF_ADAPTER_API_VERSION). */
  apiVersion?: number;
  /**
   * The adapter ids the package provides, when known without importing it: from the manifest's
   * `sessionflow.ids`, or from the definition when it was imported. Lets tools say which
   * receivers a refused package affects.
   */
  adapterIds?: string[];
}

export interface AdapterRegistryLoadOptions {
  /** Where discovery starts (walking up to the file-system root). Default: `process.cwd()`. */
  projectDir?: string;
  /** More adapter packages: directories (absolute or relative to projectDir) or package names. */
  extraPackages?: string[];
  /** Load the built-in adapters that are installed next to the SDK. Default: true. */
  builtins?: boolean;
}

interface PackageJson {
  name?: unknown;
  version?: unknown;
  keywords?: unknown;
  sessionflow?: unknown;
}

interface Candidate {
  /** Adapter ids the manifest declares (`sessionflow.ids`), once read. */
  ids?: string[];
  dir: string;
  pkg: PackageJson;
  name: string;
  version: string;
  builtin: boolean;
  /** Found through an explicit request (extraPackages): a missing section is a problem even without the keyword. */
  explicit: boolean;
}

function readPackageJson(dir: string): PackageJson | undefined {
  const file = join(dir, 'package.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as PackageJson) : undefined;
  } catch {
    return undefined;
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** `dir`, its parent, ... up to the root. */
function ancestors(dir: string): string[] {
  const out: string[] = [];
  let cur = resolve(dir);
  while (true) {
    out.push(cur);
    const parent = dirname(cur);
    if (parent === cur) return out;
    cur = parent;
  }
}

/** Finds `node_modules/<name>` from `fromDir` upwards (Node's lookup, without `exports`). */
function findPackageDir(name: string, fromDir: string): string | undefined {
  for (const dir of ancestors(fromDir)) {
    const candidate = join(dir, 'node_modules', ...name.split('/'));
    if (existsSync(join(candidate, 'package.json'))) return candidate;
  }
  return undefined;
}

/** Package directories directly inside one `node_modules` folder (scoped ones included). */
function packagesIn(nodeModules: string): string[] {
  let names: string[];
  try {
    names = readdirSync(nodeModules).sort();
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const p = join(nodeModules, name);
    if (name.startsWith('@')) {
      let scoped: string[];
      try {
        scoped = readdirSync(p).sort();
      } catch {
        continue;
      }
      for (const inner of scoped) {
        if (!inner.startsWith('.') && isDirectory(join(p, inner))) out.push(join(p, inner));
      }
    } else if (isDirectory(p)) {
      out.push(p);
    }
  }
  return out;
}

function label(c: { name: string; version: string }): string {
  return `${c.name}@${c.version}`;
}

function hasKeyword(pkg: PackageJson): boolean {
  return Array.isArray(pkg.keywords) && pkg.keywords.includes(ADAPTER_PACKAGE_KEYWORD);
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.message;
  return String(err);
}

export class AdapterRegistry {
  readonly problems: AdapterPackageProblem[] = [];
  private readonly byId = new Map<string, LoadedAdapter>();

  private constructor() {}

  /** Registers definitions directly (tests, tools). Duplicate ids: the first wins, a problem is recorded. */
  static fromDefinitions(defs: AdapterDefinition[]): AdapterRegistry {
    const registry = new AdapterRegistry();
    for (const def of defs) {
      if (!isAdapterDefinition(def)) throw new TypeError('AdapterRegistry.fromDefinitions: every entry must come from defineAdapter()');
      registry.add({ definition: def, packageName: `(inline ${def.id})`, packageVersion: def.version, packageDir: '', builtin: false });
    }
    return registry;
  }

  /** Loads the built-in adapters and discovers adapter packages from `projectDir` upwards. Never throws for a bad package. */
  static async load(options: AdapterRegistryLoadOptions = {}): Promise<AdapterRegistry> {
    const registry = new AdapterRegistry();
    const projectDir = resolve(options.projectDir ?? process.cwd());
    const seenNames = new Set<string>();
    const seenDirs = new Set<string>();
    /** `key`: the name the package is installed under (what Node's lookup shadows by). */
    const take = (c: Candidate, key = c.name): boolean => {
      const real = realpathOr(c.dir);
      if (seenNames.has(key) || seenDirs.has(real)) return false;
      seenNames.add(key);
      seenDirs.add(real);
      return true;
    };

    if (options.builtins !== false) {
      const sdkDir = dirname(fileURLToPath(import.meta.url));
      for (const name of BUILTIN_ADAPTER_PACKAGES) {
        const dir = findPackageDir(name, sdkDir);
        if (dir === undefined) continue; // not installed: skipped silently
        const pkg = readPackageJson(dir) ?? {};
        const c: Candidate = { dir: realpathOr(dir), pkg, name, version: typeof pkg.version === 'string' ? pkg.version : '0.0.0', builtin: true, explicit: true };
        if (take(c)) await registry.loadPackage(c);
      }
    }

    for (const ref of options.extraPackages ?? []) {
      const looksLikePath = ref.startsWith('.') || isAbsolute(ref) || ref.includes('\\') || (!ref.startsWith('@') && ref.includes('/'));
      const dir = looksLikePath ? resolve(projectDir, ref) : findPackageDir(ref, projectDir);
      const pkg = dir !== undefined ? readPackageJson(dir) : undefined;
      if (dir === undefined || pkg === undefined) {
        registry.problems.push({
          packageName: looksLikePath ? ref : ref,
          packageDir: dir ?? '',
          code: 'SF_ADAPTER_LOAD',
          message: looksLikePath
            ? `adapter package directory "${ref}" has no readable package.json (looked in ${resolve(projectDir, ref)})`
            : `adapter package "${ref}" is not installed (searched node_modules from ${projectDir} upwards)`,
        });
        continue;
      }
      const name = typeof pkg.name === 'string' ? pkg.name : ref;
      const c: Candidate = { dir: realpathOr(dir), pkg, name, version: typeof pkg.version === 'string' ? pkg.version : '0.0.0', builtin: false, explicit: true };
      if (take(c)) await registry.loadPackage(c);
    }

    for (const dir of ancestors(projectDir)) {
      for (const pkgDir of packagesIn(join(dir, 'node_modules'))) {
        const pkg = readPackageJson(pkgDir);
        if (pkg === undefined) continue;
        if (pkg.sessionflow === undefined && !hasKeyword(pkg)) continue;
        const installedAs = relative(join(dir, 'node_modules'), pkgDir).split(sep).join('/');
        const name = typeof pkg.name === 'string' ? pkg.name : installedAs;
        const c: Candidate = { dir: pkgDir, pkg, name, version: typeof pkg.version === 'string' ? pkg.version : '0.0.0', builtin: false, explicit: false };
        // A nearer package of the same name shadows this one, as in Node's own lookup.
        if (take(c, installedAs)) await registry.loadPackage(c);
      }
    }
    return registry;
  }

  get(id: string): LoadedAdapter | undefined {
    return this.byId.get(id);
  }

  list(): LoadedAdapter[] {
    return [...this.byId.values()];
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  private add(loaded: LoadedAdapter): void {
    const id = loaded.definition.id;
    const first = this.byId.get(id);
    if (first !== undefined) {
      this.problems.push({
        packageName: loaded.packageName,
        packageDir: loaded.packageDir,
        code: 'SF_ADAPTER_DUPLICATE',
        message: `adapter id "${id}" from package "${loaded.packageName}@${loaded.packageVersion}" is already provided by package "${first.packageName}@${first.packageVersion}"; the later one is ignored`,
      });
      return;
    }
    this.byId.set(id, loaded);
  }

  private problem(c: Candidate, code: AdapterPackageProblemCode, message: string, apiVersion?: number, adapterIds = c.ids): void {
    this.problems.push({
      packageName: c.name,
      packageDir: c.dir,
      code,
      message,
      ...(apiVersion !== undefined ? { apiVersion } : {}),
      ...(adapterIds !== undefined ? { adapterIds: [...adapterIds] } : {}),
    });
  }

  private apiVersionMessage(c: Candidate, apiVersion: number, what: string): string {
    const fix =
      apiVersion > SDK_API_VERSION
        ? `upgrade @sessionflow/sdk or install a version of ${c.name} built for API ${SDK_API_VERSION}`
        : `install a version of ${c.name} built for API ${SDK_API_VERSION}`;
    return `${what} "${label(c)}" targets Sessionflow adapter API ${apiVersion}, but this SDK implements API ${SDK_API_VERSION}: ${fix}`;
  }

  private async loadPackage(c: Candidate): Promise<void> {
    try {
      const section = c.pkg.sessionflow;
      if (section === undefined) {
        const why = hasKeyword(c.pkg) ? `is marked as a Sessionflow adapter (keyword "${ADAPTER_PACKAGE_KEYWORD}") but` : 'was named as an adapter package but';
        this.problem(c, 'SF_ADAPTER_MANIFEST',
          `package "${label(c)}" ${why} its package.json has no "sessionflow" section: add "sessionflow": { "apiVersion": ${SDK_API_VERSION}, "adapters": ["./dist/index.js"] }`);
        return;
      }
      if (typeof section !== 'object' || section === null || Array.isArray(section)) {
        this.problem(c, 'SF_ADAPTER_MANIFEST', `package "${label(c)}": "sessionflow" in package.json must be an object { "apiVersion": ${SDK_API_VERSION}, "adapters": [...] }`);
        return;
      }
      const { apiVersion, adapters, ids } = section as { apiVersion?: unknown; adapters?: unknown; ids?: unknown };
      const idsValid = ids === undefined || (Array.isArray(ids) && ids.length > 0 && ids.every((id) => typeof id === 'string' && ADAPTER_ID_PATTERN.test(id)));
      // Read before the API version check: a refused package is never imported, so its manifest is all there is.
      if (idsValid && ids !== undefined) c.ids = ids as string[];
      if (typeof apiVersion !== 'number' || !Number.isInteger(apiVersion)) {
        this.problem(c, 'SF_ADAPTER_MANIFEST', `package "${label(c)}": "sessionflow.apiVersion" in package.json must be an integer (the adapter API version targeted; this SDK implements ${SDK_API_VERSION})`);
        return;
      }
      if (apiVersion !== SDK_API_VERSION) {
        this.problem(c, 'SF_ADAPTER_API_VERSION', this.apiVersionMessage(c, apiVersion, 'adapter package'), apiVersion);
        return;
      }
      if (!idsValid) {
        this.problem(c, 'SF_ADAPTER_MANIFEST', `package "${label(c)}": "sessionflow.ids" in package.json must be a non-empty array of the adapter ids the package provides (lower-case letters, digits and "-"), e.g. ["acme-crm"]`);
        return;
      }
      if (!Array.isArray(adapters) || adapters.length === 0 || adapters.some((e) => typeof e !== 'string' || e === '')) {
        this.problem(c, 'SF_ADAPTER_MANIFEST', `package "${label(c)}": "sessionflow.adapters" in package.json must be a non-empty array of entry module paths, e.g. ["./dist/index.js"]`);
        return;
      }
      if (c.builtin) {
        // Built-ins are imported by name so that export conditions pick sources or dist.
        await this.loadEntry(c, c.name, c.name);
        return;
      }
      for (const entry of adapters as string[]) {
        const file = resolve(c.dir, entry);
        const rel = relative(c.dir, file);
        if (rel.startsWith('..') || isAbsolute(rel)) {
          this.problem(c, 'SF_ADAPTER_MANIFEST', `package "${label(c)}": adapter entry "${entry}" points outside the package directory`);
          continue;
        }
        if (!existsSync(file)) {
          this.problem(c, 'SF_ADAPTER_LOAD', `package "${label(c)}": adapter entry "${entry}" does not exist (${file}); is the package built?`);
          continue;
        }
        await this.loadEntry(c, entry, pathToFileURL(file).href);
      }
    } catch (err) {
      this.problem(c, 'SF_ADAPTER_LOAD', `package "${label(c)}" could not be loaded: ${errorMessage(err)}`);
    }
  }

  private async loadEntry(c: Candidate, entry: string, specifier: string): Promise<void> {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(specifier)) as Record<string, unknown>;
    } catch (err) {
      const message = errorMessage(err);
      const code = (err as { code?: unknown } | null)?.code;
      const unbuilt = code === 'ERR_MODULE_NOT_FOUND' && (message.includes(c.dir) || message.includes(`node_modules/${c.name}/`));
      this.problem(c, 'SF_ADAPTER_LOAD', `package "${label(c)}": importing adapter entry "${entry}" failed: ${message}${unbuilt ? ' (is the package built?)' : ''}`);
      return;
    }
    const def = isAdapterDefinition(mod.default) ? mod.default : isAdapterDefinition(mod.adapter) ? mod.adapter : undefined;
    if (def === undefined) {
      const candidate = mod.default ?? mod.adapter;
      const hint =
        typeof candidate === 'object' && candidate !== null && 'id' in candidate
          ? 'its default export looks like a plain declaration: wrap it in defineAdapter() from @sessionflow/sdk'
          : 'export default defineAdapter({...}) from @sessionflow/sdk (or export it as "adapter")';
      this.problem(c, 'SF_ADAPTER_LOAD', `package "${label(c)}": adapter entry "${entry}" does not export an adapter definition; ${hint}`);
      return;
    }
    if (def.apiVersion !== SDK_API_VERSION) {
      this.problem(c, 'SF_ADAPTER_API_VERSION', this.apiVersionMessage(c, def.apiVersion, `adapter "${def.id}" in package`), def.apiVersion, c.ids ?? [def.id]);
      return;
    }
    this.add({ definition: def, packageName: c.name, packageVersion: c.version, packageDir: c.dir, builtin: c.builtin });
  }
}
