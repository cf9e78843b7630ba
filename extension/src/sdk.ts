/**
 * Lazy access to the SDK copy bundled under dist/node_modules/@sessionflow/sdk (ESM).
 *
 * extension.js holds no SDK code: the parser, the adapter registry and the runner are
 * imported on first use, so activation only loads the language client. The runner chunk
 * (dist/runner.mjs) and the built-in adapters import the very same SDK module, so there is
 * one copy of the runtime's classes in the extension host.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export type Sdk = typeof import('@sessionflow/sdk');
export type RunnerModule = typeof import('./runner.js');

let sdkPromise: Promise<Sdk> | undefined;
let runnerPromise: Promise<RunnerModule> | undefined;

/** Folder of the bundled extension files (dist/). */
export function distDir(): string {
  return __dirname;
}

/** A real dynamic import, kept as such in the CommonJS bundle (esbuild leaves non-literal specifiers alone). */
function importUrl<T>(file: string): Promise<T> {
  const url = pathToFileURL(file).href;
  return import(url) as Promise<T>;
}

export function loadSdk(): Promise<Sdk> {
  sdkPromise ??= importUrl<Sdk>(join(distDir(), 'node_modules', '@sessionflow', 'sdk', 'index.js')).catch((err: unknown) => {
    sdkPromise = undefined;
    throw err;
  });
  return sdkPromise;
}

export function loadRunner(): Promise<RunnerModule> {
  runnerPromise ??= importUrl<RunnerModule>(join(distDir(), 'runner.mjs')).catch((err: unknown) => {
    runnerPromise = undefined;
    throw err;
  });
  return runnerPromise;
}
