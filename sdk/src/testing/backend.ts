/**
 * A session-keeping HTTP test backend (node:http) for demos, tests and adapter authors.
 *
 * It behaves like the enterprise servers Sessionflow talks to: a valid session cookie is
 * served without a password check; otherwise Basic auth (or a configured bearer token)
 * opens a new session. It counts password checks, sessions, CSRF fetches and rejections,
 * so tests can assert what a client really did on the wire. Passwords and cookie values are
 * never logged or returned: sessions are identified by a short SHA-256 hash.
 */
import { pbkdf2Sync, randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startMockServer } from './session-auth.js';

export interface TestBackendOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** user -> password; default { alice: 'alice-pw', bob: 'bob-pw' }. */
  users?: Record<string, string>;
  /** Bearer token -> user: tokens accepted like a password check (default none). */
  bearerTokens?: Record<string, string>;
  /** Idle time after which a session expires; default 600000. */
  sessionIdleTimeoutMs?: number;
  /** PBKDF2 iterations per password check; default 1 (the benchmark uses e.g. 20000). */
  loginCost?: number;
  /** Path prefixes where modifying calls need a CSRF token; default ['/api/items', '/csrf/']. */
  csrfPaths?: string[];
  /** Session cookie name; default 'JSESSIONID'. */
  cookieName?: string;
  /** Load-balancer affinity cookie set alongside a new session (e.g. 'LB_NODE'); default none. */
  affinityCookie?: string;
  /** Domain attribute put on the cookies (to test on-premise cookie domain mapping); default none. */
  cookieDomain?: string;
  /** Blocks served per session by paths ending in /blocks; default 3. */
  blocksPerSession?: number;
  /** Clock (ms), for idle-expiry tests; default Date.now. */
  now?: () => number;
}

export interface BackendStats {
  requests: number;
  /** Password (or bearer token) checks, success or not. */
  authentications: number;
  failedAuthentications: number;
  sessionsCreated: number;
  activeSessions: number;
  expiredSessions: number;
  logoffs: number;
  csrfFetches: number;
  csrfRejections: number;
  byUser: Record<string, { requests: number; authentications: number }>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Whom the server attributed the call to. */
  user?: string;
  /** Short hash of the session that served the call. */
  sessionHash?: string;
  authorization: boolean;
  cookie: boolean;
  /** Names (never values) of the cookies the request carried. */
  cookieNames: string[];
  /** The request carried an X-CSRF-Token header (value not recorded). */
  csrfToken: boolean;
  status: number;
}

export interface TestBackend {
  url: string;
  port: number;
  stats(): BackendStats;
  requests(): RecordedRequest[];
  resetStats(): void;
  /** Forgets every session, as a server restart does. */
  forgetSessions(): void;
  /** Gives every session a new CSRF token: clients holding the old one get 403 Required. */
  rotateCsrfTokens(): void;
  close(): Promise<void>;
}

interface Session {
  id: string;
  hash: string;
  user: string;
  lastSeen: number;
  csrfToken?: string;
  blocksServed: number;
}

const CONTROL_PATHS = new Set(['/_stats', '/_forget', '/_reset']);

