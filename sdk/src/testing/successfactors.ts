/**
 * A SuccessFactors-like mock backend for tests and demos. One server, four APIs:
 *
 * - `POST /oauth/token`: OAuth2 client credentials (client id/secret as HTTP Basic, or in the
 *   form); issues bearer tokens with a configurable lifetime, counts them, can revoke them.
 * - `/rest/...` and `/odata/v4/...`: need a bearer token; every answer sets cookies
 *   (`JSESSIONID`, a load-balancer cookie) the way the real API gateway does, and the mock
 *   records whether a Cookie header ever came back (these APIs must be called without one).
 * - `/odata/v2/...`: OData V2 with Basic auth and sessions (JSESSIONID); server-side paging
 *   whose `$skiptoken` is only valid in the session that started the query.
 * - `POST /sfapi/v1/soap`: the SFAPI SOAP API. `login` (companyId, username, password in the
 *   SOAP body) opens a session (JSESSIONID cookie); every other operation (`query`, `upsert`,
 *   `logout`) needs it and answers an `INVALID_SESSION` fault without it or after the idle expiry.
 *
 * Passwords, secrets, tokens and cookie values are never recorded or returned.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ODataEngine, recordODataRequest, type ODataEntitySetDefinition, type ODataRecordedRequest } from './odata.js';
import { SessionAuth, readRequestBody, reply, startMockServer } from './session-auth.js';

export interface SuccessFactorsMockOptions {
  /** SFAPI and OData V2 users: user -> password; default { alice: 'alice-pw' }. */
  users?: Record<string, string>;
  /** SFAPI company id; default 'ACME'. */
  companyId?: string;
  /** OAuth2 clients: client id -> secret; default { 'sf-client': 'sf-secret' }. */
  clients?: Record<string, string>;
  /** Access token lifetime in seconds (expires_in); default 3600. */
  tokenLifetimeSeconds?: number;
  /** SFAPI and OData V2 session idle expiry; default 600000 (10 minutes). */
  sessionIdleTimeoutMs?: number;
  now?: () => number;
  /** OData entity sets (V2 and V4 share the data); default a small User set. */
  entitySets?: Record<string, ODataEntitySetDefinition>;
  /** Server-driven OData page size; default 2. */
  pageSize?: number;
  /** SFAPI objects returned by `query ... FROM <Type>`: type -> rows; default the User rows. */
  sfapiObjects?: Record<string, Record<string, string>[]>;
}

export interface SfapiRecordedCall {
  operation: string;
  cookie: boolean;
  authorization: boolean;
  soapAction?: string;
  contentType?: string;
  /** 'ok', or the fault's error code. */
  outcome: string;
}

export interface SuccessFactorsMockStats {
  tokensIssued: number;
  tokenRequestsRejected: number;
  bearerRejected: number;
  /** Requests to /rest and /odata/v4 that carried a Cookie header (must stay 0). */
  cookiesReceivedOnStatelessApis: number;
  statelessRequests: number;
  sfapiLogins: number;
  sfapiFailedLogins: number;
  sfapiInvalidSessionFaults: number;
  sfapiCalls: number;
  sfapiSessionsCreated: number;
  sfapiExpiredSessions: number;
  /** OData V2 (Basic + session) password checks and sessions. */
  odataV2Authentications: number;
  odataV2Sessions: number;
  invalidSkiptokens: number;
}

export interface SuccessFactorsMock {
  url: string;
  tokenUrl: string;
  restUrl: string;
  odataV2Url: string;
  odataV4Url: string;
  sfapiUrl: string;
  stats(): SuccessFactorsMockStats;
  sfapiCalls(): SfapiRecordedCall[];
  /** Requests to /rest, /odata/v2 and /odata/v4 (no secrets). */
  requests(): ODataRecordedRequest[];
  /** Makes every issued token invalid (clients then get 401 with their cached token). */
  revokeTokens(): void;
  close(): Promise<void>;
}

const SFAPI_NS = 'urn:sfobject.sfapi.successfactors.com';
const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';

