/**
 * A SOAP service mock (node:http) with the session and Basic-auth semantics of the test
 * backend: it echoes the request's Body content, answers configured faults in the request's
 * SOAP version, accepts SAP RM one-way messages (202, duplicate detection by message id) and
 * counts password checks, sessions and faults.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SessionAuth, readRequestBody, reply, startMockServer, type MockSessionStats, type SessionAuthOptions } from './session-auth.js';
import { childElements, escapeXml, firstChild, MockXmlError, parseMockXml, standalone, textOf, type MockXmlElement } from './xml.js';

export const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
export const WSA_NS = 'http://www.w3.org/2005/08/addressing';

export type SoapVersion = '1.1' | '1.2';

/** A fault the mock answers with. `code` is the local part: Server/Client (1.1) or Receiver/Sender (1.2); mapped between versions. */
export interface SoapMockFault {
  code?: 'Server' | 'Client' | 'Receiver' | 'Sender' | 'VersionMismatch' | 'MustUnderstand';
  reason: string;
  /** HTTP status; default 500. */
  status?: number;
  /** Raw XML put into the fault's detail element. */
  detail?: string;
}

export interface SoapMockRequest {
  version: SoapVersion;
  /** SOAPAction header (1.1, quotes removed) or the `action` parameter (1.2); undefined when absent. */
  action?: string;
  /** Local name and namespace of the first Body child ('' for an empty Body). */
  operation: string;
  operationNamespace: string;
  /** WS-Addressing MessageID from the header (SAP RM), if any. */
  messageId?: string;
  /** The Body's content as standalone XML fragments (namespaces re-declared). */
  bodyXml: string;
  /** The whole request envelope as received. */
  envelope: string;
  contentType: string;
  path: string;
  query: Record<string, string>;
  user: string;
  sessionHash: string;
}

export interface SoapMockCall extends SoapMockRequest {
  status: number;
  fault?: string;
  duplicate: boolean;
}

export interface SoapMockOptions extends SessionAuthOptions {
  host?: string;
  port?: number;
  /** Faults by operation local name or by action. */
  faults?: Record<string, SoapMockFault>;
  /** Custom answers by operation local name: return the Body content (XML) or a fault. Default: echo. */
  handlers?: Record<string, (req: SoapMockRequest) => string | SoapMockFault>;
}

export interface SoapMockStats extends MockSessionStats {
  calls: number;
  faults: number;
  oneWay: number;
  duplicates: number;
}

export interface SoapMock {
  url: string;
  port: number;
  stats(): SoapMockStats;
  calls(): SoapMockCall[];
  /** Sets (or with undefined clears) the fault for an operation or action. */
  setFault(key: string, fault: SoapMockFault | undefined): void;
  resetStats(): void;
  forgetSessions(): void;
  close(): Promise<void>;
}

const CODE_12: Record<string, string> = { Server: 'Receiver', Client: 'Sender' };
const CODE_11: Record<string, string> = { Receiver: 'Server', Sender: 'Client' };

/** Serialises a fault envelope in the given SOAP version. */
export function soapFaultEnvelope(version: SoapVersion, fault: SoapMockFault): string {
  const code = fault.code ?? 'Server';
  if (version === '1.1') {
    const c = CODE_11[code] ?? code;
    return (
      `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP11_NS}"><soap:Body><soap:Fault>` +
      `<faultcode>soap:${c}</faultcode><faultstring>${escapeXml(fault.reason)}</faultstring>` +
      (fault.detail !== undefined ? `<detail>${fault.detail}</detail>` : '') +
      `</soap:Fault></soap:Body></soap:Envelope>`
    );
  }
  const c = CODE_12[code] ?? code;
  return (
    `<?xml version="1.0" encoding="utf-8"?><env:Envelope xmlns:env="${SOAP12_NS}"><env:Body><env:Fault>` +
    `<env:Code><env:Value>env:${c}</env:Value></env:Code><env:Reason><env:Text xml:lang="en">${escapeXml(fault.reason)}</env:Text></env:Reason>` +
    (fault.detail !== undefined ? `<env:Detail>${fault.detail}</env:Detail>` : '') +
    `</env:Fault></env:Body></env:Envelope>`
  );
}

export function soapContentType(version: SoapVersion): string {
  return version === '1.1' ? 'text/xml; charset=utf-8' : 'application/soap+xml; charset=utf-8';
}

/** Media type and parameters of a Content-Type header (names lower-cased, quotes removed). */
export function parseContentType(value: string | undefined): { type: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  if (!value) return { type: '', params };
  const [type, ...rest] = value.split(';');
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
    params.set(p.slice(0, eq).trim().toLowerCase(), v);
  }
  return { type: (type ?? '').trim().toLowerCase(), params };
}

export interface ParsedSoapRequest {
  version: SoapVersion;
  envelope: MockXmlElement;
  header?: MockXmlElement;
  body: MockXmlElement;
}

/** Thrown by `readSoapEnvelope` for a request the mock answers with a fault. */
export class SoapFaultSignal extends Error {
  constructor(readonly fault: SoapMockFault) {
    super(fault.reason);
  }
}

