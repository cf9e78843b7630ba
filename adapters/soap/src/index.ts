/**
 * The built-in SOAP receiver adapter (variants `soap-1.1`, `soap-1.2`, `sap-rm`). Written only
 * against `@sessionflow/sdk`'s public API, exactly as a third-party adapter would be: sessions
 * and credentials are the business of `context.http`; this module shapes the envelope and
 * reads the answer. Its envelope helpers are exported for the idoc and xi adapters.
 */
import { AdapterError, configWithDefaults, defineAdapter, displayUrl, headerValue, httpStatusText, outboundHeaders, resolveStepUrl, statusError } from '@sessionflow/sdk';
import type { AdapterContext, AdapterDefinition, AdapterResult, AuthSupport, OutboundMessage, VariantDeclaration } from '@sessionflow/sdk';
import { reliableMessageId, truncate } from './common.js';
import {
  buildEnvelope,
  insertHeaderEntries,
  readPayload,
  soapRequestHeaders,
  trySoapAnswer,
  SoapPayloadError,
  WSA_NS,
  envelopeParts,
  type SoapFault,
  type SoapVersion,
} from './envelope.js';
import { child, escapeAttr, escapeText, textContent } from './xml.js';

export * from './envelope.js';
export * from './common.js';
export {
  parseXml,
  rootElement,
  elementChildren,
  child,
  textContent,
  attribute,
  escapeText,
  escapeAttr,
  standaloneXml,
  isElement,
  XmlSyntaxError,
  type XmlElement,
  type XmlNode,
  type XmlDocument,
} from './xml.js';

export type WrapBody = 'auto' | 'always' | 'never';
export type ResponseMode = 'body' | 'envelope';

/** The receiver `config` of the soap adapter (after defaults). */
export interface SoapAdapterConfig {
  soapAction?: string;
  operation?: string;
  operationNamespace?: string;
  wrapBody: WrapBody;
  responseMode: ResponseMode;
  messageIdHeader: string;
}

const NCNAME = '^[A-Za-z_][A-Za-z0-9._-]*$';

export const configSchema = {
  type: 'object',
  title: 'SOAP receiver settings',
  additionalProperties: false,
  properties: {
    soapAction: {
      title: 'SOAP action',
      description:
        'The operation\'s action URI. SOAP 1.1 and SAP RM: sent as the SOAPAction header (quoted; "" when not set). ' +
        'SOAP 1.2: the action parameter of the Content-Type (left out when not set). A SOAPAction header on the step wins.',
      type: 'string',
      examples: ['http://sap.com/xi/WebService/soap1.1', 'urn:example:orders/CreateOrder'],
    },
    operation: {
      title: 'Operation element',
      description:
        'Wraps the message body in this element (document/literal wrapped style) unless the body\'s root element already has this name. ' +
        'Not set: the message body goes into the SOAP Body as it is.',
      type: 'string',
      pattern: NCNAME,
      examples: ['CreateOrder'],
    },
    operationNamespace: {
      title: 'Operation namespace',
      description: 'Namespace URI of the operation element (default namespace declaration on it). Used only with "operation".',
      type: 'string',
      examples: ['urn:example:orders'],
    },
    wrapBody: {
      title: 'Wrap the message body',
      description: 'When the message body is wrapped in the SOAP Envelope and Body of the variant\'s version.',
      type: 'string',
      enum: ['auto', 'always', 'never'],
      enumDescriptions: [
        'Wrap, unless the body already is a SOAP envelope (it must then be of the variant\'s SOAP version)',
        'Always wrap, even a body that is an envelope itself',
        'Never wrap: the body must be a complete envelope, sent as it is',
      ],
      default: 'auto',
    },
    responseMode: {
      title: 'Response body',
      description: 'What becomes the message body after a call.',
      type: 'string',
      enum: ['body', 'envelope'],
      enumDescriptions: [
        'The content of the SOAP Body (namespaces declared on the envelope are copied onto it)',
        'The whole SOAP envelope, as received',
      ],
      default: 'body',
    },
    messageIdHeader: {
      title: 'Message id header (SAP RM)',
      description:
        'sap-rm only: message header whose UUID is reused as the message id (WS-Addressing MessageID), so a retried exchange is ' +
        'recognised as a duplicate by the receiver. A new UUID is generated when the header is missing.',
      type: 'string',
      default: 'SapMessageId',
    },
  },
} as const;

