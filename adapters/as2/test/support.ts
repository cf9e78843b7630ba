/**
 * Test support for the AS2 adapter: throw-away certificates made by the openssl command line
 * (Debian package `openssl`), openssl as the independent S/MIME parser, a plain node:http
 * server that records exactly what arrives, and an AdapterContext built from the SDK's real
 * session client.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSessionClient } from '@sessionflow/sdk';
import type { AdapterContext, HttpAuth, OutboundMessage, SessionHttpClient, SessionJar } from '@sessionflow/sdk';

export const OPENSSL = process.env.OPENSSL ?? 'openssl';

export interface KeyPair {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  /** Our side: signs messages. */
  sender: KeyPair;
  /** The partner: messages are encrypted for it; it signs MDNs. */
  partner: KeyPair;
  /** Someone else: signs "bad" MDNs. */
  rogue: KeyPair;
  path(name: string): string;
  cleanup(): void;
}

function run(args: string[], input?: Buffer): Buffer {
  try {
    return execFileSync(OPENSSL, args, { input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString() || e.message}`);
  }
}

/** Self-signed RSA certificates for sender, partner and rogue, in a fresh temp dir. */
export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'sf-as2-'));
  const pair = (name: string): KeyPair => {
    const certPath = join(dir, `${name}.crt`);
    const keyPath = join(dir, `${name}.key`);
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', `/CN=${name} AS2 test`]);
    return { certPath, keyPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
  };
  return {
    dir,
    sender: pair('sender'),
    partner: pair('partner'),
    rogue: pair('rogue'),
    path: (name) => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The boundary parameter of a Content-Type. */
export function boundaryOf(contentType: string): string {
  const m = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!m?.[1]) throw new Error(`no boundary in ${contentType}`);
  return m[1];
}

/**
 * Splits a multipart/signed body the simple way (RFC 2046: the CRLF before a delimiter
 * belongs to it) into the signed entity and the base64-decoded signature.
 */
export function splitSigned(contentType: string, body: Buffer): { content: Buffer; signature: Buffer; signaturePartHeaders: string } {
  const b = boundaryOf(contentType);
  const text = body.toString('latin1');
  const open = `--${b}\r\n`;
  if (!text.startsWith(open)) throw new Error('multipart/signed body does not start with its boundary');
  const mid = text.indexOf(`\r\n--${b}\r\n`, open.length);
  const close = text.indexOf(`\r\n--${b}--`, mid);
  if (mid < 0 || close < 0) throw new Error('multipart/signed body is not closed');
  const content = body.subarray(open.length, mid);
  const sigPart = text.slice(mid + b.length + 6, close);
  const sep = sigPart.indexOf('\r\n\r\n');
  return {
    content,
    signature: Buffer.from(sigPart.slice(sep + 4).replace(/\s+/g, ''), 'base64'),
    signaturePartHeaders: sigPart.slice(0, sep),
  };
}

/** `openssl cms -verify` of a detached signature over `content`, trusting `caPath`. Returns openssl's output (the content). */
export function opensslVerifyDetached(pki: TestPki, content: Buffer, signature: Buffer, caPath: string): Buffer {
  const c = pki.path(`content-${process.hrtime.bigint()}.bin`);
  const s = pki.path(`sig-${process.hrtime.bigint()}.der`);
  writeFileSync(c, content);
  writeFileSync(s, signature);
  return run(['cms', '-verify', '-binary', '-inform', 'DER', '-in', s, '-content', c, '-CAfile', caPath, '-purpose', 'any']);
}

/** `openssl cms -verify` of a whole S/MIME message (HTTP Content-Type + body), as openssl's own MIME parser reads it. */
export function opensslVerifySmime(pki: TestPki, contentType: string, body: Buffer, caPath: string): Buffer {
  const f = pki.path(`smime-${process.hrtime.bigint()}.eml`);
  writeFileSync(f, Buffer.concat([Buffer.from(`MIME-Version: 1.0\r\nContent-Type: ${contentType}\r\n\r\n`, 'latin1'), body]));
  return run(['cms', '-verify', '-inform', 'SMIME', '-in', f, '-CAfile', caPath, '-purpose', 'any']);
}

/** `openssl cms -decrypt` of a DER EnvelopedData with the recipient's key. */
export function opensslDecrypt(pki: TestPki, der: Buffer, recipient: KeyPair): Buffer {
  const f = pki.path(`enc-${process.hrtime.bigint()}.der`);
  writeFileSync(f, der);
  return run(['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', f, '-recip', recipient.certPath, '-inkey', recipient.keyPath]);
}

/** The content-encryption algorithm openssl reads from a DER EnvelopedData. */
export function opensslCipher(pki: TestPki, der: Buffer): string {
  const f = pki.path(`enc-${process.hrtime.bigint()}.der`);
  writeFileSync(f, der);
  const printed = run(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', f]).toString('utf8');
  const m = /contentEncryptionAlgorithm:\s*\n\s*algorithm:\s*(\S+)/.exec(printed);
  return m?.[1] ?? '';
}

/** A detached signature by openssl (`cms -sign -binary -outform DER`) over `content`. */
export function opensslSign(pki: TestPki, content: Buffer, signer: KeyPair): Buffer {
  const f = pki.path(`tosign-${process.hrtime.bigint()}.bin`);
  writeFileSync(f, content);
  return run(['cms', '-sign', '-binary', '-md', 'sha256', '-outform', 'DER', '-in', f, '-signer', signer.certPath, '-inkey', signer.keyPath]);
}

/** Splits an entity into its header block (text) and body bytes. */
export function splitHeaders(entity: Buffer): { head: string; body: Buffer } {
  const i = entity.indexOf('\r\n\r\n');
  if (i < 0) throw new Error('entity has no header/body separator');
  return { head: entity.subarray(0, i).toString('latin1'), body: entity.subarray(i + 4) };
}

export interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** Header names in wire order, lower-case. */
  rawHeaderNames: string[];
  /** Header values exactly as sent, by lower-case name. */
  raw: Record<string, string>;
  body: Buffer;
}

export type Reply = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void;

/** A plain node:http server that records exactly what arrives. */
export async function plainServer(t: { after(fn: () => Promise<void> | void): void }, reply: Reply = (_q, res) => res.end()) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const names: string[] = [];
      const raw: Record<string, string> = {};
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const n = req.rawHeaders[i]!.toLowerCase();
        names.push(n);
        raw[n] = req.rawHeaders[i + 1]!;
      }
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaderNames: names, raw, body: Buffer.concat(chunks) };
      seen.push(s);
      reply(req, res, s);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { seen, base: `http://127.0.0.1:${port}` };
}

export interface CallOptions {
  address: string;
  config: Record<string, unknown>;
  name?: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  http?: SessionHttpClient;
  jar?: SessionJar | null;
  auth?: HttpAuth;
  logs?: { message: string; data?: Record<string, unknown> }[];
}

export function context(o: CallOptions): AdapterContext {
  const logs = o.logs ?? [];
  const name = o.name ?? 'partner';
  return {
    receiver: { name, adapter: 'as2', variant: 'as2', address: o.address, authType: o.auth?.type === 'basic' ? 'basic' : 'none', csrf: false, stateful: false, config: o.config },
    step: { stepId: 'step-1', kind: 'call', headers: o.headers ?? {}, query: {}, ...(o.method ? { method: o.method } : {}), ...(o.path !== undefined ? { path: o.path } : {}) },
    http: o.http ?? createSessionClient({ receiver: name, jar: o.jar ?? null, auth: o.auth ?? { type: 'none' } }),
    log: {
      info: (message, data) => logs.push({ message, ...(data ? { data } : {}) }),
      debug: (message, data) => logs.push({ message, ...(data ? { data } : {}) }),
    },
    signal: new AbortController().signal,
  };
}

export function message(body: string | Buffer, over: Partial<OutboundMessage> = {}): OutboundMessage {
  return { body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body, headers: {}, properties: {}, ...over };
}

/** Builds a synchronous MDN (multipart/report), as a partner would. */
export function mdnReport(fields: Record<string, string>, text = 'The message was processed.'): { contentType: string; body: Buffer } {
  const b = 'mdn-boundary-1';
  const lines = Object.entries(fields)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  return {
    contentType: `multipart/report; report-type=disposition-notification; boundary="${b}"`,
    body: Buffer.from(
      `--${b}\r\nContent-Type: text/plain\r\n\r\n${text}\r\n--${b}\r\nContent-Type: message/disposition-notification\r\n\r\n${lines}\r\n--${b}--\r\n`,
      'latin1',
    ),
  };
}

/** Wraps an MDN report into multipart/signed with a signature made by `sign(entity)`. */
export function signedMdn(report: { contentType: string; body: Buffer }, sign: (entity: Buffer) => Buffer): { contentType: string; body: Buffer } {
  const entity = Buffer.concat([Buffer.from(`Content-Type: ${report.contentType}\r\n\r\n`, 'latin1'), report.body]);
  const sig = sign(entity).toString('base64').replace(/.{1,64}/g, '$&\r\n');
  const b = 'signed-boundary-1';
  return {
    contentType: `multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="${b}"`,
    body: Buffer.concat([
      Buffer.from(`--${b}\r\n`, 'latin1'),
      entity,
      Buffer.from(`\r\n--${b}\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\n${sig}\r\n--${b}--\r\n`, 'latin1'),
    ]),
  };
}
