/**
 * The built-in XI receiver adapter: the XI 3.0 message protocol of SAP Process Integration and
 * ABAP proxies. A message is `multipart/related`: a SOAP 1.1 envelope whose Header carries the
 * XI message header (SAP:Main, SAP:ReliableMessaging) and whose Body holds the SAP:Manifest,
 * then the payload as an attachment referenced from the manifest by Content-ID.
 *
 * Quality of service is the variant, so that the language server's step-kind check sees it:
 * `xi-be` (BestEffort, synchronous: `call` or `send`) and `xi-eo` (ExactlyOnce, asynchronous:
 * `send` only, with a message id the receiver uses for duplicate detection).
 */
import { randomUUID } from 'node:crypto';
import { AdapterError, configWithDefaults, defineAdapter, displayUrl, httpStatusText, outboundHeaders, resolveStepUrl, statusError } from '@sessionflow/sdk';
import type { AdapterContext, AdapterDefinition, AdapterResult, OutboundMessage } from '@sessionflow/sdk';
import {
  attribute,
  buildEnvelope,
  child,
  escapeAttr,
  escapeText,
  readSoapAnswer,
  reliableMessageId,
  SOAP_AUTH,
  soapFaultError,
  SoapAnswerError,
  textContent,
  type SoapAnswer,
} from '@sessionflow/adapter-soap';

export const XI30_NS = 'http://sap.com/xi/XI/Message/30';
export const XLINK_NS = 'http://www.w3.org/1999/xlink';
/** SOAPAction of every XI 3.0 message. */
export const XI_SOAP_ACTION = 'http://sap.com/xi/XI/Message/30';

export type XiVariant = 'xi-be' | 'xi-eo';

/** The receiver `config` of the xi adapter (after defaults). */
export interface XiAdapterConfig {
  senderParty: string;
  senderService: string;
  receiverParty: string;
  receiverService: string;
  interface: string;
  interfaceNamespace: string;
  messageIdHeader: string;
}

export const configSchema = {
  type: 'object',
  title: 'XI receiver settings',
  additionalProperties: false,
  required: ['senderService', 'interface', 'interfaceNamespace'],
  properties: {
    senderParty: {
      title: 'Sender party',
      description: 'Communication party of the sender (SAP:Sender/SAP:Party). Usually empty.',
      type: 'string',
      default: '',
    },
    senderService: {
      title: 'Sender service',
      description: 'Business system or component of the sender (SAP:Sender/SAP:Service), as the receiver knows it.',
      type: 'string',
      minLength: 1,
      examples: ['BS_CPI', 'INTEGRATION_SUITE'],
    },
    receiverParty: {
      title: 'Receiver party',
      description: 'Communication party of the receiver (SAP:Receiver/SAP:Party). Usually empty.',
      type: 'string',
      default: '',
    },
    receiverService: {
      title: 'Receiver service',
      description: 'Business system of the receiver (SAP:Receiver/SAP:Service), e.g. the ABAP system\'s business system name.',
      type: 'string',
      default: '',
      examples: ['S4H_100'],
    },
    interface: {
      title: 'Interface',
      description: 'Service interface name (SAP:Interface), e.g. the inbound proxy\'s interface.',
      type: 'string',
      minLength: 1,
      examples: ['SalesOrderCreate_In'],
    },
    interfaceNamespace: {
      title: 'Interface namespace',
      description: 'Namespace of the service interface (the namespace attribute of SAP:Interface).',
      type: 'string',
      minLength: 1,
      examples: ['http://sap.com/xi/APPL/Global2'],
    },
    messageIdHeader: {
      title: 'Message id header',
      description:
        'Message header whose UUID is reused as the XI message id (SAP:MessageId), so that the receiver recognises a retried ' +
        'exchange as a duplicate (essential for ExactlyOnce). A new UUID is generated when the header is missing.',
      type: 'string',
      default: 'SapMessageId',
    },
  },
} as const;