/** Reads a SOAP envelope; throws SoapFaultSignal for protocol problems. */
export function readSoapEnvelope(text: string, expected: SoapVersion | undefined): ParsedSoapRequest {
  let root: MockXmlElement;
  try {
    root = parseMockXml(text);
  } catch (err) {
    throw new SoapFaultSignal({ code: 'Client', reason: `request is not well-formed XML: ${err instanceof MockXmlError ? err.message : String(err)}`, status: 400 });
  }
  if (root.local !== 'Envelope' || (root.ns !== SOAP11_NS && root.ns !== SOAP12_NS)) {
    throw new SoapFaultSignal({ code: 'VersionMismatch', reason: `root element {${root.ns}}${root.local} is not a SOAP Envelope` });
  }
  const version: SoapVersion = root.ns === SOAP11_NS ? '1.1' : '1.2';
  if (expected !== undefined && version !== expected) {
    throw new SoapFaultSignal({ code: 'VersionMismatch', reason: `SOAP ${version} envelope sent with the content type of SOAP ${expected}` });
  }
  const kids = childElements(root);
  const header = kids[0]?.ns === root.ns && kids[0].local === 'Header' ? kids[0] : undefined;
  const body = kids[header ? 1 : 0];
  if (!body || body.ns !== root.ns || body.local !== 'Body') {
    throw new SoapFaultSignal({ code: 'Client', reason: 'the Envelope has no Body (or Header is not its first child)', status: 400 });
  }
  return { version, envelope: root, ...(header ? { header } : {}), body };
}

export function isSoapMockFault(v: unknown): v is SoapMockFault {
  return typeof v === 'object' && v !== null && typeof (v as SoapMockFault).reason === 'string';
}

export async function startSoapMock(options: SoapMockOptions = {}): Promise<SoapMock> {
  const auth = new SessionAuth(options);
  const faults = new Map(Object.entries(options.faults ?? {}));
  const handlers = options.handlers ?? {};
  let calls: SoapMockCall[] = [];
  let extra = { calls: 0, faults: 0, oneWay: 0, duplicates: 0 };
  const seenMessageIds = new Set<string>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readRequestBody(req);
    if ((req.method ?? 'GET').toUpperCase() !== 'POST') {
      return reply(res, 405, { Allow: 'POST', 'Content-Type': 'text/plain' }, 'SOAP endpoint: use POST');
    }
    const who = auth.authenticate(req, res);
    if (!who) return;
    extra.calls++;
    const ct = parseContentType(req.headers['content-type']);
    let version: SoapVersion;
    let action: string | undefined;
    if (ct.type === 'text/xml') {
      version = '1.1';
      const h = req.headers.soapaction;
      const raw = Array.isArray(h) ? h[0] : h;
      if (raw !== undefined) action = raw.trim().replace(/^"(.*)"$/, '$1');
    } else if (ct.type === 'application/soap+xml') {
      version = '1.2';
      action = ct.params.get('action');
    } else {
      return reply(res, 415, { 'Content-Type': 'text/plain' }, `unsupported content type "${ct.type}": use text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2)`);
    }
    const url = new URL(req.url ?? '/', 'http://mock.invalid');
    const text = body.toString('utf8');
    const answerFault = (f: SoapMockFault, request?: SoapMockRequest): void => {
      extra.faults++;
      const status = f.status ?? 500;
      if (request) calls.push({ ...request, status, fault: f.reason, duplicate: false });
      reply(res, status, { 'Content-Type': soapContentType(version) }, soapFaultEnvelope(version, f));
    };
    let parsed: ParsedSoapRequest;
    try {
      parsed = readSoapEnvelope(text, version);
    } catch (err) {
      if (err instanceof SoapFaultSignal) return answerFault(err.fault);
      throw err;
    }
    const first = childElements(parsed.body)[0];
    const messageId = parsed.header ? textOf(firstChild(parsed.header, WSA_NS, 'MessageID')).trim() || undefined : undefined;
    const request: SoapMockRequest = {
      version,
      ...(action !== undefined ? { action } : {}),
      operation: first?.local ?? '',
      operationNamespace: first?.ns ?? '',
      ...(messageId !== undefined ? { messageId } : {}),
      bodyXml: childElements(parsed.body).map((c) => standalone(text, c, new Set([SOAP11_NS, SOAP12_NS]))).join(''),
      envelope: text,
      contentType: req.headers['content-type'] ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      user: who.user,
      sessionHash: who.sessionHash,
    };
    const fault = faults.get(request.operation) ?? (action !== undefined ? faults.get(action) : undefined);
    if (fault) return answerFault(fault, request);

    if (messageId !== undefined) {
      // SAP RM one-way: accepted with 202 and no body; a repeated message id is not processed again.
      extra.oneWay++;
      const duplicate = seenMessageIds.has(messageId);
      if (duplicate) extra.duplicates++;
      else seenMessageIds.add(messageId);
      calls.push({ ...request, status: 202, duplicate });
      return reply(res, 202, {});
    }

    let content = request.bodyXml;
    const handler = handlers[request.operation];
    if (handler) {
      const out = handler(request);
      if (isSoapMockFault(out)) return answerFault(out, request);
      content = out;
    }
    calls.push({ ...request, status: 200, duplicate: false });
    const p = version === '1.1' ? 'soap' : 'env';
    const ns = version === '1.1' ? SOAP11_NS : SOAP12_NS;
    const envelope = `<?xml version="1.0" encoding="utf-8"?><${p}:Envelope xmlns:${p}="${ns}"><${p}:Body>${content}</${p}:Body></${p}:Envelope>`;
    return reply(res, 200, { 'Content-Type': soapContentType(version) }, envelope);
  };

  const server = await startMockServer(handle, options);
  return {
    url: server.url,
    port: server.port,
    stats: () => ({ ...auth.stats(), ...extra }),
    calls: () => calls.map((c) => ({ ...c, query: { ...c.query } })),
    setFault: (key, fault) => {
      if (fault) faults.set(key, fault);
      else faults.delete(key);
    },
    resetStats: () => {
      auth.resetStats();
      calls = [];
      extra = { calls: 0, faults: 0, oneWay: 0, duplicates: 0 };
    },
    forgetSessions: () => auth.forgetSessions(),
    close: () => server.close(),
  };
}
