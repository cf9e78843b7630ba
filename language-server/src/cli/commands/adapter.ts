/**
 * `sessionflow adapter check [DIR]`: lints an adapter package before it is published — the
 * manifest (`sessionflow` section, keyword, API version, entries built and packed, the optional
 * `ids` list matching the ids the entries define), each
 * entry's definition (imported, as the registry would), its config schema, the consistency of
 * its capability flags, the SDK dependency, and the README (exists, documents every config field).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ADAPTER_ID_PATTERN,
  ADAPTER_PACKAGE_KEYWORD,
  AdapterDeclarationError,
  AUTH_TYPES,
  configWithDefaults,
  defineAdapter,
  isAdapterDefinition,
  SDK_API_VERSION,
  validateAdapterConfig,
} from '@sessionflow/sdk';
import type { AdapterDeclaration, AdapterDefinition, JsonSchema, VariantDeclaration } from '@sessionflow/sdk';
import { CliError, parseArgs, UsageError } from '../args.js';
import { type CliCommand, type CliIO, println } from '../io.js';

const usage = `Usage: sessionflow adapter check [DIR] [--json] [--strict]

Lints an adapter package (default: the current directory) before publishing:
  - package.json: a "sessionflow" section { apiVersion, adapters: [entry, ...] } and the keyword
    "${ADAPTER_PACKAGE_KEYWORD}"; apiVersion equal to this SDK's adapter API (${SDK_API_VERSION}); every entry
    built, inside the package and included in "files"; @sessionflow/sdk as a peer dependency;
    the optional "ids" list equal to the ids the entries define
  - each entry: imported as the runtime would, default-exports defineAdapter({...}) with the same
    API version; a valid config schema whose defaults pass it, with a description for each field
  - capability flags consistent with each other and with the declared auth types
  - README.md exists and mentions every config field

Options:
  --json     Print the findings as JSON
  --strict   Treat warnings as errors

Exit code: 0 when there is no error, 1 when there is one, 2 on bad usage.`;

export type Severity = 'error' | 'warning';

export interface Finding {
  severity: Severity;
  /** Where: a file, a package.json field or a declaration field. */
  where: string;
  message: string;
}

export interface CheckedAdapter {
  entry: string;
  id: string;
  version: string;
  apiVersion: number;
  variants: string[];
  configFields: string[];
}

export interface AdapterCheckResult {
  dir: string;
  packageName?: string;
  packageVersion?: string;
  adapters: CheckedAdapter[];
  findings: Finding[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function firstLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0] ?? m;
}

/** `./dist/src/index.js` → `dist/src/index.js`. */
function normalizeRel(p: string): string {
  return p.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
}

/** True when `file` (relative) is covered by a package.json "files" entry (folder, file or simple glob). */
function coveredByFiles(file: string, files: string[]): boolean {
  const f = normalizeRel(file);
  return files.some((raw) => {
    const pattern = normalizeRel(raw);
    if (pattern === '' || pattern === '*' || pattern === '**') return true;
    if (pattern.includes('*')) {
      const re = new RegExp(`^${pattern.split('**').map((part) => part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')).join('.*')}(/.*)?$`);
      return re.test(f);
    }
    return f === pattern || f.startsWith(`${pattern}/`);
  });
}

function readmeFile(dir: string): string | undefined {
  try {
    const name = readdirSync(dir).find((n) => /^readme(\.(md|markdown|txt))?$/i.test(n));
    return name !== undefined ? join(dir, name) : undefined;
  } catch {
    return undefined;
  }
}

/** Checks one variant's capability flags for consistency. */
function checkVariant(v: VariantDeclaration, where: string, add: (s: Severity, w: string, m: string) => void): void {
  const receiverRole = v.direction === 'receiver' || v.direction === 'both';
  if (v.csrf && (!receiverRole || v.stepKinds.length === 0)) {
    add('error', `${where}.csrf`, 'csrf is true, but the variant makes no outbound calls (no receiver direction or no step kinds): CSRF tokens are only fetched for modifying calls of a receiver');
  }
  if (v.csrf && v.sessionReuse === 'unsupported') {
    add('error', `${where}.csrf`, 'csrf is true with sessionReuse "unsupported": a CSRF token belongs to a session, so it would be fetched in one session and sent in another and every modifying call fails with 403; declare csrf: false or support sessions');
  }
  if (!receiverRole && v.stepKinds.length > 0) {
    add('warning', `${where}.stepKinds`, `a "${v.direction}" variant declares step kinds (${v.stepKinds.join(', ')}), which only apply to receivers`);
  }
  for (const [i, a] of v.auth.entries()) {
    const af = `${where}.auth[${i}]`;
    if (!(AUTH_TYPES as readonly string[]).includes(a.type)) {
      add('error', `${af}.type`, `unknown auth type "${String(a.type)}" (known: ${AUTH_TYPES.join(', ')})`);
      continue;
    }
    const proxies = a.proxies ?? ['internet', 'onPremise'];
    if (a.type === 'principal-propagation' && !proxies.includes('onPremise')) {
      add('error', `${af}.proxies`, 'principal-propagation only works through an on-premise connector; allow proxy "onPremise"');
    }
    if (a.type === 'client-certificate' && proxies.includes('onPremise')) {
      add('warning', `${af}.proxies`, 'client-certificate through an on-premise connector: the TLS session ends at the connector, so the backend never sees the certificate; restrict it with proxies: ["internet"]');
    }
    if (a.type === 'oauth2-client-credentials' && !proxies.includes('internet')) {
      add('warning', `${af}.proxies`, 'oauth2-client-credentials restricted to on-premise: the token endpoint is normally reached over the internet');
    }
  }
  if (receiverRole && v.auth.length > 0 && v.auth.every((a) => a.type === 'none') && v.sessionReuse === 'required') {
    add('warning', `${where}.sessionReuse`, 'sessionReuse "required" but the only auth type is none: check that the backend opens sessions without credentials');
  }
}