const DEFAULT_USERS = [
  { userId: 'u1', firstName: 'Ada', lastName: 'Lovelace', department: 'R&D' },
  { userId: 'u2', firstName: 'Grace', lastName: 'Hopper', department: 'R&D' },
  { userId: 'u3', firstName: 'Alan', lastName: 'Turing', department: 'Math' },
  { userId: 'u4', firstName: 'Edsger', lastName: 'Dijkstra', department: 'Math' },
  { userId: 'u5', firstName: 'Barbara', lastName: 'Liskov', department: 'R&D' },
];

function hash12(v: string): string {
  return createHash('sha256').update(v, 'utf8').digest('hex').slice(0, 12);
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function xmlUnescape(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

function element(xml: string, local: string): string | undefined {
  const m = new RegExp(`<(?:[\\w.-]+:)?${local}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:[\\w.-]+:)?${local}>`).exec(xml);
  return m?.[1] !== undefined ? xmlUnescape(m[1].trim()) : undefined;
}

function envelope(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP_ENV}"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
}

function fault(code: string, message: string): string {
  return envelope(
    `<soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>${xmlEscape(`${code}: ${message}`)}</faultstring>` +
      `<detail><SFWebServiceFault xmlns="${SFAPI_NS}"><errorCode>${code}</errorCode><errorMessage>${xmlEscape(message)}</errorMessage></SFWebServiceFault></detail></soapenv:Fault>`,
  );
}

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

export async function startSuccessFactorsMock(options: SuccessFactorsMockOptions = {}): Promise<SuccessFactorsMock> {
  const users = options.users ?? { alice: 'alice-pw' };
  const companyId = options.companyId ?? 'ACME';
  const clients = options.clients ?? { 'sf-client': 'sf-secret' };
  const lifetime = options.tokenLifetimeSeconds ?? 3600;
  const idleMs = options.sessionIdleTimeoutMs ?? 600_000;
  const now = options.now ?? Date.now;
  const entitySets = options.entitySets ?? { User: { key: 'userId', rows: DEFAULT_USERS } };
  const sfapiObjects: Record<string, Record<string, string>[]> = options.sfapiObjects ?? { User: DEFAULT_USERS.map((u) => ({ ...u })) };

  const v2 = new ODataEngine({ version: 'v2', entitySets, pageSize: options.pageSize ?? 2, pagingRequiresSession: true, namespace: 'SFOData' });
  const v4 = new ODataEngine({ version: 'v4', entitySets, pageSize: options.pageSize ?? 2, pagingRequiresSession: false, namespace: 'SFOData' });
  const v2Auth = new SessionAuth({ users, cookieName: 'JSESSIONID', sessionIdleTimeoutMs: idleMs, now });

  const tokens = new Map<string, { client: string; expiresAt: number }>();
  const sfSessions = new Map<string, { user: string; lastSeen: number }>();
  const stats: Omit<SuccessFactorsMockStats, 'odataV2Authentications' | 'odataV2Sessions' | 'invalidSkiptokens'> = {
    tokensIssued: 0,
    tokenRequestsRejected: 0,
    bearerRejected: 0,
    cookiesReceivedOnStatelessApis: 0,
    statelessRequests: 0,
    sfapiLogins: 0,
    sfapiFailedLogins: 0,
    sfapiInvalidSessionFaults: 0,
    sfapiCalls: 0,
    sfapiSessionsCreated: 0,
    sfapiExpiredSessions: 0,
  };
  const calls: SfapiRecordedCall[] = [];
  const recorded: ODataRecordedRequest[] = [];

  const json = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void =>
    reply(res, status, { 'Content-Type': 'application/json', ...headers }, JSON.stringify(value));

  const tokenEndpoint = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    const form = new URLSearchParams(body.toString('utf8'));
    let id = form.get('client_id') ?? undefined;
    let secret = form.get('client_secret') ?? undefined;
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (basic?.[1] !== undefined) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      id = decoded.slice(0, colon);
      secret = decoded.slice(colon + 1);
    }
    if (form.get('grant_type') !== 'client_credentials') {
      stats.tokenRequestsRejected++;
      return json(res, 400, { error: 'unsupported_grant_type' });
    }
    if (id === undefined || clients[id] === undefined || clients[id] !== secret) {
      stats.tokenRequestsRejected++;
      return json(res, 401, { error: 'invalid_client' });
    }
    const token = randomBytes(24).toString('base64url');
    tokens.set(token, { client: id, expiresAt: now() + lifetime * 1000 });
    stats.tokensIssued++;
    json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: lifetime });
  };

  /** /rest and /odata/v4: bearer per call, cookies set but never needed. */
  const stateless = (req: IncomingMessage, res: ServerResponse, body: Buffer, rec: ODataRecordedRequest, path: string, search: string): void => {
    stats.statelessRequests++;
    if (req.headers.cookie !== undefined) stats.cookiesReceivedOnStatelessApis++;
    // The API gateway sets cookies on every answer; a correct client never sends them back.
    res.setHeader('Set-Cookie', [`JSESSIONID=${randomBytes(12).toString('base64url')}; Path=/; HttpOnly`, `BIGipServerSF=${randomBytes(4).toString('hex')}; Path=/`]);
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const t = m?.[1] !== undefined ? tokens.get(m[1]) : undefined;
    if (!t || t.expiresAt <= now()) {
      stats.bearerRejected++;
      rec.status = 401;
      res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
      return json(res, 401, { error: 'invalid_token' });
    }
    if (path.startsWith('/odata/v4/')) {
      v4.serviceRoot = `http://${req.headers.host ?? 'localhost'}/odata/v4/`;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const r = v4.handle({ method: rec.method, target: path.slice('/odata/v4/'.length) + search, headers, body }, { user: t.client });
      rec.status = r.status;
      return reply(res, r.status, r.headers, r.body);
    }
    rec.status = 200;
    let received: unknown = null;
    if (body.length > 0) {
      try {
        received = JSON.parse(body.toString('utf8'));
      } catch {
        received = body.toString('utf8');
      }
    }
    json(res, 200, { method: rec.method, path, query: rec.query, client: t.client, received });
  };

  const odataV2 = (req: IncomingMessage, res: ServerResponse, body: Buffer, rec: ODataRecordedRequest, path: string, search: string): void => {
    const who = v2Auth.authenticate(req, res);
    if (!who) {
      rec.status = 401;
      return;
    }
    v2.serviceRoot = `http://${req.headers.host ?? 'localhost'}/odata/v2/`;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const r = v2.handle({ method: rec.method, target: path.slice('/odata/v2/'.length) + search, headers, body }, { user: who.user, session: who.sessionHash });
    rec.status = r.status;
    reply(res, r.status, r.headers, r.body);
  };

  const sfapi = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    const text = body.toString('utf8');
    const bodyContent = /<(?:[\w.-]+:)?Body(?:\s[^>]*)?>\s*<(?:[\w.-]+:)?([\w.-]+)/.exec(text);
    const operation = bodyContent?.[1] ?? '';
    const soapAction = req.headers.soapaction;
    const call: SfapiRecordedCall = {
      operation,
      cookie: req.headers.cookie !== undefined,
      authorization: req.headers.authorization !== undefined,
      ...(typeof soapAction === 'string' ? { soapAction } : {}),
      ...(req.headers['content-type'] !== undefined ? { contentType: req.headers['content-type'] } : {}),
      outcome: 'ok',
    };
    calls.push(call);
    stats.sfapiCalls++;
    const xml = (status: number, content: string): void => reply(res, status, { 'Content-Type': 'text/xml; charset=utf-8' }, content);
    const soapFault = (code: string, message: string): void => {
      call.outcome = code;
      xml(500, fault(code, message));
    };
    if (operation === '') return soapFault('INVALID_REQUEST', 'the request is not a SOAP envelope with an operation in its Body');

    if (operation === 'login') {
      stats.sfapiLogins++;
      const user = element(text, 'username');
      const password = element(text, 'password');
      const company = element(text, 'companyId');
      if (company !== companyId || user === undefined || users[user] === undefined || users[user] !== password) {
        stats.sfapiFailedLogins++;
        return soapFault('LOGIN_FAILED', 'invalid company id, user name or password');
      }
      const id = randomBytes(18).toString('base64url');
      sfSessions.set(id, { user, lastSeen: now() });
      stats.sfapiSessionsCreated++;
      res.setHeader('Set-Cookie', `JSESSIONID=${id}; Path=/; HttpOnly`);
      return xml(
        200,
        envelope(`<loginResponse xmlns="${SFAPI_NS}"><result><sessionId>${hash12(id)}</sessionId><msUntilPwdExpiration>9999999</msUntilPwdExpiration></result></loginResponse>`),
      );
    }

    const sid = parseCookies(req.headers.cookie).get('JSESSIONID');
    const session = sid !== undefined ? sfSessions.get(sid) : undefined;
    if (session && now() - session.lastSeen > idleMs) {
      sfSessions.delete(sid!);
      stats.sfapiExpiredSessions++;
    }
    if (!session || !sfSessions.has(sid!)) {
      stats.sfapiInvalidSessionFaults++;
      return soapFault('INVALID_SESSION', 'the session is invalid or expired; call login first');
    }
    session.lastSeen = now();
    switch (operation) {
      case 'query': {
        const q = element(text, 'queryString') ?? '';
        const m = /\bFROM\s+([A-Za-z_]\w*)/i.exec(q);
        const rows = m?.[1] !== undefined ? sfapiObjects[m[1]] : undefined;
        if (!rows) return soapFault('INVALID_SFQL', `cannot run the query "${q.slice(0, 80)}"`);
        const objs = rows.map((r) => `<sfobject><type>${m![1]}</type>${Object.entries(r).map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`).join('')}</sfobject>`).join('');
        return xml(200, envelope(`<queryResponse xmlns="${SFAPI_NS}"><result>${objs}<numResults>${rows.length}</numResults><hasMore>false</hasMore><querySessionId/></result></queryResponse>`));
      }
      case 'upsert': {
        const n = (text.match(/<(?:[\w.-]+:)?sfobject[\s>]/g) ?? []).length;
        const items = Array.from({ length: n }, (_, i) => `<objectEditResult><errorStatus>OK</errorStatus><editStatus>UPSERTED</editStatus><index>${i}</index></objectEditResult>`).join('');
        return xml(200, envelope(`<upsertResponse xmlns="${SFAPI_NS}"><result><jobStatus>OK</jobStatus>${items}</result></upsertResponse>`));
      }
      case 'logout':
        sfSessions.delete(sid!);
        return xml(200, envelope(`<logoutResponse xmlns="${SFAPI_NS}"><result>true</result></logoutResponse>`));
      default:
        return soapFault('UNSUPPORTED_OPERATION', `operation ${operation} is not supported by this mock`);
    }
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readRequestBody(req);
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = decodeURIComponent(q >= 0 ? raw.slice(0, q) : raw);
    const search = q >= 0 ? raw.slice(q) : '';
    const method = (req.method ?? 'GET').toUpperCase();
    if (path === '/oauth/token' && method === 'POST') return tokenEndpoint(req, res, body);
    if (path === '/sfapi/v1/soap' && method === 'POST') return sfapi(req, res, body);
    const rec = recordODataRequest(req, body);
    recorded.push(rec);
    if (path.startsWith('/rest/') || path.startsWith('/odata/v4/')) return stateless(req, res, body, rec, path, search);
    if (path.startsWith('/odata/v2/')) return odataV2(req, res, body, rec, path, search);
    rec.status = 404;
    json(res, 404, { error: `nothing at ${path}` });
  };

  const server = await startMockServer(handler);
  return {
    url: server.url,
    tokenUrl: `${server.url}/oauth/token`,
    restUrl: `${server.url}/rest/`,
    odataV2Url: `${server.url}/odata/v2/`,
    odataV4Url: `${server.url}/odata/v4/`,
    sfapiUrl: `${server.url}/sfapi/v1/soap`,
    stats: () => {
      const a = v2Auth.stats();
      return { ...stats, odataV2Authentications: a.authentications, odataV2Sessions: a.sessionsCreated, invalidSkiptokens: v2.counters.invalidSkiptokens };
    },
    sfapiCalls: () => calls.map((c) => ({ ...c })),
    requests: () => structuredClone(recorded),
    revokeTokens: () => tokens.clear(),
    close: () => server.close(),
  };
}
