/**
 * The logic of `sessionflow demo`: runs the bundled order flow against the SDK's test
 * backend in each session-handling mode and compares what the BACKEND saw (logins, sessions,
 * CSRF fetches). Every number in the table is measured; `checks` says whether each mode
 * behaved as the session rules predict.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { staticCredentials } from '@sessionflow/sdk';
import type { ExchangeInput, ExchangeResult, FlowRunner, SessionHandling } from '@sessionflow/sdk';
import { startTestBackend, type BackendStats } from '@sessionflow/sdk/testing';
import type { CliIO } from '../cli/io.js';
import { CliError } from '../cli/args.js';
import { createRunner, loadFlow } from '../cli/commands/run.js';

export const DEMO_MODES: readonly SessionHandling[] = ['none', 'onExchange', 'onIntegrationFlow'];

/** The demo's user on the test backend (a fixture, not a secret of anything real). */
const DEMO_USER = { type: 'basic' as const, user: 'alice', password: 'alice-pw' };

/** `language-server/demo`: found by walking up to our package.json (works from src/ and dist/src/). */
export function demoAssetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === '@sessionflow/language-server') return join(dir, 'demo');
    } catch {
      // keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new CliError('the demo files (language-server/demo) were not found next to the command line', 1);
}

export interface DemoOptions {
  /** Messages (orders) per mode; default 20. */
  messages?: number;
  /** Orders processed at once; default 4. */
  concurrency?: number;
  /** PBKDF2 iterations per login on the test backend; default 2000. */
  loginCost?: number;
}

export interface ModeOutcome {
  mode: SessionHandling;
  succeeded: number;
  failed: number;
  /** What the backend counted. */
  backend: BackendStats;
  durationMs: number;
  /** Distinct failure messages (first few). */
  failures: string[];
  /** Failure codes seen. */
  failureCodes: string[];
  /** Human check results: empty when the mode behaved as predicted. */
  deviations: string[];
}

export interface DemoResult {
  flowFile: string;
  messages: number;
  concurrency: number;
  itemsPerMessage: number;
  loginCost: number;
  modes: ModeOutcome[];
  /** One onExchange exchange at log level debug, for the MPL printout. */
  debugExchange: ExchangeResult;
  ok: boolean;
}

interface Order {
  orderId: string;
  customer: string;
  items: unknown[];
}

function readOrder(file: string): Order {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CliError(`demo message ${file} cannot be read: ${e instanceof Error ? e.message : String(e)}`, 1);
  }
  const o = value as Partial<Order>;
  if (!o || !Array.isArray(o.items) || typeof o.customer !== 'string') throw new CliError(`demo message ${file} has no items/customer`, 1);
  return o as Order;
}

/** Order number i of a run: the sample order with its own order id and customer. */
function orderInput(sample: Order, i: number): ExchangeInput {
  const order = { ...sample, orderId: String(Number(sample.orderId) + i || 1000 + i), customer: `C-${1001 + (i % 7)}` };
  return { body: JSON.stringify(order), contentType: 'application/json' };
}

function expectations(mode: SessionHandling, o: Omit<ModeOutcome, 'deviations'>, messages: number): string[] {
  const b = o.backend;
  const out: string[] = [];
  if (b.requests === 0) return [`${mode}: the backend saw no request at all`];
  switch (mode) {
    case 'none':
      if (b.authentications !== b.requests) out.push(`none: expected a login on every call (${b.requests} calls) but the backend counted ${b.authentications}`);
      if (o.failed !== messages) out.push(`none: expected every order to fail on the CSRF-protected posts, but ${o.succeeded} of ${messages} completed`);
      else if (o.failureCodes.some((c) => c !== 'SF_HTTP_CSRF' && c !== 'SF_HTTP_STATUS')) {
        out.push(`none: expected CSRF failures (403), got ${o.failureCodes.join(', ')}`);
      }
      break;
    case 'onExchange':
      if (o.failed > 0) out.push(`onExchange: ${o.failed} of ${messages} orders failed: ${o.failures[0] ?? ''}`);
      if (b.authentications !== messages) out.push(`onExchange: expected 1 login per order (${messages}) but the backend counted ${b.authentications}`);
      if (b.activeSessions !== 0) out.push(`onExchange: expected every session to be logged off, but ${b.activeSessions} are still open`);
      break;
    case 'onIntegrationFlow':
      if (o.failed > 0) out.push(`onIntegrationFlow: ${o.failed} of ${messages} orders failed: ${o.failures[0] ?? ''}`);
      if (b.authentications !== 1) out.push(`onIntegrationFlow: expected 1 login in total but the backend counted ${b.authentications}`);
      if (b.activeSessions !== 0) out.push(`onIntegrationFlow: expected the shared session to be logged off at the end, but ${b.activeSessions} are still open`);
      break;
  }
  return out;
}

