/**
 * The designer webview outside VS Code: builds extension/webview into .artifacts/build, serves
 * it with extension/webview/harness.html (a fake `acquireVsCodeApi` that records posted
 * messages) from a tiny static server on 127.0.0.1:0, and drives it with playwright-core and
 * Debian's Chromium. Host messages are computed with the extension's own host core
 * (extension/src/designer/core.ts) and the analysis core, exactly as the extension does.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AdapterRegistry, parseFlow } from '@sessionflow/sdk';
import { analyze, type AdapterCatalog } from '@sessionflow/language-server';
import { buildUpdate, editsFor } from '../../extension/src/designer/core.js';
import { applyTextEdits } from '../../language-server/src/edits/index.js';
import type { HostMessage, UpdateMessage, WebviewMessage } from '../../extension/webview/protocol.js';

export const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../..');
export const artifacts = join(here, '.artifacts');
export const chromiumPath = process.env.SESSIONFLOW_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function harnessSkipReason(): string | undefined {
  if (!existsSync(chromiumPath)) return `Chromium not found at ${chromiumPath} (apt-get install -y --no-install-recommends chromium fonts-dejavu-core)`;
  return undefined;
}

export async function fixture(name: string): Promise<string> {
  return readFile(join(here, 'fixtures', name), 'utf8');
}

let catalogPromise: Promise<AdapterCatalog> | undefined;
/** The built-in adapters (as the language server loads them). */
export function catalog(): Promise<AdapterCatalog> {
  catalogPromise ??= AdapterRegistry.load({ projectDir: repoRoot });
  return catalogPromise;
}

/** The update message the host would send for `text` (graph + analysis diagnostics). */
export async function hostUpdate(text: string, version: number): Promise<UpdateMessage> {
  const adapters = await catalog();
  const doc = parseFlow(text);
  return buildUpdate(text, version, analyze(doc, { adapters }), adapters).message;
}

export interface Harness {
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

export async function startHarness(): Promise<Harness> {
  const build = join(artifacts, 'build');
  mkdirSync(build, { recursive: true });
  // @ts-expect-error -- plain ESM build script without types
  const { buildDesigner } = (await import('../../extension/webview/build.mjs')) as { buildDesigner(o: object): Promise<string> };
  await buildDesigner({ outdir: build, webviewOnly: true, minify: true });
  const files: Record<string, string> = {
    '/harness.html': join(repoRoot, 'extension/webview/harness.html'),
    '/webview.js': join(build, 'webview.js'),
    '/webview.css': join(build, 'webview.css'),
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const file = files[path];
    if (!file) {
      res.writeHead(404).end('not found');
      return;
    }
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': TYPES[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body),
      () => res.writeHead(500).end('read error'),
    );
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  return {
    url: `http://127.0.0.1:${port}/harness.html`,
    browser,
    async close() {
      await browser.close().catch(() => undefined);
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

export async function openPage(h: Harness, viewport = { width: 1400, height: 900 }): Promise<Page> {
  const page = await h.browser.newPage({ viewport });
  await page.goto(h.url);
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
  return page;
}

/** Sends a host message and, for updates, waits until the webview rendered that version. */
export async function send(page: Page, message: HostMessage): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), message as unknown as Record<string, unknown>);
  if (message.type === 'update') {
    await page.waitForFunction((v) => document.body.dataset.version === String(v), message.version, { timeout: 20_000 });
  }
}

export async function posted(page: Page): Promise<WebviewMessage[]> {
  return page.evaluate(() => (window as unknown as { __posted: WebviewMessage[] }).__posted);
}

export async function clearPosted(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { __posted: unknown[] }).__posted.length = 0;
  });
}

/** What the host does with an `edit` request: compute minimal edits and apply them. */
export function applyOp(text: string, message: WebviewMessage): string {
  if (message.type !== 'edit') throw new Error(`expected an edit request, got ${message.type}`);
  return applyTextEdits(text, editsFor(text, message.op));
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifacts, { recursive: true });
  const file = join(artifacts, name);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}