function readConfig(receiverName: string, raw: Record<string, unknown>): XiAdapterConfig {
  const c = configWithDefaults(adapter, raw);
  const str = (name: string): string => (typeof c[name] === 'string' ? (c[name] as string) : '');
  const config: XiAdapterConfig = {
    senderParty: str('senderParty'),
    senderService: str('senderService'),
    receiverParty: str('receiverParty'),
    receiverService: str('receiverService'),
    interface: str('interface'),
    interfaceNamespace: str('interfaceNamespace'),
    messageIdHeader: typeof c.messageIdHeader === 'string' ? c.messageIdHeader : 'SapMessageId',
  };
  const missing = (['senderService', 'interface', 'interfaceNamespace'] as const).filter((k) => config[k] === '');
  if (missing.length > 0) {
    throw new AdapterError('SF_XI_CONFIG', `receiver "${receiverName}" (adapter xi) needs config ${missing.join(', ')}: the XI message header names the sender service and the interface`, { missing });
  }
  return config;
}

function party(tag: 'Sender' | 'Receiver', partyName: string, service: string): string {
  const p = partyName === '' ? `<SAP:Party agency="http://sap.com/xi/XI" scheme="XIParty"/>` : `<SAP:Party agency="http://sap.com/xi/XI" scheme="XIParty">${escapeText(partyName)}</SAP:Party>`;
  return `<SAP:${tag}>${p}<SAP:Service>${escapeText(service)}</SAP:Service></SAP:${tag}>`;
}

export interface XiHeader {
  messageId: string;
  qualityOfService: 'BestEffort' | 'ExactlyOnce';
  timeSent: string;
  payloadContentId: string;
}

/** The SOAP envelope of an XI 3.0 request: SAP:Main and SAP:ReliableMessaging in the Header, SAP:Manifest in the Body. */
export function xiEnvelope(config: XiAdapterConfig, h: XiHeader): string {
  const synchronous = h.qualityOfService === 'BestEffort';
  const main =
    `<SAP:Main xmlns:SAP="${XI30_NS}" versionMajor="3" versionMinor="0" soap:mustUnderstand="1">` +
    `<SAP:MessageClass>ApplicationMessage</SAP:MessageClass>` +
    `<SAP:ProcessingMode>${synchronous ? 'synchronous' : 'asynchronous'}</SAP:ProcessingMode>` +
    `<SAP:MessageId>${h.messageId}</SAP:MessageId>` +
    `<SAP:TimeSent>${h.timeSent}</SAP:TimeSent>` +
    party('Sender', config.senderParty, config.senderService) +
    party('Receiver', config.receiverParty, config.receiverService) +
    `<SAP:Interface namespace="${escapeAttr(config.interfaceNamespace)}">${escapeText(config.interface)}</SAP:Interface>` +
    `</SAP:Main>`;
  const rm =
    `<SAP:ReliableMessaging xmlns:SAP="${XI30_NS}" soap:mustUnderstand="1">` +
    `<SAP:QualityOfService>${h.qualityOfService}</SAP:QualityOfService></SAP:ReliableMessaging>`;
  const manifest =
    `<SAP:Manifest xmlns:SAP="${XI30_NS}" xmlns:xlink="${XLINK_NS}">` +
    `<SAP:Payload xlink:type="simple" xlink:href="cid:${escapeAttr(h.payloadContentId)}">` +
    `<SAP:Name>MainDocument</SAP:Name><SAP:Description/><SAP:Type>Application</SAP:Type></SAP:Payload></SAP:Manifest>`;
  return buildEnvelope('1.1', manifest, [main, rm]);
}

