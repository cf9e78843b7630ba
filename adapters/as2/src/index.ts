/**
 * The built-in AS2 receiver adapter (RFC 4130). Written only against `@sessionflow/sdk`'s
 * public API, exactly as a third-party adapter would be: sessions and credentials are the
 * business of `context.http`; this module builds the AS2 message (optionally signed and/or
 * encrypted with S/MIME), posts it and checks the synchronous MDN.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { AdapterError, configWithDefaults, defineAdapter, displayUrl, headerValue, httpStatusText, outboundHeaders, resolveStepUrl } from '@sessionflow/sdk';
import type { AdapterContext, AdapterDefinition, AdapterResult, OutboundMessage } from '@sessionflow/sdk';
import { judgeDisposition, MdnFormatError, parseMdn, parseMic } from './mdn.js';
import type { ParsedMdn } from './mdn.js';
import { mimeEntity, multipartSigned } from './mime.js';
import {
  computeMic,
  encryptEnveloped,
  keyMatchesCertificate,
  micHashName,
  parseCertificate,
  parsePrivateKey,
  signDetached,
  SmimeError,
  verifyDetached,
} from './smime.js';
import type { EncryptionAlgorithm, SigningMaterial } from './smime.js';

export { computeMic, verifyDetached } from './smime.js';
export { parseMdn, judgeDisposition } from './mdn.js';

export type MdnMode = 'none' | 'sync';

/** The receiver `config` of the as2 adapter (after defaults). */
export interface As2AdapterConfig {
  as2From: string;
  as2To: string;
  subject: string;
  messageIdDomain: string;
  sign: boolean;
  signingCertPath?: string;
  signingKeyPath?: string;
  encrypt: boolean;
  encryptionAlgorithm: EncryptionAlgorithm;
  partnerCertPath?: string;
  mdn: MdnMode;
  signedMdn: boolean;
  partnerMdnCertPath?: string;
  dispositionNotificationTo?: string;
  contentType?: string;
}

/** Error codes this adapter throws (besides the session client's `SF_HTTP_*`). */
export const AS2_ERROR_CODES = [
  'SF_AS2_CONFIG',
  'SF_AS2_HTTP_STATUS',
  'SF_AS2_MDN_INVALID',
  'SF_AS2_MDN_SIGNATURE',
  'SF_AS2_MDN_MESSAGE_ID',
  'SF_AS2_MDN_NEGATIVE',
  'SF_AS2_MDN_MIC',
] as const;

/** AS2 name: 1–128 printable ASCII characters without `"` and `\` (RFC 4130 §6.2). */
const AS2_NAME = '^[ !#-\\[\\]-~]{1,128}$';
const AS2_NAME_RE = new RegExp(AS2_NAME);
const DOMAIN_RE = /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/;

/** Headers the adapter sets itself; a step cannot replace them. */
const MANAGED = new Set([
  'as2-version',
  'as2-from',
  'as2-to',
  'message-id',
  'disposition-notification-to',
  'disposition-notification-options',
  'content-type',
  'mime-version',
  'content-transfer-encoding',
  'date',
]);

const SIGNED_MDN_OPTIONS = 'signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256';

