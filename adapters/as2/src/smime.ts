/**
 * S/MIME building blocks for AS2 (RFC 4130 / RFC 5751), on top of node-forge's PKCS#7 support
 * and node:crypto. node-forge builds SignedData and EnvelopedData; it cannot verify a
 * SignedData, so `verifyDetached()` checks the signer info itself: the content digest against
 * the `messageDigest` attribute, then the signature over the DER of the signed attributes with
 * the partner's public key (node:crypto).
 *
 * Bytes are handled as Buffers; forge wants "binary strings" (one char per byte, latin1).
 */
import { createHash, createPrivateKey, createPublicKey, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import forge from 'node-forge';

export type EncryptionAlgorithm = 'aes-256-cbc' | 'aes-128-cbc';

/** MIC algorithm names of RFC 4130 / RFC 5751 (and common spellings) → node:crypto hash names. */
const MIC_HASHES: Record<string, string> = {
  'sha-256': 'sha256',
  sha256: 'sha256',
  'sha-1': 'sha1',
  sha1: 'sha1',
  'sha-384': 'sha384',
  sha384: 'sha384',
  'sha-512': 'sha512',
  sha512: 'sha512',
  md5: 'md5',
};

/** Digest algorithm OIDs of a SignerInfo → node:crypto hash names. */
const DIGEST_OIDS: Record<string, string> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.3.14.3.2.26': 'sha1',
  '1.2.840.113549.2.5': 'md5',
};

const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';

/** A problem with a certificate, key or S/MIME structure; the caller turns it into an AdapterError. */
export class SmimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SmimeError';
  }
}

export interface SigningMaterial {
  certificate: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

const toBinary = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const fromBinary = (s: string): Buffer => Buffer.from(s, 'latin1');

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}

/** Node's hash name for an AS2 MIC algorithm (`sha-256`, `sha1`, ...), or undefined when unknown. */
export function micHashName(algorithm: string): string | undefined {
  return MIC_HASHES[algorithm.trim().toLowerCase()];
}

/** `base64(digest), algorithm` as carried in `Received-Content-MIC`. */
export function computeMic(content: Uint8Array, algorithm = 'sha-256'): string {
  const hash = micHashName(algorithm);
  if (hash === undefined) throw new SmimeError(`unsupported MIC algorithm "${algorithm}"`);
  return `${createHash(hash).update(content).digest('base64')}, ${algorithm}`;
}

/** Reads an X.509 certificate (PEM or DER). `what` names it in errors, e.g. `signingCertPath "a.pem"`. */
export function parseCertificate(data: Uint8Array, what: string): { x509: X509Certificate; forge: forge.pki.Certificate } {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(data);
  } catch (err) {
    throw new SmimeError(`${what} is not an X.509 certificate (PEM or DER): ${firstLine(err)}`);
  }
  if (x509.publicKey.asymmetricKeyType !== 'rsa') {
    throw new SmimeError(`${what} holds a ${x509.publicKey.asymmetricKeyType ?? 'non-RSA'} key; AS2 S/MIME here supports RSA certificates only`);
  }
  try {
    return { x509, forge: forge.pki.certificateFromPem(x509.toString()) };
  } catch (err) {
    throw new SmimeError(`${what} cannot be used: ${firstLine(err)}`);
  }
}

/** Reads an unencrypted RSA private key (PEM PKCS#1/PKCS#8, or DER PKCS#8/PKCS#1). */
export function parsePrivateKey(data: Uint8Array, what: string): { key: KeyObject; forge: forge.pki.rsa.PrivateKey } {
  const buf = Buffer.from(data);
  let key: KeyObject | undefined;
  const attempts: (() => KeyObject)[] = [
    () => createPrivateKey({ key: buf, format: 'pem' }),
    () => createPrivateKey({ key: buf, format: 'der', type: 'pkcs8' }),
    () => createPrivateKey({ key: buf, format: 'der', type: 'pkcs1' }),
  ];
  let reason = '';
  for (const attempt of attempts) {
    try {
      key = attempt();
      break;
    } catch (err) {
      reason ||= firstLine(err);
    }
  }
  if (key === undefined) {
    const encrypted = buf.toString('latin1').includes('ENCRYPTED');
    throw new SmimeError(
      encrypted
        ? `${what} is a passphrase-protected key; give an unencrypted key file (keep it outside the repository)`
        : `${what} is not a private key (PEM or DER): ${reason}`,
    );
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new SmimeError(`${what} is a ${key.asymmetricKeyType ?? 'non-RSA'} key; AS2 S/MIME here supports RSA keys only`);
  }
  const pem = key.export({ type: 'pkcs1', format: 'pem' }).toString();
  return { key, forge: forge.pki.privateKeyFromPem(pem) };
}

/** True when the private key belongs to the certificate's public key. */
export function keyMatchesCertificate(key: KeyObject, cert: X509Certificate): boolean {
  const a = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const b = cert.publicKey.export({ type: 'spki', format: 'der' });
  return Buffer.compare(a, b) === 0;
}

