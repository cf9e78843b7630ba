/**
 * An IDoc inbound mock: the SAP SOAP runtime's IDoc endpoint (`/sap/bc/srt/idoc?sap-client=NNN`).
 * It accepts IDoc XML in a SOAP 1.1 envelope (`text/xml`) or as is (`application/x-sap.idoc`),
 * checks each IDoc's control record, assigns 16-digit IDoc numbers and answers them both in the
 * response headers (`SapIDocDbId`, `SapIDocTransferId`) and in the SOAP response body
 * (`idocAssign` with `TransferId` and one `DbId` per IDoc). Session and Basic-auth semantics as
 * the test backend; repeated ARCKEY (message id) values are detected as duplicates.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SessionAuth, readRequestBody, reply, startMockServer, type MockSessionStats, type SessionAuthOptions } from './session-auth.js';
import { readSoapEnvelope, soapFaultEnvelope, SoapFaultSignal, parseContentType, type SoapMockFault } from './soap.js';
import { childElements, firstChild, MockXmlError, parseMockXml, textOf, type MockXmlElement } from './xml.js';

export const IDOC_SOAP_NS = 'urn:sap-com:document:sap:idoc:soap:messages';

export interface IdocMockOptions extends SessionAuthOptions {
  host?: string;
  port?: number;
  /** Endpoint path; default '/sap/bc/srt/idoc'. */
  path?: string;
  /** Clients that exist; default ['100']. */
  sapClients?: string[];
  /** First IDoc number handed out; default 1000. */
  firstIdocNumber?: number;
  /** Fault answered instead of posting (e.g. to test error handling). */
  fault?: SoapMockFault;
}

export interface PostedIdoc {
  number: string;
  transferId: string;
  sapClient: string;
  /** Control record fields. */
  idocType: string;
  messageType: string;
  sender: string;
  receiver: string;
  /** ARCKEY of the control record (the sender's message id), if any. */
  archiveKey?: string;
  segments: number;
  user: string;
  sessionHash: string;
  contentType: string;
}

export interface IdocMockStats extends MockSessionStats {
  posts: number;
  idocs: number;
  duplicates: number;
  faults: number;
}

export interface IdocMock {
  url: string;
  port: number;
  /** Full endpoint URL for a client, e.g. `http://127.0.0.1:1234/sap/bc/srt/idoc?sap-client=100`. */
  endpoint(sapClient?: string): string;
  stats(): IdocMockStats;
  idocs(): PostedIdoc[];
  setFault(fault: SoapMockFault | undefined): void;
  resetStats(): void;
  forgetSessions(): void;
  close(): Promise<void>;
}

function field(dc: MockXmlElement, name: string): string {
  return textOf(firstChild(dc, '', name)).trim();
}

