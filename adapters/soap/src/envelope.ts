/**
 * SOAP envelopes: building requests (wrapping a payload, inserting header entries) and reading
 * answers (version, Header, Body content, faults). Shared by the soap, idoc and xi adapters.
 */
import {
  attribute,
  child,
  elementChildren,
  escapeAttr,
  isElement,
  parseXml,
  prologEnd,
  rootElement,
  standaloneXml,
  stripBom,
  textContent,
  XmlSyntaxError,
  type XmlElement,
} from './xml.js';

export type SoapVersion = '1.1' | '1.2';

export const SOAP_NS: Record<SoapVersion, string> = {
  '1.1': 'http://schemas.xmlsoap.org/soap/envelope/',
  '1.2': 'http://www.w3.org/2003/05/soap-envelope',
};

export const WSA_NS = 'http://www.w3.org/2005/08/addressing';

export function versionOfNamespace(ns: string): SoapVersion | undefined {
  if (ns === SOAP_NS['1.1']) return '1.1';
  if (ns === SOAP_NS['1.2']) return '1.2';
  return undefined;
}

/** Request Content-Type and headers for a SOAP version and action (quoted per the specs). */
export function soapRequestHeaders(version: SoapVersion, action: string | undefined): Record<string, string> {
  if (version === '1.1') {
    return { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: `"${(action ?? '').replace(/"/g, '%22')}"` };
  }
  const param = action !== undefined && action !== '' ? `; action="${action.replace(/["\\]/g, (c) => `\\${c}`)}"` : '';
  return { 'Content-Type': `application/soap+xml; charset=utf-8${param}` };
}

/** What a message body turned out to be. */
export type PayloadKind =
  | { kind: 'empty' }
  | { kind: 'envelope'; version: SoapVersion; root: XmlElement; text: string }
  | { kind: 'fragment'; xml: string; roots: XmlElement[]; text: string };

export class SoapPayloadError extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'SoapPayloadError';
  }
}

/**
 * Reads a message body meant for a SOAP Body: empty, a complete SOAP envelope, or XML element(s).
 * The XML declaration is dropped (it cannot stand inside a Body). Text outside elements is refused.
 */
export function readPayload(body: Uint8Array): PayloadKind {
  const text = stripBom(new TextDecoder('utf-8').decode(body));
  if (text.trim() === '') return { kind: 'empty' };
  let doc;
  try {
    doc = parseXml(text, { fragment: true });
  } catch (err) {
    if (err instanceof XmlSyntaxError) throw new SoapPayloadError(`is not well-formed XML: ${err.message}`, err.line, err.column);
    throw err;
  }
  const stray = doc.nodes.find((n) => !isElement(n) && n.text.trim() !== '');
  if (stray && !isElement(stray)) {
    const t = stray.text.trim();
    throw new SoapPayloadError(`is not XML: text "${t.length > 30 ? `${t.slice(0, 30)}…` : t}" outside any element`);
  }
  const roots = doc.nodes.filter(isElement);
  const first = roots[0];
  if (roots.length === 1 && first && first.local === 'Envelope') {
    const version = versionOfNamespace(first.ns);
    if (version) return { kind: 'envelope', version, root: first, text: doc.text };
  }
  const { end } = prologEnd(doc.text);
  return { kind: 'fragment', xml: doc.text.slice(end).trim(), roots, text: doc.text };
}

/** A complete envelope: `<soap:Envelope><soap:Header>…</soap:Header><soap:Body>payload</soap:Body></soap:Envelope>`. */
export function buildEnvelope(version: SoapVersion, payloadXml: string, headerEntries: string[] = [], extraNamespaces: Record<string, string> = {}): string {
  const decls = Object.entries(extraNamespaces)
    .map(([p, uri]) => ` xmlns:${p}="${escapeAttr(uri)}"`)
    .join('');
  const header = headerEntries.length > 0 ? `<soap:Header>${headerEntries.join('')}</soap:Header>` : '';
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP_NS[version]}"${decls}>${header}<soap:Body>${payloadXml}</soap:Body></soap:Envelope>`;
}

/** The Header and Body of an envelope element (Header must come first, Body is required). */
export function envelopeParts(root: XmlElement): { header?: XmlElement; body: XmlElement } {
  const kids = elementChildren(root);
  const header = kids[0] && kids[0].ns === root.ns && kids[0].local === 'Header' ? kids[0] : undefined;
  const body = kids[header ? 1 : 0];
  if (!body || body.ns !== root.ns || body.local !== 'Body') {
    throw new SoapPayloadError(`has a SOAP Envelope without a Body${header ? '' : ' (or whose Header is not the first child)'}`);
  }
  return { ...(header ? { header } : {}), body };
}

/**
 * Inserts header entries (raw XML) into an existing envelope's text: into its Header, or a
 * new Header in front of the Body.
 */
export function insertHeaderEntries(text: string, root: XmlElement, entries: string[]): string {
  if (entries.length === 0) return text;
  const { header, body } = envelopeParts(root);
  const add = entries.join('');
  if (header) {
    const raw = text.slice(header.start, header.end);
    if (raw.endsWith('/>')) {
      const open = raw.slice(0, -2).trimEnd();
      return `${text.slice(0, header.start)}${open}>${add}</${header.name}>${text.slice(header.end)}`;
    }
    const close = text.lastIndexOf('</', header.end - 1);
    return `${text.slice(0, close)}${add}${text.slice(close)}`;
  }
  return `${text.slice(0, body.start)}<${root.prefix ? `${root.prefix}:` : ''}Header>${add}</${root.prefix ? `${root.prefix}:` : ''}Header>${text.slice(body.start)}`;
}