export const configSchema = {
  type: 'object',
  title: 'AS2 receiver settings',
  additionalProperties: false,
  required: ['as2From', 'as2To'],
  properties: {
    as2From: {
      title: 'AS2-From',
      description: 'Your AS2 name (the AS2-From header): 1–128 printable ASCII characters without quotes or backslashes; sent quoted when it contains spaces.',
      type: 'string',
      pattern: AS2_NAME,
      examples: ['SESSIONFLOW', 'Acme Corp'],
    },
    as2To: {
      title: 'AS2-To',
      description: "The partner's AS2 name (the AS2-To header), same rules as as2From.",
      type: 'string',
      pattern: AS2_NAME,
      examples: ['PARTNER'],
    },
    subject: {
      title: 'Subject',
      description: 'The Subject header. A Subject header on the step wins.',
      type: 'string',
      default: 'AS2 message',
    },
    messageIdDomain: {
      title: 'Message-ID domain',
      description: 'The part after "@" in the generated Message-ID <uuid@domain>. Default: this machine\'s host name.',
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$',
      examples: ['as2.example.com'],
    },
    sign: {
      title: 'Sign',
      description: 'Sign the message with S/MIME (multipart/signed, detached application/pkcs7-signature, SHA-256). Needs signingCertPath and signingKeyPath.',
      type: 'boolean',
      default: false,
    },
    signingCertPath: {
      title: 'Signing certificate file',
      description: 'Your certificate (PEM or DER, RSA) used to sign; relative paths are resolved against the working directory.',
      type: 'string',
      minLength: 1,
    },
    signingKeyPath: {
      title: 'Signing key file',
      description: 'The unencrypted private key (PEM or DER, RSA) of the signing certificate. Keep it outside the repository.',
      type: 'string',
      minLength: 1,
    },
    encrypt: {
      title: 'Encrypt',
      description: 'Encrypt the (signed) message for the partner (application/pkcs7-mime; smime-type=enveloped-data). Needs partnerCertPath.',
      type: 'boolean',
      default: false,
    },
    encryptionAlgorithm: {
      title: 'Encryption algorithm',
      description: 'Content encryption algorithm.',
      type: 'string',
      enum: ['aes-256-cbc', 'aes-128-cbc'],
      default: 'aes-256-cbc',
    },
    partnerCertPath: {
      title: 'Partner encryption certificate file',
      description: "The partner's certificate (PEM or DER, RSA) the message is encrypted for. Also verifies signed MDNs when partnerMdnCertPath is not set.",
      type: 'string',
      minLength: 1,
    },
    mdn: {
      title: 'MDN',
      description: 'Which receipt (Message Disposition Notification) to request.',
      type: 'string',
      enum: ['none', 'sync'],
      enumDescriptions: ['No receipt: any 2xx answer is success', 'Synchronous MDN in the HTTP answer; its disposition is checked'],
      default: 'sync',
    },
    signedMdn: {
      title: 'Signed MDN',
      description: 'Request a signed MDN (SHA-256) and verify its signature against partnerMdnCertPath (or partnerCertPath). Needs mdn: sync.',
      type: 'boolean',
      default: false,
    },
    partnerMdnCertPath: {
      title: 'Partner MDN certificate file',
      description: "The partner's certificate (PEM or DER) that signs its MDNs. Default: partnerCertPath.",
      type: 'string',
      minLength: 1,
    },
    dispositionNotificationTo: {
      title: 'Disposition-Notification-To',
      description: 'The Disposition-Notification-To header value (an address for the receipt). Default: as2From.',
      type: 'string',
      minLength: 1,
    },
    contentType: {
      title: 'Payload Content-Type',
      description: "Content-Type of the payload, overriding the message's content type (default application/octet-stream).",
      type: 'string',
      minLength: 1,
      examples: ['application/edi-x12', 'application/edifact', 'application/xml'],
    },
  },
} as const;