export async function startIdocMock(options: IdocMockOptions = {}): Promise<IdocMock> {
  const auth = new SessionAuth(options);
  const path = options.path ?? '/sap/bc/srt/idoc';
  const clients = new Set(options.sapClients ?? ['100']);
  let next = options.firstIdocNumber ?? 1000;
  let fault = options.fault;
  let posted: PostedIdoc[] = [];
  let extra = { posts: 0, idocs: 0, duplicates: 0, faults: 0 };
  const byArchiveKey = new Map<string, string[]>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readRequestBody(req);
    const url = new URL(req.url ?? '/', 'http://mock.invalid');
    if (url.pathname !== path) return reply(res, 404, { 'Content-Type': 'text/plain' }, `no service at ${url.pathname}`);
    if ((req.method ?? 'GET').toUpperCase() !== 'POST') return reply(res, 405, { Allow: 'POST', 'Content-Type': 'text/plain' }, 'use POST');
    const who = auth.authenticate(req, res);
    if (!who) return;
    extra.posts++;
    const faultReply = (f: SoapMockFault): void => {
      extra.faults++;
      reply(res, f.status ?? 500, { 'Content-Type': 'text/xml; charset=utf-8' }, soapFaultEnvelope('1.1', f));
    };
    const sapClient = url.searchParams.get('sap-client') ?? '';
    if (!clients.has(sapClient)) return faultReply({ code: 'Client', reason: `client "${sapClient}" does not exist (sap-client query parameter)` });
    if (fault) return faultReply(fault);

    const ct = parseContentType(req.headers['content-type']);
    const text = body.toString('utf8');
    let root: MockXmlElement;
    try {
      if (ct.type === 'text/xml') {
        const soapAction = req.headers.soapaction;
        if (soapAction === undefined) return faultReply({ code: 'Client', reason: 'SOAPAction header missing', status: 400 });
        const env = readSoapEnvelope(text, '1.1');
        const kids = childElements(env.body);
        if (kids.length !== 1) return faultReply({ code: 'Client', reason: `the Body must hold exactly one IDoc XML document, found ${kids.length} elements`, status: 400 });
        root = kids[0]!;
      } else if (ct.type === 'application/x-sap.idoc') {
        root = parseMockXml(text);
      } else {
        return reply(res, 415, { 'Content-Type': 'text/plain' }, `unsupported content type "${ct.type}": use text/xml (SOAP) or application/x-sap.idoc`);
      }
    } catch (err) {
      if (err instanceof SoapFaultSignal) return faultReply(err.fault);
      if (err instanceof MockXmlError) return faultReply({ code: 'Client', reason: `IDoc XML is not well-formed: ${err.message}`, status: 400 });
      throw err;
    }
    const idocs = childElements(root, '', 'IDOC');
    if (idocs.length === 0) return faultReply({ code: 'Client', reason: `<${root.name}> holds no <IDOC BEGIN="1"> element`, status: 400 });
    if (ct.type === 'text/xml' && idocs.length > 1) {
      return faultReply({ code: 'Client', reason: `SOAP (text/xml) posting takes one IDoc per call, got ${idocs.length}; use application/x-sap.idoc for several`, status: 400 });
    }
    const parsed: Omit<PostedIdoc, 'number' | 'transferId'>[] = [];
    for (const [i, idoc] of idocs.entries()) {
      if (idoc.attrs.get('BEGIN') !== '1') return faultReply({ code: 'Client', reason: `IDOC #${i + 1} lacks BEGIN="1"`, status: 400 });
      const dc = firstChild(idoc, '', 'EDI_DC40');
      if (!dc || dc.attrs.get('SEGMENT') !== '1') return faultReply({ code: 'Client', reason: `IDOC #${i + 1} has no control record <EDI_DC40 SEGMENT="1">`, status: 400 });
      const idocType = field(dc, 'IDOCTYP');
      const messageType = field(dc, 'MESTYP');
      if (idocType === '' || messageType === '') return faultReply({ code: 'Client', reason: `IDOC #${i + 1}: control record needs IDOCTYP and MESTYP`, status: 400 });
      const archiveKey = field(dc, 'ARCKEY');
      parsed.push({
        sapClient,
        idocType,
        messageType,
        sender: field(dc, 'SNDPRN'),
        receiver: field(dc, 'RCVPRN'),
        ...(archiveKey !== '' ? { archiveKey } : {}),
        segments: childElements(idoc).filter((s) => s.attrs.get('SEGMENT') === '1').length - 1,
        user: who.user,
        sessionHash: who.sessionHash,
        contentType: req.headers['content-type'] ?? '',
      });
    }
    const transferId = randomUUID().replace(/-/g, '').toUpperCase();
    const numbers: string[] = [];
    for (const p of parsed) {
      const again = p.archiveKey !== undefined ? byArchiveKey.get(p.archiveKey) : undefined;
      if (again) {
        // Idempotent inbound: the same ARCKEY is not posted twice; the first numbers are answered.
        extra.duplicates++;
        numbers.push(...again);
        continue;
      }
      const number = String(next++).padStart(16, '0');
      numbers.push(number);
      posted.push({ ...p, number, transferId });
      extra.idocs++;
      if (p.archiveKey !== undefined) byArchiveKey.set(p.archiveKey, [number]);
    }
    const headers = { 'SapIDocDbId': numbers.join(','), 'SapIDocTransferId': transferId };
    if (ct.type === 'application/x-sap.idoc') return reply(res, 200, headers);
    const assign =
      `<?xml version="1.0" encoding="utf-8"?><soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Header/><soap-env:Body>` +
      `<n0:idocAssign xmlns:n0="${IDOC_SOAP_NS}"><TransferId>${transferId}</TransferId>${numbers.map((n) => `<DbId>${n}</DbId>`).join('')}</n0:idocAssign>` +
      `</soap-env:Body></soap-env:Envelope>`;
    return reply(res, 200, { ...headers, 'Content-Type': 'text/xml; charset=utf-8' }, assign);
  };

  const server = await startMockServer(handle, options);
  return {
    url: server.url,
    port: server.port,
    endpoint: (sapClient = [...clients][0] ?? '100') => `${server.url}${path}?sap-client=${encodeURIComponent(sapClient)}`,
    stats: () => ({ ...auth.stats(), ...extra }),
    idocs: () => posted.map((p) => ({ ...p })),
    setFault: (f) => {
      fault = f;
    },
    resetStats: () => {
      auth.resetStats();
      posted = [];
      extra = { posts: 0, idocs: 0, duplicates: 0, faults: 0 };
    },
    forgetSessions: () => auth.forgetSessions(),
    close: () => server.close(),
  };
}
