/**
 * A small, strict option parser for the `sessionflow` commands. Unknown options and missing
 * values are usage errors (exit code 2) with a one-line message, never a stack trace.
 */

/** Bad command-line usage: printed as one line plus a hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure the user can fix (missing file, bad directory): printed as one line, exit code `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    public readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface OptionSpec {
  type: 'boolean' | 'string';
  /** One-letter alias, without the dash. */
  short?: string;
  /** A string option given several times collects every value. */
  multiple?: boolean;
}

export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean' ? boolean : S['multiple'] extends true ? string[] : string;

export interface ParsedArgs<S extends OptionSpecs> {
  options: { [K in keyof S]?: ValueOf<S[K]> };
  positionals: string[];
}

export interface ParseSettings {
  /** How many positionals are allowed (default 0). `Infinity` for any number. */
  maxPositionals?: number;
  /** Lower bound on positionals (default 0). */
  minPositionals?: number;
}

/**
 * Parses `--name`, `--name=value`, `--name value`, `-x`, `-x value` and `--` (everything after it is
 * positional). Throws `UsageError` on anything unknown or incomplete.
 */
export function parseArgs<S extends OptionSpecs>(args: string[], specs: S, settings: ParseSettings = {}): ParsedArgs<S> {
  const options: Record<string, unknown> = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) if (spec.short) byShort.set(spec.short, name);

  const set = (name: string, spec: OptionSpec, value: string | boolean) => {
    if (spec.type === 'string' && spec.multiple) {
      ((options[name] as string[] | undefined) ?? (options[name] = [] as string[]) as string[]).push(value as string);
    } else {
      options[name] = value;
    }
  };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const spec = specs[name];
      if (!spec) throw new UsageError(`unknown option --${name}`);
      if (spec.type === 'boolean') {
        if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
        set(name, spec, true);
      } else {
        const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
        if (value === undefined) throw new UsageError(`option --${name} needs a value`);
        set(name, spec, value);
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      const letter = arg.slice(1, 2);
      const name = byShort.get(letter);
      if (name === undefined) throw new UsageError(`unknown option ${arg}`);
      const spec = specs[name]!;
      if (spec.type === 'boolean') {
        if (arg.length > 2) throw new UsageError(`unknown option ${arg}`);
        set(name, spec, true);
      } else {
        const value = arg.length > 2 ? arg.slice(2) : args[++i];
        if (value === undefined) throw new UsageError(`option -${letter} needs a value`);
        set(name, spec, value);
      }
      continue;
    }
    positionals.push(arg);
  }
  const max = settings.maxPositionals ?? 0;
  const min = settings.minPositionals ?? 0;
  if (positionals.length > max) {
    throw new UsageError(max === 0 ? `unexpected argument "${positionals[0]}"` : `unexpected argument "${positionals[max]}" (at most ${max} expected)`);
  }
  if (positionals.length < min) throw new UsageError(`missing argument (${min} expected)`);
  return { options: options as ParsedArgs<S>['options'], positionals };
}
