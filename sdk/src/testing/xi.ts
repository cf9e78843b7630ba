/**
 * An XI 3.0 inbound mock (an Integration Engine's `/sap/xi/engine?type=entry`): reads the
 * `multipart/related` message, checks the XI message header (SAP:Main, SAP:ReliableMessaging,
 * SAP:Manifest) and the payload attachment, then
 * - BestEffort (synchronous): answers an ApplicationResponse message (multipart/related) whose
 *   payload is produced by a handler (default: the request payload echoed);
 * - ExactlyOnce (asynchronous): persists the message once per message id and answers an empty
 *   SOAP envelope with HTTP 200 (the acknowledgement); a repeated message id is a duplicate and
 *   is acknowledged again without being processed.
 * Errors are SOAP faults carrying an `SAP:Error` (category, code, text), as XI does.
 * Session and Basic-auth semantics as the test backend.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SessionAuth, readRequestBody, reply, startMockServer, type MockSessionStats, type SessionAuthOptions } from './session-auth.js';
import { parseContentType, readSoapEnvelope, SOAP11_NS, SoapFaultSignal } from './soap.js';
import { attrNS, escapeXml, firstChild, textOf, type MockXmlElement } from './xml.js';

export const XI30_NS = 'http://sap.com/xi/XI/Message/30';
export const XLINK_NS = 'http://www.w3.org/1999/xlink';
export const XI_SOAP_ACTION = 'http://sap.com/xi/XI/Message/30';

export type XiQualityOfService = 'BestEffort' | 'ExactlyOnce' | 'ExactlyOnceInOrder';

export interface XiMockError {
  /** SAP:Category; default 'Application'. */
  category?: string;
  /** SAP:Code; default 'APPLICATION_ERROR'. */
  code?: string;
  text: string;
  /** HTTP status; default 500. */
  status?: number;
}

export interface XiMockMessage {
  messageId: string;
  qualityOfService: XiQualityOfService;
  processingMode: string;
  messageClass: string;
  timeSent: string;
  sender: { party: string; service: string };
  receiver: { party: string; service: string };
  interface: string;
  interfaceNamespace: string;
  payload: Buffer;
  payloadContentType: string;
  soapAction?: string;
  user: string;
  sessionHash: string;
  duplicate: boolean;
}

export interface XiMockOptions extends SessionAuthOptions {
  host?: string;
  port?: number;
  /** Answers by interface name for BestEffort calls; default: echo the payload. */
  handlers?: Record<string, (msg: XiMockMessage) => { payload: string | Buffer; contentType?: string } | XiMockError>;
  /** Errors by interface name. */
  errors?: Record<string, XiMockError>;
}

export interface XiMockStats extends MockSessionStats {
  messages: number;
  bestEffort: number;
  exactlyOnce: number;
  duplicates: number;
  errors: number;
}

export interface XiMock {
  url: string;
  port: number;
  /** `url` + '/sap/xi/engine?type=entry'. */
  endpoint: string;
  stats(): XiMockStats;
  /** Every accepted message, duplicates included (flagged). */
  messages(): XiMockMessage[];
  setError(interfaceName: string, error: XiMockError | undefined): void;
  resetStats(): void;
  forgetSessions(): void;
  close(): Promise<void>;
}

export interface MimePart {
  headers: Map<string, string>;
  body: Buffer;
}

/** Splits a multipart body into parts (headers lower-cased). Throws on a malformed body. */
export function parseMultipart(body: Buffer, boundary: string): MimePart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MimePart[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) throw new Error(`boundary "${boundary}" not found in the body`);
  for (let guard = 0; guard < 10_000; guard++) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === '--') return parts;
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) throw new Error('multipart body ends without a closing delimiter');
    const start = lineEnd + 2;
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), start);
    if (next < 0) throw new Error('multipart body ends without a closing delimiter');
    const raw = body.subarray(start, next);
    const split = raw.indexOf('\r\n\r\n');
    const headerText = split < 0 ? raw.toString('latin1') : raw.subarray(0, split).toString('latin1');
    const headers = new Map<string, string>();
    for (const line of headerText.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    parts.push({ headers, body: split < 0 ? Buffer.alloc(0) : raw.subarray(split + 4) });
    at = next + 2;
  }
  throw new Error('too many parts');
}

