/**
 * Reading a synchronous AS2 MDN (RFC 4130 §7, RFC 3798): a `multipart/report;
 * report-type=disposition-notification`, possibly wrapped in `multipart/signed`.
 */
import { decodeTransfer, parseContentType, parseHeaderBlock, splitMultipart } from './mime.js';

export interface ParsedMdn {
  /** The MDN came as multipart/signed. */
  signed: boolean;
  /** For a signed MDN: the signed entity's raw bytes and the detached signature (DER). */
  signature?: { content: Buffer; der: Buffer };
  /** Fields of the message/disposition-notification part, lower-case names. */
  fields: Record<string, string>;
  disposition?: string;
  originalMessageId?: string;
  receivedContentMic?: string;
  /** The human-readable explanation (first text/plain part), shortened. */
  text?: string;
}

export class MdnFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MdnFormatError';
  }
}

const SIGNATURE_TYPES = new Set(['application/pkcs7-signature', 'application/x-pkcs7-signature']);

export function parseMdn(contentTypeHeader: string | undefined, body: Buffer): ParsedMdn {
  let ct = parseContentType(contentTypeHeader);
  let reportBody = body;
  let signed = false;
  let signature: ParsedMdn['signature'];

  if (ct.mediaType === 'multipart/signed') {
    signed = true;
    const boundary = ct.params.boundary;
    if (!boundary) throw new MdnFormatError('the signed MDN has no multipart boundary');
    const parts = splitMultipart(body, boundary);
    const [content, sig] = parts;
    if (content === undefined || sig === undefined) throw new MdnFormatError(`the signed MDN has ${parts.length} part(s), expected 2 (report and signature)`);
    const sigType = parseContentType(sig.headers['content-type']).mediaType;
    if (!SIGNATURE_TYPES.has(sigType)) throw new MdnFormatError(`the signed MDN's second part is "${sigType || 'untyped'}", expected application/pkcs7-signature`);
    signature = { content: content.raw, der: decodeTransfer(sig) };
    ct = parseContentType(content.headers['content-type']);
    reportBody = content.body;
  }

  if (ct.mediaType !== 'multipart/report') {
    throw new MdnFormatError(`expected a synchronous MDN (multipart/report) but the answer is ${ct.mediaType ? `"${ct.mediaType}"` : 'untyped'} (${body.length} bytes)`);
  }
  const boundary = ct.params.boundary;
  if (!boundary) throw new MdnFormatError('the MDN report has no multipart boundary');
  const parts = splitMultipart(reportBody, boundary);
  const notification = parts.find((p) => parseContentType(p.headers['content-type']).mediaType === 'message/disposition-notification');
  if (notification === undefined) throw new MdnFormatError('the MDN report has no message/disposition-notification part');
  // The notification's fields are header-like lines; some servers add a blank line or encode it.
  const decoded = decodeTransfer(notification).toString('latin1');
  const fields = parseHeaderBlock(decoded.replace(/^(\r?\n)+/, ''));
  const textPart = parts.find((p) => parseContentType(p.headers['content-type'] ?? 'text/plain').mediaType === 'text/plain');
  const text = textPart ? decodeTransfer(textPart).toString('utf8').replace(/\s+/g, ' ').trim().slice(0, 300) : undefined;

  const out: ParsedMdn = { signed, fields };
  if (signature) out.signature = signature;
  if (fields.disposition !== undefined) out.disposition = fields.disposition;
  if (fields['original-message-id'] !== undefined) out.originalMessageId = fields['original-message-id'];
  if (fields['received-content-mic'] !== undefined) out.receivedContentMic = fields['received-content-mic'];
  if (text) out.text = text;
  return out;
}

export interface DispositionVerdict {
  ok: boolean;
  /** `processed`, `failed`, ... (lower-case). */
  type: string;
  /** e.g. `error: decryption-failed`, `warning: duplicate-document`. */
  modifier?: string;
}

/**
 * `automatic-action/MDN-sent-automatically; processed` → ok.
 * `...; processed/error: decryption-failed`, `...; failed/failure: ...` → not ok.
 * `...; processed/warning: ...` → ok (the warning is reported).
 */
export function judgeDisposition(disposition: string): DispositionVerdict {
  const semi = disposition.indexOf(';');
  const right = (semi >= 0 ? disposition.slice(semi + 1) : disposition).trim();
  const slash = right.indexOf('/');
  const type = (slash >= 0 ? right.slice(0, slash) : right).trim().toLowerCase();
  const modifier = slash >= 0 ? right.slice(slash + 1).trim() : undefined;
  const severity = modifier?.split(':')[0]?.trim().toLowerCase();
  const ok = type === 'processed' && severity !== 'error' && severity !== 'failure' && severity !== 'failed';
  return { ok, type, ...(modifier ? { modifier } : {}) };
}

/** Splits `base64, sha-256` into digest and algorithm. */
export function parseMic(value: string): { digest: string; algorithm: string } | undefined {
  const comma = value.lastIndexOf(',');
  if (comma < 0) return undefined;
  const digest = value.slice(0, comma).trim();
  const algorithm = value.slice(comma + 1).trim().toLowerCase();
  if (digest === '' || algorithm === '') return undefined;
  return { digest, algorithm };
}
