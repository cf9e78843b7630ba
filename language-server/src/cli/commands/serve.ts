/**
 * `sessionflow serve FLOW --port P`: starts the flow's `http` sender locally. Every request to
 * `sender.path` runs one exchange (request body, content type and headers become the message)
 * and is answered with the exchange's body (200) or an error JSON (500). With `--csrf` (or
 * `sender.csrf: true`) the endpoint is CSRF-protected like the platform's HTTPS sender.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ExchangeInput, FlowRunner, LogLevel, ReceiverStats, SessionHandling } from '@sessionflow/sdk';
import { NEVER_SENT_HEADERS } from '@sessionflow/sdk';
import { CliError, UsageError, parseArgs } from '../args.js';
import { type CliCommand, type CliIO, println } from '../io.js';
import { formatDuration, formatReceiverTable } from '../mpl-format.js';
import {
  cliCredentials,
  createRunner,
  loadFlow,
  parseAddresses,
  parseSessionHandling,
} from './run.js';

const usage = `Usage: sessionflow serve FLOW --port P [options]

Starts the flow's http sender on this machine: each request to the sender's path runs one
exchange (request body, Content-Type and headers become the message; the headers
CamelHttpMethod and CamelHttpQuery are added) and is answered with the exchange's body
(200) or an error (500, JSON with exchange, step, receiver, code and message). Other paths
answer 404. Stop with Ctrl+C (SIGINT) or SIGTERM: running exchanges finish, sessions that
declare a logoff are logged off, and the per-receiver counts are printed.

Options:
  --port P                 Port to listen on (0: any free port)
  --host HOST              Interface to listen on (default 127.0.0.1)
  --csrf                   Protect the endpoint like the platform's HTTPS sender (also when
                           sender.csrf is true): GET with "X-CSRF-Token: Fetch" returns a
                           token bound to a session cookie; a POST/PUT/PATCH/DELETE without
                           that token is answered 403 with "X-CSRF-Token: Required"
  --credentials FILE       Credentials file (YAML/JSON, mode 600); default: environment
  --session-handling MODE  none | onExchange | onIntegrationFlow: override the flow's mode
  --log LEVEL              none | info | debug
  --address RECEIVER=URL   Override a receiver's address (repeatable)

Exit code: 0 after a clean stop, 1 when the flow was refused or the port is taken, 2 on bad usage.`;

/** Largest request body accepted (bytes). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

const SESSION_COOKIE = 'SF_SENDER_SESSION';
const MAX_CSRF_SESSIONS = 10_000;

/**
 * Request headers that are not part of the message: the ones no adapter may send (credentials,
 * cookies, framing — the SDK's list), plus the sender's CSRF token, the content type (kept as
 * the message's own) and `Expect`.
 */
const NOT_MESSAGE_HEADERS: ReadonlySet<string> = new Set([...NEVER_SENT_HEADERS, 'x-csrf-token', 'content-type', 'expect']);

export interface ServeOptions {
  /** Flow file (relative to io.cwd). */
  flow: string;
  io: CliIO;
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  csrf?: boolean;
  credentialsFile?: string;
  sessionHandling?: SessionHandling;
  logLevel?: LogLevel;
  /** Receiver name → address override. */
  addresses?: ReadonlyMap<string, string>;
}