/** A SOAP fault read from an answer. */
export interface SoapFault {
  version: SoapVersion;
  /** Fault code as written (QName), e.g. `soap:Server` or `env:Receiver`. */
  faultCode: string;
  /** Local part of the code, e.g. `Server`, `Receiver`. */
  faultCodeLocal: string;
  /** 1.2 subcode values (as written), outermost first. */
  subcodes: string[];
  faultReason: string;
  faultActor?: string;
  /** Raw XML of the detail element, if any. */
  detail?: string;
  /** The detail element (parsed), for protocol-specific fault details (e.g. XI's SAP:Error). */
  detailElement?: XmlElement;
}

export interface SoapAnswer {
  version: SoapVersion;
  text: string;
  envelope: XmlElement;
  header?: XmlElement;
  body: XmlElement;
  fault?: SoapFault;
  /** The Body's element children as standalone XML (namespaces re-declared), concatenated. */
  bodyContent(): string;
}

export class SoapAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SoapAnswerError';
  }
}

/**
 * Reads a response body as a SOAP answer if it is one: `answer` for an envelope, `notSoap`
 * (why not, e.g. "is not well-formed XML: ...") for any other non-empty body, neither for an
 * empty body.
 */
export function trySoapAnswer(body: Uint8Array): { answer?: SoapAnswer; notSoap?: string } {
  if (body.byteLength === 0) return {};
  try {
    return { answer: readSoapAnswer(body) };
  } catch (err) {
    if (!(err instanceof SoapAnswerError)) throw err;
    return { notSoap: err.message };
  }
}

function readFault(version: SoapVersion, fault: XmlElement, text: string): SoapFault {
  const ns = SOAP_NS[version];
  if (version === '1.1') {
    // SOAP 1.1 fault children are unqualified; some stacks qualify them with the envelope namespace.
    const part = (name: string) => child(fault, '', name) ?? child(fault, ns, name);
    const code = textContent(part('faultcode')).trim();
    const actor = part('faultactor');
    const detail = part('detail');
    return {
      version,
      faultCode: code,
      faultCodeLocal: code.includes(':') ? code.slice(code.indexOf(':') + 1) : code,
      subcodes: [],
      faultReason: textContent(part('faultstring')).trim(),
      ...(actor ? { faultActor: textContent(actor).trim() } : {}),
      ...(detail ? { detail: text.slice(detail.start, detail.end), detailElement: detail } : {}),
    };
  }
  const codeEl = child(fault, ns, 'Code');
  const code = textContent(child(codeEl, ns, 'Value')).trim();
  const subcodes: string[] = [];
  let sub = child(codeEl, ns, 'Subcode');
  for (let guard = 0; sub && guard < 20; guard++) {
    subcodes.push(textContent(child(sub, ns, 'Value')).trim());
    sub = child(sub, ns, 'Subcode');
  }
  const texts = elementChildren(child(fault, ns, 'Reason') ?? fault, ns, 'Text');
  const en = texts.find((t) => (attribute(t, 'http://www.w3.org/XML/1998/namespace', 'lang') ?? '').toLowerCase().startsWith('en')) ?? texts[0];
  const role = child(fault, ns, 'Role');
  const detail = child(fault, ns, 'Detail');
  return {
    version,
    faultCode: code,
    faultCodeLocal: code.includes(':') ? code.slice(code.indexOf(':') + 1) : code,
    subcodes,
    faultReason: textContent(en).trim(),
    ...(role ? { faultActor: textContent(role).trim() } : {}),
    ...(detail ? { detail: text.slice(detail.start, detail.end), detailElement: detail } : {}),
  };
}

/**
 * Reads an answer's SOAP envelope. Faults are recognised in either SOAP version (a server may
 * answer a VersionMismatch fault in its own version). Throws SoapAnswerError when the text is
 * not a SOAP envelope.
 */
export function readSoapAnswer(body: Uint8Array | string): SoapAnswer {
  const text = typeof body === 'string' ? body : new TextDecoder('utf-8').decode(body);
  let doc;
  try {
    doc = parseXml(text);
  } catch (err) {
    if (err instanceof XmlSyntaxError) {
      const where = err.line !== undefined ? ` (line ${err.line}, column ${err.column ?? 1})` : '';
      throw new SoapAnswerError(`is not well-formed XML: ${err.message}${where}`);
    }
    throw err;
  }
  const envelope = rootElement(doc);
  const version = envelope.local === 'Envelope' ? versionOfNamespace(envelope.ns) : undefined;
  if (!version) {
    throw new SoapAnswerError(`is not a SOAP envelope (root element ${envelope.ns ? `{${envelope.ns}}` : ''}${envelope.local})`);
  }
  let parts;
  try {
    parts = envelopeParts(envelope);
  } catch (err) {
    throw new SoapAnswerError(err instanceof Error ? err.message : String(err));
  }
  const faultEl = child(parts.body, SOAP_NS[version], 'Fault');
  const skip = new Set([SOAP_NS[version]]);
  return {
    version,
    text: doc.text,
    envelope,
    ...(parts.header ? { header: parts.header } : {}),
    body: parts.body,
    ...(faultEl ? { fault: readFault(version, faultEl, doc.text) } : {}),
    bodyContent: () =>
      elementChildren(parts.body)
        .map((c) => standaloneXml(doc.text, c, skip))
        .join(''),
  };
}
