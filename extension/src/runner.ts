/**
 * The local-run glue, bundled as dist/runner.mjs and loaded by the extension on the first
 * "Run Flow". No VS Code API here: it takes the flow text, a message file and the credentials,
 * runs one exchange with the SDK's FlowRunner and writes the message processing log (MPL)
 * and a per-receiver session summary through `write`.
 *
 * Secrets: credential values go straight from SecretStorage into the runner's credential
 * provider; nothing here prints them. The MPL itself holds only cookie hashes.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  AdapterRegistry,
  FlowRunner,
  parseFlow,
  staticCredentials,
  type Credential,
  type ExchangeResult,
  type MplEntry,
  type ReceiverStats,
  type RunnerEvent,
} from '@sessionflow/sdk';

export interface LocalRunRequest {
  flowText: string;
  flowPath: string;
  messagePath: string;
  /** Where adapter package discovery starts (the workspace folder). */
  projectDir: string;
  adapterPackages: string[];
  credentials: Record<string, Credential>;
  signal: AbortSignal;
  write(line: string): void;
  progress?(message: string): void;
}

export interface LocalRunResult {
  status: 'completed' | 'failed' | 'cancelled';
  /** One line, for a notification. */
  error?: string;
  durationMs: number;
  receivers: Record<string, ReceiverStats>;
}

/** Content type of a message file, from its extension (as `sessionflow run` does). */
export function contentTypeFor(file: string): string {
  switch (extname(file).toLowerCase()) {
    case '.json':
      return 'application/json';
    case '.xml':
      return 'application/xml';
    case '.txt':
      return 'text/plain';
    default:
      return 'application/octet-stream';
  }
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** One MPL entry as one line (indented by nesting depth). Holds no secret: the MPL has only hashes. */
export function formatEntry(entry: MplEntry): string {
  const indent = '  '.repeat(entry.depth + 1);
  const target = entry.receiver !== undefined ? ` → ${entry.receiver}` : '';
  const branch = entry.branch !== undefined ? ` [${entry.branch}]` : '';
  const http = entry.httpStatus !== undefined ? ` HTTP ${entry.httpStatus}` : '';
  const parts = [`${indent}${pad(entry.status.toUpperCase(), 7)} ${entry.kind} ${entry.stepId}${target}${branch}${http} ${entry.durationMs.toFixed(0)} ms`];
  const h = entry.http;
  if (h !== undefined) {
    const session = [
      h.credentialsSent ? 'credentials sent' : 'no credentials',
      h.sessionCookieSentHash !== undefined ? `session cookie #${h.sessionCookieSentHash}` : 'no session cookie',
      h.sessionOpened ? 'session opened' : h.sessionCookieSet ? 'cookie set' : undefined,
      h.csrfFetched ? 'CSRF token fetched' : undefined,
      h.reauthenticated ? 're-authenticated' : undefined,
    ].filter((x): x is string => x !== undefined);
    parts.push(`${indent}        ${h.method} ${h.url}: ${session.join(', ')}`);
  }
  if (entry.message !== undefined && entry.message !== '') parts.push(`${indent}        ${entry.message}`);
  return parts.join('\n');
}

/** The per-receiver session summary that ends a run. */
export function formatSummary(receivers: Record<string, ReceiverStats>): string[] {
  const names = Object.keys(receivers).sort();
  if (names.length === 0) return ['Session summary: no receiver was called.'];
  const lines = ['Session summary per receiver:'];
  for (const name of names) {
    const s = receivers[name]!;
    const reused = Math.max(0, s.calls - s.credentialsSent);
    const extra = [s.logoffs > 0 ? `${s.logoffs} logoff(s)` : '', s.reauthentications > 0 ? `${s.reauthentications} re-authentication(s)` : '']
      .filter(Boolean)
      .join(', ');
    lines.push(
      `  ${name}: ${s.calls} call(s), ${s.credentialsSent} authentication(s), ${s.sessionsOpened} session(s) opened, ` +
        `${s.csrfFetches} CSRF fetch(es), ${reused} call(s) reused a session${extra ? `, ${extra}` : ''}`,
    );
  }
  return lines;
}

function oneLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function runLocal(req: LocalRunRequest): Promise<LocalRunResult> {
  const started = performance.now();
  const { write } = req;
  const failed = (message: string): LocalRunResult => {
    write(`✗ ${message}`);
    return { status: 'failed', error: oneLine(message), durationMs: performance.now() - started, receivers: {} };
  };

  write('');
  write(`▶ Run ${req.flowPath}`);
  write(`  message: ${req.messagePath}`);

  let body: Uint8Array;
  try {
    body = await readFile(req.messagePath);
  } catch (err) {
    return failed(`cannot read the message file ${req.messagePath}: ${(err as NodeJS.ErrnoException).code ?? errorText(err)}`);
  }

  req.progress?.('loading adapters');
  const registry = await AdapterRegistry.load({ projectDir: req.projectDir, extraPackages: req.adapterPackages });
  for (const p of registry.problems) write(`  adapter warning: ${p.message}`);

  const doc = parseFlow(req.flowText, { uri: pathToFileURL(req.flowPath).href });
  let runner: FlowRunner;
  try {
    runner = await FlowRunner.create(doc, {
      registry,
      credentials: staticCredentials(req.credentials),
      onEvent: (e: RunnerEvent) => {
        if (e.type === 'step') write(formatEntry(e.entry));
        else if (e.type === 'warning') write(`  warning: ${e.message}`);
      },
    });
  } catch (err) {
    return failed(errorText(err));
  }
  write(`  flow ${runner.flowId}, session handling ${runner.sessionHandling}, log ${runner.logLevel}`);
  req.progress?.('running one exchange');

  const exchange = runner.runExchange({ body, contentType: contentTypeFor(req.messagePath) });
  const cancelled = new Promise<'cancelled'>((resolve) => {
    if (req.signal.aborted) resolve('cancelled');
    req.signal.addEventListener('abort', () => resolve('cancelled'), { once: true });
  });
  const outcome: ExchangeResult | 'cancelled' = await Promise.race([exchange, cancelled]);
  if (outcome === 'cancelled') {
    write('■ cancelled; calls already in flight end on their own timeouts');
    void runner.close();
    return { status: 'cancelled', error: 'cancelled', durationMs: performance.now() - started, receivers: {} };
  }
  await runner.close();
  const receivers = runner.stats();
  const ms = outcome.durationMs.toFixed(0);
  if (outcome.status === 'completed') {
    write(`✓ exchange ${outcome.id} completed in ${ms} ms`);
  } else {
    write(`✗ exchange ${outcome.id} failed after ${ms} ms: ${outcome.error?.message ?? 'unknown error'}${outcome.error?.code ? ` (${outcome.error.code})` : ''}`);
  }
  for (const line of formatSummary(receivers)) write(line);
  return {
    status: outcome.status,
    ...(outcome.status === 'failed' ? { error: oneLine(outcome.error?.message ?? 'failed') } : {}),
    durationMs: performance.now() - started,
    receivers,
  };
}