function readConfig(raw: Record<string, unknown>): SoapAdapterConfig {
  const c = configWithDefaults(adapter, raw);
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  return {
    ...(str(c.soapAction) !== undefined ? { soapAction: str(c.soapAction) } : {}),
    ...(str(c.operation) ? { operation: str(c.operation) } : {}),
    ...(str(c.operationNamespace) !== undefined ? { operationNamespace: str(c.operationNamespace) } : {}),
    wrapBody: c.wrapBody === 'always' || c.wrapBody === 'never' ? c.wrapBody : 'auto',
    responseMode: c.responseMode === 'envelope' ? 'envelope' : 'body',
    messageIdHeader: str(c.messageIdHeader) ?? 'SapMessageId',
  };
}

/** `receiver "X": SOAP fault soap:Server — reason` as an AdapterError (code SF_SOAP_FAULT). */
export function soapFaultError(receiverName: string, fault: SoapFault, status: number, extra: Record<string, unknown> = {}): AdapterError {
  return new AdapterError('SF_SOAP_FAULT', `receiver "${receiverName}": SOAP fault ${fault.faultCode || '(no code)'} — ${truncate(fault.faultReason || '(no reason)')}`, {
    faultCode: fault.faultCode,
    faultReason: fault.faultReason,
    ...(fault.subcodes.length > 0 ? { faultSubcodes: fault.subcodes } : {}),
    ...(fault.faultActor !== undefined ? { faultActor: fault.faultActor } : {}),
    ...(fault.detail !== undefined ? { faultDetail: fault.detail } : {}),
    soapVersion: fault.version,
    status,
    ...extra,
  });
}

function payloadError(receiverName: string, err: SoapPayloadError): AdapterError {
  const where = err.line !== undefined ? ` (line ${err.line}, column ${err.column ?? 1})` : '';
  return new AdapterError('SF_SOAP_INVALID_BODY', `message body for receiver "${receiverName}" ${err.message}${where}`, {
    ...(err.line !== undefined ? { line: err.line, column: err.column } : {}),
  });
}

/**
 * Builds the envelope text for a message: wraps it (or not) per `wrapBody`, wraps it in the
 * operation element when configured, and adds the given header entries.
 */
export function envelopeFor(
  receiverName: string,
  variantId: string,
  version: SoapVersion,
  body: Uint8Array,
  options: { wrapBody: WrapBody; operation?: string; operationNamespace?: string; headerEntries?: string[] },
): { envelope: string; wrapped: boolean; existingMessageId?: string } {
  let payload;
  try {
    payload = readPayload(body);
  } catch (err) {
    if (err instanceof SoapPayloadError) throw payloadError(receiverName, err);
    throw err;
  }
  const entries = options.headerEntries ?? [];
  if (payload.kind === 'envelope' && options.wrapBody !== 'always') {
    if (payload.version !== version) {
      throw new AdapterError(
        'SF_SOAP_VERSION_MISMATCH',
        `message body for receiver "${receiverName}" is a SOAP ${payload.version} envelope, but variant "${variantId}" sends SOAP ${version}; ` +
          `send the bare payload (it is wrapped in a SOAP ${version} envelope) or use variant "soap-${payload.version}"`,
        { bodyVersion: payload.version, variantVersion: version },
      );
    }
    let parts;
    try {
      parts = envelopeParts(payload.root);
    } catch (err) {
      if (err instanceof SoapPayloadError) throw payloadError(receiverName, err);
      throw err;
    }
    const existing = textContent(child(parts.header, WSA_NS, 'MessageID')).trim();
    const add = existing !== '' ? entries.filter((e) => !e.includes(':MessageID')) : entries;
    let text = payload.text;
    if (add.length > 0) text = insertHeaderEntries(text, payload.root, add);
    return { envelope: text, wrapped: false, ...(existing !== '' ? { existingMessageId: existing } : {}) };
  }
  if (options.wrapBody === 'never') {
    throw new AdapterError(
      'SF_SOAP_INVALID_BODY',
      `message body for receiver "${receiverName}" is not a SOAP envelope, and wrapBody is "never"; set wrapBody to "auto" to wrap it`,
    );
  }
  let inner = payload.kind === 'empty' ? '' : payload.kind === 'envelope' ? payload.text.slice(payload.root.start, payload.root.end) : payload.xml;
  if (options.operation !== undefined) {
    const roots = payload.kind === 'fragment' ? payload.roots : [];
    const already = roots.length === 1 && roots[0]?.local === options.operation;
    if (!already) {
      const ns = options.operationNamespace !== undefined ? ` xmlns="${escapeAttr(options.operationNamespace)}"` : '';
      inner = `<${options.operation}${ns}>${inner}</${options.operation}>`;
    }
  }
  return { envelope: buildEnvelope(version, inner, entries), wrapped: true };
}

