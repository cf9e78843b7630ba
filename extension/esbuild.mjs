#!/usr/bin/env node
// Bundles the extension into dist/ (everything the .vsix ships; it has no node_modules of its own):
//
//   dist/extension.js     CommonJS, the extension host entry (vscode external). No SDK code:
//                         it imports the SDK copy below lazily, so activation stays cheap.
//   dist/runner.mjs       ESM, the local runner glue for "Sessionflow: Run Flow" (loaded on first run).
//   dist/server.mjs       ESM, the language server (language-server/src/server/main.ts) started over IPC.
//   dist/node_modules/@sessionflow/sdk             one ESM bundle of the SDK and its dependencies
//   dist/node_modules/@sessionflow/adapter-<id>    each built-in adapter, bundled, importing the SDK above
//   dist/node_modules/@sessionflow/sdk/schema/flow.schema.json  the flow JSON Schema (SDK + `yamlValidation`)
//
// Why the SDK and the adapters stay separate packages under dist/node_modules: the adapter
// registry finds built-in adapters as packages next to the SDK (node_modules lookup from the
// SDK's own file) and imports them by name at run time, and adapter packages from the
// workspace are imported by file URL. Keeping one SDK copy per process means every adapter,
// built-in or discovered, shares the runtime's classes.
//
// Usage: node esbuild.mjs [--production] [--watch] [--outdir DIR]
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
/** `--outdir DIR` builds elsewhere (tests); the .vsix is packaged from ./dist. */
const outdirArg = process.argv.indexOf('--outdir');
const dist = outdirArg > 0 && process.argv[outdirArg + 1] ? resolve(process.argv[outdirArg + 1]) : join(here, 'dist');
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** The `sessionflow-source` export condition makes workspace packages resolve to their TypeScript sources. */
const conditions = ['sessionflow-source'];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  conditions,
  mainFields: ['module', 'main'],
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'warning',
  legalComments: 'none',
  metafile: true,
};

/** ESM bundles may contain CommonJS dependencies that call require(): give them a real one. */
const esmBanner = {
  js: "import { createRequire as __sfCreateRequire } from 'node:module'; const require = __sfCreateRequire(import.meta.url);",
};

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function sourceEntry(pkgDir) {
  const pkg = readJson(join(pkgDir, 'package.json'));
  const dot = pkg.exports?.['.'];
  const src = typeof dot === 'object' ? dot['sessionflow-source'] : undefined;
  if (typeof src !== 'string') throw new Error(`${pkgDir}/package.json: exports["."]["sessionflow-source"] is missing`);
  return join(pkgDir, src);
}

/** Built-in adapter packages: adapters/* with a `sessionflow` section and a source entry. */
function builtinAdapters() {
  const dir = join(root, 'adapters');
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const pkgDir = join(dir, name);
    const file = join(pkgDir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = readJson(file);
    if (pkg.sessionflow === undefined) continue;
    const entry = sourceEntry(pkgDir);
    if (!existsSync(entry)) {
      console.warn(`esbuild.mjs: skipping ${pkg.name}: ${entry} does not exist yet`);
      continue;
    }
    out.push({ pkg, entry });
  }
  return out;
}

/** Writes a minimal package.json for a bundled package under dist/node_modules. */
function writePackage(dir, pkg, extra = {}) {
  mkdirSync(dir, { recursive: true });
  const manifest = {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    license: pkg.license,
    type: 'module',
    main: './index.js',
    exports: { '.': './index.js', './package.json': './package.json' },
    ...extra,
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
}

function buildOptions() {
  const sdkPkg = readJson(join(root, 'sdk/package.json'));
  const sdkOut = join(dist, 'node_modules/@sessionflow/sdk');
  writePackage(sdkOut, sdkPkg, { sessionflowApiVersion: sdkPkg.sessionflowApiVersion });

  const builds = [
    {
      ...common,
      entryPoints: [join(here, 'src/extension.ts')],
      outfile: join(dist, 'extension.js'),
      format: 'cjs',
      external: ['vscode'],
    },
    {
      ...common,
      entryPoints: [join(here, 'src/runner.ts')],
      outfile: join(dist, 'runner.mjs'),
      format: 'esm',
      external: ['vscode', '@sessionflow/sdk', '@sessionflow/adapter-*'],
      banner: esmBanner,
    },
    {
      ...common,
      entryPoints: [join(root, 'language-server/src/server/main.ts')],
      outfile: join(dist, 'server.mjs'),
      format: 'esm',
      external: ['@sessionflow/sdk', '@sessionflow/adapter-*'],
      banner: esmBanner,
    },
    {
      ...common,
      entryPoints: [sourceEntry(join(root, 'sdk'))],
      outfile: join(sdkOut, 'index.js'),
      format: 'esm',
      banner: esmBanner,
    },
  ];
  for (const { pkg, entry } of builtinAdapters()) {
    const outDir = join(dist, 'node_modules', ...pkg.name.split('/'));
    writePackage(outDir, pkg, {
      keywords: pkg.keywords,
      sessionflow: { ...pkg.sessionflow, adapters: ['./index.js'] },
    });
    builds.push({
      ...common,
      entryPoints: [entry],
      outfile: join(outDir, 'index.js'),
      format: 'esm',
      external: ['@sessionflow/sdk'],
      banner: esmBanner,
    });
  }
  return builds;
}

/** The SDK reads its schema from `<package>/schema/flow.schema.json`; `yamlValidation` points at the same file. */
function copySchema() {
  const target = join(dist, 'node_modules/@sessionflow/sdk/schema');
  mkdirSync(target, { recursive: true });
  cpSync(join(root, 'sdk/schema/flow.schema.json'), join(target, 'flow.schema.json'));
}

async function main() {
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  const builds = buildOptions();
  copySchema();
  if (watch) {
    for (const options of builds) {
      const ctx = await esbuild.context(options);
      await ctx.watch();
    }
    console.log('esbuild.mjs: watching');
    return;
  }
  const results = await Promise.all(builds.map((options) => esbuild.build(options)));
  // The designer (webview bundle with elkjs + its host core) builds into the same dist/.
  const { buildDesigner } = await import('./webview/build.mjs');
  await buildDesigner({ outdir: dist, minify: production });
  let total = 0;
  for (const [i, result] of results.entries()) {
    for (const [file, info] of Object.entries(result.metafile.outputs)) {
      if (file.endsWith('.map')) continue;
      total += info.bytes;
      if (process.env.SESSIONFLOW_BUILD_VERBOSE) console.log(`  ${file} ${(info.bytes / 1024).toFixed(0)} KiB`);
    }
    void i;
  }
  console.log(`esbuild.mjs: bundled ${builds.length} entries into ${dist} (${(total / 1024).toFixed(0)} KiB${production ? ', minified' : ''})`);
}

main().catch((err) => {
  console.error(`esbuild.mjs: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
