/**
 * A mock AS2 partner (RFC 4130) for demos, tests and adapter authors.
 *
 * It keeps sessions like the other mock backends (a session cookie spares the password check;
 * Basic credentials open a new session; every password check is counted), decrypts
 * `application/pkcs7-mime` messages with its own key, verifies `multipart/signed` messages
 * against the sender's certificate, and answers a synchronous MDN (`multipart/report`),
 * signed when the sender asks for it, with the RFC 4130 §7.3.1 MIC of what it received.
 * It can be told to answer a negative disposition or to tamper with the MDN, so clients can
 * test their receipt checks. S/MIME is done with node-forge and node:crypto.
 */
import { createHash, randomBytes, randomUUID, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import forge from 'node-forge';
import { readRequestBody, reply, SessionAuth, startMockServer, type MockSessionStats, type SessionAuthOptions } from './session-auth.js';

export interface As2MockOptions extends SessionAuthOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Path of the AS2 endpoint; default `/as2`. */
  path?: string;
  /** The partner's own AS2 name (the AS2-To it accepts); default `PARTNER`. */
  as2Id?: string;
  /** The partner's certificate (PEM): what senders encrypt for; also signs MDNs. */
  certificate?: string;
  /** The private key (PEM) of `certificate`: decrypts messages and signs MDNs. */
  privateKey?: string;
  /** Sender certificates (PEM) by AS2-From name, to verify signed messages. */
  senderCertificates?: Record<string, string>;
  /** Answer this disposition instead of the computed one, e.g. `automatic-action/MDN-sent-automatically; processed/error: decryption-failed`. */
  disposition?: string;
  /** Put this literal value into `Received-Content-MIC` (to test MIC checks). */
  mdnMic?: string;
  /** Put this literal value into `Original-Message-ID` (to test message id checks). */
  originalMessageId?: string;
  /** Sign MDNs with this pair instead of `certificate`/`privateKey` (to test MDN signature checks). */
  mdnSigner?: { certificate: string; privateKey: string };
  /** Never sign MDNs, even when a signed MDN is requested. */
  unsignedMdn?: boolean;
}

export interface As2MockMessage {
  messageId: string;
  as2From: string;
  as2To: string;
  subject?: string;
  as2Version?: string;
  /** Who sent it, and in which session (short hash). */
  user: string;
  sessionHash: string;
  /** The HTTP Content-Type. */
  contentType: string;
  encrypted: boolean;
  /** The encryption algorithm OID name (e.g. `aes256-CBC`), when encrypted. */
  encryptionAlgorithm?: string;
  signed: boolean;
  /** Whether the signature verified against the sender certificate (when signed). */
  signatureValid?: boolean;
  /** Content-Type of the payload itself. */
  payloadContentType?: string;
  /** The payload after decryption and signature removal (empty when processing failed). */
  payload: Buffer;
  /** The MIC computed per RFC 4130 §7.3.1 (`base64, sha-256`), when processing got that far. */
  mic?: string;
  /** The disposition answered (or that would have been answered without an MDN request). */
  disposition: string;
  mdnRequested: boolean;
  mdnSigned: boolean;
  /** Lower-case request headers, without Authorization and Cookie. */
  headers: Record<string, string>;
}

export interface As2MockStats extends MockSessionStats {
  messages: number;
  mdnsSent: number;
  negativeMdns: number;
}

export interface As2Mock {
  /** Base URL, e.g. `http://127.0.0.1:PORT`. */
  url: string;
  /** The AS2 endpoint URL (`url` + path). */
  endpoint: string;
  port: number;
  stats(): As2MockStats;
  messages(): As2MockMessage[];
  resetStats(): void;
  forgetSessions(): void;
  close(): Promise<void>;
}

const POSITIVE = 'automatic-action/MDN-sent-automatically; processed';
const negative = (what: string): string => `automatic-action/MDN-sent-automatically; processed/error: ${what}`;

const DIGESTS: Record<string, string> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.3.14.3.2.26': 'sha1',
};
const MICALGS: Record<string, string> = { 'sha-256': 'sha256', sha256: 'sha256', 'sha-384': 'sha384', sha384: 'sha384', 'sha-512': 'sha512', sha512: 'sha512', 'sha-1': 'sha1', sha1: 'sha1' };

interface Part {
  headers: Record<string, string>;
  raw: Buffer;
  body: Buffer;
}

function headerBlock(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last !== undefined) {
      out[last] += ` ${line.trim()}`;
      continue;
    }
    const c = line.indexOf(':');
    if (c <= 0) continue;
    last = line.slice(0, c).trim().toLowerCase();
    if (!(last in out)) out[last] = line.slice(c + 1).trim();
    else last = undefined;
  }
  return out;
}