/** A detached PKCS#7 SignedData (DER) over `content`, SHA-256, with the signing certificate included. */
export function signDetached(content: Uint8Array, material: SigningMaterial, signingTime: Date = new Date()): Buffer {
  const p7 = forge.pkcs7.createSignedData();
  p7.content = forge.util.createBuffer(toBinary(content));
  p7.addCertificate(material.certificate);
  p7.addSigner({
    key: material.key,
    certificate: material.certificate,
    digestAlgorithm: forge.pki.oids.sha256!,
    authenticatedAttributes: [
      { type: forge.pki.oids.contentType!, value: forge.pki.oids.data! },
      { type: forge.pki.oids.messageDigest! },
      // forge reads `value` as a Date for signingTime; the typings only allow strings.
      { type: forge.pki.oids.signingTime!, value: signingTime as unknown as string },
    ],
  });
  p7.sign({ detached: true });
  return fromBinary(forge.asn1.toDer(p7.toAsn1()).getBytes());
}

/** A PKCS#7 EnvelopedData (DER) of `content` for the partner certificate (RSA key transport). */
export function encryptEnveloped(content: Uint8Array, recipient: forge.pki.Certificate, algorithm: EncryptionAlgorithm): Buffer {
  const p7 = forge.pkcs7.createEnvelopedData();
  p7.addRecipient(recipient);
  p7.content = forge.util.createBuffer(toBinary(content));
  const oid = algorithm === 'aes-128-cbc' ? forge.pki.oids['aes128-CBC'] : forge.pki.oids['aes256-CBC'];
  p7.encrypt(undefined, oid);
  return fromBinary(forge.asn1.toDer(p7.toAsn1()).getBytes());
}

export type VerifyOutcome = { ok: true; digestAlgorithm: string } | { ok: false; reason: string };

/**
 * Verifies a detached PKCS#7/CMS SignedData (DER) over `content` against one trusted
 * certificate (the partner's, pinned by configuration). Never throws.
 */
export function verifyDetached(content: Uint8Array, signatureDer: Uint8Array, trusted: X509Certificate): VerifyOutcome {
  let msg: { rawCapture?: { signerInfos?: forge.asn1.Asn1[] } };
  try {
    const asn = forge.asn1.fromDer(forge.util.createBuffer(toBinary(signatureDer)));
    msg = forge.pkcs7.messageFromAsn1(asn) as unknown as typeof msg;
  } catch (err) {
    return { ok: false, reason: `the signature is not a PKCS#7 structure (${firstLine(err)})` };
  }
  const signers = msg.rawCapture?.signerInfos ?? [];
  if (signers.length === 0) return { ok: false, reason: 'the signature has no signer' };
  let reason = 'no signer matched';
  for (const signer of signers) {
    const r = verifySigner(signer, content, trusted);
    if (r.ok) return r;
    reason = r.reason;
  }
  return { ok: false, reason };
}

function verifySigner(signer: forge.asn1.Asn1, content: Uint8Array, trusted: X509Certificate): VerifyOutcome {
  const parts = Array.isArray(signer.value) ? (signer.value as forge.asn1.Asn1[]) : [];
  // SignerInfo: version, sid, digestAlgorithm, [0] signedAttrs?, signatureAlgorithm, signature, [1]?
  const digestAlgSeq = parts[2];
  const oidNode = Array.isArray(digestAlgSeq?.value) ? (digestAlgSeq.value as forge.asn1.Asn1[])[0] : undefined;
  if (oidNode === undefined || typeof oidNode.value !== 'string') return { ok: false, reason: 'the signer has no digest algorithm' };
  const digestOid = forge.asn1.derToOid(oidNode.value);
  const hash = DIGEST_OIDS[digestOid];
  if (hash === undefined) return { ok: false, reason: `unsupported digest algorithm ${digestOid}` };
  const signatureNode = parts.slice(3).find((p) => p.tagClass === forge.asn1.Class.UNIVERSAL && p.type === forge.asn1.Type.OCTETSTRING);
  if (signatureNode === undefined || typeof signatureNode.value !== 'string') return { ok: false, reason: 'the signer has no signature value' };
  const signature = fromBinary(signatureNode.value);
  const attrs = parts.find((p) => p.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && p.type === 0);

  let signed: Buffer;
  if (attrs !== undefined && Array.isArray(attrs.value)) {
    const digest = createHash(hash).update(content).digest();
    let messageDigest: Buffer | undefined;
    for (const attr of attrs.value as forge.asn1.Asn1[]) {
      const [typeNode, valuesNode] = Array.isArray(attr.value) ? (attr.value as forge.asn1.Asn1[]) : [];
      if (typeNode === undefined || typeof typeNode.value !== 'string') continue;
      if (forge.asn1.derToOid(typeNode.value) !== OID_MESSAGE_DIGEST) continue;
      const first = Array.isArray(valuesNode?.value) ? (valuesNode.value as forge.asn1.Asn1[])[0] : undefined;
      if (first !== undefined && typeof first.value === 'string') messageDigest = fromBinary(first.value);
    }
    if (messageDigest === undefined) return { ok: false, reason: 'the signed attributes carry no message digest' };
    if (!messageDigest.equals(digest)) return { ok: false, reason: 'the content does not match the signed message digest (content altered)' };
    // The signature covers the attributes DER-encoded as a SET (not with their [0] IMPLICIT tag).
    const set = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SET, true, attrs.value as forge.asn1.Asn1[]);
    signed = fromBinary(forge.asn1.toDer(set).getBytes());
  } else {
    signed = Buffer.from(content);
  }
  let valid = false;
  try {
    valid = cryptoVerify(hash, signed, trusted.publicKey, signature);
  } catch (err) {
    return { ok: false, reason: `the signature cannot be checked (${firstLine(err)})` };
  }
  return valid ? { ok: true, digestAlgorithm: hash } : { ok: false, reason: 'the signature does not verify with the partner certificate' };
}