function configError(receiver: string, message: string): AdapterError {
  return new AdapterError('SF_AS2_CONFIG', `receiver "${receiver}": ${message}`);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function readConfig(receiver: string, raw: Record<string, unknown>): As2AdapterConfig {
  const c = configWithDefaults(adapter, raw);
  const as2From = str(c.as2From);
  const as2To = str(c.as2To);
  if (as2From === undefined) throw configError(receiver, 'config.as2From is missing (your AS2 name)');
  if (as2To === undefined) throw configError(receiver, "config.as2To is missing (the partner's AS2 name)");
  for (const [name, value] of [['as2From', as2From], ['as2To', as2To]] as const) {
    if (!AS2_NAME_RE.test(value)) throw configError(receiver, `config.${name} is not a valid AS2 name: 1–128 printable ASCII characters without quotes or backslashes`);
  }
  const domain = str(c.messageIdDomain) ?? defaultDomain();
  if (!DOMAIN_RE.test(domain)) throw configError(receiver, `config.messageIdDomain "${domain}" is not a host name`);
  const cfg: As2AdapterConfig = {
    as2From,
    as2To,
    subject: typeof c.subject === 'string' ? c.subject : 'AS2 message',
    messageIdDomain: domain,
    sign: c.sign === true,
    encrypt: c.encrypt === true,
    encryptionAlgorithm: c.encryptionAlgorithm === 'aes-128-cbc' ? 'aes-128-cbc' : 'aes-256-cbc',
    mdn: c.mdn === 'none' ? 'none' : 'sync',
    signedMdn: c.signedMdn === true,
  };
  for (const key of ['signingCertPath', 'signingKeyPath', 'partnerCertPath', 'partnerMdnCertPath', 'dispositionNotificationTo', 'contentType'] as const) {
    const v = str(c[key]);
    if (v !== undefined) cfg[key] = v;
  }
  if (cfg.sign && (cfg.signingCertPath === undefined || cfg.signingKeyPath === undefined)) {
    throw configError(receiver, 'config.sign is true but config.signingCertPath and config.signingKeyPath are not both set');
  }
  if (cfg.encrypt && cfg.partnerCertPath === undefined) {
    throw configError(receiver, 'config.encrypt is true but config.partnerCertPath (the partner encryption certificate) is not set');
  }
  if (cfg.signedMdn && cfg.mdn !== 'sync') throw configError(receiver, 'config.signedMdn needs config.mdn: sync');
  if (cfg.signedMdn && cfg.partnerMdnCertPath === undefined && cfg.partnerCertPath === undefined) {
    throw configError(receiver, 'config.signedMdn is true but neither config.partnerMdnCertPath nor config.partnerCertPath is set to verify the MDN signature');
  }
  for (const [name, value] of [['subject', cfg.subject], ['dispositionNotificationTo', cfg.dispositionNotificationTo], ['contentType', cfg.contentType]] as const) {
    if (value !== undefined && /[\r\n]/.test(value)) throw configError(receiver, `config.${name} must be a single line`);
  }
  return cfg;
}

function defaultDomain(): string {
  const h = hostname().replace(/[^A-Za-z0-9.-]/g, '').replace(/^[.-]+/, '');
  return h !== '' ? h : 'sessionflow.local';
}

/** `AS2-From`/`AS2-To` value: quoted when the name contains spaces (RFC 4130 §6.2). */
export function as2NameHeader(name: string): string {
  return name.includes(' ') ? `"${name}"` : name;
}

// ---- certificates and keys, read once per file version ----

interface Cached<T> {
  mtimeMs: number;
  size: number;
  value: T;
}
const fileCache = new Map<string, Cached<unknown>>();

function loadFile<T>(receiver: string, field: string, path: string, parse: (data: Buffer, what: string) => T): T {
  const abs = resolve(path);
  const what = `config.${field} "${path}"`;
  let st;
  try {
    st = statSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw configError(receiver, `${what} cannot be read (${code === 'ENOENT' ? `no such file: ${abs}` : (code ?? 'error')})`);
  }
  const key = `${field}\u0000${abs}`;
  const hit = fileCache.get(key) as Cached<T> | undefined;
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.value;
  let data: Buffer;
  try {
    data = readFileSync(abs);
  } catch (err) {
    throw configError(receiver, `${what} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let value: T;
  try {
    value = parse(data, what);
  } catch (err) {
    if (err instanceof SmimeError) throw configError(receiver, err.message);
    throw err;
  }
  fileCache.set(key, { mtimeMs: st.mtimeMs, size: st.size, value });
  return value;
}

function signingMaterial(receiver: string, cfg: As2AdapterConfig): SigningMaterial {
  const cert = loadFile(receiver, 'signingCertPath', cfg.signingCertPath!, parseCertificate);
  const key = loadFile(receiver, 'signingKeyPath', cfg.signingKeyPath!, parsePrivateKey);
  if (!keyMatchesCertificate(key.key, cert.x509)) {
    throw configError(receiver, `config.signingKeyPath "${cfg.signingKeyPath}" does not belong to the certificate in config.signingCertPath "${cfg.signingCertPath}"`);
  }
  return { certificate: cert.forge, key: key.forge };
}

// ---- the request ----

export interface BuiltAs2Message {
  messageId: string;
  headers: Record<string, string>;
  body: Buffer;
  /** `base64, sha-256` over what RFC 4130 §7.3.1 says the partner computes its MIC on. */
  mic: string;
  /** The bytes the MIC is computed over (for MICs in another algorithm). */
  micContent: Buffer;
}

/**
 * Builds the AS2 request: headers and body. Exported for tools and tests; `send()` uses it.
 * Signing material and the partner certificate are read from the config's files.
 */
export function buildAs2Message(
  receiver: string,
  cfg: As2AdapterConfig,
  message: OutboundMessage,
  stepHeaders: Record<string, string>,
  log?: AdapterContext['log'],
): BuiltAs2Message {
  const payload = Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength);
  const payloadType = cfg.contentType ?? message.contentType ?? headerValue(message.headers, 'content-type') ?? 'application/octet-stream';
  if (/[\r\n]/.test(payloadType)) throw configError(receiver, 'the payload Content-Type must be a single line');
  const messageId = `<${randomUUID()}@${cfg.messageIdDomain}>`;

  let contentType = payloadType;
  let body: Buffer = payload;
  let micContent: Buffer = payload;
  if (cfg.sign || cfg.encrypt) {
    const entity = mimeEntity(payloadType, payload);
    micContent = entity;
    let inner = entity;
    if (cfg.sign) {
      const material = signingMaterial(receiver, cfg);
      const signature = signDetached(entity, material);
      const signed = multipartSigned(entity, signature, 'sha-256');
      contentType = signed.contentType;
      body = signed.body;
      inner = Buffer.concat([Buffer.from(`Content-Type: ${signed.contentType}\r\n\r\n`, 'latin1'), signed.body]);
    }
    if (cfg.encrypt) {
      const partner = loadFile(receiver, 'partnerCertPath', cfg.partnerCertPath!, parseCertificate);
      body = encryptEnveloped(inner, partner.forge, cfg.encryptionAlgorithm);
      contentType = 'application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m';
    }
  }

  let subject = cfg.subject;
  const fromStep: Record<string, string> = {};
  for (const [name, value] of Object.entries(stepHeaders)) {
    if (name.toLowerCase() === 'subject') subject = value;
    else fromStep[name] = value;
  }
  const { headers, dropped } = outboundHeaders(fromStep, { owned: MANAGED });
  if (dropped.length > 0) log?.debug('step headers not sent (set by the AS2 adapter or managed by the session client)', { headers: dropped });
  Object.assign(headers, {
    'AS2-Version': '1.2',
    'AS2-From': as2NameHeader(cfg.as2From),
    'AS2-To': as2NameHeader(cfg.as2To),
    'Message-ID': messageId,
    Subject: subject.replace(/[\r\n]+/g, ' '),
    Date: new Date().toUTCString(),
    'MIME-Version': '1.0',
    'Content-Type': contentType,
  });
  if (cfg.mdn === 'sync') {
    headers['Disposition-Notification-To'] = cfg.dispositionNotificationTo ?? cfg.as2From;
    if (cfg.signedMdn) headers['Disposition-Notification-Options'] = SIGNED_MDN_OPTIONS;
  }
  return { messageId, headers, body, mic: computeMic(micContent, 'sha-256'), micContent };
}

// ---- the MDN ----

function mdnError(code: string, receiver: string, messageId: string, message: string, details: Record<string, unknown> = {}): AdapterError {
  return new AdapterError(code, `receiver "${receiver}": ${message} (AS2 Message-ID ${messageId})`, { as2MessageId: messageId, ...details });
}

function normalizeId(id: string): string {
  const t = id.trim();
  return t.startsWith('<') && t.endsWith('>') ? t : `<${t}>`;
}

function checkMdn(receiver: string, cfg: As2AdapterConfig, built: BuiltAs2Message, mdn: ParsedMdn, log: AdapterContext['log']): string {
  const { messageId } = built;
  // 1. Signature: who sent the receipt.
  const certPath = cfg.partnerMdnCertPath ?? cfg.partnerCertPath;
  const certField = cfg.partnerMdnCertPath !== undefined ? 'partnerMdnCertPath' : 'partnerCertPath';
  if (cfg.signedMdn && !mdn.signed) {
    throw mdnError('SF_AS2_MDN_SIGNATURE', receiver, messageId, 'a signed MDN was requested but the partner sent an unsigned one');
  }
  if (mdn.signature) {
    if (certPath !== undefined) {
      const cert = loadFile(receiver, certField, certPath, parseCertificate);
      const outcome = verifyDetached(mdn.signature.content, mdn.signature.der, cert.x509);
      if (!outcome.ok) {
        throw mdnError('SF_AS2_MDN_SIGNATURE', receiver, messageId, `the MDN signature is not valid: ${outcome.reason} (config.${certField} "${certPath}")`);
      }
    } else {
      log.info('the MDN is signed but no partner certificate is configured: signature not verified');
    }
  }
  // 2. The receipt is for this message.
  if (mdn.originalMessageId === undefined) {
    throw mdnError('SF_AS2_MDN_MESSAGE_ID', receiver, messageId, 'the MDN has no Original-Message-ID');
  }
  if (normalizeId(mdn.originalMessageId) !== messageId) {
    throw mdnError('SF_AS2_MDN_MESSAGE_ID', receiver, messageId, `the MDN is for another message: Original-Message-ID ${mdn.originalMessageId}`, {
      originalMessageId: mdn.originalMessageId,
    });
  }
  // 3. Disposition.
  if (mdn.disposition === undefined) {
    throw mdnError('SF_AS2_MDN_INVALID', receiver, messageId, 'the MDN has no Disposition field');
  }
  const verdict = judgeDisposition(mdn.disposition);
  if (!verdict.ok) {
    throw mdnError('SF_AS2_MDN_NEGATIVE', receiver, messageId, `the partner answered a negative MDN: ${mdn.disposition}${mdn.text ? ` — ${mdn.text}` : ''}`, {
      disposition: mdn.disposition,
      ...(mdn.text ? { text: mdn.text } : {}),
    });
  }
  if (verdict.modifier !== undefined) log.info(`AS2 MDN with a warning: ${mdn.disposition}`);
  // 4. Integrity: the partner's MIC of what it received.
  if (mdn.receivedContentMic !== undefined) {
    const received = parseMic(mdn.receivedContentMic);
    const hash = received ? micHashName(received.algorithm) : undefined;
    if (received === undefined || hash === undefined) {
      throw mdnError('SF_AS2_MDN_MIC', receiver, messageId, `the MDN's Received-Content-MIC "${mdn.receivedContentMic}" is not "base64, algorithm" with a known algorithm`);
    }
    const expected = computeMic(built.micContent, received.algorithm);
    if (`${received.digest}, ${received.algorithm}` !== expected) {
      throw mdnError('SF_AS2_MDN_MIC', receiver, messageId, `the MDN's Received-Content-MIC does not match the message sent (partner: ${mdn.receivedContentMic}; sent: ${expected})`, {
        receivedMic: mdn.receivedContentMic,
        expectedMic: expected,
      });
    }
  } else if (cfg.sign && cfg.signedMdn) {
    throw mdnError('SF_AS2_MDN_MIC', receiver, messageId, 'the signed MDN carries no Received-Content-MIC for the signed message');
  }
  return mdn.disposition;
}

async function send(message: OutboundMessage, context: AdapterContext): Promise<AdapterResult> {
  const { receiver, step } = context;
  const cfg = readConfig(receiver.name, receiver.config ?? {});
  if (step.method !== undefined && step.method.toUpperCase() !== 'POST') {
    throw configError(receiver.name, `step method ${step.method.toUpperCase()}: AS2 messages are always sent with POST`);
  }
  const url = resolveStepUrl(receiver.address, step.path, step.query, { receiver: receiver.name });
  const built = buildAs2Message(receiver.name, cfg, message, step.headers, context.log);
  context.log.debug(`POST ${displayUrl(url)}`, {
    receiver: receiver.name,
    step: step.stepId,
    as2MessageId: built.messageId,
    signed: cfg.sign,
    encrypted: cfg.encrypt,
    mdn: cfg.mdn,
    bodyBytes: built.body.byteLength,
  });

  const response = await context.http.request({ method: 'POST', url: url.href, headers: built.headers, body: built.body, signal: context.signal });

  if (response.status < 200 || response.status > 299) {
    throw mdnError('SF_AS2_HTTP_STATUS', receiver.name, built.messageId, `the AS2 partner answered ${httpStatusText(response.status)} for POST ${displayUrl(url)}`, {
      status: response.status,
      headers: response.headers,
      body: response.body,
    });
  }
  const contentType = response.headers['content-type'];
  const properties: Record<string, unknown> = { as2MessageId: built.messageId };
  if (cfg.mdn === 'sync') {
    let mdn: ParsedMdn;
    try {
      mdn = parseMdn(contentType, Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength));
    } catch (err) {
      if (err instanceof MdnFormatError) throw mdnError('SF_AS2_MDN_INVALID', receiver.name, built.messageId, err.message);
      throw err;
    }
    properties.mdnDisposition = checkMdn(receiver.name, cfg, built, mdn, context.log);
    properties.as2Mic = built.mic;
    context.log.info(`AS2 message ${built.messageId} to ${cfg.as2To}: ${String(properties.mdnDisposition)}`);
  } else {
    context.log.info(`AS2 message ${built.messageId} to ${cfg.as2To}: accepted (HTTP ${response.status}, no MDN requested)`);
  }
  return {
    status: response.status,
    headers: response.headers,
    body: response.body,
    ...(contentType !== undefined ? { contentType } : {}),
    properties,
  };
}

export const adapter: AdapterDefinition = defineAdapter({
  id: 'as2',
  displayName: 'AS2',
  version: '0.1.0',
  apiVersion: 1,
  description: 'Sends EDI and other payloads to an AS2 partner (RFC 4130): optional S/MIME signature and encryption, synchronous MDN checked.',
  variants: [
    {
      id: 'as2',
      displayName: 'AS2',
      direction: 'receiver',
      stepKinds: ['call', 'send'],
      sessionReuse: 'supported',
      csrf: false,
      auth: [
        { type: 'none' },
        { type: 'basic' },
        {
          type: 'client-certificate',
          proxies: ['internet'],
          note: 'a client certificate cannot be presented through an on-premise connector (the TLS session ends at the connector)',
        },
      ],
      parallelSafe: true,
      streaming: false,
      contentTypes: { in: ['*/*'], out: ['multipart/report', 'multipart/signed'] },
      description: 'AS2 message over HTTP(S) POST; `call` returns the MDN as the message body, `send` keeps the message.',
    },
  ],
  configSchema,
  send,
});

export default adapter;
