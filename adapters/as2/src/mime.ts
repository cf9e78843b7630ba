/**
 * The little MIME an AS2 client needs: building a MIME entity and a multipart/signed body,
 * and reading multipart answers (the MDN) byte-exactly, since signatures cover raw bytes.
 * Bodies are handled as Buffers; text views use latin1 so that one char is one byte.
 */
import { randomBytes } from 'node:crypto';

export interface MimePart {
  /** Lower-case header name → unfolded value (first occurrence wins). */
  headers: Record<string, string>;
  /** The whole part as it appeared (headers + blank line + body), for signature checks. */
  raw: Buffer;
  body: Buffer;
}

export interface ContentType {
  /** Lower-case `type/subtype`. */
  mediaType: string;
  /** Lower-case parameter names, unquoted values. */
  params: Record<string, string>;
}

const CRLF = '\r\n';

/** Parses `type/subtype; a=b; c="d e"`. */
export function parseContentType(value: string | undefined): ContentType {
  if (value === undefined) return { mediaType: '', params: {} };
  const params: Record<string, string> = {};
  const semi = value.indexOf(';');
  const mediaType = (semi >= 0 ? value.slice(0, semi) : value).trim().toLowerCase();
  const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  let m: RegExpExecArray | null;
  const rest = semi >= 0 ? value.slice(semi) : '';
  while ((m = re.exec(rest)) !== null) {
    const name = m[1]!.toLowerCase();
    const v = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '').trim();
    if (!(name in params)) params[name] = v;
  }
  return { mediaType, params };
}

/** Splits a header block into lower-case name → unfolded value. */
export function parseHeaderBlock(block: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = block.split(/\r?\n/);
  let current: [string, string] | undefined;
  const flush = (): void => {
    if (current && !(current[0] in out)) out[current[0]] = current[1].trim();
  };
  for (const line of lines) {
    if (/^[ \t]/.test(line) && current) {
      current[1] += ` ${line.trim()}`;
      continue;
    }
    flush();
    current = undefined;
    const colon = line.indexOf(':');
    if (colon > 0) current = [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1)];
  }
  flush();
  return out;
}

/** Splits raw bytes into headers and body at the first empty line. Without one, it is all headers. */
export function splitEntity(raw: Buffer): { headers: Record<string, string>; body: Buffer } {
  const text = raw.toString('latin1');
  const m = /\r?\n\r?\n/.exec(text);
  if (m === null) return { headers: parseHeaderBlock(text), body: Buffer.alloc(0) };
  // A part that starts directly with the empty line has no headers.
  if (/^\r?\n/.test(text)) {
    const skip = text.startsWith('\r\n') ? 2 : 1;
    return { headers: {}, body: raw.subarray(skip) };
  }
  return { headers: parseHeaderBlock(text.slice(0, m.index)), body: raw.subarray(m.index + m[0].length) };
}

/**
 * Splits a multipart body by its boundary (RFC 2046): the CRLF before each delimiter belongs
 * to the delimiter, not to the part. Lone LF line ends are accepted as well.
 */
export function splitMultipart(body: Buffer, boundary: string): MimePart[] {
  const text = body.toString('latin1');
  const delimiter = `--${boundary}`;
  const parts: MimePart[] = [];
  // Find every delimiter line: at the start or after a line break.
  const positions: { start: number; end: number; close: boolean }[] = [];
  let from = 0;
  while (from <= text.length) {
    const i = text.indexOf(delimiter, from);
    if (i < 0) break;
    const atLineStart = i === 0 || text[i - 1] === '\n';
    const after = text.slice(i + delimiter.length, i + delimiter.length + 2);
    const close = after === '--';
    if (atLineStart) {
      // Include the preceding line break in the delimiter.
      let start = i;
      if (start > 0 && text[start - 1] === '\n') start--;
      if (start > 0 && text[start - 1] === '\r') start--;
      // The rest of the delimiter line (transport padding) up to and including its line break.
      let end = text.indexOf('\n', i);
      end = end < 0 ? text.length : end + 1;
      positions.push({ start, end, close });
      if (close) break;
    }
    from = i + delimiter.length;
  }
  for (let k = 0; k + 1 < positions.length; k++) {
    const a = positions[k]!;
    const b = positions[k + 1]!;
    if (a.close) break;
    const raw = body.subarray(a.end, b.start);
    const { headers, body: partBody } = splitEntity(raw);
    parts.push({ headers, raw, body: partBody });
  }
  return parts;
}

/** A boundary that does not occur in any of the given bodies. */
export function newBoundary(...bodies: Buffer[]): string {
  for (;;) {
    const b = `----=_Part_sessionflow_${randomBytes(12).toString('hex')}`;
    if (bodies.every((x) => !x.includes(b))) return b;
  }
}

/** `Content-Type: ...` + `Content-Transfer-Encoding: binary` + blank line + content. */
export function mimeEntity(contentType: string, content: Uint8Array, extraHeaders: Record<string, string> = {}): Buffer {
  let head = `Content-Type: ${contentType}${CRLF}Content-Transfer-Encoding: binary${CRLF}`;
  for (const [k, v] of Object.entries(extraHeaders)) head += `${k}: ${v}${CRLF}`;
  return Buffer.concat([Buffer.from(head + CRLF, 'latin1'), content]);
}

/** Base64 in lines of 76 characters (RFC 2045). */
export function base64Lines(data: Uint8Array): string {
  const b64 = Buffer.from(data).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join(CRLF);
}

/** A multipart/signed body: the signed entity as is, then the detached signature part. */
export function multipartSigned(entity: Buffer, signatureDer: Buffer, micalg: string): { contentType: string; body: Buffer } {
  const boundary = newBoundary(entity);
  const sigPart =
    `Content-Type: application/pkcs7-signature; name=smime.p7s${CRLF}` +
    `Content-Transfer-Encoding: base64${CRLF}` +
    `Content-Disposition: attachment; filename=smime.p7s${CRLF}${CRLF}` +
    base64Lines(signatureDer);
  const body = Buffer.concat([
    Buffer.from(`--${boundary}${CRLF}`, 'latin1'),
    entity,
    Buffer.from(`${CRLF}--${boundary}${CRLF}${sigPart}${CRLF}--${boundary}--${CRLF}`, 'latin1'),
  ]);
  return {
    contentType: `multipart/signed; protocol="application/pkcs7-signature"; micalg=${micalg}; boundary="${boundary}"`,
    body,
  };
}

/** Decodes a part body by its Content-Transfer-Encoding (base64, quoted-printable, or as is). */
export function decodeTransfer(part: { headers: Record<string, string>; body: Buffer }): Buffer {
  const cte = (part.headers['content-transfer-encoding'] ?? '').trim().toLowerCase();
  if (cte === 'base64') return Buffer.from(part.body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (cte === 'quoted-printable') {
    const text = part.body.toString('latin1').replace(/=\r?\n/g, '');
    return Buffer.from(text.replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  }
  return part.body;
}