/** The auth types of the SOAP-based adapters (soap, idoc, xi): what the SAP SOAP runtime accepts. */
export const SOAP_AUTH: AuthSupport[] = [
  { type: 'none' },
  { type: 'basic' },
  {
    type: 'client-certificate',
    proxies: ['internet'],
    note: 'a client certificate cannot be presented through an on-premise connector (the TLS session ends at the connector)',
  },
  {
    type: 'principal-propagation',
    proxies: ['onPremise'],
    note: 'the user is propagated by the on-premise connector',
  },
];

const VARIANTS: VariantDeclaration[] = [
  {
    id: 'soap-1.1',
    displayName: 'SOAP 1.1',
    direction: 'receiver',
    stepKinds: ['call', 'send'],
    sessionReuse: 'supported',
    csrf: false,
    auth: SOAP_AUTH,
    parallelSafe: true,
    streaming: false,
    contentTypes: { in: ['application/xml', 'text/xml'], out: ['application/xml', 'text/xml'] },
    description: 'SOAP 1.1: text/xml with a SOAPAction header; request-reply (call) or one-way (send).',
  },
  {
    id: 'soap-1.2',
    displayName: 'SOAP 1.2',
    direction: 'receiver',
    stepKinds: ['call', 'send'],
    sessionReuse: 'supported',
    csrf: false,
    auth: SOAP_AUTH,
    parallelSafe: true,
    streaming: false,
    contentTypes: { in: ['application/xml', 'text/xml'], out: ['application/xml', 'application/soap+xml'] },
    description: 'SOAP 1.2: application/soap+xml with the action parameter; request-reply (call) or one-way (send).',
  },
  {
    id: 'sap-rm',
    displayName: 'SAP RM (one-way)',
    direction: 'receiver',
    stepKinds: ['send'],
    sessionReuse: 'supported',
    csrf: false,
    auth: SOAP_AUTH,
    parallelSafe: true,
    streaming: false,
    contentTypes: { in: ['application/xml', 'text/xml'], out: [] },
    description:
      'SAP Reliable Messaging over plain SOAP 1.1: one-way (send) only, a WS-Addressing MessageID per message for duplicate detection; HTTP 200 or 202 means accepted.',
  },
];

function versionOf(variant: string): SoapVersion {
  return variant === 'soap-1.2' ? '1.2' : '1.1';
}

