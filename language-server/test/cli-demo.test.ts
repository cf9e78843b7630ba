// `sessionflow demo` through main(), output captured: the table's numbers are what the test
// backend counted, and they must match what the session rules predict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../src/cli/main.js';
import type { CliIO } from '../src/cli/io.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, cwd: process.cwd(), env: {} };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

interface Row {
  ok: number;
  failed: number;
  calls: number;
  logins: number;
  sessions: number;
  leftOpen: number;
  csrf: number;
}

function table(stdout: string): Record<string, Row> {
  const rows: Record<string, Row> = {};
  const re = /^(none|onExchange|onIntegrationFlow)\s+(\d+)\/(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+\S+ m?s$/gm;
  for (const m of stdout.matchAll(re)) {
    const n = m.slice(2).map(Number) as [number, number, number, number, number, number, number];
    rows[m[1]!] = { ok: n[0], failed: n[1], calls: n[2], logins: n[3], sessions: n[4], leftOpen: n[5], csrf: n[6] };
  }
  return rows;
}

test('demo: 20 orders per mode — none logs in on every call, onExchange once per order, onIntegrationFlow once', async () => {
  const c = capture();
  const code = await main(['demo'], c.io);
  assert.equal(code, 0, c.stdout() + c.stderr());
  const out = c.stdout();
  assert.match(out, /^MODE\s+EXCHANGES OK\/FAILED\s+BACKEND CALLS\s+LOGINS\s+SESSIONS CREATED\s+LEFT OPEN\s+CSRF FETCHES\s+TIME$/m);
  const rows = table(out);
  assert.deepEqual(Object.keys(rows), ['none', 'onExchange', 'onIntegrationFlow']);
  const { none, onExchange, onIntegrationFlow } = rows as Record<'none' | 'onExchange' | 'onIntegrationFlow', Row>;

  // none: every call logs in, every login leaves a session behind, the CSRF writes fail.
  assert.equal(none.logins, none.calls);
  assert.equal(none.sessions, none.calls);
  assert.equal(none.leftOpen, none.calls);
  assert.deepEqual([none.ok, none.failed], [0, 20]);

  // onExchange: 1 login and 1 token fetch per order; per order 1 GET + 5 items + 1 lookup + 1 logoff.
  assert.deepEqual(onExchange, { ok: 20, failed: 0, calls: 160, logins: 20, sessions: 20, leftOpen: 0, csrf: 20 });

  // onIntegrationFlow: one login for everything; one logoff when the flow stops.
  assert.deepEqual(onIntegrationFlow, { ok: 20, failed: 0, calls: 141, logins: 1, sessions: 1, leftOpen: 0, csrf: 20 });

  assert.match(out, /onExchange: 20 logins for 20 messages/);
  assert.match(out, /onIntegrationFlow: 1 login in total for 20 messages/);
  assert.match(out, /Result: every mode behaved as the session rules predict/);

  // The debug MPL of one onExchange exchange: the token call logs in, the rest reuse its cookie.
  const mpl = out.slice(out.indexOf('One exchange at log level debug'));
  assert.match(mpl, /\nfetch-token\s+send\s+erp\s+ok\s+200\s+.*credentials sent, new session opened, CSRF token fetched by the step/);
  const hashes = [...mpl.matchAll(/session cookie #([0-9a-f]{12}) sent/g)].map((m) => m[1]);
  assert.equal(hashes.length, 5 + 1 + 1, 'five items, the lookup and the logoff send the session cookie');
  assert.equal(new Set(hashes).size, 1);
  assert.match(mpl, /\nlogoff:erp\s+logoff\s+erp\s+ok\s+204/);
  assert.ok(!out.includes('alice-pw'));
  assert.equal(c.stderr(), '');
});

test('demo --messages 6 --concurrency 3: the counts scale with the number of orders', async () => {
  const c = capture();
  assert.equal(await main(['demo', '--messages', '6', '--concurrency', '3'], c.io), 0, c.stdout());
  const rows = table(c.stdout());
  assert.equal(rows.onExchange?.logins, 6);
  assert.equal(rows.onExchange?.calls, 6 * 8);
  assert.equal(rows.onIntegrationFlow?.logins, 1);
  assert.equal(rows.none?.logins, rows.none?.calls);
  assert.match(c.stdout(), /Load {6}6 orders per mode, 3 at a time/);
});

test('demo usage errors exit 2', async () => {
  const c = capture();
  assert.equal(await main(['demo', '--messages', '0'], c.io), 2);
  assert.match(c.stderr(), /--messages must be a positive whole number/);
  const d = capture();
  assert.equal(await main(['demo', 'extra'], d.io), 2);
});
