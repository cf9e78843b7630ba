// Benchmark: the runner against a hand-written undici + tough-cookie loop doing the same calls.
//
// Workload (per measurement): MESSAGES orders of ITEMS items each. Per order a priming GET,
// then the items posted in parallel (at most 10 at once), MESSAGE_CONCURRENCY orders at once,
// against the SDK's test backend with a realistic login cost (PBKDF2). For each session mode
// the hand-written loop has the same session behaviour, as a competent engineer would write
// it by hand: `none` sends credentials on every call and keeps no cookie; `onExchange` has one
// cookie jar per order and logs in when the jar has no cookie; `onIntegrationFlow` shares one
// jar and one in-flight login across all orders. Both sides must send the same requests and
// log in the same number of times (checked; the bench fails otherwise).
//
// Measurement design (this machine is small and shared, so wall clock is noisy):
// - Each measurement starts from a fresh backend state (sessions forgotten, stats reset) and a
//   collected heap (garbage one side left behind is not collected on the other's time).
// - The backend runs in its own process (backend-process.ts): its password hashing and JSON
//   work do not share the event loop with the code under test, and are the same for both.
// - Runs come in pairs, one runner run and one hand-written run back to back (order
//   alternating); the modes take turns round by round, so a burst of load from elsewhere
//   touches every mode a little instead of one mode a lot. RATIO is the median of the pairs'
//   throughput ratios: drift in machine load between pairs cancels out.
// - Every run is long enough (about a second or more) that a GC pause or a scheduler hiccup
//   is a small part of it: the fast modes send more messages per run than `none`, whose
//   throughput is bound by the backend's password checks.
// - CPU MS/MSG is this process's CPU time (user + system, process.cpuUsage) per message while
//   a side runs: far steadier than wall clock, it shows the client-side cost directly.
//
// Run: npm run bench (or node --conditions=sessionflow-source --import tsx
// test/bench/runner.bench.ts). Environment (each applies to every mode; defaults per mode below):
// BENCH_MESSAGES (messages per run), BENCH_RUNS (timed pairs), BENCH_WARMUP_RUNS (warm-up
// pairs), BENCH_ITEMS, BENCH_MODES (comma-separated subset), BENCH_LOGIN_COST (PBKDF2
// iterations; default: calibrated to about 3 ms a login).
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { CookieJar } from 'tough-cookie';
import { AdapterRegistry, FlowRunner, parseFlow, staticCredentials, type SessionHandling } from '@sessionflow/sdk';
import { fork, type ChildProcess } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { BackendStats } from '@sessionflow/sdk/testing';

const MODES: readonly SessionHandling[] = (['none', 'onExchange', 'onIntegrationFlow'] as const).filter(
  (m) => !process.env.BENCH_MODES || process.env.BENCH_MODES.split(',').includes(m),
);
const int = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
};
const ITEMS = int('BENCH_ITEMS', 20);
const MESSAGE_CONCURRENCY = 4;
const ITEM_CONCURRENCY = 10;
/**
 * Messages per run: about a second or more of work per run on this machine. `none` is bound by
 * the backend's password check on every call (about 20 messages a second), the others by the
 * client and the HTTP stack (a few hundred a second).
 */
const DEFAULT_MESSAGES: Record<SessionHandling, number> = { none: 50, onExchange: 250, onIntegrationFlow: 500 };
/** Timed pairs per mode: fewer for `none`, whose runs take several seconds each. */
const DEFAULT_RUNS: Record<SessionHandling, number> = { none: 5, onExchange: 9, onIntegrationFlow: 9 };
/**
 * Warm-up pairs per mode, full-size: shorter runs left the JIT cold and the first timed run ~25%
 * slow. `none` warms up last (after thousands of calls in the other modes) and needs less.
 */
const DEFAULT_WARMUP_RUNS: Record<SessionHandling, number> = { none: 1, onExchange: 2, onIntegrationFlow: 2 };
const messagesFor = (mode: SessionHandling): number => int('BENCH_MESSAGES', DEFAULT_MESSAGES[mode]);
const runsFor = (mode: SessionHandling): number => int('BENCH_RUNS', DEFAULT_RUNS[mode]);
const warmupRunsFor = (mode: SessionHandling): number => int('BENCH_WARMUP_RUNS', DEFAULT_WARMUP_RUNS[mode]);
const GOAL = 0.9;
const USER = { user: 'alice', password: 'alice-pw' };