/** Builds a multipart/related body; returns the body and its Content-Type. */
export function buildMultipartRelated(parts: { contentId: string; contentType: string; body: Buffer | string; description?: string }[]): { body: Buffer; contentType: string } {
  const boundary = `SAP_${randomUUID()}_END`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const head =
      `--${boundary}\r\nContent-ID: <${p.contentId}>\r\nContent-Type: ${p.contentType}\r\n` +
      (p.description !== undefined ? `Content-Description: ${p.description}\r\n` : '') +
      '\r\n';
    chunks.push(Buffer.from(head, 'latin1'), typeof p.body === 'string' ? Buffer.from(p.body, 'utf8') : p.body, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  const start = parts[0]?.contentId ?? '';
  return { body: Buffer.concat(chunks), contentType: `multipart/related; boundary=${boundary}; type="text/xml"; start="<${start}>"` };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const QOS = new Set<string>(['BestEffort', 'ExactlyOnce', 'ExactlyOnceInOrder']);

class XiProtocolError extends Error {
  constructor(readonly xi: XiMockError) {
    super(xi.text);
  }
}

function xiErrorEnvelope(e: XiMockError): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?><SOAP:Envelope xmlns:SOAP="${SOAP11_NS}"><SOAP:Header/><SOAP:Body><SOAP:Fault>` +
    `<faultcode>SOAP:Server</faultcode><faultstring>${escapeXml(e.text)}</faultstring><detail>` +
    `<SAP:Error xmlns:SAP="${XI30_NS}" SOAP:mustUnderstand="1"><SAP:Category>${escapeXml(e.category ?? 'Application')}</SAP:Category>` +
    `<SAP:Code area="MOCK">${escapeXml(e.code ?? 'APPLICATION_ERROR')}</SAP:Code><SAP:AdditionalText>${escapeXml(e.text)}</SAP:AdditionalText>` +
    `<SAP:Retry>M</SAP:Retry></SAP:Error></detail></SOAP:Fault></SOAP:Body></SOAP:Envelope>`
  );
}

function party(el: MockXmlElement | undefined): { party: string; service: string } {
  return { party: textOf(firstChild(el, XI30_NS, 'Party')).trim(), service: textOf(firstChild(el, XI30_NS, 'Service')).trim() };
}

function partyXml(tag: string, p: { party: string; service: string }): string {
  return (
    `<SAP:${tag}><SAP:Party agency="http://sap.com/xi/XI" scheme="XIParty">${escapeXml(p.party)}</SAP:Party>` +
    `<SAP:Service>${escapeXml(p.service)}</SAP:Service></SAP:${tag}>`
  );
}

export async function startXiMock(options: XiMockOptions = {}): Promise<XiMock> {
  const auth = new SessionAuth(options);
  const handlers = options.handlers ?? {};
  const errors = new Map(Object.entries(options.errors ?? {}));
  let messages: XiMockMessage[] = [];
  let extra = { messages: 0, bestEffort: 0, exactlyOnce: 0, duplicates: 0, errors: 0 };
  const persisted = new Set<string>();

  const readMessage = (req: IncomingMessage, body: Buffer, who: { user: string; sessionHash: string }): XiMockMessage => {
    function fail(text: string, code = 'MESSAGE.PROTOCOL'): never {
      throw new XiProtocolError({ category: 'XIProtocol', code, text, status: 500 });
    }
    const ct = parseContentType(req.headers['content-type']);
    if (ct.type !== 'multipart/related') fail(`content type "${ct.type}" is not multipart/related`);
    const boundary = ct.params.get('boundary');
    if (boundary === undefined || boundary === '') fail('multipart/related without a boundary');
    let parts: MimePart[] = [];
    try {
      parts = parseMultipart(body, boundary);
    } catch (err) {
      fail(`malformed multipart body: ${err instanceof Error ? err.message : String(err)}`);
    }
    const cid = (p: MimePart) => (p.headers.get('content-id') ?? '').replace(/^<(.*)>$/, '$1');
    const start = ct.params.get('start')?.replace(/^<(.*)>$/, '$1');
    const soapPart = start !== undefined ? parts.find((p) => cid(p) === start) : parts[0];
    if (!soapPart) fail('no SOAP part (start parameter or first part)');
    const soapText = soapPart.body.toString('utf8');
    let env: ReturnType<typeof readSoapEnvelope>;
    try {
      env = readSoapEnvelope(soapText, '1.1');
    } catch (err) {
      fail(err instanceof SoapFaultSignal ? err.fault.reason : String(err));
    }
    const main = firstChild(env.header, XI30_NS, 'Main');
    if (!main) fail('SOAP header has no SAP:Main', 'MESSAGE.MISSING_MAIN');
    if (main.attrs.get('versionMajor') !== '3') fail('SAP:Main versionMajor must be 3');
    const get = (name: string) => textOf(firstChild(main, XI30_NS, name)).trim();
    const messageId = get('MessageId');
    if (!UUID.test(messageId)) fail(`SAP:MessageId "${messageId}" is not a GUID`, 'MESSAGE.INVALID_ID');
    const rm = firstChild(env.header, XI30_NS, 'ReliableMessaging');
    const qos = textOf(firstChild(rm, XI30_NS, 'QualityOfService')).trim();
    if (!QOS.has(qos)) fail(`SAP:ReliableMessaging/SAP:QualityOfService "${qos}" is not BestEffort, ExactlyOnce or ExactlyOnceInOrder`);
    const mode = get('ProcessingMode');
    if ((qos === 'BestEffort') !== (mode === 'synchronous')) fail(`ProcessingMode "${mode}" does not fit quality of service ${qos}`);
    const iface = firstChild(main, XI30_NS, 'Interface');
    const ifaceName = textOf(iface).trim();
    const ifaceNs = iface?.attrs.get('namespace') ?? '';
    if (ifaceName === '' || ifaceNs === '') fail('SAP:Interface needs a name and a namespace attribute');
    const sender = party(firstChild(main, XI30_NS, 'Sender'));
    if (sender.service === '') fail('SAP:Sender/SAP:Service is empty');
    const payloadRef = firstChild(firstChild(env.body, XI30_NS, 'Manifest'), XI30_NS, 'Payload');
    const href = payloadRef ? attrNS(payloadRef, XLINK_NS, 'href') : undefined;
    if (href === undefined || !href.startsWith('cid:')) fail('SAP:Manifest has no SAP:Payload with xlink:href="cid:..."');
    const attachment = parts.find((p) => p !== soapPart && cid(p) === href.slice(4));
    if (!attachment) fail(`payload attachment <${href.slice(4)}> referenced by the manifest is missing`);
    const sa = req.headers.soapaction;
    const soapAction = (Array.isArray(sa) ? sa[0] : sa)?.trim().replace(/^"(.*)"$/, '$1');
    return {
      messageId,
      qualityOfService: qos as XiQualityOfService,
      processingMode: mode,
      messageClass: get('MessageClass'),
      timeSent: get('TimeSent'),
      sender,
      receiver: party(firstChild(main, XI30_NS, 'Receiver')),
      interface: ifaceName,
      interfaceNamespace: ifaceNs,
      payload: Buffer.from(attachment.body),
      payloadContentType: attachment.headers.get('content-type') ?? 'application/octet-stream',
      ...(soapAction !== undefined ? { soapAction } : {}),
      user: who.user,
      sessionHash: who.sessionHash,
      duplicate: false,
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readRequestBody(req);
    if ((req.method ?? 'GET').toUpperCase() !== 'POST') return reply(res, 405, { Allow: 'POST', 'Content-Type': 'text/plain' }, 'use POST');
    const who = auth.authenticate(req, res);
    if (!who) return;
    const errorReply = (e: XiMockError): void => {
      extra.errors++;
      reply(res, e.status ?? 500, { 'Content-Type': 'text/xml; charset=utf-8' }, xiErrorEnvelope(e));
    };
    let msg: XiMockMessage;
    try {
      msg = readMessage(req, body, who);
    } catch (err) {
      if (err instanceof XiProtocolError) return errorReply(err.xi);
      throw err;
    }
    extra.messages++;
    const configured = errors.get(msg.interface);
    if (configured) return errorReply(configured);

    if (msg.qualityOfService !== 'BestEffort') {
      extra.exactlyOnce++;
      msg.duplicate = persisted.has(msg.messageId);
      if (msg.duplicate) extra.duplicates++;
      else persisted.add(msg.messageId);
      messages.push(msg);
      const ack = `<?xml version="1.0" encoding="utf-8"?><SOAP:Envelope xmlns:SOAP="${SOAP11_NS}"><SOAP:Header/><SOAP:Body/></SOAP:Envelope>`;
      return reply(res, 200, { 'Content-Type': 'text/xml; charset=utf-8' }, ack);
    }

    extra.bestEffort++;
    messages.push(msg);
    let out: { payload: string | Buffer; contentType?: string } = { payload: msg.payload, contentType: msg.payloadContentType };
    const handler = handlers[msg.interface];
    if (handler) {
      const r = handler(msg);
      if ('text' in r) return errorReply(r);
      out = r;
    }
    const id = randomUUID();
    const payloadCid = `payload-${id.replace(/-/g, '')}@sap.com`;
    const soapCid = `soap-${id.replace(/-/g, '')}@sap.com`;
    const envelope =
      `<?xml version="1.0" encoding="utf-8"?><SOAP:Envelope xmlns:SOAP="${SOAP11_NS}" xmlns:SAP="${XI30_NS}"><SOAP:Header>` +
      `<SAP:Main versionMajor="3" versionMinor="0" SOAP:mustUnderstand="1"><SAP:MessageClass>ApplicationResponse</SAP:MessageClass>` +
      `<SAP:ProcessingMode>synchronous</SAP:ProcessingMode><SAP:MessageId>${id}</SAP:MessageId><SAP:RefToMessageId>${msg.messageId}</SAP:RefToMessageId>` +
      `<SAP:TimeSent>${new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')}</SAP:TimeSent>` +
      partyXml('Sender', msg.receiver) +
      partyXml('Receiver', msg.sender) +
      `<SAP:Interface namespace="${escapeXml(msg.interfaceNamespace)}">${escapeXml(msg.interface)}</SAP:Interface></SAP:Main>` +
      `<SAP:ReliableMessaging SOAP:mustUnderstand="1"><SAP:QualityOfService>BestEffort</SAP:QualityOfService></SAP:ReliableMessaging>` +
      `</SOAP:Header><SOAP:Body><SAP:Manifest xmlns:xlink="${XLINK_NS}"><SAP:Payload xlink:type="simple" xlink:href="cid:${payloadCid}">` +
      `<SAP:Name>MainDocument</SAP:Name><SAP:Type>Application</SAP:Type></SAP:Payload></SAP:Manifest></SOAP:Body></SOAP:Envelope>`;
    const mp = buildMultipartRelated([
      { contentId: soapCid, contentType: 'text/xml; charset=utf-8', body: envelope, description: 'SOAP' },
      { contentId: payloadCid, contentType: out.contentType ?? 'application/xml', body: out.payload, description: 'MainDocument' },
    ]);
    return reply(res, 200, { 'Content-Type': mp.contentType }, mp.body);
  };

  const server = await startMockServer(handle, options);
  return {
    url: server.url,
    port: server.port,
    endpoint: `${server.url}/sap/xi/engine?type=entry`,
    stats: () => ({ ...auth.stats(), ...extra }),
    messages: () => messages.map((m) => ({ ...m, sender: { ...m.sender }, receiver: { ...m.receiver } })),
    setError: (name, e) => {
      if (e) errors.set(name, e);
      else errors.delete(name);
    },
    resetStats: () => {
      auth.resetStats();
      messages = [];
      extra = { messages: 0, bestEffort: 0, exactlyOnce: 0, duplicates: 0, errors: 0 };
    },
    forgetSessions: () => auth.forgetSessions(),
    close: () => server.close(),
  };
}
