/**
 * `sessionflow demo`: runs the bundled order flow against the SDK's test backend in each
 * session-handling mode and prints what the backend counted, with an explanation.
 */
import { parseArgs } from '../args.js';
import { type CliCommand, type CliIO, println } from '../io.js';
import { runDemo } from '../../demo/demo.js';
import { formatDemo } from '../../demo/format.js';
import { parsePositiveInt } from './run.js';

const usage = `Usage: sessionflow demo [--messages N] [--concurrency C]

Shows what session handling does, in a few seconds and without any setup: starts the SDK's
test backend on 127.0.0.1 (Basic auth with a real password-hashing cost, sessions by cookie,
CSRF protection), runs the bundled flow (language-server/demo/orders.flow.yaml: a priming GET,
an order's items posted in parallel to a CSRF-protected service, a customer lookup, logoff)
in each mode (none, onExchange, onIntegrationFlow), and prints a table of what the BACKEND
counted: calls, logins, sessions created and left open, CSRF token fetches, time. Then one
exchange's message processing log at debug level (cookie hashes, which call logged in).

Options:
  --messages N     Orders per mode (default 20)
  --concurrency C  Orders processed at once (default 4)

Exit code: 0 when every mode behaved as the session rules predict (none: a login per call;
onExchange: one per message; onIntegrationFlow: one in total), 1 otherwise.`;

async function run(args: string[], io: CliIO): Promise<number> {
  const { options } = parseArgs(args, { messages: { type: 'string' }, concurrency: { type: 'string' } });
  const messages = parsePositiveInt(options.messages, 'messages', 20);
  const concurrency = parsePositiveInt(options.concurrency, 'concurrency', 4);
  const result = await runDemo(io, { messages, concurrency });
  println(io.stdout, formatDemo(result, io.cwd));
  return result.ok ? 0 : 1;
}

const command: CliCommand = {
  name: 'demo',
  summary: 'See session handling at work: one flow, three modes, counted by a local test backend',
  usage,
  run,
};

export default command;