/** Checks the config schema beyond what defineAdapter() enforces. */
function checkSchema(def: AdapterDefinition, where: string, add: (s: Severity, w: string, m: string) => void): string[] {
  const schema = def.configSchema;
  const props = isPlainObject(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : {};
  for (const [name, sub] of Object.entries(props)) {
    if (!isPlainObject(sub)) continue;
    if (typeof sub.description !== 'string' && typeof sub.markdownDescription !== 'string') {
      add('warning', `${where}.configSchema.properties.${name}`, `config field "${name}" has no description: editors cannot explain it on hover and completion`);
    }
    if ('default' in sub) {
      const probe = validateAdapterConfig(def, { ...configWithDefaults(def, {}), [name]: sub.default });
      const own = probe.filter((p) => p.path[0] === name);
      if (own.length > 0) add('error', `${where}.configSchema.properties.${name}.default`, `the default ${JSON.stringify(sub.default)} violates the field's own schema: ${own.map((p) => p.message).join('; ')}`);
    }
  }
  if (schema.additionalProperties !== false && schema.unevaluatedProperties !== false) {
    add('warning', `${where}.configSchema`, 'the config schema allows unknown fields (no additionalProperties: false): typos in a flow\'s config go unnoticed');
  }
  return Object.keys(props);
}

/** Runs every check on the package in `dir`. Never throws for a bad package: problems become findings. */
export async function checkAdapterPackage(dir: string): Promise<AdapterCheckResult> {
  const findings: Finding[] = [];
  const add = (severity: Severity, where: string, message: string): void => {
    findings.push({ severity, where, message });
  };
  const result: AdapterCheckResult = { dir, adapters: [], findings };

  const pkgFile = join(dir, 'package.json');
  let pkg: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(readFileSync(pkgFile, 'utf8'));
    if (!isPlainObject(parsed)) throw new Error('not a JSON object');
    pkg = parsed;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    add('error', 'package.json', code === 'ENOENT' ? `no package.json in ${dir}: is this an adapter package?` : `cannot be read: ${firstLine(err)}`);
    return result;
  }
  if (typeof pkg.name === 'string' && pkg.name !== '') result.packageName = pkg.name;
  else add('error', 'package.json#name', 'missing: a package needs a name to be published');
  if (typeof pkg.version === 'string' && pkg.version !== '') result.packageVersion = pkg.version;
  else add('error', 'package.json#version', 'missing: a package needs a version to be published');
  if (pkg.private === true) add('warning', 'package.json#private', 'the package is private: npm publish will refuse it');

  const keywords = Array.isArray(pkg.keywords) ? pkg.keywords : [];
  if (!keywords.includes(ADAPTER_PACKAGE_KEYWORD)) {
    add('error', 'package.json#keywords', `missing the keyword "${ADAPTER_PACKAGE_KEYWORD}": registries and tools find adapter packages by it; add "keywords": ["${ADAPTER_PACKAGE_KEYWORD}"]`);
  }

  const peer = isPlainObject(pkg.peerDependencies) ? pkg.peerDependencies['@sessionflow/sdk'] : undefined;
  const dep = isPlainObject(pkg.dependencies) ? pkg.dependencies['@sessionflow/sdk'] : undefined;
  if (dep !== undefined) {
    add('warning', 'package.json#dependencies', '@sessionflow/sdk is a regular dependency: a flow project would load a second copy of the SDK; make it a peerDependency (and a devDependency for building)');
  } else if (peer === undefined) {
    add('warning', 'package.json#peerDependencies', '@sessionflow/sdk is not a peer dependency: declare the SDK versions the adapter works with, e.g. "peerDependencies": { "@sessionflow/sdk": "^0.1.0" }');
  }

  const section = pkg.sessionflow;
  const fix = `"sessionflow": { "apiVersion": ${SDK_API_VERSION}, "adapters": ["./dist/src/index.js"] }`;
  let entries: string[] = [];
  /** `sessionflow.ids` when present and well-formed: the ids tools read without importing the package. */
  let manifestIds: string[] | undefined;
  if (section === undefined) {
    add('error', 'package.json#sessionflow', `missing: without it no Sessionflow tool loads the package; add ${fix}`);
  } else if (!isPlainObject(section)) {
    add('error', 'package.json#sessionflow', `must be an object: ${fix}`);
  } else {
    const apiVersion = section.apiVersion;
    if (typeof apiVersion !== 'number' || !Number.isInteger(apiVersion)) {
      add('error', 'package.json#sessionflow.apiVersion', `must be an integer, the adapter API version targeted (this SDK implements ${SDK_API_VERSION})`);
    } else if (apiVersion !== SDK_API_VERSION) {
      add('error', 'package.json#sessionflow.apiVersion', `is ${apiVersion}, but this SDK implements adapter API ${SDK_API_VERSION}: flow projects with this SDK refuse the package (rebuild it against @sessionflow/sdk with API ${SDK_API_VERSION})`);
    }
    if (!Array.isArray(section.adapters) || section.adapters.length === 0 || section.adapters.some((e) => typeof e !== 'string' || e === '')) {
      add('error', 'package.json#sessionflow.adapters', 'must be a non-empty array of entry module paths, e.g. ["./dist/src/index.js"]');
    } else {
      entries = section.adapters as string[];
    }
    const declared = section.ids;
    if (declared !== undefined) {
      if (!Array.isArray(declared) || declared.length === 0 || declared.some((id) => typeof id !== 'string' || !ADAPTER_ID_PATTERN.test(id))) {
        add('error', 'package.json#sessionflow.ids', 'must be a non-empty array of the adapter ids the package provides (lower-case letters, digits and "-"), e.g. ["acme-crm"]; or leave it out');
      } else {
        manifestIds = declared as string[];
      }
    }
  }

  const files = Array.isArray(pkg.files) ? pkg.files.filter((f): f is string => typeof f === 'string') : undefined;
  const ids = new Map<string, string>();
  const configFields = new Set<string>();
  for (const entry of entries) {
    const where = `entry ${entry}`;
    const file = resolve(dir, entry);
    const rel = relative(dir, file);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      add('error', where, 'points outside the package folder');
      continue;
    }
    if (files !== undefined && !coveredByFiles(rel.split(sep).join('/'), files)) {
      add('error', where, `is not included by package.json "files" (${files.join(', ')}): npm pack would leave it out`);
    }
    if (!existsSync(file)) {
      add('error', where, `does not exist (${file}): build the package first (npm run build)`);
      continue;
    }
    let mod: Record<string, unknown>;
    try {
      mod = (await import(`${pathToFileURL(file).href}?check=${Date.now()}`)) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof AdapterDeclarationError || (err as { code?: unknown }).code === 'SF_ADAPTER_DECLARATION') {
        add('error', where, `defineAdapter() refused the declaration: ${firstLine(err)}`);
      } else {
        add('error', where, `importing it failed: ${firstLine(err)}${(err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' ? ' (dependencies installed? package built?)' : ''}`);
      }
      continue;
    }
    const candidate = mod.default ?? mod.adapter;
    let def: AdapterDefinition;
    if (isAdapterDefinition(candidate)) {
      def = candidate;
    } else if (isPlainObject(candidate) && 'id' in candidate) {
      try {
        defineAdapter(candidate as unknown as AdapterDeclaration);
        add('error', where, 'its default export is a plain declaration: wrap it in defineAdapter() from @sessionflow/sdk');
      } catch (err) {
        add('error', where, `its default export is a plain declaration, and defineAdapter() would refuse it: ${firstLine(err)}`);
      }
      continue;
    } else {
      add('error', where, 'does not export an adapter definition: export default defineAdapter({...}) from @sessionflow/sdk');
      continue;
    }
    const dw = `adapter "${def.id}"`;
    if (def.apiVersion !== SDK_API_VERSION) {
      add('error', `${dw}.apiVersion`, `is ${def.apiVersion}, but this SDK implements adapter API ${SDK_API_VERSION}`);
    }
    if (isPlainObject(section) && typeof section.apiVersion === 'number' && section.apiVersion !== def.apiVersion) {
      add('error', `${dw}.apiVersion`, `is ${def.apiVersion}, but package.json "sessionflow.apiVersion" says ${section.apiVersion}: keep them equal`);
    }
    if (result.packageVersion !== undefined && def.version !== result.packageVersion) {
      add('warning', `${dw}.version`, `is "${def.version}", but the package version is "${result.packageVersion}": tools show both; keep them equal`);
    }
    const other = ids.get(def.id);
    if (other !== undefined) add('error', dw, `is declared by two entries (${other} and ${entry})`);
    ids.set(def.id, entry);
    def.variants.forEach((v, i) => checkVariant(v, `${dw}.variants[${i}] (${v.id})`, add));
    const fields = checkSchema(def, dw, add);
    for (const f of fields) configFields.add(f);
    result.adapters.push({ entry, id: def.id, version: def.version, apiVersion: def.apiVersion, variants: def.variants.map((v) => v.id), configFields: fields });
  }

  if (manifestIds !== undefined) {
    const listed = new Set(manifestIds);
    for (const [id, entry] of ids) {
      if (!listed.has(id)) {
        add('error', 'package.json#sessionflow.ids', `does not list adapter "${id}", which ${entry} defines: tools read the ids without importing the package, so receivers using "${id}" would be attributed to no package; add "${id}"`);
      }
    }
    // Only when every entry yielded a definition: otherwise the id may be defined by an entry that failed to load.
    if (entries.length > 0 && result.adapters.length === entries.length) {
      const defined = [...ids.keys()];
      for (const id of listed) {
        if (!ids.has(id)) {
          add('error', 'package.json#sessionflow.ids', `lists adapter "${id}", but no entry defines it (the entries define: ${defined.length > 0 ? defined.map((d) => `"${d}"`).join(', ') : 'none'}): remove it, or fix the id in the entry's defineAdapter({ id })`);
        }
      }
    }
  }

  const readme = readmeFile(dir);
  if (readme === undefined) {
    add('error', 'README.md', 'missing: document the adapter id, capabilities and every config field (npm shows the README on the package page)');
  } else {
    const text = readFileSync(readme, 'utf8');
    for (const f of configFields) {
      if (!new RegExp(`(^|[^A-Za-z0-9_])${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^A-Za-z0-9_]|$)`).test(text)) {
        add('error', relative(dir, readme), `does not mention config field "${f}": document what it does, its type and default`);
      }
    }
    for (const a of result.adapters) {
      if (!text.includes(a.id)) add('warning', relative(dir, readme), `does not mention the adapter id "${a.id}" that flows use in "adapter:"`);
    }
  }
  return result;
}