function entity(raw: Buffer): Part {
  const text = raw.toString('latin1');
  const m = /\r?\n\r?\n/.exec(text);
  if (m === null) return { headers: headerBlock(text), raw, body: Buffer.alloc(0) };
  return { headers: headerBlock(text.slice(0, m.index)), raw, body: raw.subarray(m.index + m[0].length) };
}

function param(contentType: string, name: string): string | undefined {
  const re = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]*))`, 'i');
  const m = re.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function multipartParts(body: Buffer, boundary: string): Part[] {
  const text = body.toString('latin1');
  const delim = `--${boundary}`;
  // Delimiter lines start the body or follow a line break; the close delimiter ends the list.
  const starts: number[] = [];
  let i = text.startsWith(delim) ? 0 : text.indexOf(`\n${delim}`);
  if (i > 0) i++;
  while (i >= 0) {
    starts.push(i);
    if (text.startsWith(`${delim}--`, i)) break;
    const j = text.indexOf(`\n${delim}`, i + delim.length);
    i = j < 0 ? -1 : j + 1;
  }
  const out: Part[] = [];
  for (let k = 0; k + 1 < starts.length; k++) {
    const contentStart = text.indexOf('\n', starts[k]!) + 1;
    let end = starts[k + 1]! - 1;
    if (end > contentStart && text[end - 1] === '\r') end--;
    if (contentStart <= 0 || end < contentStart) continue;
    out.push(entity(body.subarray(contentStart, end)));
  }
  return out;
}

function decodeCte(part: Part): Buffer {
  return (part.headers['content-transfer-encoding'] ?? '').toLowerCase() === 'base64'
    ? Buffer.from(part.body.toString('latin1').replace(/\s+/g, ''), 'base64')
    : part.body;
}

function unquote(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Verifies a detached SignedData over `content` with `cert`; returns false on any problem. */
function verifySignature(content: Buffer, der: Buffer, cert: X509Certificate): boolean {
  try {
    const msg = forge.pkcs7.messageFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(der.toString('latin1')))) as unknown as {
      rawCapture?: { signerInfos?: forge.asn1.Asn1[] };
    };
    for (const si of msg.rawCapture?.signerInfos ?? []) {
      const f = si.value as forge.asn1.Asn1[];
      const alg = DIGESTS[forge.asn1.derToOid((f[2]!.value as forge.asn1.Asn1[])[0]!.value as string)];
      if (alg === undefined) continue;
      const attrs = f.find((x) => x.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && x.type === 0);
      const sig = f.slice(3).find((x) => x.tagClass === forge.asn1.Class.UNIVERSAL && x.type === forge.asn1.Type.OCTETSTRING);
      if (sig === undefined) continue;
      let data = content;
      if (attrs) {
        const md = (attrs.value as forge.asn1.Asn1[]).find((a) => forge.asn1.derToOid((a.value as forge.asn1.Asn1[])[0]!.value as string) === forge.pki.oids.messageDigest);
        const mdValue = md ? (((md.value as forge.asn1.Asn1[])[1]!.value as forge.asn1.Asn1[])[0]!.value as string) : undefined;
        if (mdValue === undefined || !Buffer.from(mdValue, 'latin1').equals(createHash(alg).update(content).digest())) continue;
        data = Buffer.from(forge.asn1.toDer(forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SET, true, attrs.value as forge.asn1.Asn1[])).getBytes(), 'latin1');
      }
      if (cryptoVerify(alg, data, cert.publicKey, Buffer.from(sig.value as string, 'latin1'))) return true;
    }
  } catch {
    return false;
  }
  return false;
}

function signDetached(content: Buffer, certPem: string, keyPem: string): Buffer {
  const p7 = forge.pkcs7.createSignedData();
  p7.content = forge.util.createBuffer(content.toString('latin1'));
  const cert = forge.pki.certificateFromPem(certPem);
  p7.addCertificate(cert);
  p7.addSigner({
    key: forge.pki.privateKeyFromPem(keyPem),
    certificate: cert,
    digestAlgorithm: forge.pki.oids.sha256!,
    authenticatedAttributes: [
      { type: forge.pki.oids.contentType!, value: forge.pki.oids.data! },
      { type: forge.pki.oids.messageDigest! },
      { type: forge.pki.oids.signingTime!, value: new Date() as unknown as string },
    ],
  });
  p7.sign({ detached: true });
  return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), 'latin1');
}

function b64lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

/** Starts the mock AS2 partner. */
export async function startAs2Mock(options: As2MockOptions = {}): Promise<As2Mock> {
  const auth = new SessionAuth({ cookieName: 'JSESSIONID', ...options });
  const path = options.path ?? '/as2';
  const as2Id = options.as2Id ?? 'PARTNER';
  const partnerCert = options.certificate !== undefined ? forge.pki.certificateFromPem(options.certificate) : undefined;
  const partnerKey = options.privateKey !== undefined ? forge.pki.privateKeyFromPem(options.privateKey) : undefined;
  const senderCerts = new Map(Object.entries(options.senderCertificates ?? {}).map(([k, pem]) => [k, new X509Certificate(pem)]));
  let messages: As2MockMessage[] = [];
  let counts = { messages: 0, mdnsSent: 0, negativeMdns: 0 };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://mock.invalid');
    const call = auth.authenticate(req, res);
    if (call === undefined) {
      await readRequestBody(req).catch(() => Buffer.alloc(0));
      return;
    }
    const body = await readRequestBody(req);
    if (url.pathname !== path) return reply(res, 404, { 'Content-Type': 'text/plain' }, `no AS2 endpoint at ${url.pathname}`);
    if (req.method !== 'POST') return reply(res, 405, { 'Content-Type': 'text/plain', Allow: 'POST' }, 'AS2 messages are POSTed');

    const h = (name: string): string | undefined => single(req.headers[name]);
    const messageId = h('message-id');
    const as2From = unquote(h('as2-from'));
    const as2To = unquote(h('as2-to'));
    if (messageId === undefined || as2From === undefined || as2To === undefined) {
      return reply(res, 400, { 'Content-Type': 'text/plain' }, 'AS2-From, AS2-To and Message-ID are required');
    }
    const httpType = h('content-type') ?? 'application/octet-stream';
    const options2 = h('disposition-notification-options') ?? '';
    const signedRequested = /pkcs7-signature/i.test(options2);
    const micAlgRequested = /signed-receipt-micalg\s*=\s*(?:required|optional)\s*,\s*([^;]+)/i.exec(options2)?.[1]?.split(',').map((s) => s.trim().toLowerCase()).find((a) => MICALGS[a]);
    const micAlg = micAlgRequested ?? 'sha-256';

    const record: As2MockMessage = {
      messageId,
      as2From,
      as2To,
      user: call.user,
      sessionHash: call.sessionHash,
      contentType: httpType,
      encrypted: false,
      signed: false,
      payload: Buffer.alloc(0),
      disposition: POSITIVE,
      mdnRequested: h('disposition-notification-to') !== undefined,
      mdnSigned: false,
      headers: Object.fromEntries(
        Object.entries(req.headers)
          .filter(([k]) => k !== 'authorization' && k !== 'cookie')
          .map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
      ),
    };
    const subject = h('subject');
    if (subject !== undefined) record.subject = subject;
    const version = h('as2-version');
    if (version !== undefined) record.as2Version = version;

    // Processing: decrypt, verify, compute the MIC (RFC 4130 §7.3.1).
    const micOf = (bytes: Buffer): string => `${createHash(MICALGS[micAlg]!).update(bytes).digest('base64')}, ${micAlg}`;
    const processed = ((): { disposition: string; mic?: string } => {
      if (as2To !== as2Id) return { disposition: negative('unknown-trading-relationship') };
      let current: Part = { headers: { 'content-type': httpType }, raw: body, body };
      let micBase: Buffer = body;
      if (/^application\/(x-)?pkcs7-mime/i.test(httpType)) {
        record.encrypted = true;
        if (partnerCert === undefined || partnerKey === undefined) return { disposition: negative('decryption-failed') };
        try {
          const p7 = forge.pkcs7.messageFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(body.toString('latin1')))) as unknown as forge.pkcs7.PkcsEnvelopedData & {
            encryptedContent?: { algorithm?: string };
          };
          const recipient = p7.findRecipient(partnerCert);
          if (recipient === null) throw new Error('not encrypted for this partner');
          p7.decrypt(recipient, partnerKey);
          const alg = p7.encryptedContent?.algorithm;
          if (alg !== undefined) record.encryptionAlgorithm = forge.pki.oids[alg] ?? alg;
          const decrypted = Buffer.from((p7.content as forge.util.ByteBuffer).getBytes(), 'latin1');
          current = entity(decrypted);
          micBase = decrypted;
        } catch {
          return { disposition: negative('decryption-failed') };
        }
      }
      const type = current.headers['content-type'] ?? '';
      if (mediaType(type) === 'multipart/signed') {
        record.signed = true;
        const boundary = param(type, 'boundary');
        const parts = boundary !== undefined ? multipartParts(current.body, boundary) : [];
        const [content, sig] = parts;
        const cert = senderCerts.get(as2From);
        const valid = content !== undefined && sig !== undefined && cert !== undefined && verifySignature(content.raw, decodeCte(sig), cert);
        record.signatureValid = valid;
        if (!valid) return { disposition: negative(cert === undefined ? 'insufficient-message-security' : 'authentication-failed') };
        micBase = content.raw;
        current = content;
      }
      record.mic = micOf(micBase);
      record.payload = record.encrypted || record.signed ? decodeCte(current) : body;
      record.payloadContentType = record.encrypted || record.signed ? (current.headers['content-type'] ?? '') : httpType;
      return { disposition: POSITIVE, mic: record.mic };
    })();
    const mic = processed.mic;
    const disposition = options.disposition ?? processed.disposition;
    record.disposition = disposition;
    const isNegative = !/;\s*processed\s*$/i.test(disposition) && !/processed\/warning/i.test(disposition);
    counts.messages++;
    messages.push(record);

    if (!record.mdnRequested) return reply(res, 200, {}, '');

    // The synchronous MDN.
    const boundary = `----=_mdn_${randomBytes(10).toString('hex')}`;
    const fields = [
      'Reporting-UA: sessionflow-as2-mock',
      `Original-Recipient: rfc822; ${as2To}`,
      `Final-Recipient: rfc822; ${as2To}`,
      `Original-Message-ID: ${options.originalMessageId ?? messageId}`,
      ...(options.mdnMic !== undefined ? [`Received-Content-MIC: ${options.mdnMic}`] : mic !== undefined ? [`Received-Content-MIC: ${mic}`] : []),
      `Disposition: ${disposition}`,
    ].join('\r\n');
    const text = isNegative ? `The message ${messageId} could not be processed: ${disposition}` : `The message ${messageId} was received and processed.`;
    const reportType = `multipart/report; report-type=disposition-notification; boundary="${boundary}"`;
    const report = Buffer.from(
      `--${boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n${text}\r\n` +
        `--${boundary}\r\nContent-Type: message/disposition-notification\r\nContent-Transfer-Encoding: 7bit\r\n\r\n${fields}\r\n` +
        `--${boundary}--\r\n`,
      'latin1',
    );
    const signer = options.mdnSigner ?? (options.certificate !== undefined && options.privateKey !== undefined ? { certificate: options.certificate, privateKey: options.privateKey } : undefined);
    let contentType = reportType;
    let mdnBody = report;
    if (signedRequested && signer !== undefined && options.unsignedMdn !== true) {
      const signedEntity = Buffer.concat([Buffer.from(`Content-Type: ${reportType}\r\n\r\n`, 'latin1'), report]);
      const sig = signDetached(signedEntity, signer.certificate, signer.privateKey);
      const outer = `----=_signed_${randomBytes(10).toString('hex')}`;
      mdnBody = Buffer.concat([
        Buffer.from(`--${outer}\r\n`, 'latin1'),
        signedEntity,
        Buffer.from(
          `\r\n--${outer}\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64lines(sig)}\r\n--${outer}--\r\n`,
          'latin1',
        ),
      ]);
      contentType = `multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="${outer}"`;
      record.mdnSigned = true;
    }
    counts.mdnsSent++;
    if (isNegative) counts.negativeMdns++;
    const quote = (n: string): string => (n.includes(' ') ? `"${n}"` : n);
    return reply(
      res,
      200,
      {
        'AS2-Version': '1.2',
        'AS2-From': quote(as2Id),
        'AS2-To': quote(as2From),
        'Message-ID': `<${randomUUID()}@as2-mock>`,
        'MIME-Version': '1.0',
        'Content-Type': contentType,
      },
      mdnBody,
    );
  };

  const server = await startMockServer(handle, { ...(options.host !== undefined ? { host: options.host } : {}), ...(options.port !== undefined ? { port: options.port } : {}) });
  return {
    url: server.url,
    endpoint: `${server.url}${path}`,
    port: server.port,
    stats: () => ({ ...auth.stats(), ...counts }),
    messages: () => messages.map((m) => ({ ...m, payload: Buffer.from(m.payload), headers: { ...m.headers } })),
    resetStats: () => {
      auth.resetStats();
      messages = [];
      counts = { messages: 0, mdnsSent: 0, negativeMdns: 0 };
    },
    forgetSessions: () => auth.forgetSessions(),
    close: () => server.close(),
  };
}