/** Runs the demo. Starts and stops its own backends; never leaves a server running. */
export async function runDemo(io: CliIO, options: DemoOptions = {}): Promise<DemoResult> {
  const messages = options.messages ?? 20;
  const concurrency = options.concurrency ?? 4;
  const loginCost = options.loginCost ?? 2000;
  const assets = demoAssetsDir();
  const flowFile = join(assets, 'orders.flow.yaml');
  const sample = readOrder(join(assets, 'order.json'));
  const credentials = staticCredentials({ 'erp-user': DEMO_USER });

  const runMode = async (
    mode: SessionHandling,
    work: (runner: FlowRunner) => Promise<{ results: ExchangeResult[] }>,
    logLevel: 'info' | 'debug' = 'info',
  ): Promise<{ stats: BackendStats; results: ExchangeResult[]; durationMs: number }> => {
    const backend = await startTestBackend({ loginCost, csrfPaths: ['/api/orders/'] });
    try {
      const runner = await prepare(backend.url, mode, logLevel);
      const t0 = performance.now();
      let results: ExchangeResult[];
      try {
        results = (await work(runner)).results;
      } finally {
        await runner.close();
      }
      const durationMs = performance.now() - t0;
      return { stats: backend.stats(), results, durationMs };
    } finally {
      await backend.close();
    }
  };

  async function prepare(url: string, mode: SessionHandling, logLevel: 'info' | 'debug'): Promise<FlowRunner> {
    const loaded = await loadFlow(flowFile, io, new Map([
      ['erp', `${url}/api/orders/items`],
      ['customers', `${url}/api/customers`],
    ]));
    if (loaded.errors > 0) throw new CliError(`the demo flow has errors:\n${loaded.diagnostics.join('\n')}`, 1);
    const created = await createRunner(loaded, io, { credentials, sessionHandling: mode, logLevel });
    if ('refused' in created) throw new CliError(`the demo flow was refused: ${created.refused.join('; ')}`, 1);
    return created.runner;
  }

  const modes: ModeOutcome[] = [];
  for (const mode of DEMO_MODES) {
    const r = await runMode(mode, (runner) => runner.run({ exchanges: messages, concurrency, input: (i) => orderInput(sample, i) }));
    const failedResults = r.results.filter((x) => x.status === 'failed');
    const outcome: Omit<ModeOutcome, 'deviations'> = {
      mode,
      succeeded: r.results.length - failedResults.length,
      failed: failedResults.length,
      backend: r.stats,
      durationMs: r.durationMs,
      failures: [...new Set(failedResults.map((x) => x.error?.message ?? 'failed'))].slice(0, 3),
      failureCodes: [...new Set(failedResults.map((x) => x.error?.code ?? 'SF_INTERNAL'))],
    };
    modes.push({ ...outcome, deviations: expectations(mode, outcome, messages) });
  }

  let debugExchange: ExchangeResult | undefined;
  await runMode(
    'onExchange',
    async (runner) => {
      debugExchange = await runner.runExchange(orderInput(sample, 0));
      return { results: [debugExchange] };
    },
    'debug',
  );

  return {
    flowFile,
    messages,
    concurrency,
    itemsPerMessage: sample.items.length,
    loginCost,
    modes,
    debugExchange: debugExchange!,
    ok: modes.every((m) => m.deviations.length === 0),
  };
}
