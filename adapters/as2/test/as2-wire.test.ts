import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { AdapterError, SDK_API_VERSION, validateAdapterConfig } from '@sessionflow/sdk';
import adapter from '../src/index.js';
import {
  context,
  makePki,
  mdnReport,
  message,
  opensslCipher,
  opensslDecrypt,
  opensslVerifyDetached,
  opensslVerifySmime,
  plainServer,
  splitHeaders,
  splitSigned,
} from './support.js';
import type { Seen, TestPki } from './support.js';

let pki: TestPki;
before(() => {
  pki = makePki();
});
after(() => pki.cleanup());

const EDI = 'ISA*00*          *00*          *ZZ*SENDER         *ZZ*PARTNER        *240101*1200*U*00401*000000001*0*P*>~\r\nGS*PO*SENDER*PARTNER*20240101*1200*1*X*004010~\r\nIEA*1*000000001~\r\n';
const UUID_ID = /^<[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}@as2\.example\.com>$/;

/** A partner that answers a correct MDN for whatever arrived, with the MIC the test computes itself. */
function answerMdn(micOver: (seen: Seen) => Buffer | undefined) {
  return (_req: unknown, res: import('node:http').ServerResponse, seen: Seen) => {
    const base = micOver(seen);
    const mdn = mdnReport({
      'Original-Message-ID': String(seen.headers['message-id']),
      ...(base ? { 'Received-Content-MIC': `${createHash('sha256').update(base).digest('base64')}, sha-256` } : {}),
      Disposition: 'automatic-action/MDN-sent-automatically; processed',
    });
    res.writeHead(200, { 'Content-Type': mdn.contentType });
    res.end(mdn.body);
  };
}

test('declaration: one receiver variant with the capabilities of the matrix', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    name: string;
    version: string;
    keywords: string[];
    sessionflow: { apiVersion: number };
  };
  assert.equal(pkg.name, '@sessionflow/adapter-as2');
  assert.ok(pkg.keywords.includes('sessionflow-adapter'));
  assert.equal(adapter.id, 'as2');
  assert.equal(adapter.version, pkg.version);
  assert.equal(adapter.apiVersion, SDK_API_VERSION);
  assert.equal(pkg.sessionflow.apiVersion, SDK_API_VERSION);
  assert.equal(adapter.defaultVariant, 'as2');
  assert.equal(adapter.variants.length, 1);
  const v = adapter.variant(undefined);
  assert.ok(v);
  assert.equal(v.direction, 'receiver');
  assert.deepEqual(v.stepKinds, ['call', 'send']);
  assert.equal(v.sessionReuse, 'supported');
  assert.equal(v.csrf, false);
  assert.deepEqual(Object.fromEntries(v.auth.map((a) => [a.type, a.proxies ?? 'all'])), {
    none: 'all',
    basic: 'all',
    'client-certificate': ['internet'],
  });
});

test('config schema: required names, enums, unknown fields, defaults and descriptions', () => {
  assert.deepEqual(validateAdapterConfig(adapter, { as2From: 'Acme Corp', as2To: 'PARTNER' }), []);
  const missing = validateAdapterConfig(adapter, {});
  assert.deepEqual(missing.map((p) => p.message).sort(), ['missing required field "as2From"', 'missing required field "as2To"']);
  const [badMdn] = validateAdapterConfig(adapter, { as2From: 'A', as2To: 'B', mdn: 'async' });
  assert.deepEqual(badMdn?.path, ['mdn']);
  assert.deepEqual(badMdn?.allowed, ['none', 'sync']);
  const [badAlg] = validateAdapterConfig(adapter, { as2From: 'A', as2To: 'B', encryptionAlgorithm: 'des' });
  assert.deepEqual(badAlg?.allowed, ['aes-256-cbc', 'aes-128-cbc']);
  assert.ok(validateAdapterConfig(adapter, { as2From: 'has "quote"', as2To: 'B' }).some((p) => p.path[0] === 'as2From'));
  const unknown = validateAdapterConfig(adapter, { as2From: 'A', as2To: 'B', signCertPath: 'x' });
  assert.deepEqual(unknown.map((p) => p.path), [['signCertPath']]);
  assert.ok(unknown[0]?.allowed?.includes('signingCertPath'));
  const props = adapter.configSchema.properties as Record<string, { default?: unknown; description?: string }>;
  assert.equal(props.mdn?.default, 'sync');
  assert.equal(props.sign?.default, false);
  assert.equal(props.encrypt?.default, false);
  assert.equal(props.signedMdn?.default, false);
  assert.equal(props.encryptionAlgorithm?.default, 'aes-256-cbc');
  for (const [name, p] of Object.entries(props)) assert.ok(p.description && p.description.length > 10, name);
});

