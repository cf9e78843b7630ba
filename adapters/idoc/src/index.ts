/**
 * The built-in IDoc receiver adapter: posts IDoc XML to the SAP SOAP runtime's IDoc endpoint
 * (`/sap/bc/srt/idoc?sap-client=NNN`), as a SOAP 1.1 call (`text/xml`, one IDoc per call) or
 * as is (`application/x-sap.idoc`, several IDocs per call), and hands the IDoc numbers the
 * backend assigned to the flow as the exchange property `idocNumbers`. Written only against
 * `@sessionflow/sdk` (plus the envelope helpers of `@sessionflow/adapter-soap`).
 */
import { AdapterError, configWithDefaults, defineAdapter, displayUrl, headerValue, httpStatusText, outboundHeaders, resolveStepUrl, statusError } from '@sessionflow/sdk';
import type { AdapterContext, AdapterDefinition, AdapterResult, OutboundMessage } from '@sessionflow/sdk';
import {
  attribute,
  buildEnvelope,
  child,
  elementChildren,
  escapeText,
  parseXml,
  rootElement,
  SOAP_AUTH,
  soapFaultError,
  soapRequestHeaders,
  textContent,
  trySoapAnswer,
  XmlSyntaxError,
  type SoapAnswer,
  type XmlElement,
} from '@sessionflow/adapter-soap';

export type IdocContentType = 'text/xml' | 'application/x-sap.idoc';

/** The receiver `config` of the idoc adapter (after defaults). */
export interface IdocAdapterConfig {
  sapClient?: string;
  path: string;
  contentType: IdocContentType;
  soapAction: string;
  messageIdHeader: string;
}

/** Response header with the assigned IDoc number(s), comma-separated (as SAP Cloud Integration names it). */
export const IDOC_NUMBERS_HEADER = 'sapidocdbid';
/** Response header with the transfer id of the posting. */
export const IDOC_TRANSFER_ID_HEADER = 'sapidoctransferid';

export const configSchema = {
  type: 'object',
  title: 'IDoc receiver settings',
  additionalProperties: false,
  properties: {
    sapClient: {
      title: 'SAP client',
      description: 'Three-digit SAP client (Mandant) the IDocs are posted to; sent as the sap-client query parameter (replacing one in the address).',
      type: 'string',
      pattern: '^[0-9]{3}$',
      examples: ['100', '800'],
    },
    path: {
      title: 'IDoc endpoint path',
      description: 'Path of the IDoc service, resolved like a link against the receiver address. A path on the step wins.',
      type: 'string',
      minLength: 1,
      default: '/sap/bc/srt/idoc',
    },
    contentType: {
      title: 'Request type',
      description: 'How the IDoc XML is posted.',
      type: 'string',
      enum: ['text/xml', 'application/x-sap.idoc'],
      enumDescriptions: [
        'A SOAP 1.1 call with the IDoc XML in the Body; one IDoc per call',
        'The IDoc XML as it is (no envelope); several IDocs per call',
      ],
      default: 'text/xml',
    },
    soapAction: {
      title: 'SOAP action',
      description: 'SOAPAction header of the SOAP call (text/xml only), sent quoted.',
      type: 'string',
      default: '',
    },
    messageIdHeader: {
      title: 'Message id header',
      description:
        'Message header whose value is written into an empty or missing ARCKEY field of each IDoc\'s control record (EDI_DC40), ' +
        'so the backend recognises a retried exchange as a duplicate. Nothing is written when the header is missing.',
      type: 'string',
      default: 'SapMessageId',
    },
  },
} as const;

function readConfig(raw: Record<string, unknown>): IdocAdapterConfig {
  const c = configWithDefaults(adapter, raw);
  return {
    ...(typeof c.sapClient === 'string' ? { sapClient: c.sapClient } : {}),
    path: typeof c.path === 'string' && c.path !== '' ? c.path : '/sap/bc/srt/idoc',
    contentType: c.contentType === 'application/x-sap.idoc' ? 'application/x-sap.idoc' : 'text/xml',
    soapAction: typeof c.soapAction === 'string' ? c.soapAction : '',
    messageIdHeader: typeof c.messageIdHeader === 'string' ? c.messageIdHeader : 'SapMessageId',
  };
}

