/**
 * `sessionflow new-adapter NAME [--dir D]`: scaffolds a working TypeScript adapter package from
 * `templates/adapter` (declaration with capabilities, config schema, `send()` over
 * `context.http`, README, tests with the conformance kit, build/test/pack scripts, the
 * `sessionflow` section and keyword in package.json). Writes nothing outside the new folder and
 * never overwrites existing files.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADAPTER_ID_PATTERN, SDK_API_VERSION } from '@sessionflow/sdk';
import { CliError, parseArgs, UsageError } from '../args.js';
import { type CliCommand, type CliIO, println } from '../io.js';

const usage = `Usage: sessionflow new-adapter NAME [--dir DIR] [--package NAME] [--display-name TEXT] [--sdk SPEC]

Creates a new Sessionflow adapter package: a TypeScript project with the adapter declaration
(variants, capabilities, config schema), send() using the session-aware client context.http,
a README, tests that pass out of the box (unit, wire, the SDK's conformance kit and a
record/replay test), build/test/pack scripts, and the "sessionflow" section plus the
"sessionflow-adapter" keyword in package.json that make tools find it.

NAME is the adapter id (lower-case letters, digits, dashes, e.g. acme-crm; the package is then
called sessionflow-adapter-acme-crm) or a package name (e.g. @acme/sessionflow-adapter-crm;
the id is then derived from it: crm).

Options:
  --dir DIR            Folder to create (default: ./<package name without scope>); must not exist or be empty
  --package NAME       npm package name (default: sessionflow-adapter-<id>, or NAME when it is a package name)
  --id ID              Adapter id (default: derived from NAME)
  --display-name TEXT  Human-readable name (default: from the id, e.g. "Acme Crm")
  --sdk SPEC           Version spec of the @sessionflow/sdk dev dependency (default: ^<this SDK's version>;
                       e.g. a tarball path or file: spec to develop against a local SDK build)

Then: cd DIR && npm install && npm test`;

const PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
const DISPLAY_NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._()&+-]*$/u;
const TYPESCRIPT_RANGE = '~5.9.3';
const TYPES_NODE_RANGE = '^20.19.0';

/** The language-server package folder (src/cli/commands and dist/src/cli/commands sit at different depths). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === '@sessionflow/language-server') return dir;
    } catch {
      // keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new CliError('cannot find the @sessionflow/language-server package folder (and with it the adapter template)');
}

export function templateDir(): string {
  const dir = join(packageRoot(), 'templates', 'adapter');
  if (!existsSync(dir)) throw new CliError(`the adapter template is missing: ${dir} (a broken installation of @sessionflow/language-server?)`);
  return dir;
}

/** Version of the @sessionflow/sdk this CLI runs with. */
export function sdkVersion(): string {
  try {
    const file = createRequire(import.meta.url).resolve('@sessionflow/sdk/package.json');
    const v = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
    if (typeof v === 'string') return v;
  } catch {
    // fall through
  }
  return '0.1.0';
}

/** `@acme/sessionflow-adapter-crm` → `crm`; `sessionflow-adapter-acme` → `acme`. */
export function idFromPackageName(name: string): string {
  const bare = name.replace(/^@[^/]+\//, '').toLowerCase();
  return bare.replace(/^(sessionflow-adapter-|adapter-|sessionflow-)/, '').replace(/-sessionflow-adapter$/, '');
}

export interface AdapterNames {
  id: string;
  packageName: string;
  displayName: string;
}

/** Works out id, package name and display name from NAME and the options; throws UsageError on bad input. */
export function adapterNames(name: string, options: { id?: string; package?: string; displayName?: string }): AdapterNames {
  const looksLikePackage = name.startsWith('@') || name.includes('/') || /^sessionflow-adapter-/.test(name);
  const id = options.id ?? (looksLikePackage ? idFromPackageName(name) : name);
  if (!ADAPTER_ID_PATTERN.test(id)) {
    throw new UsageError(
      `"${id}" is not a valid adapter id: use lower-case letters, digits and dashes, starting with a letter (e.g. acme-crm)${options.id === undefined && looksLikePackage ? '; pass --id' : ''}`,
    );
  }
  const packageName = options.package ?? (looksLikePackage ? name : `sessionflow-adapter-${name}`);
  if (!PACKAGE_NAME.test(packageName) || packageName.length > 214) {
    throw new UsageError(`"${packageName}" is not a valid npm package name (lower-case letters, digits, "-", "." or "_", optionally @scope/name)`);
  }
  const displayName = options.displayName ?? id.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
  if (!DISPLAY_NAME.test(displayName) || displayName.length > 80) {
    throw new UsageError(`display name "${displayName}" may hold letters, digits, spaces and . _ ( ) & + - only (at most 80 characters)`);
  }
  return { id, packageName, displayName };
}

function templateFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...templateFiles(p, base));
    else if (name.endsWith('.tmpl')) out.push(relative(base, p));
  }
  return out;
}