test('plain message without MDN: the exact AS2 headers and the payload on the wire', async (t) => {
  const srv = await plainServer(t, (_q, res) => {
    res.writeHead(200);
    res.end();
  });
  const logs: { message: string; data?: Record<string, unknown> }[] = [];
  const result = await adapter.send(
    message(EDI, { contentType: 'application/edi-x12' }),
    context({
      address: `${srv.base}/as2/receive`,
      config: { as2From: 'Acme Corp', as2To: 'PARTNER', subject: 'Purchase orders', messageIdDomain: 'as2.example.com', mdn: 'none' },
      headers: { 'X-Partner-Ref': 'po-1', 'AS2-From': 'forged', Authorization: 'Basic Zm9vOmJhcg==', Cookie: 'JSESSIONID=forged' },
      logs,
    }),
  );
  assert.equal(srv.seen.length, 1);
  const s = srv.seen[0]!;
  assert.equal(s.method, 'POST');
  assert.equal(s.url, '/as2/receive');
  assert.equal(s.raw['as2-version'], '1.2');
  assert.equal(s.raw['as2-from'], '"Acme Corp"');
  assert.equal(s.raw['as2-to'], 'PARTNER');
  assert.match(s.raw['message-id']!, UUID_ID);
  assert.equal(s.raw.subject, 'Purchase orders');
  assert.equal(s.raw['mime-version'], '1.0');
  assert.equal(s.raw['content-type'], 'application/edi-x12');
  assert.equal(s.raw['x-partner-ref'], 'po-1');
  assert.ok(!Number.isNaN(Date.parse(s.raw.date!)));
  for (const h of ['disposition-notification-to', 'disposition-notification-options', 'authorization', 'cookie']) assert.equal(s.raw[h], undefined, h);
  assert.equal(s.rawHeaderNames.filter((n) => n === 'as2-from').length, 1);
  assert.equal(s.body.toString('utf8'), EDI);

  assert.equal(result.status, 200);
  assert.deepEqual(result.properties, { as2MessageId: s.raw['message-id'] });
  const dropped = logs.find((l) => l.message.startsWith('step headers not sent'));
  assert.deepEqual(dropped?.data?.headers, ['AS2-From', 'Authorization', 'Cookie']);
  assert.equal(JSON.stringify(logs).includes('Zm9vOmJhcg'), false);
});

test('sync MDN requested: Disposition-Notification-To/-Options on the wire, Subject from the step, unique Message-IDs', async (t) => {
  const srv = await plainServer(t, answerMdn((seen) => seen.body));
  const config = { as2From: 'SENDER', as2To: 'Big Partner', messageIdDomain: 'as2.example.com', signedMdn: true, partnerCertPath: pki.partner.certPath };
  // The MDN the plain server sends is unsigned: a signed MDN was requested, so the adapter refuses it.
  await assert.rejects(adapter.send(message('hello'), context({ address: `${srv.base}/as2`, config })), { code: 'SF_AS2_MDN_SIGNATURE' });
  const r2 = await adapter.send(
    message('hello', { headers: { 'content-type': 'text/plain' } }),
    context({ address: `${srv.base}/as2`, config: { as2From: 'SENDER', as2To: 'Big Partner', messageIdDomain: 'as2.example.com', dispositionNotificationTo: 'mdn@sender.example' }, headers: { subject: 'From the step' } }),
  );
  const [a, b] = srv.seen;
  assert.ok(a && b);
  assert.equal(a.raw['as2-to'], '"Big Partner"');
  assert.equal(a.raw['disposition-notification-to'], 'SENDER');
  assert.equal(a.raw['disposition-notification-options'], 'signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256');
  assert.equal(a.raw['content-type'], 'application/octet-stream');
  assert.equal(a.raw.subject, 'AS2 message');
  assert.equal(b.raw['disposition-notification-to'], 'mdn@sender.example');
  assert.equal(b.raw['disposition-notification-options'], undefined);
  assert.equal(b.raw.subject, 'From the step');
  assert.equal(b.raw['content-type'], 'text/plain');
  assert.notEqual(a.raw['message-id'], b.raw['message-id']);
  assert.equal(r2.properties?.as2MessageId, b.raw['message-id']);
  assert.equal(r2.properties?.mdnDisposition, 'automatic-action/MDN-sent-automatically; processed');
  assert.equal(r2.properties?.as2Mic, `${createHash('sha256').update('hello').digest('base64')}, sha-256`);
  assert.match(r2.contentType ?? '', /^multipart\/report/);
});

