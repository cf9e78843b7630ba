/**
 * Session and Basic-auth semantics shared by the protocol mock backends (SOAP, IDoc, XI).
 *
 * Same rules as `startTestBackend`: a valid session cookie is served without a password
 * check; otherwise Basic credentials open a new session (Set-Cookie). Every password check is
 * counted, so tests can assert "one authentication per session". Passwords and cookie values
 * are never logged or returned: sessions are identified by a short SHA-256 hash.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface SessionAuthOptions {
  /** user -> password; default { alice: 'alice-pw', bob: 'bob-pw' }. */
  users?: Record<string, string>;
  /** `basic` (default): a session needs Basic credentials. `none`: anyone opens a session (user "anonymous"). */
  auth?: 'basic' | 'none';
  /** Session cookie name; default 'SAP_SESSIONID'. */
  cookieName?: string;
  /** Idle time after which a session expires; default 600000. */
  sessionIdleTimeoutMs?: number;
  /** Clock (ms), for idle-expiry tests; default Date.now. */
  now?: () => number;
}

export interface MockSessionStats {
  requests: number;
  /** Password checks, success or not. */
  authentications: number;
  failedAuthentications: number;
  sessionsCreated: number;
  activeSessions: number;
  expiredSessions: number;
  byUser: Record<string, { requests: number; authentications: number }>;
}

export interface AuthenticatedCall {
  user: string;
  /** Short hash of the session that served the call (never the cookie value). */
  sessionHash: string;
  /** This call opened the session. */
  newSession: boolean;
}

interface MockSession {
  id: string;
  hash: string;
  user: string;
  lastSeen: number;
}

export function hash12(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 12);
}

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

function emptyStats(): MockSessionStats {
  return { requests: 0, authentications: 0, failedAuthentications: 0, sessionsCreated: 0, activeSessions: 0, expiredSessions: 0, byUser: {} };
}

/** Session + Basic-auth bookkeeping for one mock server. */
export class SessionAuth {
  readonly cookieName: string;
  readonly #users: Map<string, Buffer>;
  readonly #salt = randomBytes(16);
  readonly #mode: 'basic' | 'none';
  readonly #idleMs: number;
  readonly #now: () => number;
  readonly #sessions = new Map<string, MockSession>();
  #stats = emptyStats();

  constructor(options: SessionAuthOptions = {}) {
    this.cookieName = options.cookieName ?? 'SAP_SESSIONID';
    this.#mode = options.auth ?? 'basic';
    this.#idleMs = options.sessionIdleTimeoutMs ?? 600_000;
    this.#now = options.now ?? Date.now;
    const users = options.users ?? { alice: 'alice-pw', bob: 'bob-pw' };
    this.#users = new Map(Object.entries(users).map(([u, pw]) => [u, this.#digest(pw)]));
  }

  #digest(pw: string): Buffer {
    return createHash('sha256').update(this.#salt).update(pw, 'utf8').digest();
  }

  #userStats(user: string): { requests: number; authentications: number } {
    let s = this.#stats.byUser[user];
    if (!s) {
      s = { requests: 0, authentications: 0 };
      this.#stats.byUser[user] = s;
    }
    return s;
  }

  #lookup(id: string | undefined): MockSession | undefined {
    if (id === undefined) return undefined;
    const s = this.#sessions.get(id);
    if (!s) return undefined;
    if (this.#now() - s.lastSeen > this.#idleMs) {
      this.#sessions.delete(id);
      this.#stats.expiredSessions++;
      return undefined;
    }
    return s;
  }

  #checkBasic(authorization: string): string | undefined {
    this.#stats.authentications++;
    const m = /^Basic\s+(\S+)\s*$/i.exec(authorization);
    if (m?.[1] !== undefined) {
      const decoded = Buffer.from(m[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = colon >= 0 ? decoded.slice(0, colon) : decoded;
      const expected = this.#users.get(user);
      const actual = this.#digest(colon >= 0 ? decoded.slice(colon + 1) : '');
      if (expected) this.#userStats(user).authentications++;
      if (expected && timingSafeEqual(expected, actual)) return user;
    }
    this.#stats.failedAuthentications++;
    return undefined;
  }

  /**
   * Serves the call from its session, or checks credentials and opens a new session
   * (Set-Cookie on `res`). Counts the request. Returns undefined after answering 401.
   */
  authenticate(req: IncomingMessage, res: ServerResponse): AuthenticatedCall | undefined {
    this.#stats.requests++;
    let session = this.#lookup(parseCookies(req.headers.cookie).get(this.cookieName));
    let newSession = false;
    if (!session) {
      let user: string | undefined;
      if (this.#mode === 'none') user = 'anonymous';
      else if (req.headers.authorization !== undefined) user = this.#checkBasic(req.headers.authorization);
      if (user === undefined) {
        const text = req.headers.authorization === undefined ? 'authentication required' : 'invalid credentials';
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="sessionflow-mock"', 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
        return undefined;
      }
      const id = randomBytes(18).toString('base64url');
      session = { id, hash: hash12(id), user, lastSeen: this.#now() };
      this.#sessions.set(id, session);
      this.#stats.sessionsCreated++;
      newSession = true;
      res.setHeader('Set-Cookie', `${this.cookieName}=${id}; Path=/; HttpOnly`);
    }
    session.lastSeen = this.#now();
    this.#userStats(session.user).requests++;
    return { user: session.user, sessionHash: session.hash, newSession };
  }

  stats(): MockSessionStats {
    const t = this.#now();
    for (const [id, s] of this.#sessions) {
      if (t - s.lastSeen > this.#idleMs) {
        this.#sessions.delete(id);
        this.#stats.expiredSessions++;
      }
    }
    const byUser: MockSessionStats['byUser'] = {};
    for (const [u, s] of Object.entries(this.#stats.byUser)) byUser[u] = { ...s };
    return { ...this.#stats, activeSessions: this.#sessions.size, byUser };
  }

  resetStats(): void {
    this.#stats = emptyStats();
  }

  /** Forgets every session, as a server restart does. */
  forgetSessions(): void {
    this.#sessions.clear();
  }
}

/** Reads a request body, refusing more than `limit` bytes (default 10 MiB). */
export function readRequestBody(req: IncomingMessage, limit = 10 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error(`request body larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export interface MockServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A node:http server on `host:port` (default 127.0.0.1, any free port) whose close() ends every socket. */
export async function startMockServer(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  options: { host?: string; port?: number } = {},
): Promise<MockServer> {
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    handler(req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end('internal error');
      } else {
        res.destroy();
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('mock server: no TCP address');
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/** Writes a complete answer with Content-Length. */
export function reply(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer = ''): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (status === 204 || status === 304) {
    res.writeHead(status, headers).end();
    return;
  }
  res.writeHead(status, { ...headers, 'Content-Length': String(bytes.length) });
  res.end(bytes);
}
