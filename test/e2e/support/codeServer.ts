/**
 * Packaging the extension and running a private code-server (VS Code in the browser) for it.
 *
 * Everything lives in one temp folder: user-data-dir, extensions-dir, XDG dirs and the config
 * file, so nothing touches ~/.config or ~/.local/share. code-server is spawned detached (its
 * own process group) and stopped by killing the whole group; every wait is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extensionDir, repoRoot, type Infra } from './infra.js';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion with a time limit; never inherits stdin. */
export function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${options.timeoutMs} ms\n${stdout}\n${stderr}`));
    }, options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Builds the production bundle and packages it with vsce into `outDir`; returns the .vsix path. */
export async function packageVsix(outDir: string): Promise<string> {
  const prebuilt = process.env.SESSIONFLOW_VSIX;
  if (prebuilt !== undefined && prebuilt !== '') {
    if (!existsSync(prebuilt)) throw new Error(`SESSIONFLOW_VSIX=${prebuilt} does not exist`);
    return prebuilt;
  }
  // The build empties and refills extension/dist, which vsce then packs: e2e test files run in
  // parallel processes, so build + pack under a cross-process lock (an atomic mkdir).
  return withPackageLock(async () => {
    const build = await run(process.execPath, [join(extensionDir, 'esbuild.mjs'), '--production'], { cwd: extensionDir, timeoutMs: 120_000 });
    if (build.code !== 0) throw new Error(`extension build failed (exit ${build.code}):\n${build.stdout}\n${build.stderr}`);
    const vsix = join(outDir, 'sessionflow.vsix');
    const vsceBin = join(repoRoot, 'node_modules/@vscode/vsce/vsce');
    const pack = await run(process.execPath, [vsceBin, 'package', '--no-dependencies', '--out', vsix], { cwd: extensionDir, timeoutMs: 120_000 });
    if (pack.code !== 0 || !existsSync(vsix)) throw new Error(`vsce package failed (exit ${pack.code}):\n${pack.stdout}\n${pack.stderr}`);
    return vsix;
  });
}

async function withPackageLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = join(extensionDir, '.package.lock');
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than 5 minutes belongs to a run that died: take it over.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // gone meanwhile: retry
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock} (another test packaging the extension?)`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface CodeServerDirs {
  root: string;
  userDataDir: string;
  extensionsDir: string;
  xdg: string;
  config: string;
}

export function prepareDirs(root: string, settings: Record<string, unknown>): CodeServerDirs {
  const dirs: CodeServerDirs = {
    root,
    userDataDir: join(root, 'user-data'),
    extensionsDir: join(root, 'extensions'),
    xdg: join(root, 'xdg'),
    config: join(root, 'code-server.yaml'),
  };
  for (const d of [dirs.userDataDir, dirs.extensionsDir, dirs.xdg, join(dirs.userDataDir, 'User')]) mkdirSync(d, { recursive: true });
  writeFileSync(join(dirs.userDataDir, 'User/settings.json'), JSON.stringify(settings, null, 2));
  writeFileSync(dirs.config, 'auth: none\ncert: false\nbind-addr: 127.0.0.1:0\n');
  return dirs;
}

function codeServerEnv(infra: Infra, dirs: CodeServerDirs): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${infra.nodeBinDir}:${process.env.PATH ?? ''}`,
    XDG_CONFIG_HOME: join(dirs.xdg, 'config'),
    XDG_DATA_HOME: join(dirs.xdg, 'data'),
    XDG_CACHE_HOME: join(dirs.xdg, 'cache'),
  };
  // The test process runs under tsx with a custom export condition; code-server must not inherit that.
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  delete env.VSCODE_IPC_HOOK_CLI;
  return env;
}

function baseArgs(infra: Infra, dirs: CodeServerDirs): string[] {
  return [infra.codeServerEntry, '--config', dirs.config, '--user-data-dir', dirs.userDataDir, '--extensions-dir', dirs.extensionsDir];
}

export async function installExtension(infra: Infra, dirs: CodeServerDirs, vsix: string): Promise<string> {
  const r = await run(infra.nodeBin, [...baseArgs(infra, dirs), '--install-extension', vsix], { env: codeServerEnv(infra, dirs), timeoutMs: 120_000 });
  const installed = readdirSync(dirs.extensionsDir).filter((n) => n.startsWith('sessionflow.sessionflow-'));
  if (r.code !== 0 || installed.length === 0) throw new Error(`code-server --install-extension failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return join(dirs.extensionsDir, installed[0]!);
}

export interface CodeServer {
  url: string;
  logs(): string;
  stop(): Promise<void>;
}

export async function startCodeServer(infra: Infra, dirs: CodeServerDirs, timeoutMs = 60_000): Promise<CodeServer> {
  const args = [
    ...baseArgs(infra, dirs),
    '--auth',
    'none',
    '--bind-addr',
    '127.0.0.1:0',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
  ];
  const child = spawn(infra.nodeBin, args, { env: codeServerEnv(infra, dirs), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const collect = (d: Buffer): void => {
    output += d.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`code-server did not report its address within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const check = (): void => {
      const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
      if (m) {
        cleanup();
        resolve(m[1]!);
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`code-server exited early (code ${code}):\n${output}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', check);
    child.once('exit', onExit);
    check();
  }).catch(async (err: unknown) => {
    killGroup(child, 'SIGKILL');
    throw err;
  });

  return {
    url,
    logs: () => output,
    async stop() {
      killGroup(child, 'SIGTERM');
      const gone = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
      if (!gone) killGroup(child, 'SIGKILL');
      // Helpers (extension host, language server) may outlive the main process briefly.
      await new Promise((r) => setTimeout(r, 500));
      killGroup(child, 'SIGKILL');
    },
  };
}

/** Files under `dir` (recursive) whose name matches. */
export function findFiles(dir: string, match: (name: string) => boolean, depth = 8): string[] {
  if (depth < 0 || !existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      continue;
    }
    if (isDir) out.push(...findFiles(p, match, depth - 1));
    else if (match(name)) out.push(p);
  }
  return out;
}

/** The text of the extension's "Sessionflow" output channel, as VS Code stores it under the logs folder. */
export function outputChannelText(dirs: CodeServerDirs, channel: string): string {
  const files = findFiles(join(dirs.userDataDir, 'logs'), (n) => n.endsWith(`-${channel}.log`) || n === `${channel}.log`);
  return files.map((f) => readFileSync(f, 'utf8')).join('\n');
}