test('signed: multipart/signed with a detached SHA-256 signature that openssl verifies; MIC over the signed entity', async (t) => {
  const srv = await plainServer(t, answerMdn((seen) => splitSigned(String(seen.headers['content-type']), seen.body).content));
  const result = await adapter.send(
    message(EDI, { contentType: 'application/edi-x12' }),
    context({
      address: `${srv.base}/as2`,
      config: { as2From: 'SENDER', as2To: 'PARTNER', sign: true, signingCertPath: pki.sender.certPath, signingKeyPath: pki.sender.keyPath },
    }),
  );
  const s = srv.seen[0]!;
  const ct = s.raw['content-type']!;
  assert.match(ct, /^multipart\/signed; protocol="application\/pkcs7-signature"; micalg=sha-256; boundary="[^"]+"$/);
  const { content, signature, signaturePartHeaders } = splitSigned(ct, s.body);
  assert.match(signaturePartHeaders, /^Content-Type: application\/pkcs7-signature/);
  // openssl, the independent parser, verifies the signature against the sender certificate.
  const verified = opensslVerifyDetached(pki, content, signature, pki.sender.certPath);
  assert.deepEqual(verified, content);
  const { head, body } = splitHeaders(content);
  assert.match(head, /^Content-Type: application\/edi-x12\r\nContent-Transfer-Encoding: binary$/);
  assert.equal(body.toString('utf8'), EDI);
  // openssl's own S/MIME parser reads the whole message as well.
  const viaSmime = opensslVerifySmime(pki, ct, s.body, pki.sender.certPath);
  assert.ok(viaSmime.toString('utf8').endsWith(EDI));
  // Not trusted by another certificate.
  assert.throws(() => opensslVerifyDetached(pki, content, signature, pki.rogue.certPath), /verify/i);
  // A changed byte breaks it.
  const tampered = Buffer.from(content);
  tampered[tampered.length - 3] = tampered[tampered.length - 3]! ^ 1;
  assert.throws(() => opensslVerifyDetached(pki, tampered, signature, pki.sender.certPath), /verif/i);

  assert.equal(result.properties?.as2Mic, `${createHash('sha256').update(content).digest('base64')}, sha-256`);
  assert.equal(result.properties?.mdnDisposition, 'automatic-action/MDN-sent-automatically; processed');
});

test('encrypted: application/pkcs7-mime enveloped-data that openssl decrypts to the payload entity (AES-256 and AES-128)', async (t) => {
  const srv = await plainServer(t, (_q, res) => res.end());
  const payload = Buffer.from([...Array(256).keys()].map((i) => i)); // every byte value
  for (const encryptionAlgorithm of [undefined, 'aes-128-cbc']) {
    await adapter.send(
      message(payload, { contentType: 'application/octet-stream' }),
      context({
        address: `${srv.base}/as2`,
        config: { as2From: 'SENDER', as2To: 'PARTNER', encrypt: true, partnerCertPath: pki.partner.certPath, mdn: 'none', ...(encryptionAlgorithm ? { encryptionAlgorithm } : {}) },
      }),
    );
  }
  const [a, b] = srv.seen;
  assert.ok(a && b);
  for (const s of [a, b]) {
    assert.equal(s.raw['content-type'], 'application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m');
    assert.equal(s.body.includes(payload), false);
    const decrypted = opensslDecrypt(pki, s.body, pki.partner);
    const { head, body } = splitHeaders(decrypted);
    assert.match(head, /^Content-Type: application\/octet-stream\r\n/);
    assert.deepEqual(body, payload);
    // Only the partner's key opens it.
    assert.throws(() => opensslDecrypt(pki, s.body, pki.rogue), /openssl cms failed/);
  }
  assert.equal(opensslCipher(pki, a.body), 'aes-256-cbc');
  assert.equal(opensslCipher(pki, b.body), 'aes-128-cbc');
});