function invalid(receiverName: string, why: string, extra: Record<string, unknown> = {}): AdapterError {
  return new AdapterError('SF_IDOC_INVALID', `message body for receiver "${receiverName}" is not IDoc XML: ${why}`, extra);
}

export interface IdocInfo {
  idocType: string;
  messageType: string;
}

/**
 * Checks the IDoc XML (root element with `<IDOC BEGIN="1">` children, each with a control record
 * `<EDI_DC40 SEGMENT="1">` naming IDOCTYP and MESTYP) and, when `archiveKey` is given, writes it
 * into empty or missing ARCKEY fields. Returns the XML to send (declaration dropped) and the IDocs.
 */
export function prepareIdocXml(receiverName: string, body: Uint8Array, archiveKey?: string): { xml: string; idocs: IdocInfo[] } {
  const text = new TextDecoder('utf-8').decode(body);
  let root: XmlElement;
  let doc;
  try {
    doc = parseXml(text);
    root = rootElement(doc);
  } catch (err) {
    if (err instanceof XmlSyntaxError) {
      const where = err.line !== undefined ? ` (line ${err.line}, column ${err.column ?? 1})` : '';
      throw invalid(receiverName, `not well-formed XML: ${err.message}${where}`);
    }
    throw err;
  }
  const idocs = elementChildren(root, '', 'IDOC');
  if (idocs.length === 0) throw invalid(receiverName, `<${root.name}> holds no <IDOC BEGIN="1"> element`);
  const infos: IdocInfo[] = [];
  const edits: { start: number; end: number; text: string }[] = [];
  idocs.forEach((idoc, i) => {
    if (attribute(idoc, '', 'BEGIN') !== '1') throw invalid(receiverName, `IDOC #${i + 1} lacks the attribute BEGIN="1"`);
    const dc = child(idoc, '', 'EDI_DC40');
    if (!dc || attribute(dc, '', 'SEGMENT') !== '1') throw invalid(receiverName, `IDOC #${i + 1} has no control record <EDI_DC40 SEGMENT="1">`);
    const idocType = textContent(child(dc, '', 'IDOCTYP')).trim();
    const messageType = textContent(child(dc, '', 'MESTYP')).trim();
    if (idocType === '' || messageType === '') throw invalid(receiverName, `the control record of IDOC #${i + 1} needs IDOCTYP and MESTYP`);
    infos.push({ idocType, messageType });
    if (archiveKey !== undefined) {
      const arckey = child(dc, '', 'ARCKEY');
      if (!arckey) {
        const close = doc.text.lastIndexOf('</', dc.end - 1);
        edits.push({ start: close, end: close, text: `<ARCKEY>${escapeText(archiveKey)}</ARCKEY>` });
      } else if (textContent(arckey).trim() === '') {
        edits.push({ start: arckey.start, end: arckey.end, text: `<ARCKEY>${escapeText(archiveKey)}</ARCKEY>` });
      }
    }
  });
  let xml = doc.text.slice(root.start, root.end);
  for (const e of edits.sort((a, b) => b.start - a.start)) {
    xml = xml.slice(0, e.start - root.start) + e.text + xml.slice(e.end - root.start);
  }
  return { xml, idocs: infos };
}

/** IDoc numbers from the response: the SapIDocDbId header, else the DbId elements of the SOAP answer. */
export function idocNumbersFrom(headers: Record<string, string>, answer: SoapAnswer | undefined): string[] {
  const header = headers[IDOC_NUMBERS_HEADER];
  if (header !== undefined && header.trim() !== '') return header.split(/[\s,;]+/).filter((n) => n !== '');
  if (!answer) return [];
  const out: string[] = [];
  const walk = (el: XmlElement, depth: number): void => {
    if (depth > 16) return;
    for (const c of elementChildren(el)) {
      if (c.local === 'DbId') {
        const n = textContent(c).trim();
        if (n !== '') out.push(n);
      } else {
        walk(c, depth + 1);
      }
    }
  };
  walk(answer.body, 0);
  return out;
}

