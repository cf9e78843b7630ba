/**
 * `sessionflow run FLOW`: runs a flow locally, one or many exchanges, and shows what every
 * call did with sessions (message processing log, per-receiver table). Also home of the
 * helpers `serve` and `demo` share: loading and validating a flow, address overrides,
 * credentials, creating the runner, and turning runner results into CLI statistics.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, relative, resolve, sep, isAbsolute, dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  AdapterRegistry,
  CredentialError,
  FlowRunner,
  FlowValidationError,
  SESSION_HANDLING_MODES,
  loadCredentials,
  parseFlow,
} from '@sessionflow/sdk';
import type {
  CredentialProvider,
  ExchangeInput,
  ExchangeResult,
  FlowDocument,
  LogLevel,
  RunnerEvent,
  SessionHandling,
} from '@sessionflow/sdk';
import { analyze } from '../../analysis/index.js';
import type { Diagnostic } from '../../analysis/index.js';
import { loadProjectConfig } from '../../config.js';
import { CliError, UsageError, parseArgs } from '../args.js';
import { type CliCommand, type CliIO, type CliWriter, println } from '../io.js';
import {
  ProgressBar,
  bodyPreview,
  failuresOf,
  formatDuration,
  formatFailures,
  formatMpl,
  formatReceiverTable,
  formatStepTable,
  summarizeReceivers,
} from '../mpl-format.js';

const LOG_LEVELS: readonly LogLevel[] = ['none', 'info', 'debug'];

const usage = `Usage: sessionflow run FLOW [options]

Runs a flow locally: each exchange goes through the flow's steps and calls its receivers with
the session handling of the flow (or --session-handling). Prints the message processing log
of the exchange (one exchange) or a summary (several), then per receiver: calls,
authentications (calls that sent credentials), sessions opened, CSRF token fetches (automatic
ones and steps sending X-CSRF-Token: Fetch), logoffs, re-authentications, session reuse and
requests (every HTTP request sent, token fetches and retries included: compare with the backend).

A flow with errors is refused before anything is sent (file:line:col error rule message).

Options:
  --message FILE|-         Message body from a file (- reads stdin). Content type from the
                           extension: .json application/json, .xml application/xml, else
                           application/octet-stream (stdin: sniffed), unless a Content-Type
                           header is given
  --header K=V             Message header (repeatable)
  --property K=V           Exchange property (repeatable)
  --exchanges N            Number of exchanges to run (default 1)
  --concurrency C          Exchanges running at once (default 1)
  --credentials FILE       Credentials file (YAML/JSON, mode 600): NAME: {user, password} ...
                           Default: environment variables SESSIONFLOW_CREDENTIAL_<NAME>_USER /
                           _PASSWORD (NAME upper-cased, other characters → _)
  --session-handling MODE  none | onExchange | onIntegrationFlow: override the flow's mode
                           (the flow is validated as written; use this to see what a mode does)
  --log LEVEL              none | info | debug (default: the flow's runtime.log, else info);
                           debug shows per call: credentials sent, session cookie hash, cookie
                           set, CSRF fetch, re-authentication
  --address RECEIVER=URL   Override a receiver's address (repeatable), e.g. to point a flow
                           written for http://127.0.0.1:8080 at a backend on another port
  --report json            Print one JSON object (counts per receiver, failures) on stdout
                           instead of the text report

Exit code: 0 when every exchange completed, 1 when one failed or the flow was refused,
2 on bad usage.`;

// ---------------------------------------------------------------------------------------------
// Shared helpers (serve, demo)
// ---------------------------------------------------------------------------------------------

/** A flow file loaded for running: parsed (with overrides applied), adapters loaded. */
export interface LoadedFlow {
  /** Absolute path. */
  file: string;
  /** Path as shown to the user (relative to the working directory when inside it). */
  displayPath: string;
  doc: FlowDocument;
  registry: AdapterRegistry;
  /** Errors and warnings as `file:line:col severity rule message`, in file order (print them). */
  diagnostics: string[];
  /** How many of them are errors: the flow must not run when > 0. */
  errors: number;
}

export function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
  return file.split(sep).join('/');
}

/** Parses `K=V` options. */
export function parsePairs(values: string[] | undefined, option: string): [string, string][] {
  const out: [string, string][] = [];
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${option} needs KEY=VALUE, got "${v}"`);
    out.push([v.slice(0, eq).trim(), v.slice(eq + 1)]);
  }
  return out;
}

export function parsePositiveInt(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--${option} must be a positive whole number, got "${value}"`);
  }
  return Number(value);
}

export function parseSessionHandling(value: string | undefined): SessionHandling | undefined {
  if (value === undefined) return undefined;
  if (!(SESSION_HANDLING_MODES as readonly string[]).includes(value)) {
    throw new UsageError(`--session-handling must be one of ${SESSION_HANDLING_MODES.join(', ')}, got "${value}"`);
  }
  return value as SessionHandling;
}