async function send(message: OutboundMessage, context: AdapterContext): Promise<AdapterResult> {
  const { receiver, step } = context;
  const variant = receiver.variant || 'soap-1.1';
  if (!VARIANTS.some((v) => v.id === variant)) {
    throw new AdapterError('SF_SOAP_VARIANT', `receiver "${receiver.name}" names variant "${variant}", which the soap adapter does not have (soap-1.1, soap-1.2, sap-rm)`);
  }
  const oneWay = variant === 'sap-rm';
  if (oneWay && step.kind === 'call') {
    throw new AdapterError('SF_SOAP_ONE_WAY', `receiver "${receiver.name}" uses variant "sap-rm", which is one-way: use a send step, not call`);
  }
  const config = readConfig(receiver.config ?? {});
  const version = versionOf(variant);
  const method = (step.method ?? 'POST').toUpperCase();
  if (method !== 'POST') {
    throw new AdapterError('SF_SOAP_METHOD', `receiver "${receiver.name}": SOAP requests are POSTed; the step asks for ${method}`);
  }
  const url = resolveStepUrl(receiver.address, step.path, step.query, { receiver: receiver.name, code: 'SF_SOAP_INVALID_URL' });
  const action = headerValue(step.headers, 'SOAPAction')?.trim().replace(/^"(.*)"$/, '$1') ?? config.soapAction;

  let messageId: string | undefined;
  const headerEntries: string[] = [];
  if (oneWay) {
    const id = reliableMessageId('SF_SOAP_INVALID_MESSAGE_ID', receiver.name, message.headers, config.messageIdHeader);
    messageId = id.id;
    headerEntries.push(`<wsa:MessageID xmlns:wsa="${WSA_NS}">uuid:${messageId}</wsa:MessageID>`);
    if (action !== undefined && action !== '') headerEntries.push(`<wsa:Action xmlns:wsa="${WSA_NS}">${escapeText(action)}</wsa:Action>`);
  }
  const built = envelopeFor(receiver.name, variant, version, message.body, {
    wrapBody: config.wrapBody,
    ...(config.operation !== undefined ? { operation: config.operation } : {}),
    ...(config.operationNamespace !== undefined ? { operationNamespace: config.operationNamespace } : {}),
    headerEntries,
  });
  if (oneWay && built.existingMessageId !== undefined) messageId = built.existingMessageId.replace(/^uuid:/i, '');

  const { headers: fromStep, dropped } = outboundHeaders(step.headers, { owned: ['content-type', 'soapaction'] });
  if (dropped.length > 0) context.log.debug('step headers not sent (managed by the adapter, the session client or the HTTP stack)', { headers: dropped });
  const headers = { ...fromStep, ...soapRequestHeaders(version, action) };
  context.log.debug(`POST ${displayUrl(url)}`, {
    receiver: receiver.name,
    step: step.stepId,
    soapVersion: version,
    ...(action !== undefined ? { soapAction: action } : {}),
    ...(messageId !== undefined ? { messageId } : {}),
    wrapped: built.wrapped,
  });

  const response = await context.http.request({
    method: 'POST',
    url: url.href,
    headers,
    body: new TextEncoder().encode(built.envelope),
    signal: context.signal,
  });
  const where = `POST ${displayUrl(url)}`;
  const properties: Record<string, unknown> = oneWay && messageId !== undefined ? { sapMessageId: messageId } : {};

  const { answer, notSoap } = trySoapAnswer(response.body);
  if (answer?.fault) throw soapFaultError(receiver.name, answer.fault, response.status, { url: displayUrl(url) });
  if (response.status < 200 || response.status > 299) {
    throw statusError(receiver.name, 'POST', url, response, { code: 'SF_SOAP_HTTP_STATUS', note: 'without a SOAP fault' });
  }
  if (notSoap !== undefined) {
    throw new AdapterError('SF_SOAP_BAD_RESPONSE', `receiver "${receiver.name}" answered ${httpStatusText(response.status)} for ${where} with a body that ${notSoap}`, {
      status: response.status,
      url: displayUrl(url),
      contentType: response.headers['content-type'],
    });
  }
  if (answer && answer.version !== version) {
    throw new AdapterError('SF_SOAP_BAD_RESPONSE', `receiver "${receiver.name}" answered a SOAP ${answer.version} envelope to a SOAP ${version} request (${where})`, {
      status: response.status,
      url: displayUrl(url),
    });
  }
  if (oneWay || !answer) {
    // One-way: 200/202, empty or an envelope without fault, means accepted.
    return { status: response.status, headers: response.headers, body: new Uint8Array(0), properties };
  }
  if (config.responseMode === 'envelope') {
    return {
      status: response.status,
      headers: response.headers,
      body: response.body,
      contentType: response.headers['content-type'] ?? (version === '1.1' ? 'text/xml; charset=utf-8' : 'application/soap+xml; charset=utf-8'),
    };
  }
  return {
    status: response.status,
    headers: response.headers,
    body: new TextEncoder().encode(answer.bodyContent()),
    contentType: 'application/xml; charset=utf-8',
  };
}

export const adapter: AdapterDefinition = defineAdapter({
  id: 'soap',
  displayName: 'SOAP',
  version: '0.1.0',
  apiVersion: 1,
  description: 'Calls SOAP 1.1 and 1.2 web services, and sends one-way SAP RM messages: envelope wrapping, SOAPAction, faults as step errors.',
  variants: VARIANTS,
  defaultVariant: 'soap-1.1',
  configSchema,
  send,
});

export default adapter;
