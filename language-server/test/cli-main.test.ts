import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, COMMANDS } from '../src/cli/main.js';
import { parseArgs, UsageError } from '../src/cli/args.js';
import type { CliCommand, CliIO } from '../src/cli/io.js';

function capture(cwd = process.cwd(), env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, cwd, env };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

function tempProject(t: { after(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'sf-cli-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

function fakePackage(root: string, name: string, pkg: Record<string, unknown>): string {
  const dir = join(root, 'node_modules', ...name.split('/'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, ...pkg }));
  return dir;
}

const lsVersion = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

test('--version prints the CLI version, adapter API and node version', async () => {
  const c = capture();
  assert.equal(await main(['--version'], c.io), 0);
  assert.equal(c.stdout(), `sessionflow ${lsVersion} (adapter API 1, node ${process.version})\n`);
  assert.equal(c.stderr(), '');
});

test('--help lists every command of the table; help <command> prints its usage', async () => {
  const c = capture();
  assert.equal(await main(['--help'], c.io), 0);
  assert.match(c.stdout(), /^Usage: sessionflow <command> \[options\]/);
  for (const name of Object.keys(COMMANDS)) assert.match(c.stdout(), new RegExp(`\\n  ${name} +\\S`), name);
  assert.match(c.stdout(), /adapters\s+List installed adapters/);

  const h = capture();
  assert.equal(await main(['help', 'adapters'], h.io), 0);
  assert.match(h.stdout(), /^Usage: sessionflow adapters \[--json\] \[--project DIR\]/);

  const flag = capture();
  assert.equal(await main(['adapters', '--help'], flag.io), 0);
  assert.equal(flag.stdout(), h.stdout());
});

test('no command prints the help to stderr and exits 2', async () => {
  const c = capture();
  assert.equal(await main([], c.io), 2);
  assert.match(c.stderr(), /Usage: sessionflow/);
  assert.equal(c.stdout(), '');
});

test('unknown commands and options: one-line error, a hint, exit 2', async () => {
  const cmd = capture();
  assert.equal(await main(['adapterz'], cmd.io), 2);
  assert.equal(cmd.stderr(), 'sessionflow: unknown command "adapterz"\nDid you mean "sessionflow adapters"? Run "sessionflow --help" for the list of commands.\n');

  const far = capture();
  assert.equal(await main(['frobnicate'], far.io), 2);
  assert.equal(far.stderr(), 'sessionflow: unknown command "frobnicate"\nRun "sessionflow --help" for the list of commands.\n');

  const opt = capture();
  assert.equal(await main(['--verbose'], opt.io), 2);
  assert.match(opt.stderr(), /^sessionflow: unknown option --verbose\n/);

  const sub = capture();
  assert.equal(await main(['adapters', '--jsn'], sub.io), 2);
  assert.equal(sub.stderr(), 'sessionflow: adapters: unknown option --jsn\nRun "sessionflow help adapters" for usage.\n');

  const help = capture();
  assert.equal(await main(['help', 'nope'], help.io), 2);
  assert.match(help.stderr(), /unknown command "nope"/);
});

test('an unexpected error is one line without stack, unless SESSIONFLOW_DEBUG=1', async () => {
  const boom: CliCommand = {
    name: 'boom',
    summary: 'fails',
    usage: 'Usage: sessionflow boom',
    async run() {
      throw new Error('disk on fire\nsecond line');
    },
  };
  const c = capture();
  assert.equal(await main(['boom'], c.io, [boom]), 1);
  assert.equal(c.stderr(), 'sessionflow: disk on fire\n');

  const d = capture(process.cwd(), { SESSIONFLOW_DEBUG: '1' });
  assert.equal(await main(['boom'], d.io, [boom]), 1);
  assert.match(d.stderr(), /^sessionflow: disk on fire\nError: disk on fire\nsecond line\n\s+at /);
});

test('command modules load lazily: a broken one is reported alone and never breaks the others', async () => {
  const ok: CliCommand = { name: 'ok', summary: 'works fine', usage: 'Usage: sessionflow ok', run: async () => 0 };
  let loaded = 0;
  const table = {
    ok: async () => ((loaded += 1), { default: ok }),
    broken: async (): Promise<{ default: CliCommand }> => {
      throw new Error("Cannot find module '/x/y.js'\nRequire stack: ...");
    },
  };
  const v = capture();
  assert.equal(await main(['--version'], v.io, table), 0);
  assert.equal(loaded, 0, '--version loads no command module');

  const h = capture();
  assert.equal(await main(['--help'], h.io, table), 0);
  assert.match(h.stdout(), /\n {2}ok {6}works fine\n/);
  assert.match(h.stdout(), /\n {2}broken {2}\(unavailable: Cannot find module '\/x\/y\.js'\)\n/);

  const b = capture();
  assert.equal(await main(['broken'], b.io, table), 1);
  assert.equal(b.stderr(), "sessionflow: Cannot find module '/x/y.js'\n");
  assert.equal(await main(['ok'], capture().io, table), 0);
});

test('a command returns its own exit code', async () => {
  const seen: string[][] = [];
  const echo: CliCommand = { name: 'echo', summary: 's', usage: 'u', run: async (args) => (seen.push(args), 3) };
  assert.equal(await main(['echo', 'a', '--', '-b'], capture().io, [echo]), 3);
  assert.deepEqual(seen, [['a', '--', '-b']]);
});

test('adapters lists the built-in http adapter as a table', async (t) => {
  const dir = tempProject(t);
  const c = capture(dir);
  const code = await main(['adapters'], c.io);
  const out = c.stdout();
  // Other built-in packages may be present; the exit code says whether any of them had problems.
  assert.equal(code, out.includes('\nProblems (') ? 1 : 0, c.stderr());
  assert.match(out, /^Adapters \(adapter API 1\):/);
  assert.match(out, /ADAPTER\s+VARIANT\s+PACKAGE\s+DIRECTION\s+STEPS\s+SESSION\s+CSRF\s+AUTH/);
  assert.match(out, /\nhttp\s+http\s+@sessionflow\/adapter-http@0\.1\.0 \(built-in\)\s+receiver\s+call,send\s+supported\s+yes\s+none, basic, client-certificate \(internet only\), .*principal-propagation \(onPremise only\)/);
  assert.doesNotMatch(out, /SF_ADAPTER_\w+ +package "@sessionflow\/adapter-http@/);
});

test('adapters --json --project reports adapters and refused packages, exit 1', async (t) => {
  const dir = tempProject(t);
  const project = join(dir, 'app');
  mkdirSync(project);
  const future = fakePackage(dir, 'acme-crm', { version: '1.2.0', keywords: ['sessionflow-adapter'], sessionflow: { apiVersion: 2, adapters: ['./index.js'] } });
  writeFileSync(join(future, 'index.js'), 'throw new Error("must not be imported")\n');
  fakePackage(dir, '@acme/keyword-only', { version: '0.1.0', keywords: ['sessionflow-adapter'] });

  const c = capture(dir);
  assert.equal(await main(['adapters', '--json', '--project', 'app'], c.io), 1);
  const report = JSON.parse(c.stdout()) as {
    apiVersion: number;
    projectDir: string;
    adapters: { id: string; builtin: boolean; package: string; defaultVariant: string; variants: { id: string; auth: { type: string; proxies?: string[] }[] }[] }[];
    problems: { packageName: string; code: string; message: string; apiVersion?: number }[];
  };
  assert.equal(report.apiVersion, 1);
  assert.equal(report.projectDir, project);
  const http = report.adapters.find((a) => a.id === 'http');
  assert.equal(http?.builtin, true);
  assert.equal(http?.package, '@sessionflow/adapter-http');
  assert.equal(http?.defaultVariant, 'http');
  assert.deepEqual(http?.variants[0]?.auth.find((a) => a.type === 'principal-propagation')?.proxies, ['onPremise']);
  const byName = new Map(report.problems.map((p) => [p.packageName, p]));
  assert.equal(byName.get('acme-crm')?.code, 'SF_ADAPTER_API_VERSION');
  assert.equal(byName.get('acme-crm')?.apiVersion, 2);
  assert.match(byName.get('acme-crm')?.message ?? '', /targets Sessionflow adapter API 2, but this SDK implements API 1: upgrade @sessionflow\/sdk/);
  assert.equal(byName.get('@acme/keyword-only')?.code, 'SF_ADAPTER_MANIFEST');
  assert.equal(report.problems.filter((p) => !p.packageName.startsWith('@sessionflow/')).length, 2);

  const text = capture(dir);
  assert.equal(await main(['adapters', `--project=${project}`], text.io), 1);
  assert.match(text.stdout(), /\nProblems \(\d+\):\n/);
  assert.match(text.stdout(), /\n {2}SF_ADAPTER_API_VERSION {2}adapter package "acme-crm@1\.2\.0" targets Sessionflow adapter API 2/);
  assert.match(text.stdout(), /SF_ADAPTER_MANIFEST {2}package "@acme\/keyword-only@0\.1\.0" is marked as a Sessionflow adapter/);
});

test('adapters --project with a missing directory is a clear error', async (t) => {
  const dir = tempProject(t);
  const c = capture(dir);
  assert.equal(await main(['adapters', '--project', 'nowhere'], c.io), 2);
  assert.equal(c.stderr(), `sessionflow adapters: project directory not found: ${join(dir, 'nowhere')}\n`);
  const missing = capture(dir);
  assert.equal(await main(['adapters', '--project'], missing.io), 2);
  assert.match(missing.stderr(), /option --project needs a value/);
});

test('parseArgs: values, aliases, repeated options, positionals and errors', () => {
  const specs = { json: { type: 'boolean' as const, short: 'j' }, out: { type: 'string' as const, short: 'o' }, tag: { type: 'string' as const, multiple: true } };
  const r = parseArgs(['-j', '--out=x.txt', '--tag', 'a', '--tag=b', 'file', '--', '--not-an-option'], specs, { maxPositionals: Infinity });
  assert.deepEqual(r.options, { json: true, out: 'x.txt', tag: ['a', 'b'] });
  assert.deepEqual(r.positionals, ['file', '--not-an-option']);
  assert.deepEqual(parseArgs(['-ox'], specs).options, { out: 'x' });
  assert.throws(() => parseArgs(['--json=1'], specs), (e: unknown) => e instanceof UsageError && /takes no value/.test(e.message));
  assert.throws(() => parseArgs(['-z'], specs), /unknown option -z/);
  assert.throws(() => parseArgs(['stray'], specs), /unexpected argument "stray"/);
  assert.throws(() => parseArgs([], specs, { minPositionals: 1, maxPositionals: 1 }), /missing argument/);
});
