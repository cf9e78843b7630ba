/**
 * `sessionflow validate [PATHS...]`: runs the analysis core on flow files and folders and
 * prints the diagnostics as text, JSON or SARIF 2.1.0. Exit code 1 when any diagnostic is an
 * error, 0 otherwise, 2 for usage problems (missing path, unreadable config, no flow files).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { relative, resolve, sep, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AdapterRegistry, parseFlow } from '@sessionflow/sdk';
import { analyze, formatJson, formatSarif, formatText, type AdapterCatalog, type Diagnostic, type FileReport } from '../../analysis/index.js';
import { ConfigError, loadProjectConfig } from '../../config.js';
import { CliError, parseArgs, UsageError } from '../args.js';
import { type CliCommand, type CliIO, println } from '../io.js';
import { cliVersion } from '../version.js';

const FORMATS = ['text', 'json', 'sarif'] as const;
type Format = (typeof FORMATS)[number];

const usage = `Usage: sessionflow validate [PATHS...] [--format text|json|sarif] [--config FILE]

Checks flow files against the flow schema, the installed adapters' capabilities and the
session-handling rules. PATHS are files or folders (default: the current folder); folders
are searched recursively for *.flow.yaml / *.flow.yml, skipping node_modules and hidden folders.

Options:
  --format FORMAT  text (default: file:line:col severity rule message), json, or sarif
                   (SARIF 2.1.0, e.g. for GitHub code scanning)
  --config FILE    sessionflow.config.yaml or package.json with rule severities and adapter
                   packages (default: the nearest one from the current folder up)

Exit code: 1 when a diagnostic is an error, 0 otherwise; 2 for a missing path, an unreadable
config file or no flow files found.`;

const FLOW_FILE = /\.flow\.ya?ml$/;
const SKIP_DIRS = new Set(['node_modules']);

/** Flow files under a folder, sorted, skipping node_modules and hidden folders; bounded depth. */
function collect(dir: string, out: string[], depth = 0): void {
  if (depth > 32) return;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw new CliError(`cannot read folder ${dir}: ${(err as NodeJS.ErrnoException)?.code ?? String(err)}`, 2);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (SKIP_DIRS.has(e.name) || e.name.startsWith('.')) continue;
      collect(p, out, depth + 1);
    } else if (e.isFile() && FLOW_FILE.test(e.name)) {
      out.push(p);
    }
  }
}

function displayPath(cwd: string, file: string): string {
  const rel = relative(cwd, file);
  return (rel === '' ? file : rel).split(sep).join('/');
}

async function run(args: string[], io: CliIO): Promise<number> {
  const { options, positionals } = parseArgs(args, { format: { type: 'string', short: 'f' }, config: { type: 'string', short: 'c' } }, { maxPositionals: Infinity });
  const format = (options.format ?? 'text') as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got "${options.format}"`);

  // Files to check.
  const files: string[] = [];
  for (const p of positionals.length > 0 ? positionals : ['.']) {
    const abs = resolve(io.cwd, p);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new CliError(`path not found: ${p}`, 2);
    }
    if (st.isDirectory()) {
      const before = files.length;
      collect(abs, files);
      if (files.length === before && positionals.length > 0) println(io.stderr, `sessionflow validate: warning: no *.flow.yaml files in ${p}`);
    } else {
      files.push(abs);
    }
  }
  const unique = [...new Set(files)];
  if (unique.length === 0) throw new CliError(`no flow files (*.flow.yaml) found in ${positionals.length > 0 ? positionals.join(', ') : io.cwd}`, 2);

  // Configuration and adapters.
  let config;
  try {
    config = await loadProjectConfig(io.cwd, options.config !== undefined ? { file: options.config } : {});
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, 2);
    throw err;
  }
  for (const p of config.problems) println(io.stderr, `sessionflow validate: warning: ${p}`);
  const registry = await AdapterRegistry.load({ projectDir: io.cwd, extraPackages: config.adapterPackages });
  for (const p of registry.problems) println(io.stderr, `sessionflow validate: warning: ${p.message}`);
  const adapters: AdapterCatalog = { get: (id) => registry.get(id), ids: () => registry.ids(), problems: registry.problems };

  // Analysis.
  const reports: FileReport[] = [];
  for (const file of unique) {
    const path = displayPath(io.cwd, file);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException)?.code ?? String(err)}`, 2);
    }
    const doc = parseFlow(text, { uri: pathToFileURL(file).href });
    const diagnostics: Diagnostic[] = analyze(doc, { adapters, severities: config.severities });
    reports.push({ path, positionAt: (o) => doc.positionAt(o), diagnostics });
  }

  const all = reports.flatMap((r) => r.diagnostics);
  const count = (s: string) => all.filter((d) => d.severity === s).length;
  if (format === 'json') {
    println(io.stdout, formatJson(reports));
  } else if (format === 'sarif') {
    println(io.stdout, formatSarif(reports, { tool: { name: 'sessionflow', version: cliVersion() }, severities: config.severities }));
  } else {
    const text = formatText(reports);
    if (text !== '') println(io.stdout, text);
    const n = unique.length;
    const summary = `${n} flow file${n === 1 ? '' : 's'} checked: ${count('error')} error(s), ${count('warning')} warning(s), ${count('info') + count('hint')} info/hint(s)`;
    println(io.stdout, summary);
  }
  return count('error') > 0 ? 1 : 0;
}

const command: CliCommand = { name: 'validate', summary: 'Check flow files (schema, adapters, session handling); text, JSON or SARIF output', usage, run };
export default command;
