/**
 * `sessionflow adapters`: what adapters this project can use (built-in and installed packages),
 * their variants and capabilities, and every package that was refused and why.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { AdapterRegistry, SDK_API_VERSION } from '@sessionflow/sdk';
import type { AuthSupport, LoadedAdapter, VariantDeclaration } from '@sessionflow/sdk';
import { CliError, parseArgs } from '../args.js';
import { type CliCommand, type CliIO, formatTable, println } from '../io.js';

const usage = `Usage: sessionflow adapters [--json] [--project DIR]

Lists the adapters available to a project: the built-in ones and every installed npm package
that declares Sessionflow adapters (a "sessionflow" section in its package.json, keyword
"sessionflow-adapter"), with package version, variants and capabilities. Packages that were
refused (other adapter API version, broken manifest, failing import, duplicate id) are listed
as problems.

Options:
  --json         Print JSON instead of a table
  --project DIR  Where to look for node_modules (default: the current directory, and up)

Exit code: 0 when every adapter package loaded, 1 when there are problems.`;

function authLabel(a: AuthSupport): string {
  return a.proxies && a.proxies.length > 0 ? `${a.type} (${a.proxies.join('/')} only)` : a.type;
}

function variantJson(v: VariantDeclaration) {
  return {
    id: v.id,
    ...(v.displayName !== undefined ? { displayName: v.displayName } : {}),
    direction: v.direction,
    stepKinds: [...v.stepKinds],
    sessionReuse: v.sessionReuse,
    csrf: v.csrf,
    auth: v.auth.map((a) => ({ type: a.type, ...(a.proxies ? { proxies: [...a.proxies] } : {}), ...(a.note !== undefined ? { note: a.note } : {}) })),
    parallelSafe: v.parallelSafe,
    streaming: v.streaming,
    ...(v.contentTypes ? { contentTypes: v.contentTypes } : {}),
  };
}

function adapterJson(a: LoadedAdapter) {
  const d = a.definition;
  return {
    id: d.id,
    displayName: d.displayName,
    version: d.version,
    apiVersion: d.apiVersion,
    package: a.packageName,
    packageVersion: a.packageVersion,
    packageDir: a.packageDir,
    builtin: a.builtin,
    defaultVariant: d.defaultVariant,
    variants: d.variants.map(variantJson),
  };
}

async function run(args: string[], io: CliIO): Promise<number> {
  const { options } = parseArgs(args, { json: { type: 'boolean' }, project: { type: 'string' } });
  const projectDir = resolve(io.cwd, options.project ?? '.');
  let isDir = false;
  try {
    isDir = statSync(projectDir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new CliError(`project directory not found: ${projectDir}`, 2);

  const registry = await AdapterRegistry.load({ projectDir });
  const list = registry.list();
  const problems = registry.problems;

  if (options.json) {
    println(io.stdout, JSON.stringify({ apiVersion: SDK_API_VERSION, projectDir, adapters: list.map(adapterJson), problems }, null, 2));
    return problems.length > 0 ? 1 : 0;
  }

  if (list.length === 0) {
    println(io.stdout, `No adapters found (adapter API ${SDK_API_VERSION}, looked in node_modules from ${projectDir} up).`);
  } else {
    println(io.stdout, `Adapters (adapter API ${SDK_API_VERSION}):`);
    println(io.stdout);
    const rows: string[][] = [];
    let multi = false;
    for (const a of list) {
      const d = a.definition;
      d.variants.forEach((v, i) => {
        const isDefault = d.variants.length > 1 && v.id === d.defaultVariant;
        multi ||= isDefault;
        rows.push([
          i === 0 ? d.id : '',
          `${v.id}${isDefault ? '*' : ''}`,
          i === 0 ? `${a.packageName}@${a.packageVersion}${a.builtin ? ' (built-in)' : ''}` : '',
          v.direction,
          v.stepKinds.join(','),
          v.sessionReuse,
          v.csrf ? 'yes' : 'no',
          v.auth.map(authLabel).join(', '),
        ]);
      });
    }
    println(io.stdout, formatTable(rows, ['ADAPTER', 'VARIANT', 'PACKAGE', 'DIRECTION', 'STEPS', 'SESSION', 'CSRF', 'AUTH']));
    if (multi) {
      println(io.stdout);
      println(io.stdout, '* default variant');
    }
  }
  if (problems.length > 0) {
    println(io.stdout);
    println(io.stdout, `Problems (${problems.length}):`);
    for (const p of problems) {
      println(io.stdout, `  ${p.code}  ${p.message}`);
      if (p.packageDir) println(io.stdout, `      in ${p.packageDir}`);
    }
    return 1;
  }
  return 0;
}

const command: CliCommand = {
  name: 'adapters',
  summary: 'List installed adapters, their variants and capabilities, and incompatible packages',
  usage,
  run,
};

export default command;
