/**
 * Shared types and helpers of the `sessionflow` command line: the I/O a command writes to
 * (injectable for tests) and the shape every command module exports.
 */

export interface CliWriter {
  write(text: string): unknown;
}

export interface CliIO {
  stdout: CliWriter;
  stderr: CliWriter;
  /** Directory relative paths are resolved against. */
  cwd: string;
  /** Environment (default: process.env). */
  env?: Record<string, string | undefined>;
}

/**
 * A sub-command. Each lives in `src/cli/commands/<name>.ts` and is listed once in the table
 * in `src/cli/main.ts`. `run` returns the exit code: 0 success, 1 failure, 2 usage error
 * (throwing `UsageError` from `./args.js` prints the message plus a hint and exits 2).
 */
export interface CliCommand {
  name: string;
  /** One line, shown in `sessionflow --help`. */
  summary: string;
  /** Full usage text shown by `sessionflow help <name>` (first line: the synopsis). */
  usage: string;
  run(args: string[], io: CliIO): Promise<number>;
}

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env };
}

/** Writes one line (adds the newline). */
export function println(w: CliWriter, text = ''): void {
  w.write(`${text}\n`);
}

/**
 * Formats rows as a left-aligned, space-padded table (the last column is not padded).
 * `header` is printed first when given.
 */
export function formatTable(rows: string[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  const widths: number[] = [];
  for (const row of all) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return all
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd())
    .join('\n');
}
