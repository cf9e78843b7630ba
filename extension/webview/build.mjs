#!/usr/bin/env node
// Builds the designer: dist/webview.js + dist/webview.css (browser bundle, elkjs included) and
// dist/designer.mjs (the host-side core: parser → graph, forms, edits; ESM, loaded lazily by
// extension.js and importing the SDK copy under dist/node_modules like runner.mjs does).
// Run it AFTER extension/esbuild.mjs (which empties dist/). Usage: node webview/build.mjs [--production] [--webview-only]
import * as esbuild from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ext = resolve(here, '..');
const dist = join(ext, 'dist');
const production = process.argv.includes('--production');
const webviewOnly = process.argv.includes('--webview-only');

export async function buildDesigner(options = {}) {
  const outdir = options.outdir ?? dist;
  mkdirSync(outdir, { recursive: true });
  const builds = [
    esbuild.build({
      entryPoints: { webview: join(here, 'main.ts') },
      outdir,
      bundle: true,
      platform: 'browser',
      format: 'iife',
      target: 'chrome114',
      minify: production || options.minify === true,
      sourcemap: false,
      logLevel: 'warning',
      legalComments: 'none',
    }),
    esbuild.build({
      entryPoints: { webview: join(here, 'styles.css') },
      outdir,
      bundle: true,
      minify: production,
      logLevel: 'warning',
    }),
  ];
  if (!(options.webviewOnly ?? webviewOnly)) {
    builds.push(
      esbuild.build({
        entryPoints: [join(ext, 'src/designer/core.ts')],
        outfile: join(outdir, 'designer.mjs'),
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'esm',
        conditions: ['sessionflow-source'],
        mainFields: ['module', 'main'],
        external: ['vscode', '@sessionflow/sdk', '@sessionflow/adapter-*'],
        banner: { js: "import { createRequire as __sfCreateRequire } from 'node:module'; const require = __sfCreateRequire(import.meta.url);" },
        minify: production,
        sourcemap: false,
        logLevel: 'warning',
        legalComments: 'none',
      }),
    );
  }
  await Promise.all(builds);
  return outdir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildDesigner().then(
    (out) => console.log(`webview/build.mjs: built webview.js, webview.css${webviewOnly ? '' : ', designer.mjs'} into ${out}`),
    (err) => {
      console.error(`webview/build.mjs: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