test('signed and encrypted: openssl decrypts, then verifies the inner multipart/signed; the MIC covers the signed entity', async (t) => {
  let signedEntity: Buffer | undefined;
  const srv = await plainServer(
    t,
    answerMdn((seen) => {
      const inner = splitHeaders(opensslDecrypt(pki, seen.body, pki.partner));
      const m = /^Content-Type: (.+)$/m.exec(inner.head);
      signedEntity = splitSigned(m![1]!, inner.body).content;
      return signedEntity;
    }),
  );
  const payload = Buffer.concat([Buffer.from('UNA:+.? \'UNB+UNOC:3+SENDER+PARTNER\'\n', 'latin1'), Buffer.from([0, 13, 10, 255, 254])]);
  const result = await adapter.send(
    message(payload, { contentType: 'application/edifact' }),
    context({
      address: `${srv.base}/as2`,
      config: {
        as2From: 'SENDER',
        as2To: 'PARTNER',
        sign: true,
        signingCertPath: pki.sender.certPath,
        signingKeyPath: pki.sender.keyPath,
        encrypt: true,
        partnerCertPath: pki.partner.certPath,
      },
    }),
  );
  const s = srv.seen[0]!;
  assert.equal(s.raw['content-type'], 'application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m');
  const inner = splitHeaders(opensslDecrypt(pki, s.body, pki.partner));
  const innerType = /^Content-Type: (.+)$/m.exec(inner.head)?.[1] ?? '';
  assert.match(innerType, /^multipart\/signed; protocol="application\/pkcs7-signature"; micalg=sha-256; boundary=/);
  const { content, signature } = splitSigned(innerType, inner.body);
  assert.deepEqual(opensslVerifyDetached(pki, content, signature, pki.sender.certPath), content);
  const entity = splitHeaders(content);
  assert.match(entity.head, /^Content-Type: application\/edifact/);
  assert.deepEqual(entity.body, payload);
  assert.ok(signedEntity);
  assert.equal(result.properties?.as2Mic, `${createHash('sha256').update(signedEntity).digest('base64')}, sha-256`);
});

test('configuration problems fail the step with SF_AS2_CONFIG before anything is sent', async (t) => {
  const srv = await plainServer(t);
  const address = `${srv.base}/as2`;
  const base = { as2From: 'SENDER', as2To: 'PARTNER' };
  const keyless = pki.path('not-a-key.pem');
  writeFileSync(keyless, 'hello');
  const cases: [Record<string, unknown>, RegExp, string?][] = [
    [{ as2To: 'PARTNER' }, /receiver "partner": config\.as2From is missing/],
    [{ ...base, sign: true, signingCertPath: pki.sender.certPath }, /config\.sign is true but config\.signingCertPath and config\.signingKeyPath are not both set/],
    [{ ...base, encrypt: true }, /config\.encrypt is true but config\.partnerCertPath/],
    [{ ...base, mdn: 'none', signedMdn: true, partnerCertPath: pki.partner.certPath }, /config\.signedMdn needs config\.mdn: sync/],
    [{ ...base, signedMdn: true }, /neither config\.partnerMdnCertPath nor config\.partnerCertPath/],
    [{ ...base, encrypt: true, partnerCertPath: pki.path('missing.crt') }, /config\.partnerCertPath ".*missing\.crt" cannot be read \(no such file/],
    [{ ...base, encrypt: true, partnerCertPath: keyless }, /config\.partnerCertPath ".*not-a-key\.pem" is not an X\.509 certificate/],
    [{ ...base, sign: true, signingCertPath: pki.sender.certPath, signingKeyPath: keyless }, /config\.signingKeyPath ".*" is not a private key/],
    [{ ...base, sign: true, signingCertPath: pki.sender.certPath, signingKeyPath: pki.rogue.keyPath }, /does not belong to the certificate in config\.signingCertPath/],
    [{ ...base, as2To: 'A\\B' }, /config\.as2To is not a valid AS2 name/],
    [{ ...base, subject: 'two\r\nlines' }, /config\.subject must be a single line/],
  ];
  for (const [config, re] of cases) {
    await assert.rejects(adapter.send(message('x'), context({ address, config })), (err: unknown) => {
      assert.ok(err instanceof AdapterError, String(err));
      assert.equal(err.code, 'SF_AS2_CONFIG');
      assert.match(err.message, re);
      return true;
    });
  }
  await assert.rejects(adapter.send(message('x'), context({ address, config: base, method: 'GET' })), /AS2 messages are always sent with POST/);
  await assert.rejects(adapter.send(message('x'), context({ address, config: base, path: '//elsewhere.example/as2' })), { code: 'SF_HTTP_INVALID_URL' });
  assert.equal(srv.seen.length, 0);
});
