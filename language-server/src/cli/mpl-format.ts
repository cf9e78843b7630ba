/**
 * Terminal rendering of what the runner did: the message processing log (MPL) of one
 * exchange, the per-receiver session table, per-step timings of a run, failures, and a
 * progress bar for long runs. Pure string building (plus the progress bar's writer); shared
 * by `sessionflow run`, `serve` and `demo`.
 *
 * Nothing here ever prints a secret: MPL entries carry only a short hash of the session
 * cookie, and error messages from the runtime never contain credentials or tokens.
 */
import type { ExchangeResult, LogLevel, MplEntry, ReceiverStats } from '@sessionflow/sdk';
import { type CliWriter, formatTable } from './io.js';

/** Receiver statistics as the CLI reports them (the runtime's counters plus derived values). */
export interface ReceiverSummary extends ReceiverStats {
  /** Share of calls that rode on an existing session (sent no credentials), 0–100; null without calls. */
  reusePercent: number | null;
}

export function reusePercent(s: Pick<ReceiverStats, 'calls' | 'credentialsSent'>): number | null {
  if (s.calls <= 0) return null;
  return Math.round(((s.calls - Math.min(s.credentialsSent, s.calls)) / s.calls) * 1000) / 10;
}

export function summarizeReceivers(receivers: Record<string, ReceiverStats>): Record<string, ReceiverSummary> {
  const out: Record<string, ReceiverSummary> = {};
  for (const name of Object.keys(receivers).sort()) {
    const s = receivers[name]!;
    out[name] = { ...s, reusePercent: reusePercent(s) };
  }
  return out;
}

/** `12 ms`, `1.23 s`, `2 min 3 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`;
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** The session details of an entry (log level `debug`), as short phrases. */
export function sessionNotes(entry: MplEntry): string[] {
  const h = entry.http;
  if (!h) return [];
  const notes: string[] = [];
  if (entry.kind === 'csrf-fetch') notes.push('automatic CSRF token fetch');
  if (h.sessionCookieSentHash) notes.push(`session cookie #${h.sessionCookieSentHash} sent`);
  else if (entry.kind !== 'csrf-fetch') notes.push('no session cookie sent');
  if (h.credentialsSent) notes.push('credentials sent');
  if (h.sessionOpened) notes.push('new session opened');
  else if (h.sessionCookieSet) notes.push('cookie set');
  if (h.csrfFetched && entry.kind !== 'csrf-fetch') notes.push(h.csrfFetchedByStep ? 'CSRF token fetched by the step' : 'CSRF token fetched');
  if (h.reauthenticated) notes.push('session had expired: re-authenticated');
  return notes;
}

export interface MplFormatOptions {
  level: LogLevel;
}

/** The MPL of one exchange as a table: one row per entry, nested steps indented. */
export function formatMpl(result: ExchangeResult, options: MplFormatOptions): string {
  if (options.level === 'none' || result.mpl.length === 0) {
    return options.level === 'none' ? '(log level none: no message processing log kept)' : '(no steps ran)';
  }
  const debug = options.level === 'debug';
  const rows: string[][] = [];
  const failures: string[] = [];
  for (const e of result.mpl) {
    const label = `${'  '.repeat(e.depth)}${e.kind === 'csrf-fetch' ? '· ' : ''}${e.stepId}`;
    const notes: string[] = [];
    if (debug) notes.push(...sessionNotes(e));
    if (e.message && e.status !== 'failed') notes.push(e.message);
    if (e.status === 'failed' && e.message) failures.push(`${e.stepId}${e.branch ? ` [${e.branch}]` : ''}: ${e.message}`);
    rows.push([
      label,
      e.branch ?? '',
      e.kind,
      e.receiver ?? '',
      e.status,
      e.httpStatus !== undefined ? String(e.httpStatus) : '',
      e.kind === 'csrf-fetch' ? '' : formatDuration(e.durationMs),
      notes.join(', '),
    ]);
  }
  const header = ['STEP', 'BRANCH', 'KIND', 'RECEIVER', 'STATUS', 'HTTP', 'TIME', debug ? 'SESSION / NOTES' : 'NOTES'];
  const dropBranch = rows.every((r) => r[1] === '');
  const shape = (r: string[]): string[] => (dropBranch ? [r[0]!, ...r.slice(2)] : r);
  let text = formatTable(rows.map(shape), shape(header));
  if (failures.length > 0) text += `\n\nFailed steps:\n${failures.map((f) => `  ${f}`).join('\n')}`;
  return text;
}

/** The per-receiver table: calls, authentications, sessions, CSRF fetches, logoffs, reuse, requests sent (to compare with the backend). */
export function formatReceiverTable(receivers: Record<string, ReceiverStats>): string {
  const names = Object.keys(receivers).sort();
  if (names.length === 0) return '(no receiver was called)';
  const rows = names.map((name) => {
    const s = receivers[name]!;
    const reuse = reusePercent(s);
    return [
      name,
      String(s.calls),
      String(s.credentialsSent),
      String(s.sessionsOpened),
      String(s.csrfFetches),
      String(s.logoffs),
      String(s.reauthentications),
      reuse === null ? '-' : `${reuse}%`,
      String(s.requests ?? 0),
    ];
  });
  return formatTable(rows, ['RECEIVER', 'CALLS', 'AUTHENTICATIONS', 'SESSIONS OPENED', 'CSRF FETCHES', 'LOGOFFS', 'RE-AUTH', 'REUSE', 'REQUESTS']);
}