function hash12(value: string): string {
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

function emptyStats(): BackendStats {
  return {
    requests: 0,
    authentications: 0,
    failedAuthentications: 0,
    sessionsCreated: 0,
    activeSessions: 0,
    expiredSessions: 0,
    logoffs: 0,
    csrfFetches: 0,
    csrfRejections: 0,
    byUser: {},
  };
}

export async function startTestBackend(options: TestBackendOptions = {}): Promise<TestBackend> {
  const host = options.host ?? '127.0.0.1';
  const users = options.users ?? { alice: 'alice-pw', bob: 'bob-pw' };
  const bearerTokens = new Map(Object.entries(options.bearerTokens ?? {}));
  const idleMs = options.sessionIdleTimeoutMs ?? 600_000;
  const loginCost = Math.max(1, Math.floor(options.loginCost ?? 1));
  const csrfPaths = options.csrfPaths ?? ['/api/items', '/csrf/'];
  const cookieName = options.cookieName ?? 'JSESSIONID';
  const affinity = options.affinityCookie;
  const blocksPerSession = options.blocksPerSession ?? 3;
  const now = options.now ?? Date.now;
  const cookieSuffix = `; Path=/${options.cookieDomain ? `; Domain=${options.cookieDomain}` : ''}`;

  // Password hashes are computed once; each check re-derives with loginCost iterations.
  const salt = randomBytes(16);
  const derive = (pw: string): Buffer => pbkdf2Sync(pw, salt, loginCost, 32, 'sha256');
  const hashes = new Map<string, Buffer>(Object.entries(users).map(([u, pw]) => [u, derive(pw)]));

  const sessions = new Map<string, Session>();
  let stats = emptyStats();
  let recorded: RecordedRequest[] = [];
  const affinityValue = `node-${randomBytes(3).toString('hex')}`;

  const userStats = (user: string): { requests: number; authentications: number } => {
    let s = stats.byUser[user];
    if (!s) {
      s = { requests: 0, authentications: 0 };
      stats.byUser[user] = s;
    }
    return s;
  };

  const sweep = (): void => {
    const t = now();
    for (const [id, s] of sessions) {
      if (t - s.lastSeen > idleMs) {
        sessions.delete(id);
        stats.expiredSessions++;
      }
    }
  };

  const lookupSession = (id: string | undefined): Session | undefined => {
    if (id === undefined) return undefined;
    const s = sessions.get(id);
    if (!s) return undefined;
    if (now() - s.lastSeen > idleMs) {
      sessions.delete(id);
      stats.expiredSessions++;
      return undefined;
    }
    return s;
  };

  /** Checks credentials; returns the user or undefined. Counts every check. */
  const checkCredentials = (authorization: string): string | undefined => {
    const basic = /^Basic\s+(\S+)\s*$/i.exec(authorization);
    if (basic?.[1] !== undefined) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = colon >= 0 ? decoded.slice(0, colon) : decoded;
      const password = colon >= 0 ? decoded.slice(colon + 1) : '';
      stats.authentications++;
      const expected = hashes.get(user);
      const actual = derive(password); // always pay the cost, known user or not
      if (expected) userStats(user).authentications++;
      if (expected && timingSafeEqual(expected, actual)) return user;
      stats.failedAuthentications++;
      return undefined;
    }
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (bearer?.[1] !== undefined) {
      stats.authentications++;
      const user = bearerTokens.get(bearer[1]);
      if (user !== undefined) {
        userStats(user).authentications++;
        return user;
      }
      stats.failedAuthentications++;
      return undefined;
    }
    stats.authentications++;
    stats.failedAuthentications++;
    return undefined;
  };

  const readBody = (req: IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const parsed = new URL(req.url ?? '/', 'http://backend.invalid');
    const path = parsed.pathname;

    // Control endpoints: unauthenticated, not counted.
    if (CONTROL_PATHS.has(path)) {
      await readBody(req);
      if (path === '/_stats' && method === 'GET') return sendJson(res, 200, snapshot());
      if (path === '/_forget' && method === 'POST') {
        sessions.clear();
        return void res.writeHead(204).end();
      }
      if (path === '/_reset' && method === 'POST') {
        resetStats();
        return void res.writeHead(204).end();
      }
      return sendJson(res, 405, { error: `${method} not allowed on ${path}` });
    }

    const body = await readBody(req);
    const cookies = parseCookies(req.headers.cookie);
    const record: RecordedRequest = {
      method,
      path,
      authorization: req.headers.authorization !== undefined,
      cookie: cookies.size > 0,
      cookieNames: [...cookies.keys()],
      csrfToken: req.headers['x-csrf-token'] !== undefined,
      status: 0,
    };
    stats.requests++;
    recorded.push(record);

    // Fault endpoints (no authentication) for error-handling tests.
    if (path.startsWith('/_fault/')) {
      const fault = path.slice('/_fault/'.length);
      if (fault === 'reset') {
        req.socket.destroy();
        return;
      }
      if (fault === 'hang') return; // never answered; close() ends the socket
      if (fault === 'garbage') {
        req.socket.end('THIS IS NOT HTTP\r\n\r\n');
        return;
      }
      const m = /^status\/(\d{3})$/.exec(fault);
      if (m?.[1] !== undefined && Number(m[1]) >= 200) {
        const status = Number(m[1]);
        record.status = status;
        return sendJson(res, status, { fault: 'status', status });
      }
      record.status = 404;
      return sendJson(res, 404, { error: `unknown fault ${fault}` });
    }

    // Session or credentials.
    let session = lookupSession(cookies.get(cookieName));
    const setCookies: string[] = [];
    if (!session) {
      const authorization = req.headers.authorization;
      const user = authorization !== undefined ? checkCredentials(authorization) : undefined;
      if (user === undefined) {
        record.status = 401;
        res.setHeader('WWW-Authenticate', 'Basic realm="sessionflow-test"');
        return sendJson(res, 401, { error: authorization === undefined ? 'authentication required' : 'invalid credentials' });
      }
      const id = randomBytes(18).toString('base64url');
      session = { id, hash: hash12(id), user, lastSeen: now(), blocksServed: 0 };
      sessions.set(id, session);
      stats.sessionsCreated++;
      setCookies.push(`${cookieName}=${id}${cookieSuffix}; HttpOnly`);
      if (affinity) setCookies.push(`${affinity}=${affinityValue}${cookieSuffix}`);
    }
    session.lastSeen = now();
    record.user = session.user;
    record.sessionHash = session.hash;
    userStats(session.user).requests++;
    if (setCookies.length > 0) res.setHeader('Set-Cookie', setCookies);

    // CSRF.
    const csrfHeader = req.headers['x-csrf-token'];
    const csrfValue = Array.isArray(csrfHeader) ? csrfHeader[0] : csrfHeader;
    if ((method === 'GET' || method === 'HEAD') && csrfValue?.toLowerCase() === 'fetch') {
      session.csrfToken ??= randomBytes(16).toString('base64url');
      stats.csrfFetches++;
      res.setHeader('X-CSRF-Token', session.csrfToken);
    }
    const modifying = !['GET', 'HEAD', 'OPTIONS'].includes(method);
    if (modifying && csrfPaths.some((p) => path.startsWith(p))) {
      if (session.csrfToken === undefined || csrfValue !== session.csrfToken) {
        stats.csrfRejections++;
        record.status = 403;
        res.setHeader('X-CSRF-Token', 'Required');
        return sendJson(res, 403, { error: 'CSRF token validation failed' });
      }
    }

    if (/\/(logout|logoff)$/.test(path)) {
      sessions.delete(session.id);
      stats.logoffs++;
      record.status = 204;
      const expired = `=; Max-Age=0${cookieSuffix}`;
      res.setHeader('Set-Cookie', [`${cookieName}${expired}`, ...(affinity ? [`${affinity}${expired}`] : [])]);
      return void res.writeHead(204).end();
    }

    if (path.endsWith('/blocks')) {
      session.blocksServed++;
      const n = session.blocksServed;
      record.status = 200;
      res.setHeader('X-Has-More', n < blocksPerSession ? 'true' : 'false');
      return sendJson(res, 200, { block: n, user: session.user, session: session.hash });
    }

    let received: unknown = null;
    if (body.length > 0) {
      try {
        received = JSON.parse(body.toString('utf8'));
      } catch {
        received = body.length;
      }
    }
    record.status = 200;
    return sendJson(res, 200, {
      user: session.user,
      method,
      path,
      query: Object.fromEntries(parsed.searchParams),
      session: session.hash,
      received,
    });
  };

  const snapshot = (): BackendStats => {
    sweep();
    const byUser: BackendStats['byUser'] = {};
    for (const [u, s] of Object.entries(stats.byUser)) byUser[u] = { ...s };
    return { ...stats, activeSessions: sessions.size, byUser };
  };

  const resetStats = (): void => {
    stats = emptyStats();
    recorded = [];
  };

  const server = await startMockServer(
    (req, res) =>
      handle(req, res).catch(() => {
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
      }),
    { host, ...(options.port !== undefined ? { port: options.port } : {}) },
  );
  return {
    url: server.url,
    port: server.port,
    stats: snapshot,
    requests: () => recorded.map((r) => ({ ...r, cookieNames: [...r.cookieNames] })),
    resetStats,
    forgetSessions: () => sessions.clear(),
    rotateCsrfTokens: () => {
      for (const s of sessions.values()) if (s.csrfToken !== undefined) s.csrfToken = randomBytes(16).toString('base64url');
    },
    close: () => server.close(),
  };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  if (status === 204 || status === 304) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
