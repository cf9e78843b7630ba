/**
 * The `sessionflow` command line. `main(argv, io)` never throws and never exits the process:
 * it returns the exit code (0 ok, 1 failure, 2 usage error). Errors are one line
 * (`sessionflow: <message>`); set SESSIONFLOW_DEBUG=1 for stack traces.
 *
 * Adding a command: create `src/cli/commands/<name>.ts` with a default export
 * `{ name, summary, usage, run }` (see `CliCommand` in ./io.ts) and add one line to COMMANDS
 * below. Command modules are imported only when needed, so a heavy or broken command never
 * slows down or breaks the others (or `--version`).
 */
import { cliVersion } from './version.js';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SDK_API_VERSION } from '@sessionflow/sdk';
import { CliError, UsageError } from './args.js';
import { type CliCommand, type CliIO, println, processIO } from './io.js';

type CommandLoader = () => Promise<{ default: CliCommand }>;

/** The command table: one line per command (name -> module). */
export const COMMANDS: Readonly<Record<string, CommandLoader>> = {
  adapters: () => import('./commands/adapters.js'),
  adapter: () => import('./commands/adapter.js'),
  'new-adapter': () => import('./commands/new-adapter.js'),
  lsp: () => import('./commands/lsp.js'),
  validate: () => import('./commands/validate.js'),
  migrate: () => import('./commands/migrate.js'),
  run: () => import('./commands/run.js'),
  serve: () => import('./commands/serve.js'),
  demo: () => import('./commands/demo.js'),
};

/** Version of the @sessionflow/language-server package (the CLI's version). */
export { cliVersion } from './version.js';

function versionLine(): string {
  return `sessionflow ${cliVersion()} (adapter API ${SDK_API_VERSION}, node ${process.version})`;
}

interface Listed {
  name: string;
  summary: string;
}

function helpText(commands: readonly Listed[]): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  const lines = [
    'Usage: sessionflow <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${'help'.padEnd(width)}  Show help for a command: sessionflow help <command>`,
    '',
    'Options:',
    '  -h, --help     Show this help',
    '  -v, --version  Show the version',
    '',
    'Set SESSIONFLOW_DEBUG=1 to print stack traces on errors.',
  ];
  return lines.join('\n');
}

function closest(name: string, candidates: string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const cur = row[j]!;
        row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = cur;
      }
    }
    return row[b.length]!;
  };
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = distance(name, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0] ?? message;
}

/**
 * Runs the command line. Returns the exit code; writes only to `io`.
 * `commands` replaces the command table (tests): loaded commands or a name -> loader table.
 */
export async function main(
  argv: string[],
  io: CliIO = processIO(),
  commands: readonly CliCommand[] | Readonly<Record<string, CommandLoader>> = COMMANDS,
): Promise<number> {
  const env = io.env ?? process.env;
  const debug = env.SESSIONFLOW_DEBUG === '1' || env.SESSIONFLOW_DEBUG === 'true';
  const table: Record<string, () => Promise<CliCommand>> = {};
  if (Array.isArray(commands)) {
    for (const c of commands as readonly CliCommand[]) table[c.name] = async () => c;
  } else {
    for (const [name, load] of Object.entries(commands as Readonly<Record<string, CommandLoader>>)) {
      table[name] = async () => (await load()).default;
    }
  }
  const names = Object.keys(table);
  const usageError = (message: string, hint: string): number => {
    println(io.stderr, `sessionflow: ${message}`);
    println(io.stderr, hint);
    return 2;
  };
  const fail = (err: unknown, prefix = 'sessionflow'): number => {
    println(io.stderr, `${prefix}: ${firstLine(err)}`);
    if (debug && err instanceof Error && err.stack) println(io.stderr, err.stack);
    return err instanceof CliError ? err.exitCode : 1;
  };
  /** Loads a command; a module that fails to load is reported for that command only. */
  const load = async (name: string): Promise<CliCommand> => {
    const cmd = await table[name]!();
    if (!cmd || typeof cmd.run !== 'function') throw new Error(`command "${name}" is not available: its module has no default export { name, summary, usage, run }`);
    return cmd;
  };
  const listing = async (): Promise<Listed[]> =>
    Promise.all(
      names.map(async (name) => {
        try {
          return { name, summary: (await load(name)).summary };
        } catch (err) {
          return { name, summary: `(unavailable: ${firstLine(err)})` };
        }
      }),
    );

  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') {
    println(first === undefined ? io.stderr : io.stdout, helpText(await listing()));
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-v' || first === '-V') {
    println(io.stdout, versionLine());
    return 0;
  }
  if (first.startsWith('-')) {
    return usageError(`unknown option ${first}`, 'Run "sessionflow --help" for usage.');
  }
  const wantsHelp = first === 'help' || ((rest.includes('--help') || rest.includes('-h')) && !rest.slice(0, Math.max(rest.indexOf('--help'), rest.indexOf('-h'))).includes('--'));
  const name = first === 'help' ? rest[0] : first;
  if (name === undefined) {
    println(io.stdout, helpText(await listing()));
    return 0;
  }
  if (!names.includes(name)) {
    const guess = first === 'help' ? undefined : closest(name, [...names, 'help']);
    return usageError(
      `unknown command "${name}"`,
      guess ? `Did you mean "sessionflow ${guess}"? Run "sessionflow --help" for the list of commands.` : 'Run "sessionflow --help" for the list of commands.',
    );
  }
  let cmd: CliCommand;
  try {
    cmd = await load(name);
  } catch (err) {
    return fail(err);
  }
  if (wantsHelp) {
    println(io.stdout, cmd.usage.trimEnd());
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      return usageError(`${cmd.name}: ${err.message}`, `Run "sessionflow help ${cmd.name}" for usage.`);
    }
    return fail(err, err instanceof CliError ? `sessionflow ${cmd.name}` : 'sessionflow');
  }
}

/** True when this module is the process entry (`node dist/src/cli/main.js ...`). */
function isEntry(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  process.exitCode = await main(process.argv.slice(2));
}