export interface ServeHandle {
  /** Full URL of the endpoint, e.g. http://127.0.0.1:41234/orders */
  url: string;
  port: number;
  path: string;
  csrf: boolean;
  runner: FlowRunner;
  /** Exchanges run so far. */
  served(): { exchanges: number; failed: number };
  /** Runtime statistics per receiver (with the sender-side CSRF fetch steps counted). */
  stats(): Record<string, ReceiverStats>;
  /** Stops listening, waits for running exchanges, logs off, closes the runner. Idempotent. */
  close(): Promise<void>;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.byteLength;
      if (size > MAX_BODY_BYTES) {
        req.pause();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

/**
 * Loads, validates and starts a flow's http sender. Prints flow warnings to io.stderr; throws
 * CliError (after printing the problems) when the flow has errors, a credential is missing or
 * the port cannot be bound.
 */
export async function startServe(options: ServeOptions): Promise<ServeHandle> {
  const { io } = options;
  const loaded = await loadFlow(options.flow, io, options.addresses ?? new Map());
  for (const l of loaded.diagnostics) println(io.stderr, l);
  if (loaded.errors > 0) {
    throw new CliError(`the flow has ${loaded.errors} error${loaded.errors === 1 ? '' : 's'}; the sender was not started`, 1);
  }
  const sender = loaded.doc.flow.sender;
  const senderAdapter = sender?.adapter?.value;
  if (sender && senderAdapter !== undefined && senderAdapter !== 'http') {
    throw new CliError(`the flow's sender uses adapter "${senderAdapter}"; serve starts http senders only`, 1);
  }
  let path = sender?.urlPath?.value ?? '/';
  if (!path.startsWith('/')) path = `/${path}`;
  const csrf = options.csrf === true || sender?.csrf?.value === true;

  const credentials = await cliCredentials(io, options.credentialsFile);
  const created = await createRunner(loaded, io, {
    credentials,
    ...(options.sessionHandling !== undefined ? { sessionHandling: options.sessionHandling } : {}),
    ...(options.logLevel !== undefined ? { logLevel: options.logLevel } : {}),
    onEvent: (e) => {
      if (e.type === 'warning') println(io.stderr, `warning: ${e.exchange ? `${e.exchange}: ` : ''}${e.message}`);
    },
  });
  if ('refused' in created) {
    for (const l of created.refused) println(io.stderr, l);
    throw new CliError(`the flow has ${created.refused.length} error${created.refused.length === 1 ? '' : 's'}; the sender was not started`, 1);
  }
  const runner = created.runner;

  const csrfSessions = new Map<string, string>(); // session id -> token
  let exchanges = 0;
  let failed = 0;
  let closing = false;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://sender.invalid');
    const log = (status: number, note = ''): void =>
      println(io.stderr, `${method} ${url.pathname} -> ${status}${note ? ` ${note}` : ''} (${formatDuration(performance.now() - started)})`);

    if (url.pathname !== path) {
      req.resume();
      sendJson(res, 404, { error: `no endpoint at ${url.pathname}; this flow listens on ${path}` });
      return log(404);
    }
    if (closing) {
      req.resume();
      sendJson(res, 503, { error: 'the sender is shutting down' }, { Connection: 'close' });
      return log(503);
    }
    if (method === 'OPTIONS' || method === 'HEAD' || method === 'CONNECT' || method === 'TRACE') {
      req.resume();
      sendJson(res, 405, { error: `method ${method} is not accepted` }, { Allow: 'GET, POST, PUT, PATCH, DELETE' });
      return log(405);
    }
    const csrfHeader = headerValue(req, 'x-csrf-token');
    if (csrf) {
      let sid = cookieValue(req, SESSION_COOKIE);
      if (sid !== undefined && !csrfSessions.has(sid)) sid = undefined;
      if (method === 'GET' && csrfHeader?.trim().toLowerCase() === 'fetch') {
        req.resume();
        const headers: Record<string, string> = {};
        if (sid === undefined) {
          sid = randomBytes(18).toString('base64url');
          if (csrfSessions.size >= MAX_CSRF_SESSIONS) csrfSessions.delete(csrfSessions.keys().next().value!);
          csrfSessions.set(sid, randomBytes(18).toString('base64url'));
          headers['Set-Cookie'] = `${SESSION_COOKIE}=${sid}; Path=${path}; HttpOnly; SameSite=Strict`;
        }
        headers['X-CSRF-Token'] = csrfSessions.get(sid)!;
        res.writeHead(200, { ...headers, 'Content-Length': '0' });
        res.end();
        return log(200, 'CSRF token issued');
      }
      if (method !== 'GET') {
        const token = sid !== undefined ? csrfSessions.get(sid) : undefined;
        if (token === undefined || csrfHeader === undefined || !sameToken(token, csrfHeader)) {
          req.resume();
          sendJson(
            res,
            403,
            { error: 'CSRF token validation failed: fetch a token with GET and "X-CSRF-Token: Fetch", then send it with the session cookie' },
            { 'X-CSRF-Token': 'Required' },
          );
          return log(403, 'CSRF token missing or wrong');
        }
      }
    }

    let body: Uint8Array;
    try {
      body = await readBody(req);
    } catch (e) {
      if (e instanceof BodyTooLarge) {
        sendJson(res, 413, { error: `the request body is larger than ${MAX_BODY_BYTES} bytes` }, { Connection: 'close' });
        return log(413);
      }
      throw e;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || NOT_MESSAGE_HEADERS.has(name)) continue;
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    headers.CamelHttpMethod = method;
    if (url.search.length > 1) headers.CamelHttpQuery = url.search.slice(1);
    const contentType = headerValue(req, 'content-type');
    const input: ExchangeInput = { body, headers, ...(contentType !== undefined ? { contentType } : {}) };

    exchanges++;
    const result = await runner.runExchange(input);
    if (result.status === 'completed') {
      res.writeHead(200, {
        'Content-Type': result.contentType ?? 'application/octet-stream',
        'Content-Length': String(result.body.byteLength),
        'X-Sessionflow-Exchange': result.id,
      });
      res.end(result.body);
      return log(200, result.id);
    }
    failed++;
    const error = result.error;
    sendJson(
      res,
      500,
      {
        error: {
          exchange: result.id,
          code: error?.code ?? 'SF_INTERNAL',
          ...(error?.stepId !== undefined ? { step: error.stepId } : {}),
          ...(error?.receiver !== undefined ? { receiver: error.receiver } : {}),
          message: error?.message ?? 'the exchange failed',
        },
      },
      { 'X-Sessionflow-Exchange': result.id },
    );
    return log(500, `${result.id}: ${error?.message ?? 'failed'}`);
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      println(io.stderr, `sessionflow serve: request failed: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'SF_INTERNAL', message: 'internal error in the sender' } });
      else res.destroy();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await runner.close();
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'EADDRINUSE'
        ? `port ${options.port} on ${host} is already in use`
        : `cannot listen on ${host}:${options.port} (${code ?? (e instanceof Error ? e.message : String(e))})`,
      1,
    );
  }
  const address = server.address();
  const port = address !== null && typeof address === 'object' ? address.port : options.port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Let running exchanges finish (runner.close waits for them), then drop what is left.
      await runner.close();
      for (const s of sockets) s.destroy();
      await stopped;
    })();
    return closed;
  };

  return {
    url: `http://${urlHost}:${port}${path}`,
    port,
    path,
    csrf,
    runner,
    served: () => ({ exchanges, failed }),
    stats: () => runner.stats(),
    close,
  };
}

async function run(args: string[], io: CliIO): Promise<number> {
  const { options, positionals } = parseArgs(
    args,
    {
      port: { type: 'string' },
      host: { type: 'string' },
      csrf: { type: 'boolean' },
      credentials: { type: 'string' },
      'session-handling': { type: 'string' },
      log: { type: 'string' },
      address: { type: 'string', multiple: true },
    },
    { minPositionals: 1, maxPositionals: 1 },
  );
  if (options.port === undefined) throw new UsageError('--port is required (0 picks a free port)');
  if (!/^\d+$/.test(options.port) || Number(options.port) > 65535) throw new UsageError(`--port must be 0-65535, got "${options.port}"`);
  const log = options.log;
  if (log !== undefined && !['none', 'info', 'debug'].includes(log)) throw new UsageError(`--log must be one of none, info, debug, got "${log}"`);
  const sessionHandling = parseSessionHandling(options['session-handling']);
  const handle = await startServe({
    flow: positionals[0]!,
    io,
    port: Number(options.port),
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.csrf ? { csrf: true } : {}),
    ...(options.credentials !== undefined ? { credentialsFile: options.credentials } : {}),
    ...(sessionHandling !== undefined ? { sessionHandling } : {}),
    ...(log !== undefined ? { logLevel: log as LogLevel } : {}),
    addresses: parseAddresses(options.address),
  });
  println(
    io.stdout,
    `Flow ${handle.runner.flowId} listening on ${handle.url} (session handling ${handle.runner.sessionHandling}${handle.csrf ? ', CSRF-protected' : ''}). Stop with Ctrl+C.`,
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (s: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(s);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  println(io.stderr, `${signal}: stopping (running exchanges finish, sessions are logged off)...`);
  await handle.close();
  const served = handle.served();
  println(io.stdout, `Stopped. ${served.exchanges} exchange${served.exchanges === 1 ? '' : 's'} served, ${served.failed} failed.`);
  println(io.stdout);
  println(io.stdout, formatReceiverTable(handle.stats()));
  return 0;
}

const command: CliCommand = {
  name: 'serve',
  summary: "Start the flow's http sender locally: each request runs one exchange",
  usage,
  run,
};

export default command;
