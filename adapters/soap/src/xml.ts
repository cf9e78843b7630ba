/**
 * XML reading on top of fast-xml-parser: a namespace-resolved element tree that keeps each
 * element's source offsets (so content can be passed on byte-for-byte, never re-serialised),
 * plus the helpers the SOAP, IDoc and XI adapters share.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface XmlElement {
  /** Qualified name as written, e.g. `soap:Body`. */
  name: string;
  prefix: string;
  local: string;
  /** Namespace URI; '' when the element is in no namespace. */
  ns: string;
  /** Attributes by qualified name, entities decoded. */
  attrs: Record<string, string>;
  /** Namespace declarations in scope (prefix '' = default namespace). */
  scope: Map<string, string>;
  children: XmlNode[];
  /** Offsets of the whole element in the parsed text. */
  start: number;
  end: number;
}

export type XmlNode = XmlElement | { text: string };

export interface XmlDocument {
  text: string;
  /** Top-level nodes (elements and text) in order; a document has exactly one element. */
  nodes: XmlNode[];
}

/** Why a text is not usable XML, with the line and column (1-based) where that is known. */
export class XmlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'XmlSyntaxError';
  }
}

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  captureMetaData: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
  commentPropName: '#comment',
  cdataPropName: '#cdata',
});
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;

export function isElement(node: XmlNode | undefined): node is XmlElement {
  return node !== undefined && 'local' in node;
}

/** Removes a byte-order mark. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Offset just after the prolog's XML declaration, processing instructions and comments
 * (where the first element or text starts). Throws for a DOCTYPE: SOAP messages carry no DTD,
 * and refusing them rules out entity-expansion attacks.
 */
export function prologEnd(text: string): { end: number; declarationEnd: number } {
  let i = 0;
  let declarationEnd = 0;
  for (let guard = 0; guard < 10_000; guard++) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text.startsWith('<?', i)) {
      const e = text.indexOf('?>', i);
      if (e < 0) return { end: i, declarationEnd };
      if (/^<\?xml[\s?]/.test(text.slice(i, i + 6))) declarationEnd = e + 2;
      i = e + 2;
    } else if (text.startsWith('<!--', i)) {
      const e = text.indexOf('-->', i);
      if (e < 0) return { end: i, declarationEnd };
      i = e + 3;
    } else if (/^<!DOCTYPE/i.test(text.slice(i, i + 9))) {
      throw new XmlSyntaxError('a DOCTYPE (DTD) is not allowed', ...lineCol(text, i));
    } else {
      return { end: i, declarationEnd };
    }
  }
  return { end: i, declarationEnd };
}

function lineCol(text: string, offset: number): [number, number] {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return [line, offset - before.lastIndexOf('\n')];
}

type RawNode = Record<string, unknown> & { ':@'?: Record<string, string> };

function textOfRaw(children: unknown): string {
  if (!Array.isArray(children)) return '';
  return children.map((c) => (typeof (c as RawNode)['#text'] === 'string' ? ((c as RawNode)['#text'] as string) : '')).join('');
}

function convert(raw: RawNode[], scope: Map<string, string>, out: XmlNode[], path: string): void {
  for (const node of raw) {
    const key = Object.keys(node).find((k) => k !== ':@');
    if (key === undefined) continue;
    if (key === '#text') {
      out.push({ text: String(node[key]) });
      continue;
    }
    if (key === '#cdata') {
      out.push({ text: textOfRaw(node[key]) });
      continue;
    }
    if (key === '#comment' || key.startsWith('?') || key.startsWith('!')) continue;
    const attrs = { ...(node[':@'] ?? {}) };
    const own = new Map(scope);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'xmlns') own.set('', v);
      else if (k.startsWith('xmlns:')) own.set(k.slice(6), v);
    }
    const colon = key.indexOf(':');
    const prefix = colon >= 0 ? key.slice(0, colon) : '';
    const ns = own.get(prefix);
    if (colon >= 0 && ns === undefined) throw new XmlSyntaxError(`namespace prefix "${prefix}" of <${key}> (${path}) is not declared`);
    const meta = (node as Record<symbol, { startIndex?: number; endIndex?: number } | undefined>)[META];
    const el: XmlElement = {
      name: key,
      prefix,
      local: colon >= 0 ? key.slice(colon + 1) : key,
      ns: ns ?? '',
      attrs,
      scope: own,
      children: [],
      start: meta?.startIndex ?? -1,
      end: meta?.endIndex ?? -1,
    };
    convert(Array.isArray(node[key]) ? (node[key] as RawNode[]) : [], own, el.children, `${path}/${el.local}`);
    out.push(el);
  }
}