/** Output path of a template file: drop `.tmpl`, `_gitignore` → `.gitignore` (npm would drop a packed .gitignore). */
function outputName(rel: string): string {
  const name = rel.slice(0, -'.tmpl'.length);
  return join(dirname(name), basename(name) === '_gitignore' ? '.gitignore' : basename(name));
}

export function render(text: string, values: Record<string, string>, file: string): string {
  const out = text.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => {
    const v = values[key];
    if (v === undefined) throw new CliError(`adapter template ${file} uses an unknown placeholder ${whole}`);
    return v;
  });
  return out;
}

export interface ScaffoldResult {
  dir: string;
  files: string[];
  names: AdapterNames;
}

/** Creates the adapter package in `dir`. Refuses a non-empty existing folder. */
export function scaffoldAdapter(dir: string, names: AdapterNames, sdkSpec?: string): ScaffoldResult {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new CliError(`${dir} exists and is not a folder`);
    if (readdirSync(dir).length > 0) throw new CliError(`${dir} already exists and is not empty; choose another --dir`);
  }
  const version = sdkVersion();
  const values: Record<string, string> = {
    id: names.id,
    packageName: names.packageName,
    displayName: names.displayName,
    typeName: names.id.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(''),
    errorPrefix: names.id.toUpperCase().replace(/-/g, '_'),
    apiVersion: String(SDK_API_VERSION),
    sdkRange: `^${version}`,
    sdkSpec: sdkSpec ?? `^${version}`,
    typescriptRange: TYPESCRIPT_RANGE,
    typesNodeRange: TYPES_NODE_RANGE,
  };
  // JSON-escape what goes into package.json (the spec may be a Windows path).
  const jsonValues = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, JSON.stringify(v).slice(1, -1)]));
  const source = templateDir();
  const rendered = templateFiles(source).map((rel) => {
    const text = readFileSync(join(source, rel), 'utf8');
    return { out: outputName(rel), text: render(text, rel.endsWith('.json.tmpl') ? jsonValues : values, rel) };
  });
  const files: string[] = [];
  for (const { out, text } of rendered) {
    const target = join(dir, out);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text, { encoding: 'utf8', flag: 'wx' });
    files.push(out.split('\\').join('/'));
  }
  return { dir, files, names };
}

async function run(args: string[], io: CliIO): Promise<number> {
  const { options, positionals } = parseArgs(
    args,
    {
      dir: { type: 'string' },
      package: { type: 'string' },
      id: { type: 'string' },
      'display-name': { type: 'string' },
      sdk: { type: 'string' },
    },
    { minPositionals: 1, maxPositionals: 1 },
  );
  const names = adapterNames(positionals[0]!, {
    ...(options.id !== undefined ? { id: options.id } : {}),
    ...(options.package !== undefined ? { package: options.package } : {}),
    ...(options['display-name'] !== undefined ? { displayName: options['display-name'] } : {}),
  });
  const dir = resolve(io.cwd, options.dir ?? names.packageName.replace(/^@[^/]+\//, ''));
  const result = scaffoldAdapter(dir, names, options.sdk);
  const shown = relative(io.cwd, dir) || '.';
  println(io.stdout, `Created adapter "${names.id}" (package ${names.packageName}, adapter API ${SDK_API_VERSION}) in ${shown}:`);
  for (const f of result.files) println(io.stdout, `  ${f}`);
  println(io.stdout);
  println(io.stdout, 'Next steps:');
  println(io.stdout, `  cd ${shown.includes(' ') ? JSON.stringify(shown) : shown}`);
  println(io.stdout, '  npm install');
  println(io.stdout, '  npm test                      # build, unit tests and the conformance kit');
  println(io.stdout, '  sessionflow adapter check .   # lint the package before publishing');
  println(io.stdout, '  npm pack                      # or npm publish');
  return 0;
}

const command: CliCommand = {
  name: 'new-adapter',
  summary: 'Create a new adapter package (TypeScript, tests with the conformance kit, ready to pack)',
  usage,
  run,
};

export default command;
