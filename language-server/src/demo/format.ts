/** Text output of `sessionflow demo`: explanations, the comparison table, interpretation. */
import type { SessionHandling } from '@sessionflow/sdk';
import { formatTable } from '../cli/io.js';
import { displayPath } from '../cli/commands/run.js';
import { formatDuration, formatMpl } from '../cli/mpl-format.js';
import type { DemoResult, ModeOutcome } from './demo.js';

const EXPLANATIONS: Record<SessionHandling, string> = {
  none:
    'no cookie is kept between calls: every call sends the password, the server checks it and opens a new session that nobody uses again.',
  onExchange:
    'one cookie jar per message: the priming GET logs in and fetches the CSRF token, every item post and the customer lookup of that message reuse the session, and the logoff ends it.',
  onIntegrationFlow:
    'one cookie jar for the whole flow: the first call logs in, every later call of every message reuses that session; it is logged off when the flow stops.',
};

/** Wraps text at `width` columns; continuation lines get `indent`. */
function wrap(text: string, width: number, indent: string, firstIndent = ''): string {
  const lines: string[] = [];
  let line = firstIndent;
  for (const word of text.split(' ')) {
    if (line.trim() !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else {
      line = line.trim() === '' ? line + word : `${line} ${word}`;
    }
  }
  if (line.trim() !== '') lines.push(line);
  return lines.join('\n');
}

function row(m: ModeOutcome): string[] {
  const b = m.backend;
  return [
    m.mode,
    `${m.succeeded}/${m.failed}`,
    String(b.requests),
    String(b.authentications),
    String(b.sessionsCreated),
    String(b.activeSessions),
    String(b.csrfFetches),
    formatDuration(m.durationMs),
  ];
}

function interpretation(r: DemoResult): string[] {
  const by = (mode: SessionHandling): ModeOutcome | undefined => r.modes.find((m) => m.mode === mode);
  const lines: string[] = [];
  const none = by('none');
  const ex = by('onExchange');
  const flow = by('onIntegrationFlow');
  if (none) {
    lines.push(
      `none: ${none.backend.authentications} logins for ${none.backend.requests} calls — one per call — and ${none.backend.activeSessions} server sessions left open until they time out.` +
        (none.failed > 0
          ? ` The item posts failed (${none.failureCodes.join(', ')}): the CSRF token was fetched in one session and sent in another. That is rule session/csrf-without-session.`
          : ''),
    );
  }
  if (ex) {
    lines.push(
      `onExchange: ${ex.backend.authentications} logins for ${r.messages} messages — 1 per message, shared by the ${r.itemsPerMessage} parallel item posts because the priming GET ran first (without it, rule session/unprimed-parallel: every item would log in). ${ex.backend.activeSessions} sessions left open thanks to the logoff.`,
    );
  }
  if (flow) {
    lines.push(
      `onIntegrationFlow: ${flow.backend.authentications} login${flow.backend.authentications === 1 ? '' : 's'} in total for ${r.messages} messages — the cheapest, but see the rules: use it only for stateless backends and one fixed user (session/stateful-flow-scope, session/dynamic-user-flow-scope, session/csrf-flow-scope); for this CSRF-protected ERP, onExchange is the right mode.`,
    );
  }
  return lines;
}

export function formatDemo(r: DemoResult, cwd: string): string {
  const out: string[] = [];
  out.push('Sessionflow demo: one flow, three session-handling modes, measured on the backend.');
  out.push('');
  out.push(`Flow      ${displayPath(r.flowFile, cwd)} (orders-demo): a priming GET opens the ERP session and fetches the`);
  out.push(`          CSRF token, the order's ${r.itemsPerMessage} items are posted in parallel, then the customer is looked up;`);
  out.push('          the ERP session is logged off at the end of each exchange.');
  out.push(`Backend   the SDK's test backend on 127.0.0.1 (Basic auth, ${r.loginCost} PBKDF2 iterations per login,`);
  out.push('          sessions by cookie, CSRF protection on /api/orders/), a fresh one per mode.');
  out.push(`Load      ${r.messages} orders per mode, ${r.concurrency} at a time, user alice.`);
  out.push('');
  for (const mode of r.modes) out.push(wrap(`${mode.mode.padEnd(18)} ${EXPLANATIONS[mode.mode]}`, 100, ' '.repeat(19)));
  out.push('');
  out.push(
    formatTable(r.modes.map(row), ['MODE', 'EXCHANGES OK/FAILED', 'BACKEND CALLS', 'LOGINS', 'SESSIONS CREATED', 'LEFT OPEN', 'CSRF FETCHES', 'TIME']),
  );
  out.push('(LOGINS, SESSIONS, CSRF FETCHES: counted by the backend. LEFT OPEN: sessions still alive on the server after the run.)');
  out.push('');
  out.push('What the numbers say:');
  for (const l of interpretation(r)) out.push(wrap(l, 100, '    ', '  '));
  out.push('');
  out.push(`One exchange at log level debug, onExchange (exchange ${r.debugExchange.id}, ${r.debugExchange.status}):`);
  out.push('');
  out.push(formatMpl(r.debugExchange, { level: 'debug' }));
  out.push('');
  out.push('Cookie values never appear: "#..." is the first 12 hex characters of their SHA-256 hash.');
  out.push('');
  const deviations = r.modes.flatMap((m) => m.deviations);
  if (deviations.length === 0) {
    out.push('Result: every mode behaved as the session rules predict (none: one login per call; onExchange: one per message; onIntegrationFlow: one in total).');
  } else {
    out.push('Result: NOT as expected:');
    for (const d of deviations) out.push(`  - ${d}`);
  }
  out.push('');
  const message = displayPath(r.flowFile.replace(/orders\.flow\.yaml$/, 'order.json'), cwd);
  out.push(`Next: sessionflow run ${displayPath(r.flowFile, cwd)} --message ${message} --log debug \\`);
  out.push('        --address erp=URL --address customers=URL    (URLs of your backend)');
  return out.join('\n');
}
