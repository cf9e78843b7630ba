/**
 * Project configuration: `sessionflow.config.yaml` (or `.yml`), or a `sessionflow` key in
 * package.json. It sets rule severities and lists extra adapter packages:
 *
 * ```yaml
 * rules:                       # rule name -> off | hint | info | warning | error
 *   session/exchange-scope-no-reuse: off
 *   flow/unused-receiver: warning
 * adapterPackages:             # package names or directories (relative to the config file)
 *   - ./adapters/acme-crm
 * ```
 *
 * Discovery walks up from a directory to the first `sessionflow.config.yaml|yml`, or
 * package.json with a `sessionflow` key holding `rules`/`adapterPackages` (an adapter
 * package's own manifest section — `apiVersion` + `adapters` — is not a project config).
 * Bad entries become `problems` (messages naming the file and the entry), never exceptions;
 * only an explicitly named config file that cannot be read throws `ConfigError`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve, basename } from 'node:path';
import { parseDocument } from 'yaml';
import { closest } from './analysis/helpers.js';
import { rules } from './analysis/registry.js';
import { INTERNAL_RULE } from './analysis/analyze.js';
import type { Severity } from './analysis/types.js';

export const CONFIG_FILE_NAMES = ['sessionflow.config.yaml', 'sessionflow.config.yml'];
const LEVELS = ['off', 'hint', 'info', 'warning', 'error'] as const;

export interface ProjectConfig {
  /** The file the configuration came from, if any. */
  file?: string;
  /** Rule name -> severity or `off`. */
  severities: Record<string, Severity | 'off'>;
  /** Extra adapter packages: names, or directories resolved against the config file's folder. */
  adapterPackages: string[];
  /** Problems found in the configuration (each names the file). */
  problems: string[];
}

export class ConfigError extends Error {
  readonly code = 'SF_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Interprets a configuration object (the YAML document or package.json's `sessionflow` value).
 * `file` names the source in problems; `baseDir` resolves relative adapter package paths.
 */
export function parseProjectConfig(value: unknown, file: string, baseDir = dirname(file)): ProjectConfig {
  const config: ProjectConfig = { file, severities: {}, adapterPackages: [], problems: [] };
  if (value === undefined || value === null) return config;
  if (!isPlainObject(value)) {
    config.problems.push(`${file}: the configuration must be a map with "rules" and "adapterPackages", got ${Array.isArray(value) ? 'a list' : typeof value}`);
    return config;
  }
  const known = new Set(rules.map((r) => r.name));
  known.add(INTERNAL_RULE);
  const ruleMap = value.rules ?? value.severities;
  if (ruleMap !== undefined) {
    if (!isPlainObject(ruleMap)) {
      config.problems.push(`${file}: "rules" must be a map of rule name to one of ${LEVELS.join(', ')}`);
    } else {
      for (const [name, level] of Object.entries(ruleMap)) {
        const l = typeof level === 'boolean' ? (level ? undefined : 'off') : level;
        if (!known.has(name)) {
          const s = closest(name, [...known]);
          config.problems.push(`${file}: rules: unknown rule "${name}"${s ? ` (did you mean "${s}"?)` : ''}; it is ignored`);
          continue;
        }
        if (typeof l !== 'string' || !(LEVELS as readonly string[]).includes(l)) {
          config.problems.push(`${file}: rules.${name}: must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
          continue;
        }
        config.severities[name] = l as Severity | 'off';
      }
    }
  }
  const packages = value.adapterPackages;
  if (packages !== undefined) {
    if (!Array.isArray(packages)) {
      config.problems.push(`${file}: "adapterPackages" must be a list of package names or directories`);
    } else {
      packages.forEach((p, i) => {
        if (typeof p !== 'string' || p.trim() === '') {
          config.problems.push(`${file}: adapterPackages[${i}]: must be a package name or a directory, got ${JSON.stringify(p)}`);
          return;
        }
        const looksLikePath = p.startsWith('.') || p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p);
        config.adapterPackages.push(looksLikePath ? resolve(baseDir, p) : p);
      });
    }
  }
  for (const key of Object.keys(value)) {
    if (!['rules', 'severities', 'adapterPackages'].includes(key)) config.problems.push(`${file}: unknown key "${key}" (known: rules, adapterPackages); it is ignored`);
  }
  return config;
}

/** Reads one configuration file (YAML config or package.json). Throws ConfigError if unreadable. */
export function readConfigFile(file: string): ProjectConfig {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    throw new ConfigError(code === 'ENOENT' ? `config file not found: ${file}` : `cannot read config file ${file}: ${code ?? String(err)}`);
  }
  if (basename(abs) === 'package.json') {
    let pkg: unknown;
    try {
      pkg = JSON.parse(text);
    } catch (err) {
      return { file: abs, severities: {}, adapterPackages: [], problems: [`${abs}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`] };
    }
    return parseProjectConfig(isPlainObject(pkg) ? projectSection(pkg.sessionflow) : undefined, abs);
  }
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    return { file: abs, severities: {}, adapterPackages: [], problems: [`${abs}: YAML syntax error: ${String(e?.message ?? 'unknown').split('\n')[0]}`] };
  }
  return parseProjectConfig(doc.toJS(), abs);
}

/** The project-config part of package.json's `sessionflow` value (without an adapter manifest's keys). */
function projectSection(section: unknown): unknown {
  if (!isPlainObject(section)) return section;
  const { apiVersion: _a, adapters: _b, ...rest } = section;
  return rest;
}

function isProjectPackageJson(file: string): boolean {
  try {
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!isPlainObject(pkg) || !isPlainObject(pkg.sessionflow)) return false;
    return 'rules' in pkg.sessionflow || 'severities' in pkg.sessionflow || 'adapterPackages' in pkg.sessionflow;
  } catch {
    return false;
  }
}

/** The configuration file that applies to `dir` (walking up), if any. */
export function findProjectConfig(dir: string): string | undefined {
  let cur = resolve(dir);
  try {
    if (existsSync(cur) && !statSync(cur).isDirectory()) cur = dirname(cur);
  } catch {
    // keep cur
  }
  for (let i = 0; i < 64; i++) {
    for (const name of CONFIG_FILE_NAMES) {
      const f = join(cur, name);
      if (existsSync(f)) return f;
    }
    const pkg = join(cur, 'package.json');
    if (existsSync(pkg) && isProjectPackageJson(pkg)) return pkg;
    const parent = dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  return undefined;
}

/**
 * Loads the configuration for a directory: the explicit `file` when given (throws ConfigError
 * when it cannot be read), else the nearest discovered one, else an empty configuration.
 */
export async function loadProjectConfig(dir: string, options: { file?: string } = {}): Promise<ProjectConfig> {
  if (options.file !== undefined) return readConfigFile(resolve(dir, options.file));
  const found = findProjectConfig(dir);
  if (!found) return { severities: {}, adapterPackages: [], problems: [] };
  try {
    return readConfigFile(found);
  } catch (err) {
    return { file: found, severities: {}, adapterPackages: [], problems: [err instanceof Error ? err.message : String(err)] };
  }
}