/**
 * Parses a text into nodes. With `fragment`, several top-level elements (and whitespace) are
 * allowed, as in a SOAP Body's content; otherwise exactly one root element is required.
 * Throws XmlSyntaxError with line and column.
 */
export function parseXml(input: string, options: { fragment?: boolean } = {}): XmlDocument {
  const text = stripBom(input);
  const { end } = prologEnd(text);
  const body = text.slice(end);
  // Validate a fragment inside a synthetic root; offsets are mapped back for the message.
  const wrapped = options.fragment ? `<r>${body}</r>` : text;
  const shift = options.fragment ? 3 : 0;
  const result = XMLValidator.validate(wrapped, { allowBooleanAttributes: false });
  if (result !== true) {
    const { line, col, msg } = result.err;
    const startLine = options.fragment ? lineCol(text, end)[0] : 1;
    const startCol = options.fragment ? lineCol(text, end)[1] : 1;
    const realLine = options.fragment ? startLine + line - 1 : line;
    const realCol = options.fragment && line === 1 ? startCol + col - 1 - shift : col;
    throw new XmlSyntaxError(msg.replace(/^Expected closing tag 'r'.*$/, 'an element is not closed'), realLine, Math.max(1, realCol));
  }
  const raw = parser.parse(options.fragment ? wrapped : text) as RawNode[];
  const nodes: XmlNode[] = [];
  convert(raw, new Map([['xml', XML_NS]]), nodes, '');
  if (options.fragment) {
    const r = nodes.find(isElement);
    const inner = r?.children ?? [];
    // Offsets refer to the wrapped text: shift them back onto `text`.
    const fix = (n: XmlNode): void => {
      if (isElement(n)) {
        n.start += end - shift;
        n.end += end - shift;
        n.children.forEach(fix);
      }
    };
    inner.forEach(fix);
    return { text, nodes: inner };
  }
  const elements = nodes.filter(isElement);
  if (elements.length !== 1) throw new XmlSyntaxError(elements.length === 0 ? 'no root element' : 'more than one root element');
  return { text, nodes };
}

/** The single root element of a document. */
export function rootElement(doc: XmlDocument): XmlElement {
  const root = doc.nodes.find(isElement);
  if (!root) throw new XmlSyntaxError('no root element');
  return root;
}

export function elementChildren(el: XmlElement, ns?: string, local?: string): XmlElement[] {
  return el.children.filter((c): c is XmlElement => isElement(c) && (ns === undefined || c.ns === ns) && (local === undefined || c.local === local));
}

export function child(el: XmlElement | undefined, ns: string, local: string): XmlElement | undefined {
  return el ? elementChildren(el, ns, local)[0] : undefined;
}

/** Text content of an element and its descendants. */
export function textContent(el: XmlElement | undefined): string {
  if (!el) return '';
  return el.children.map((c) => (isElement(c) ? textContent(c) : c.text)).join('');
}

/** Attribute value by namespace URI and local name ('' = unqualified attribute). */
export function attribute(el: XmlElement, ns: string, local: string): string | undefined {
  for (const [k, v] of Object.entries(el.attrs)) {
    const colon = k.indexOf(':');
    if (colon < 0 ? ns === '' && k === local : k.slice(colon + 1) === local && el.scope.get(k.slice(0, colon)) === ns) return v;
  }
  return undefined;
}

export function escapeText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttr(value: string): string {
  return escapeText(value).replace(/"/g, '&quot;');
}

/**
 * The element's source text as a standalone fragment: the namespace declarations it inherits
 * from its ancestors are added to its start tag, so it stays valid outside its envelope.
 */
export function standaloneXml(text: string, el: XmlElement, skipNamespaces: ReadonlySet<string> = new Set()): string {
  const raw = text.slice(el.start, el.end);
  const extra: string[] = [];
  for (const [prefix, uri] of el.scope) {
    if (prefix === 'xml') continue;
    const attr = prefix === '' ? 'xmlns' : `xmlns:${prefix}`;
    if (attr in el.attrs) continue;
    // A declaration of a skipped namespace (e.g. the SOAP envelope's) is kept only if the element uses its prefix.
    if (skipNamespaces.has(uri) && !new RegExp(`[<\\s"'=]${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:`).test(raw)) continue;
    extra.push(` ${attr}="${escapeAttr(uri)}"`);
  }
  if (extra.length === 0) return raw;
  const at = 1 + el.name.length;
  return raw.slice(0, at) + extra.join('') + raw.slice(at);
}