async function send(message: OutboundMessage, context: AdapterContext): Promise<AdapterResult> {
  const { receiver, step } = context;
  const config = readConfig(receiver.config ?? {});
  const method = (step.method ?? 'POST').toUpperCase();
  if (method !== 'POST') throw new AdapterError('SF_IDOC_METHOD', `receiver "${receiver.name}": IDocs are POSTed; the step asks for ${method}`);
  const url = resolveStepUrl(receiver.address, step.path ?? config.path, step.query, { receiver: receiver.name, code: 'SF_IDOC_INVALID_URL' });
  if (config.sapClient !== undefined) url.searchParams.set('sap-client', config.sapClient);

  const archiveKey = config.messageIdHeader !== '' ? headerValue(message.headers, config.messageIdHeader)?.trim() : undefined;
  const { xml, idocs } = prepareIdocXml(receiver.name, message.body, archiveKey !== '' ? archiveKey : undefined);
  const soap = config.contentType === 'text/xml';
  if (soap && idocs.length > 1) {
    throw invalid(receiver.name, `it holds ${idocs.length} IDocs, but a SOAP (text/xml) posting takes one; set contentType to "application/x-sap.idoc" to post several in one call`);
  }
  const { headers: fromStep, dropped } = outboundHeaders(step.headers, { owned: ['content-type', 'soapaction'] });
  if (dropped.length > 0) context.log.debug('step headers not sent (managed by the adapter, the session client or the HTTP stack)', { headers: dropped });
  const headers = soap ? { ...fromStep, ...soapRequestHeaders('1.1', config.soapAction) } : { ...fromStep, 'Content-Type': 'application/x-sap.idoc; charset=utf-8' };
  const payload = soap ? buildEnvelope('1.1', xml) : `<?xml version="1.0" encoding="utf-8"?>${xml}`;
  context.log.debug(`POST ${displayUrl(url)}`, {
    receiver: receiver.name,
    step: step.stepId,
    contentType: config.contentType,
    idocs: idocs.map((i) => `${i.messageType}/${i.idocType}`),
  });

  const response = await context.http.request({ method: 'POST', url: url.href, headers, body: new TextEncoder().encode(payload), signal: context.signal });
  const where = `POST ${displayUrl(url)}`;
  const { answer, notSoap } = trySoapAnswer(response.body);
  if (answer?.fault) throw soapFaultError(receiver.name, answer.fault, response.status, { url: displayUrl(url) });
  if (response.status < 200 || response.status > 299) {
    throw statusError(receiver.name, 'POST', url, response, { code: 'SF_IDOC_HTTP_STATUS' });
  }
  if (soap && notSoap !== undefined) {
    throw new AdapterError('SF_IDOC_BAD_RESPONSE', `receiver "${receiver.name}" answered ${httpStatusText(response.status)} for ${where} with a body that ${notSoap}`, {
      status: response.status,
      url: displayUrl(url),
    });
  }
  const idocNumbers = idocNumbersFrom(response.headers, answer);
  const transferId = response.headers[IDOC_TRANSFER_ID_HEADER];
  context.log.info(`posted ${idocs.length} IDoc(s)`, { receiver: receiver.name, idocNumbers });
  const properties: Record<string, unknown> = {
    idocNumbers,
    ...(transferId !== undefined ? { idocTransferId: transferId } : {}),
    ...(archiveKey !== undefined && archiveKey !== '' ? { idocArchiveKey: archiveKey } : {}),
  };
  if (answer) {
    return { status: response.status, headers: response.headers, body: new TextEncoder().encode(answer.bodyContent()), contentType: 'application/xml; charset=utf-8', properties };
  }
  return { status: response.status, headers: response.headers, body: new Uint8Array(0), properties };
}

export const adapter: AdapterDefinition = defineAdapter({
  id: 'idoc',
  displayName: 'IDoc',
  version: '0.1.0',
  apiVersion: 1,
  description: 'Posts IDoc XML to an SAP system\'s IDoc endpoint (/sap/bc/srt/idoc) and returns the assigned IDoc numbers as the property idocNumbers.',
  variants: [
    {
      id: 'idoc',
      displayName: 'IDoc (SOAP)',
      direction: 'receiver',
      stepKinds: ['call', 'send'],
      sessionReuse: 'supported',
      csrf: false,
      auth: SOAP_AUTH,
      parallelSafe: true,
      streaming: false,
      contentTypes: { in: ['application/xml', 'text/xml'], out: ['application/xml'] },
      description: 'IDoc XML over SOAP (text/xml) or as application/x-sap.idoc; the IDoc numbers become the property idocNumbers.',
    },
  ],
  configSchema,
  send,
});

export default adapter;