function formatText(r: AdapterCheckResult, strict: boolean): string {
  const lines: string[] = [];
  const label = r.packageName !== undefined ? `${r.packageName}@${r.packageVersion ?? '?'}` : r.dir;
  lines.push(`Checking adapter package ${label} (${r.dir}), adapter API ${SDK_API_VERSION}`);
  for (const a of r.adapters) {
    lines.push(`  adapter "${a.id}" ${a.version} from ${a.entry}: variants ${a.variants.join(', ')}; config fields ${a.configFields.length > 0 ? a.configFields.join(', ') : '(none)'}`);
  }
  for (const f of r.findings) {
    const sev = f.severity === 'warning' && strict ? 'error' : f.severity;
    lines.push(`  ${sev.padEnd(7)} ${f.where}: ${f.message}`);
  }
  const errors = r.findings.filter((f) => f.severity === 'error' || strict).length;
  const warnings = r.findings.length - errors;
  lines.push(errors === 0 && warnings === 0 ? 'OK: ready to publish.' : `${errors} error(s), ${warnings} warning(s)${errors === 0 ? ': ready to publish' : ''}.`);
  return lines.join('\n');
}

async function runCheck(args: string[], io: CliIO): Promise<number> {
  const { options, positionals } = parseArgs(args, { json: { type: 'boolean' }, strict: { type: 'boolean' } }, { maxPositionals: 1 });
  const dir = resolve(io.cwd, positionals[0] ?? '.');
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new CliError(`package folder not found: ${dir}`, 2);
  const result = await checkAdapterPackage(dir);
  const strict = options.strict === true;
  const failed = result.findings.some((f) => f.severity === 'error' || strict);
  if (options.json) println(io.stdout, JSON.stringify({ apiVersion: SDK_API_VERSION, ok: !failed, ...result }, null, 2));
  else println(io.stdout, formatText(result, strict));
  return failed ? 1 : 0;
}

async function run(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined) throw new UsageError('missing subcommand (check)');
  if (sub === 'check') return runCheck(rest, io);
  throw new UsageError(`unknown subcommand "${sub}" (known: check)`);
}

const command: CliCommand = {
  name: 'adapter',
  summary: 'Adapter package tools: "adapter check [DIR]" lints a package before publishing',
  usage,
  run,
};

export default command;