interface StepAggregate {
  stepId: string;
  kind: string;
  receiver: string;
  runs: number;
  failed: number;
  durations: number[];
  order: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Per-step statistics over many exchanges: runs, failures, mean and 95th percentile time. */
export function formatStepTable(results: readonly ExchangeResult[]): string | undefined {
  const map = new Map<string, StepAggregate>();
  let order = 0;
  for (const r of results) {
    for (const e of r.mpl) {
      if (e.kind === 'csrf-fetch') continue;
      const key = `${e.stepId}\u0000${e.kind}\u0000${e.receiver ?? ''}`;
      let a = map.get(key);
      if (!a) {
        a = { stepId: `${'  '.repeat(e.depth)}${e.stepId}`, kind: e.kind, receiver: e.receiver ?? '', runs: 0, failed: 0, durations: [], order: order++ };
        map.set(key, a);
      }
      a.runs++;
      if (e.status === 'failed') a.failed++;
      a.durations.push(e.durationMs);
    }
  }
  if (map.size === 0) return undefined;
  const rows = [...map.values()]
    .sort((x, y) => x.order - y.order)
    .map((a) => {
      const sorted = [...a.durations].sort((x, y) => x - y);
      const mean = sorted.reduce((s, d) => s + d, 0) / Math.max(1, sorted.length);
      return [a.stepId, a.kind, a.receiver, String(a.runs), String(a.failed), formatDuration(mean), formatDuration(percentile(sorted, 95))];
    });
  return formatTable(rows, ['STEP', 'KIND', 'RECEIVER', 'RUNS', 'FAILED', 'MEAN', 'P95']);
}

export interface FailureLine {
  exchange: string;
  code: string;
  stepId?: string;
  receiver?: string;
  message: string;
}

export function failuresOf(results: readonly ExchangeResult[]): FailureLine[] {
  const out: FailureLine[] = [];
  for (const r of results) {
    if (r.status !== 'failed') continue;
    const e = r.error;
    out.push({
      exchange: r.id,
      code: e?.code ?? 'SF_INTERNAL',
      ...(e?.stepId !== undefined ? { stepId: e.stepId } : {}),
      ...(e?.receiver !== undefined ? { receiver: e.receiver } : {}),
      message: e?.message ?? 'failed',
    });
  }
  return out;
}

/**
 * Failures grouped by (step, receiver, message): one line each with the exchanges it hit
 * (at most `limit` groups, then a count of the rest).
 */
export function formatFailures(failures: readonly FailureLine[], total: number, limit = 10): string {
  const groups = new Map<string, { f: FailureLine; exchanges: string[] }>();
  for (const f of failures) {
    const key = `${f.stepId ?? ''}\u0000${f.receiver ?? ''}\u0000${f.message}`;
    const g = groups.get(key);
    if (g) g.exchanges.push(f.exchange);
    else groups.set(key, { f, exchanges: [f.exchange] });
  }
  const lines = [`Failures (${failures.length} of ${plural(total, 'exchange')}):`];
  let shown = 0;
  for (const { f, exchanges } of groups.values()) {
    if (shown++ >= limit) break;
    const who =
      exchanges.length === 1
        ? `exchange ${exchanges[0]}`
        : `${exchanges.length} exchanges (${exchanges.slice(0, 3).join(', ')}${exchanges.length > 3 ? ', ...' : ''})`;
    const where = [f.stepId !== undefined ? `step ${f.stepId}` : undefined, f.receiver !== undefined ? `receiver ${f.receiver}` : undefined]
      .filter((x) => x !== undefined)
      .join(', ');
    lines.push(`  ${who}${where ? ` — ${where}` : ''}: ${f.message}`);
  }
  if (groups.size > limit) lines.push(`  ... and ${groups.size - limit} more kinds of failure`);
  return lines.join('\n');
}

/**
 * A one-line progress bar for TTYs: redrawn in place with `\r`, at most ~10 times a second,
 * and cleared by `finish()` so the summary starts on a clean line.
 */
export class ProgressBar {
  private last = 0;
  private drawn = false;
  private readonly started = Date.now();

  constructor(
    private readonly out: CliWriter,
    private readonly total: number,
    private readonly width = 28,
  ) {}

  update(done: number, failed: number): void {
    const now = Date.now();
    if (done < this.total && now - this.last < 100) return;
    this.last = now;
    const ratio = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const filled = Math.round(ratio * this.width);
    const elapsed = (now - this.started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}]`;
    this.out.write(
      `\r${bar} ${done}/${this.total} exchanges${failed > 0 ? `, ${failed} failed` : ''}  ${rate.toFixed(1)}/s\u001b[K`,
    );
    this.drawn = true;
  }

  finish(): void {
    if (this.drawn) this.out.write('\r\u001b[K');
    this.drawn = false;
  }
}

/** A short, printable preview of a body: text when it decodes as UTF-8, else a size note. */
export function bodyPreview(body: Uint8Array, contentType: string | undefined, maxChars = 2000): string {
  if (body.byteLength === 0) return '(empty body)';
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return `(${body.byteLength} bytes of binary data${contentType ? `, ${contentType}` : ''})`;
  }
  if (contentType && /json/i.test(contentType)) {
    try {
      text = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // not JSON after all: show as is
    }
  }
  return text.length > maxChars ? `${text.slice(0, maxChars)}\n... (${text.length - maxChars} more characters)` : text;
}