/** PBKDF2 iterations for about `targetMs` per login on this machine (now). */
function calibrateLoginCost(targetMs: number): number {
  const salt = randomBytes(16);
  const probe = 5000;
  pbkdf2Sync('warm-up', salt, probe, 32, 'sha256');
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) pbkdf2Sync('x', salt, probe, 32, 'sha256');
  const perIteration = (performance.now() - t0) / (5 * probe);
  return Math.max(2000, Math.min(20000, Math.round(targetMs / perIteration / 1000) * 1000));
}

const LOGIN_COST = int('BENCH_LOGIN_COST', 0) || calibrateLoginCost(3);

function orderBody(i: number): string {
  return JSON.stringify({
    orderId: String(1000 + i),
    items: Array.from({ length: ITEMS }, (_, n) => ({ line: n + 1, sku: `SKU-${n % 7}`, quantity: 1 + (n % 5) })),
  });
}

function flowYaml(mode: SessionHandling, url: string): string {
  return `flow: bench-split
formatVersion: 2
runtime: { sessionHandling: ${mode}, log: info }
credentials:
  bench-user: { type: basic }
receivers:
  erp:
    adapter: http
    address: ${url}/api/orders/items
    auth: { type: basic, credential: bench-user }
steps:
  - id: prime
    send: erp
    method: GET
  - id: items
    split:
      path: $.items
      parallel: true
      maxConcurrency: ${ITEM_CONCURRENCY}
      steps:
        - id: post-item
          call: erp
          method: POST
`;
}

/**
 * A full garbage collection before each timed run, so that neither side pays for garbage the
 * other left behind (node's `gc`, made available here without a command-line flag).
 */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Runs `count` tasks, at most `concurrency` at once. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

interface Measurement {
  msgsPerSec: number;
  /** CPU time (user + system) of this process per message while the workload ran. */
  cpuMsPerMsg: number;
  logins: number;
  requests: number;
}

let registry: AdapterRegistry | undefined;

/** The backend process, started once; every measurement resets its sessions and stats. */
interface RemoteBackend {
  url: string;
  stats(): Promise<BackendStats>;
  close(): Promise<void>;
}
let remote: { child: ChildProcess; url: string } | undefined;

async function freshBackend(): Promise<RemoteBackend> {
  if (!remote) {
    const child = fork(new URL('./backend-process.ts', import.meta.url), [String(LOGIN_COST)], {
      execArgv: ['--conditions=sessionflow-source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bench backend did not start within 30 s')), 30_000);
      child.once('message', (m) => {
        clearTimeout(timer);
        resolve((m as { url: string }).url);
      });
      child.once('exit', (code) => reject(new Error(`bench backend exited (${code})`)));
    });
    remote = { child, url };
  }
  const { url } = remote;
  for (const path of ['/_forget', '/_reset']) {
    const r = await request(`${url}${path}`, { method: 'POST' });
    await r.body.dump();
  }
  return {
    url,
    stats: async () => {
      const r = await request(`${url}/_stats`);
      return (await r.body.json()) as BackendStats;
    },
    close: async () => {},
  };
}

function stopBackend(): void {
  remote?.child.disconnect();
  remote = undefined;
}

async function measureRunner(mode: SessionHandling, messages: number): Promise<Measurement> {
  const backend = await freshBackend();
  try {
    registry ??= await AdapterRegistry.load({ projectDir: process.cwd() });
    const doc = parseFlow(flowYaml(mode, backend.url));
    if (doc.problems.length > 0) throw new Error(`bench flow: ${doc.problems.map((p) => p.message).join('; ')}`);
    const runner = await FlowRunner.create(doc, {
      registry,
      credentials: staticCredentials({ 'bench-user': { type: 'basic', ...USER } }),
    });
    const bodies = Array.from({ length: messages }, (_, i) => orderBody(i));
    collectGarbage();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const report = await runner.run({
      exchanges: messages,
      concurrency: MESSAGE_CONCURRENCY,
      input: (i) => ({ body: bodies[i]!, contentType: 'application/json' }),
    });
    await runner.close();
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (report.failed > 0) throw new Error(`runner (${mode}): ${report.failed} exchanges failed: ${report.errors[0]?.message}`);
    return await result(backend, messages, ms, cpu);
  } finally {
    await backend.close();
  }
}