/** Parses and checks `--address RECEIVER=URL` values (usage errors for bad URLs). */
export function parseAddresses(values: string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, url] of parsePairs(values, 'address')) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UsageError(`--address ${name}=...: "${url}" is not an absolute URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new UsageError(`--address ${name}=...: only http and https URLs are supported`);
    }
    out.set(name, url);
  }
  return out;
}

/**
 * Replaces receiver addresses in the flow text (the address value's own range, so every
 * other position in the file stays where it was) and re-parses.
 */
export function applyAddressOverrides(doc: FlowDocument, overrides: ReadonlyMap<string, string>): FlowDocument {
  if (overrides.size === 0) return doc;
  const declared = doc.flow.receivers.map((r) => r.name);
  const edits: { start: number; end: number; text: string }[] = [];
  for (const [name, url] of overrides) {
    const receiver = doc.flow.receivers.find((r) => r.name === name);
    if (!receiver) {
      throw new UsageError(`--address: the flow has no receiver "${name}" (receivers: ${declared.length ? declared.join(', ') : 'none'})`);
    }
    if (!receiver.address) throw new UsageError(`--address: receiver "${name}" has no address field to override`);
    edits.push({ start: receiver.address.range.start, end: receiver.address.range.end, text: JSON.stringify(url) });
  }
  edits.sort((a, b) => b.start - a.start);
  let text = doc.text;
  for (const e of edits) text = text.slice(0, e.start) + e.text + text.slice(e.end);
  return parseFlow(text, doc.uri !== undefined ? { uri: doc.uri } : {});
}

function diagnosticLine(path: string, doc: FlowDocument, d: Diagnostic): string {
  const pos = doc.positionAt(d.range.start);
  return `${path}:${pos.line + 1}:${pos.character + 1} ${d.severity} ${d.rule} ${d.message.replace(/\s*\n\s*/g, ' ')}`;
}

/**
 * Reads, parses and validates a flow file. Returns errors instead of throwing for flow
 * problems; throws CliError when the file cannot be read.
 */
export async function loadFlow(flowArg: string, io: CliIO, addresses: ReadonlyMap<string, string> = new Map()): Promise<LoadedFlow> {
  const file = resolve(io.cwd, flowArg);
  let text: string;
  try {
    const st = await stat(file);
    if (st.isDirectory()) throw new CliError(`${flowArg} is a directory, not a flow file`, 2);
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof CliError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `flow file not found: ${flowArg}` : `cannot read ${flowArg} (${code ?? 'error'})`, 2);
  }
  const shown = displayPath(file, io.cwd);
  let doc = parseFlow(text, { uri: pathToFileURL(file).href });
  doc = applyAddressOverrides(doc, addresses);
  const config = await loadProjectConfig(dirname(file));
  const registry = await AdapterRegistry.load({ projectDir: dirname(file), extraPackages: config.adapterPackages });
  const diagnostics = analyze(doc, { adapters: registry, severities: config.severities });
  const shownDiagnostics = diagnostics.filter((d) => d.severity === 'error' || d.severity === 'warning');
  // Parse problems the analysis might not cover (it normally reports them as flow/schema and flow/yaml-syntax).
  for (const p of doc.problems) {
    const configured = config.severities[p.code];
    if (configured !== undefined && configured !== 'error') continue;
    if (diagnostics.some((d) => d.rule === p.code && d.range.start === p.range.start)) continue;
    shownDiagnostics.push({ rule: p.code, severity: 'error', message: p.message, range: p.range });
  }
  shownDiagnostics.sort((a, b) => a.range.start - b.range.start);
  const lines = shownDiagnostics.map((d) => diagnosticLine(shown, doc, d));
  const errors = shownDiagnostics.filter((d) => d.severity === 'error').length;
  for (const p of config.problems) lines.push(`warning: ${p}`);
  return { file, displayPath: shown, doc, registry, diagnostics: lines, errors };
}

/** Prints a refused flow's problems (stderr) and returns exit code 1. */
export function refuse(io: CliIO, command: string, lines: string[], errors = lines.length): number {
  for (const l of lines) println(io.stderr, l);
  println(io.stderr, `sessionflow ${command}: the flow has ${errors} error${errors === 1 ? '' : 's'}; it was not run and nothing was sent`);
  return 1;
}

export async function cliCredentials(io: CliIO, file: string | undefined): Promise<CredentialProvider> {
  try {
    return await loadCredentials({ env: io.env ?? process.env, ...(file !== undefined ? { file: resolve(io.cwd, file) } : {}) });
  } catch (e) {
    if (e instanceof CredentialError) throw new CliError(e.message, 1);
    throw e;
  }
}

/**
 * Creates the runner. Flow validation problems found by the runtime are returned as lines
 * (`file:line:col error CODE message`); credential problems throw CliError (exit 1).
 */
export async function createRunner(
  loaded: LoadedFlow,
  io: CliIO,
  options: {
    credentials: CredentialProvider;
    sessionHandling?: SessionHandling;
    logLevel?: LogLevel;
    onEvent?: (e: RunnerEvent) => void;
  },
): Promise<{ runner: FlowRunner } | { refused: string[] }> {
  try {
    const runner = await FlowRunner.create(loaded.doc, {
      registry: loaded.registry,
      credentials: options.credentials,
      ...(options.sessionHandling !== undefined ? { sessionHandling: options.sessionHandling } : {}),
      ...(options.logLevel !== undefined ? { logLevel: options.logLevel } : {}),
      baseDir: dirname(loaded.file),
      env: io.env ?? process.env,
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    });
    return { runner };
  } catch (e) {
    if (e instanceof FlowValidationError) {
      return {
        refused: e.problems.map((p) => `${displayPath(p.file, io.cwd)}:${p.line}:${p.column} error ${p.code ?? 'flow/runtime'} ${p.message}`),
      };
    }
    if (e instanceof CredentialError) throw new CliError(e.message, 1);
    throw e;
  }
}

/** Content type of a message file from its extension. */
export function contentTypeForFile(file: string): string {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'application/json';
  if (ext === '.xml') return 'application/xml';
  return 'application/octet-stream';
}

function sniffContentType(bytes: Uint8Array): string {
  const text = new TextDecoder().decode(bytes.subarray(0, 64 * 1024)).trim();
  if (text.startsWith('<')) return 'application/xml';
  try {
    JSON.parse(new TextDecoder().decode(bytes));
    return 'application/json';
  } catch {
    return 'application/octet-stream';
  }
}

async function readStdin(io: CliIO): Promise<Uint8Array> {
  const source = ((io as CliIO & { stdin?: AsyncIterable<Uint8Array | string> }).stdin ?? process.stdin) as AsyncIterable<Uint8Array | string>;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of source) {
    const b = typeof c === 'string' ? Buffer.from(c) : Buffer.from(c);
    size += b.byteLength;
    if (size > 256 * 1024 * 1024) throw new CliError('the message on stdin is larger than 256 MB', 1);
    chunks.push(b);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function isTty(w: CliWriter): boolean {
  return (w as { isTTY?: boolean }).isTTY === true;
}

// ---------------------------------------------------------------------------------------------
// The command
// ---------------------------------------------------------------------------------------------

const specs = {
  message: { type: 'string' },
  header: { type: 'string', multiple: true },
  property: { type: 'string', multiple: true },
  exchanges: { type: 'string' },
  concurrency: { type: 'string' },
  credentials: { type: 'string' },
  'session-handling': { type: 'string' },
  log: { type: 'string' },
  report: { type: 'string' },
  address: { type: 'string', multiple: true },
} as const;

async function run(args: string[], io: CliIO): Promise<number> {
  const { options, positionals } = parseArgs(args, specs, { minPositionals: 1, maxPositionals: 1 });
  const flowArg = positionals[0]!;
  const exchanges = parsePositiveInt(options.exchanges, 'exchanges', 1);
  const concurrency = parsePositiveInt(options.concurrency, 'concurrency', 1);
  const sessionHandling = parseSessionHandling(options['session-handling']);
  let logLevel: LogLevel | undefined;
  if (options.log !== undefined) {
    if (!(LOG_LEVELS as readonly string[]).includes(options.log)) throw new UsageError(`--log must be one of ${LOG_LEVELS.join(', ')}, got "${options.log}"`);
    logLevel = options.log as LogLevel;
  }
  if (options.report !== undefined && options.report !== 'json') throw new UsageError(`--report supports only "json", got "${options.report}"`);
  const json = options.report === 'json';
  const headers = parsePairs(options.header, 'header');
  const properties = parsePairs(options.property, 'property');
  const addresses = parseAddresses(options.address);

  // Message.
  let body: Uint8Array = new Uint8Array(0);
  let contentType: string | undefined;
  if (options.message === '-') {
    body = await readStdin(io);
    contentType = sniffContentType(body);
  } else if (options.message !== undefined) {
    const file = resolve(io.cwd, options.message);
    try {
      body = new Uint8Array(await readFile(file));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new CliError(code === 'ENOENT' ? `message file not found: ${options.message}` : `cannot read message file ${options.message} (${code ?? 'error'})`, 2);
    }
    contentType = contentTypeForFile(file);
  }
  const headerRecord: Record<string, string> = {};
  for (const [k, v] of headers) {
    if (k.toLowerCase() === 'content-type') contentType = v;
    else headerRecord[k] = v;
  }
  const input: ExchangeInput = {
    body,
    ...(contentType !== undefined ? { contentType } : {}),
    headers: headerRecord,
    properties: Object.fromEntries(properties),
  };

  // Flow: refused before anything is sent.
  const loaded = await loadFlow(flowArg, io, addresses);
  if (loaded.errors > 0) return refuse(io, 'run', loaded.diagnostics, loaded.errors);
  for (const w of loaded.diagnostics) println(io.stderr, w);

  const credentials = await cliCredentials(io, options.credentials);
  const warnings = new Map<string, number>();
  let failedSoFar = 0;
  const created = await createRunner(loaded, io, {
    credentials,
    ...(sessionHandling !== undefined ? { sessionHandling } : {}),
    ...(logLevel !== undefined ? { logLevel } : {}),
    onEvent: (e) => {
      if (e.type === 'warning') warnings.set(e.message, (warnings.get(e.message) ?? 0) + 1);
      if (e.type === 'exchange-end' && e.status === 'failed') failedSoFar++;
    },
  });
  if ('refused' in created) return refuse(io, 'run', created.refused);
  const runner = created.runner;

  const progress = exchanges > 1 && !json && isTty(io.stderr) ? new ProgressBar(io.stderr, exchanges) : undefined;
  let report;
  try {
    report = await runner.run({
      exchanges,
      concurrency,
      input,
      onProgress: (done) => progress?.update(done, failedSoFar),
    });
  } finally {
    progress?.finish();
    await runner.close();
  }
  // Totals after close(): includes logoffs of flow-wide sessions.
  const receivers = runner.stats();
  const failures = failuresOf(report.results);
  const level = runner.logLevel;

  if (json) {
    const first = report.results[0];
    const out: Record<string, unknown> = {
      flow: report.flow,
      file: loaded.displayPath,
      sessionHandling: report.sessionHandling,
      logLevel: level,
      exchanges: report.exchanges,
      concurrency,
      succeeded: report.succeeded,
      failed: report.failed,
      durationMs: Math.round(report.durationMs * 10) / 10,
      exchangesPerSecond: report.durationMs > 0 ? Math.round((report.exchanges / report.durationMs) * 1000 * 10) / 10 : null,
      receivers: summarizeReceivers(receivers),
      failures,
      warnings: [...warnings].map(([message, count]) => ({ message, count })),
    };
    if (exchanges === 1 && first) {
      out.mpl = first.mpl;
      out.result = resultJson(first);
    }
    println(io.stdout, JSON.stringify(out, null, 2));
    if (failures.length > 0) println(io.stderr, formatFailures(failures, report.exchanges));
    return report.failed > 0 ? 1 : 0;
  }

  const w = io.stdout;
  const first = report.results[0];
  if (exchanges === 1 && first) {
    println(
      w,
      `Exchange ${first.id} ${first.status} in ${formatDuration(first.durationMs)} — flow ${report.flow}, session handling ${report.sessionHandling}, log ${level}`,
    );
    println(w);
    println(w, formatMpl(first, { level }));
    if (first.status === 'completed') {
      println(w);
      println(w, `Result (${first.contentType ?? 'no content type'}, ${first.body.byteLength} bytes):`);
      println(w, bodyPreview(first.body, first.contentType));
    }
  } else {
    const rate = report.durationMs > 0 ? (report.exchanges / report.durationMs) * 1000 : 0;
    println(
      w,
      `Ran ${report.exchanges} exchanges of flow ${report.flow} (session handling ${report.sessionHandling}, concurrency ${concurrency}) in ${formatDuration(report.durationMs)}: ${report.succeeded} completed, ${report.failed} failed (${rate.toFixed(1)} exchanges/s)`,
    );
    const steps = formatStepTable(report.results);
    if (steps) {
      println(w);
      println(w, steps);
    }
  }
  println(w);
  println(w, formatReceiverTable(receivers));
  if (warnings.size > 0) {
    println(w);
    for (const [message, count] of warnings) println(w, `warning: ${message}${count > 1 ? ` (${count} times)` : ''}`);
  }
  if (failures.length > 0) {
    println(w);
    println(w, formatFailures(failures, report.exchanges));
  }
  return report.failed > 0 ? 1 : 0;
}

function resultJson(r: ExchangeResult): Record<string, unknown> {
  const out: Record<string, unknown> = { id: r.id, status: r.status, bodyBytes: r.body.byteLength };
  if (r.contentType !== undefined) out.contentType = r.contentType;
  try {
    out.body = new TextDecoder('utf-8', { fatal: true }).decode(r.body);
  } catch {
    // binary: size only
  }
  return out;
}

const command: CliCommand = {
  name: 'run',
  summary: 'Run a flow locally and show how every call used sessions (MPL, per-receiver counts)',
  usage,
  run,
};

export default command;