export interface MimePart {
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Builds a multipart/related body with CRLF line ends. */
export function multipartRelated(parts: { contentId: string; contentType: string; description?: string; disposition?: string; body: Uint8Array }[], boundary: string): Uint8Array {
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-ID: <${p.contentId}>\r\n`;
    if (p.disposition !== undefined) head += `Content-Disposition: ${p.disposition}\r\n`;
    head += `Content-Type: ${p.contentType}\r\n`;
    if (p.description !== undefined) head += `Content-Description: ${p.description}\r\n`;
    chunks.push(encoder.encode(`${head}\r\n`), p.body, encoder.encode('\r\n'));
  }
  chunks.push(encoder.encode(`--${boundary}--\r\n`));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  outer: for (let i = hay.indexOf(first ?? 0, from); i >= 0 && i <= hay.length - needle.length; i = hay.indexOf(first ?? 0, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Splits a multipart body into parts (header names lower-cased). Throws an Error naming the problem. */
export function parseMultipart(body: Uint8Array, boundary: string): MimePart[] {
  const encoder = new TextEncoder();
  const delimiter = encoder.encode(`--${boundary}`);
  const next = encoder.encode(`\r\n--${boundary}`);
  const parts: MimePart[] = [];
  let at = indexOf(body, delimiter, 0);
  if (at < 0) throw new Error(`boundary "${boundary}" not found`);
  for (let guard = 0; guard < 1000; guard++) {
    at += delimiter.length;
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return parts;
    const lineEnd = indexOf(body, encoder.encode('\r\n'), at);
    if (lineEnd < 0) break;
    const end = indexOf(body, next, lineEnd);
    if (end < 0) break;
    const raw = body.subarray(lineEnd + 2, end);
    const split = indexOf(raw, encoder.encode('\r\n\r\n'), 0);
    const headerText = new TextDecoder('latin1').decode(split < 0 ? raw : raw.subarray(0, split));
    const headers: Record<string, string> = {};
    for (const line of headerText.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: split < 0 ? new Uint8Array(0) : raw.subarray(split + 4) });
    at = end + 2;
  }
  throw new Error('the closing delimiter is missing');
}

function contentTypeParams(value: string | undefined): { type: string; params: Record<string, string> } {
  const [type, ...rest] = (value ?? '').split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return { type: (type ?? '').trim().toLowerCase(), params };
}

const unbracket = (cid: string | undefined): string => (cid ?? '').trim().replace(/^<(.*)>$/, '$1');

/** ` (XI error CODE, category CATEGORY)` from the SAP:Error of a fault; '' when it names neither. */
function xiErrorSuffix(code: unknown, category: unknown): string {
  const c = typeof code === 'string' ? code : '';
  const cat = typeof category === 'string' ? category : '';
  if (c === '' && cat === '') return '';
  if (cat === '') return `(XI error ${c})`;
  return c === '' ? `(XI error, category ${cat})` : `(XI error ${c}, category ${cat})`;
}

/** Reads an XI answer: the SOAP part (faults included) and the payload attachment the manifest references. */
function readXiAnswer(receiverName: string, where: string, status: number, headers: Record<string, string>, body: Uint8Array): { answer?: SoapAnswer; payload?: MimePart } {
  if (body.byteLength === 0) return {};
  const bad = (why: string) => new AdapterError('SF_XI_BAD_RESPONSE', `receiver "${receiverName}" answered ${httpStatusText(status)} for ${where} with ${why}`, { status });
  const ct = contentTypeParams(headers['content-type']);
  let soapBody = body;
  let parts: MimePart[] = [];
  if (ct.type === 'multipart/related') {
    const boundary = ct.params.boundary;
    if (boundary === undefined || boundary === '') throw bad('a multipart/related body without a boundary');
    try {
      parts = parseMultipart(body, boundary);
    } catch (err) {
      throw bad(`a malformed multipart body (${err instanceof Error ? err.message : String(err)})`);
    }
    const start = ct.params.start !== undefined ? unbracket(ct.params.start) : undefined;
    const soapPart = start !== undefined ? parts.find((p) => unbracket(p.headers['content-id']) === start) : parts[0];
    if (!soapPart) throw bad('no SOAP part in the multipart body');
    soapBody = soapPart.body;
  }
  let answer: SoapAnswer;
  try {
    answer = readSoapAnswer(soapBody);
  } catch (err) {
    if (err instanceof SoapAnswerError) {
      if (status < 200 || status > 299) return {};
      throw bad(`a body that ${err.message}`);
    }
    throw err;
  }
  const ref = child(child(answer.body, XI30_NS, 'Manifest'), XI30_NS, 'Payload');
  const href = ref ? attribute(ref, XLINK_NS, 'href') : undefined;
  if (href === undefined || answer.fault) return { answer };
  if (!href.startsWith('cid:')) throw bad(`a manifest payload reference "${href}" that is not a cid: reference`);
  const payload = parts.find((p) => unbracket(p.headers['content-id']) === href.slice(4));
  if (!payload) throw bad(`no attachment for the manifest payload <${href.slice(4)}>`);
  return { answer, payload };
}

async function send(message: OutboundMessage, context: AdapterContext): Promise<AdapterResult> {
  const { receiver, step } = context;
  const variant = (receiver.variant || 'xi-be') as XiVariant;
  if (variant !== 'xi-be' && variant !== 'xi-eo') {
    throw new AdapterError('SF_XI_VARIANT', `receiver "${receiver.name}" names variant "${String(variant)}", which the xi adapter does not have (xi-be, xi-eo)`);
  }
  if (variant === 'xi-eo' && step.kind === 'call') {
    throw new AdapterError('SF_XI_ONE_WAY', `receiver "${receiver.name}" uses variant "xi-eo" (ExactlyOnce), which is one-way: use a send step, not call`);
  }
  const config = readConfig(receiver.name, receiver.config ?? {});
  const method = (step.method ?? 'POST').toUpperCase();
  if (method !== 'POST') throw new AdapterError('SF_XI_METHOD', `receiver "${receiver.name}": XI messages are POSTed; the step asks for ${method}`);
  const url = resolveStepUrl(receiver.address, step.path, step.query, { receiver: receiver.name, code: 'SF_XI_INVALID_URL' });
  const qualityOfService = variant === 'xi-eo' ? 'ExactlyOnce' : 'BestEffort';
  const { id: messageId, reused } = reliableMessageId('SF_XI_INVALID_MESSAGE_ID', receiver.name, message.headers, config.messageIdHeader);
  const compact = messageId.replace(/-/g, '');
  const payloadContentId = `payload-${compact}@sap.com`;
  const soapContentId = `soap-${compact}@sap.com`;
  const envelope = xiEnvelope(config, {
    messageId,
    qualityOfService,
    timeSent: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    payloadContentId,
  });
  const boundary = `SAP_${randomUUID().replace(/-/g, '')}_END`;
  const payloadType = message.contentType ?? 'application/xml';
  const body = multipartRelated(
    [
      { contentId: soapContentId, contentType: 'text/xml; charset=utf-8', description: 'SOAP', disposition: `attachment;filename="${soapContentId}.xml"`, body: new TextEncoder().encode(envelope) },
      { contentId: payloadContentId, contentType: payloadType, description: 'MainDocument', disposition: 'attachment;filename="MainDocument.bin"', body: message.body },
    ],
    boundary,
  );
  const { headers: fromStep, dropped } = outboundHeaders(step.headers, { owned: ['content-type', 'soapaction'] });
  if (dropped.length > 0) context.log.debug('step headers not sent (managed by the adapter, the session client or the HTTP stack)', { headers: dropped });
  const headers = {
    ...fromStep,
    'Content-Type': `multipart/related; boundary=${boundary}; type="text/xml"; start="<${soapContentId}>"`,
    SOAPAction: `"${XI_SOAP_ACTION}"`,
  };
  context.log.debug(`POST ${displayUrl(url)}`, { receiver: receiver.name, step: step.stepId, qualityOfService, messageId, messageIdReused: reused, interface: config.interface });

  const response = await context.http.request({ method: 'POST', url: url.href, headers, body, signal: context.signal });
  const where = `POST ${displayUrl(url)}`;
  const { answer, payload } = readXiAnswer(receiver.name, where, response.status, response.headers, response.body);
  if (answer?.fault) {
    const sapError = child(answer.fault.detailElement, XI30_NS, 'Error') ?? child(answer.header, XI30_NS, 'Error');
    const extra: Record<string, unknown> = { url: displayUrl(url), messageId };
    if (sapError) {
      extra.errorCategory = textContent(child(sapError, XI30_NS, 'Category')).trim();
      extra.errorCode = textContent(child(sapError, XI30_NS, 'Code')).trim();
      const text = textContent(child(sapError, XI30_NS, 'AdditionalText')).trim();
      if (text !== '') extra.errorText = text;
    }
    const err = soapFaultError(receiver.name, answer.fault, response.status, extra);
    const xiError = xiErrorSuffix(extra.errorCode, extra.errorCategory);
    throw xiError === '' ? err : new AdapterError(err.code, `${err.message} ${xiError}`, err.details);
  }
  if (response.status < 200 || response.status > 299) {
    throw statusError(receiver.name, 'POST', url, response, { code: 'SF_XI_HTTP_STATUS', details: { messageId } });
  }
  const properties: Record<string, unknown> = { sapMessageId: messageId, xiQualityOfService: qualityOfService };
  const main = child(answer?.header, XI30_NS, 'Main');
  if (main) {
    const ref = textContent(child(main, XI30_NS, 'RefToMessageId')).trim();
    if (ref !== '' && ref.toLowerCase() !== messageId) {
      throw new AdapterError('SF_XI_BAD_RESPONSE', `receiver "${receiver.name}" answered a response to message ${ref}, not to ${messageId} (${where})`, { status: response.status });
    }
    const responseId = textContent(child(main, XI30_NS, 'MessageId')).trim();
    if (responseId !== '') properties.xiResponseMessageId = responseId;
  }
  if (variant === 'xi-eo' || !payload) {
    return { status: response.status, headers: response.headers, body: new Uint8Array(0), properties };
  }
  const contentType = payload.headers['content-type'];
  return {
    status: response.status,
    headers: response.headers,
    body: payload.body,
    ...(contentType !== undefined ? { contentType } : {}),
    properties,
  };
}

export const adapter: AdapterDefinition = defineAdapter({
  id: 'xi',
  displayName: 'XI',
  version: '0.1.0',
  apiVersion: 1,
  description: 'Sends XI 3.0 messages (multipart/related SOAP with the XI message header) to SAP Process Integration or ABAP proxies: BestEffort (request-reply) or ExactlyOnce (one-way).',
  variants: [
    {
      id: 'xi-be',
      displayName: 'XI BestEffort (synchronous)',
      direction: 'receiver',
      stepKinds: ['call', 'send'],
      sessionReuse: 'supported',
      csrf: false,
      auth: SOAP_AUTH,
      parallelSafe: true,
      streaming: false,
      contentTypes: { in: ['*/*'], out: ['*/*'] },
      description: 'Quality of service BestEffort: synchronous request-reply; the response payload becomes the message body.',
    },
    {
      id: 'xi-eo',
      displayName: 'XI ExactlyOnce (asynchronous)',
      direction: 'receiver',
      stepKinds: ['send'],
      sessionReuse: 'supported',
      csrf: false,
      auth: SOAP_AUTH,
      parallelSafe: true,
      streaming: false,
      contentTypes: { in: ['*/*'], out: [] },
      description: 'Quality of service ExactlyOnce: asynchronous, one-way (send only); the message id lets the receiver drop duplicates.',
    },
  ],
  defaultVariant: 'xi-be',
  configSchema,
  send,
});

export default adapter;
