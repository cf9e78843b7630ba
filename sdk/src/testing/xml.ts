/**
 * A small namespace-aware XML reader for the protocol mock backends. It keeps the offsets of
 * every element so a mock can echo raw content, and refuses DTDs (SOAP forbids them). It is
 * deliberately independent of the adapters' parser, so the mocks check the adapters' output
 * with a second implementation. Not a general-purpose parser: no entity declarations.
 */

export interface MockXmlElement {
  /** Qualified name as written, e.g. `soap:Body`. */
  name: string;
  local: string;
  /** Namespace URI ('' for none). */
  ns: string;
  attrs: Map<string, string>;
  /** In-scope namespace declarations (prefix '' = default namespace). */
  scope: Map<string, string>;
  children: (MockXmlElement | string)[];
  /** Offsets in the source text: the whole element, and its content. */
  start: number;
  end: number;
  contentStart: number;
  contentEnd: number;
}

export class MockXmlError extends Error {}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(text: string, at: number): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (_m, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const v = ENTITIES[ref];
    if (v === undefined) throw new MockXmlError(`unknown entity &${ref}; near offset ${at}`);
    return v;
  });
}

const NAME = /[A-Za-z_][\w.:-]*/y;

/** Parses a document with exactly one root element. Throws MockXmlError on malformed input. */
export function parseMockXml(text: string): MockXmlElement {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const stack: MockXmlElement[] = [];
  let root: MockXmlElement | undefined;
  function fail(msg: string): never {
    throw new MockXmlError(`${msg} at offset ${i}`);
  }
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const textEnd = lt < 0 ? text.length : lt;
    if (textEnd > i) {
      const raw = text.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top) top.children.push(decode(raw, i));
      else if (raw.trim() !== '') fail('text outside the root element');
      i = textEnd;
      continue;
    }
    if (text.startsWith('<?', i)) {
      const e = text.indexOf('?>', i);
      if (e < 0) fail('unterminated processing instruction');
      i = e + 2;
    } else if (text.startsWith('<!--', i)) {
      const e = text.indexOf('-->', i);
      if (e < 0) fail('unterminated comment');
      i = e + 3;
    } else if (text.startsWith('<![CDATA[', i)) {
      const e = text.indexOf(']]>', i);
      const top = stack[stack.length - 1];
      if (e < 0 || !top) fail('CDATA outside an element or unterminated');
      top.children.push(text.slice(i + 9, e));
      i = e + 3;
    } else if (text.startsWith('<!', i)) {
      fail('DTDs are not accepted');
    } else if (text.startsWith('</', i)) {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(text);
      const top = stack.pop();
      if (!m || !top || m[0] !== top.name) fail(`unexpected closing tag${m ? ` </${m[0]}>` : ''}`);
      const gt = text.indexOf('>', i);
      if (gt < 0 || text.slice(i + 2 + m[0].length, gt).trim() !== '') fail('malformed closing tag');
      top.contentEnd = i;
      top.end = gt + 1;
      i = gt + 1;
    } else {
      const start = i;
      NAME.lastIndex = i + 1;
      const m = NAME.exec(text);
      if (!m) fail('malformed start tag');
      const name = m[0];
      i = NAME.lastIndex;
      const rawAttrs = new Map<string, string>();
      let selfClosing = false;
      for (;;) {
        while (/\s/.test(text[i] ?? '')) i++;
        if (text.startsWith('/>', i)) {
          selfClosing = true;
          i += 2;
          break;
        }
        if (text[i] === '>') {
          i++;
          break;
        }
        NAME.lastIndex = i;
        const a = NAME.exec(text);
        if (!a) fail(`malformed attribute in <${name}>`);
        i = NAME.lastIndex;
        while (/\s/.test(text[i] ?? '')) i++;
        if (text[i] !== '=') fail(`attribute ${a[0]} without value`);
        i++;
        while (/\s/.test(text[i] ?? '')) i++;
        const q = text[i];
        if (q !== '"' && q !== "'") fail(`attribute ${a[0]} value not quoted`);
        const e = text.indexOf(q, i + 1);
        if (e < 0) fail('unterminated attribute value');
        if (rawAttrs.has(a[0])) fail(`duplicate attribute ${a[0]}`);
        rawAttrs.set(a[0], decode(text.slice(i + 1, e), i));
        i = e + 1;
      }
      const parent = stack[stack.length - 1];
      if (!parent && root) fail('a second root element');
      const scope = new Map(parent?.scope ?? [['xml', 'http://www.w3.org/XML/1998/namespace']]);
      for (const [k, v] of rawAttrs) {
        if (k === 'xmlns') scope.set('', v);
        else if (k.startsWith('xmlns:')) scope.set(k.slice(6), v);
      }
      const colon = name.indexOf(':');
      const prefix = colon >= 0 ? name.slice(0, colon) : '';
      const ns = scope.get(prefix);
      if (colon >= 0 && ns === undefined) fail(`undeclared namespace prefix "${prefix}"`);
      const el: MockXmlElement = {
        name,
        local: colon >= 0 ? name.slice(colon + 1) : name,
        ns: ns ?? '',
        attrs: rawAttrs,
        scope,
        children: [],
        start,
        end: i,
        contentStart: i,
        contentEnd: i,
      };
      if (parent) parent.children.push(el);
      else root = el;
      if (!selfClosing) stack.push(el);
    }
  }
  if (stack.length > 0) throw new MockXmlError(`unclosed element <${stack[stack.length - 1]!.name}>`);
  if (!root) throw new MockXmlError('no root element');
  return root;
}