async function result(backend: RemoteBackend, messages: number, ms: number, cpu: NodeJS.CpuUsage): Promise<Measurement> {
  const s = await backend.stats();
  const expected = messages * (1 + ITEMS);
  if (s.requests !== expected) throw new Error(`expected ${expected} requests, the backend saw ${s.requests}`);
  return { msgsPerSec: (messages / ms) * 1000, cpuMsPerMsg: (cpu.user + cpu.system) / 1000 / messages, logins: s.authentications, requests: s.requests };
}

/** The hand-written client: undici + tough-cookie, logs in when it has no session cookie. */
async function measureHandWritten(mode: SessionHandling, messages: number): Promise<Measurement> {
  const backend = await freshBackend();
  try {
    const url = `${backend.url}/api/orders/items`;
    const authorization = `Basic ${Buffer.from(`${USER.user}:${USER.password}`).toString('base64')}`;
    const shared = mode === 'onIntegrationFlow' ? new CookieJar() : undefined;
    let sharedLogin: Promise<unknown> | undefined;

    const call = async (jar: CookieJar | undefined, method: string, body?: string): Promise<unknown> => {
      const send = async (): Promise<unknown> => {
        const headers: Record<string, string> = {};
        const cookie = jar ? await jar.getCookieString(url) : '';
        if (cookie) headers.cookie = cookie;
        else headers.authorization = authorization;
        if (body !== undefined) headers['content-type'] = 'application/json';
        const res = await request(url, { method: method as 'GET' | 'POST', headers, ...(body !== undefined ? { body } : {}) });
        if (jar) {
          const set = res.headers['set-cookie'];
          for (const c of Array.isArray(set) ? set : set ? [set] : []) await jar.setCookie(c, url);
        }
        const value = await res.body.json();
        if (res.statusCode !== 200) throw new Error(`${method} answered ${res.statusCode}`);
        return value;
      };
      // A shared jar with no cookie yet: one login at a time, the others wait for it.
      if (jar && jar === shared && !(await jar.getCookieString(url))) {
        if (sharedLogin) {
          await sharedLogin.catch(() => undefined);
          return send();
        }
        const p = send();
        sharedLogin = p;
        return p;
      }
      return send();
    };

    const bodies = Array.from({ length: messages }, (_, i) => orderBody(i));
    collectGarbage();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await pool(messages, MESSAGE_CONCURRENCY, async (i) => {
      const jar = mode === 'onExchange' ? new CookieJar() : shared;
      await call(jar, 'GET');
      const items = (JSON.parse(bodies[i]!) as { items: unknown[] }).items;
      const results: unknown[] = new Array<unknown>(items.length);
      await pool(items.length, ITEM_CONCURRENCY, async (n) => {
        results[n] = await call(jar, 'POST', JSON.stringify(items[n]));
      });
    });
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return await result(backend, messages, ms, cpu);
  } finally {
    await backend.close();
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function table(rows: string[][], header: string[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** Logins both sides must make per run: every call in `none`, one per order in `onExchange`, one in all. */
function expectedLogins(mode: SessionHandling, messages: number): number {
  if (mode === 'none') return messages * (1 + ITEMS);
  return mode === 'onExchange' ? messages : 1;
}

interface Pair {
  runner: Measurement;
  hand: Measurement;
}

/** One runner run and one hand-written run back to back; `handFirst` alternates the order. */
async function measurePair(mode: SessionHandling, messages: number, handFirst: boolean): Promise<Pair> {
  if (handFirst) {
    const hand = await measureHandWritten(mode, messages);
    return { hand, runner: await measureRunner(mode, messages) };
  }
  const runner = await measureRunner(mode, messages);
  return { runner, hand: await measureHandWritten(mode, messages) };
}

function checkLogins(mode: SessionHandling, messages: number, pairs: readonly Pair[]): void {
  const expected = expectedLogins(mode, messages);
  for (const p of pairs) {
    if (p.runner.logins !== expected || p.hand.logins !== expected) {
      throw new Error(`${mode}: expected ${expected} logins per run from both sides, the backend saw ${p.runner.logins} (runner) and ${p.hand.logins} (hand-written)`);
    }
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log(
    `runner.bench: orders of ${ITEMS} items (priming GET + parallel item POSTs, max ${ITEM_CONCURRENCY} at once), ${MESSAGE_CONCURRENCY} orders at once; ` +
      `messages per run: ${MODES.map((m) => `${m} ${messagesFor(m)}`).join(', ')}`,
  );
  console.log(
    `  login cost: ${LOGIN_COST} PBKDF2-SHA256 iterations per login; warm-up pairs: ${MODES.map((m) => `${m} ${warmupRunsFor(m)}`).join(', ')}; ` +
      `then timed pairs of runs (runner + hand-written, order alternating, modes taking turns): ${MODES.map((m) => `${m} ${runsFor(m)}`).join(', ')}; ` +
      `fresh backend and heap per run; node ${process.version}`,
  );
  // Warm-up, busiest modes first: throughput keeps rising over the first few hundred messages
  // while V8 optimises (a profile of the runner showed 170 -> 330 -> 430 msgs/s over three
  // 300-message rounds): warm both sides up alike before timing, so the figures compare steady
  // states, not JIT transients.
  for (const mode of [...MODES].reverse()) {
    for (let w = 0; w < warmupRunsFor(mode); w++) await measurePair(mode, messagesFor(mode), w % 2 === 1);
  }
  const pairs = new Map<SessionHandling, Pair[]>(MODES.map((m) => [m, []]));
  const rounds = Math.max(...MODES.map(runsFor));
  for (let i = 0; i < rounds; i++) {
    for (const mode of MODES) {
      if (i < runsFor(mode)) pairs.get(mode)!.push(await measurePair(mode, messagesFor(mode), i % 2 === 1));
    }
  }

  const rows: string[][] = [];
  let allMet = true;
  for (const mode of MODES) {
    const ps = pairs.get(mode)!;
    checkLogins(mode, messagesFor(mode), ps);
    const runner = ps.map((p) => p.runner);
    const hand = ps.map((p) => p.hand);
    const ratios = ps.map((p) => p.runner.msgsPerSec / p.hand.msgsPerSec);
    const ratio = median(ratios);
    const cpuRatio = median(ps.map((p) => p.runner.cpuMsPerMsg / p.hand.cpuMsPerMsg));
    const met = ratio >= GOAL;
    allMet &&= met;
    rows.push([
      mode,
      String(messagesFor(mode)),
      median(runner.map((m) => m.msgsPerSec)).toFixed(1),
      median(hand.map((m) => m.msgsPerSec)).toFixed(1),
      ratio.toFixed(3),
      met ? 'yes' : 'NO',
      median(runner.map((m) => m.cpuMsPerMsg)).toFixed(2),
      median(hand.map((m) => m.cpuMsPerMsg)).toFixed(2),
      cpuRatio.toFixed(3),
      String(runner[0]!.logins),
      String(runner[0]!.requests),
    ]);
    const list = (ms: Measurement[], f: (m: Measurement) => number, digits: number): string => ms.map((m) => f(m).toFixed(digits)).join(', ');
    console.log(`  ${mode}: msgs/s runner ${list(runner, (m) => m.msgsPerSec, 1)}; hand-written ${list(hand, (m) => m.msgsPerSec, 1)}; pair ratios ${ratios.map((r) => r.toFixed(2)).join(', ')}`);
    console.log(`  ${mode}: CPU ms/msg runner ${list(runner, (m) => m.cpuMsPerMsg, 2)}; hand-written ${list(hand, (m) => m.cpuMsPerMsg, 2)}`);
  }
  console.log('');
  console.log(
    table(rows, [
      'MODE',
      'MSGS/RUN',
      'RUNNER MSGS/S',
      'HAND-WRITTEN MSGS/S',
      'RATIO',
      `GOAL >= ${GOAL}`,
      'RUNNER CPU MS/MSG',
      'HAND CPU MS/MSG',
      'CPU RUNNER/HAND',
      'LOGINS/RUN (EACH)',
      'REQUESTS/RUN',
    ]),
  );
  console.log('');
  console.log('RATIO: median over the pairs of runner msgs/s / hand-written msgs/s (same workload, runs back to back). MSGS/S and CPU: medians.');
  console.log('CPU RUNNER/HAND: median over the pairs of the runner\'s CPU time per message / the hand-written loop\'s (this process only; < 1: the runner uses less).');
  console.log(allMet ? `Goal met in every mode (runner >= ${GOAL} x hand-written).` : `Goal NOT met in every mode (runner >= ${GOAL} x hand-written).`);
  console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

main()
  .catch((e: unknown) => {
    console.error(`runner.bench failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  })
  .finally(stopBackend);