/** Element children, optionally filtered by namespace and local name. */
export function childElements(el: MockXmlElement, ns?: string, local?: string): MockXmlElement[] {
  return el.children.filter(
    (c): c is MockXmlElement => typeof c !== 'string' && (ns === undefined || c.ns === ns) && (local === undefined || c.local === local),
  );
}

export function firstChild(el: MockXmlElement | undefined, ns: string, local: string): MockXmlElement | undefined {
  return el ? childElements(el, ns, local)[0] : undefined;
}

/** Concatenated text of the element and its descendants. */
export function textOf(el: MockXmlElement | undefined): string {
  if (!el) return '';
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}

/** Value of an attribute given by namespace URI and local name (or by plain name when ns is ''). */
export function attrNS(el: MockXmlElement, ns: string, local: string): string | undefined {
  for (const [k, v] of el.attrs) {
    const colon = k.indexOf(':');
    if (colon < 0) {
      if (ns === '' && k === local) return v;
    } else if (k.slice(colon + 1) === local && el.scope.get(k.slice(0, colon)) === ns) {
      return v;
    }
  }
  return undefined;
}

export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * The raw source of `el` as a standalone fragment: namespace declarations it inherits from
 * its ancestors are added to its start tag so it stays valid outside its envelope.
 */
export function standalone(text: string, el: MockXmlElement, skipUnused: ReadonlySet<string> = new Set()): string {
  const raw = text.slice(el.start, el.end);
  const own = new Set([...el.attrs.keys()].filter((k) => k === 'xmlns' || k.startsWith('xmlns:')));
  const extra: string[] = [];
  for (const [prefix, uri] of el.scope) {
    if (prefix === 'xml') continue;
    const attr = prefix === '' ? 'xmlns' : `xmlns:${prefix}`;
    if (own.has(attr)) continue;
    if (skipUnused.has(uri) && prefix !== '' && !raw.includes(`${prefix}:`)) continue;
    extra.push(` ${attr}="${escapeXml(uri)}"`);
  }
  if (extra.length === 0) return raw;
  const at = 1 + el.name.length;
  return raw.slice(0, at) + extra.join('') + raw.slice(at);
}
