import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AdapterError, AdapterRegistry, createSessionClient, FlowRunner, parseFlow, SessionJar, staticCredentials } from '@sessionflow/sdk';
import { startAs2Mock } from '@sessionflow/sdk/testing';
import type { As2Mock, As2MockOptions } from '@sessionflow/sdk/testing';
import adapter from '../src/index.js';
import { context, makePki, message } from './support.js';
import type { TestPki } from './support.js';

let pki: TestPki;
before(() => {
  pki = makePki();
});
after(() => pki.cleanup());

const EDI = 'UNA:+.? \'UNB+UNOC:3+SENDER+PARTNER+240101:1200+1\'UNZ+1+1\'';
const POSITIVE = 'automatic-action/MDN-sent-automatically; processed';

async function mock(t: { after(fn: () => Promise<void>): void }, over: As2MockOptions = {}): Promise<As2Mock> {
  const m = await startAs2Mock({
    users: { alice: 'alice-pw' },
    certificate: pki.partner.cert,
    privateKey: pki.partner.key,
    senderCertificates: { SENDER: pki.sender.cert },
    ...over,
  });
  t.after(() => m.close());
  return m;
}

function fullConfig(): Record<string, unknown> {
  return {
    as2From: 'SENDER',
    as2To: 'PARTNER',
    sign: true,
    signingCertPath: pki.sender.certPath,
    signingKeyPath: pki.sender.keyPath,
    encrypt: true,
    partnerCertPath: pki.partner.certPath,
    signedMdn: true,
  };
}

const alice = { type: 'basic' as const, user: 'alice', password: 'alice-pw' };

test('signed + encrypted message with signed MDN against the mock partner: payload, signature and MIC agree', async (t) => {
  const partner = await mock(t);
  const result = await adapter.send(message(EDI, { contentType: 'application/edifact' }), context({ address: partner.endpoint, config: fullConfig(), auth: alice }));
  const [m] = partner.messages();
  assert.ok(m);
  assert.equal(m.as2From, 'SENDER');
  assert.equal(m.as2To, 'PARTNER');
  assert.equal(m.as2Version, '1.2');
  assert.equal(m.user, 'alice');
  assert.equal(m.encrypted, true);
  assert.equal(m.encryptionAlgorithm, 'aes256-CBC');
  assert.equal(m.signed, true);
  assert.equal(m.signatureValid, true);
  assert.equal(m.payloadContentType, 'application/edifact');
  assert.equal(m.payload.toString('utf8'), EDI);
  assert.equal(m.disposition, POSITIVE);
  assert.equal(m.mdnSigned, true);
  assert.equal(m.headers.authorization, undefined);
  assert.equal(result.properties?.as2MessageId, m.messageId);
  assert.equal(result.properties?.mdnDisposition, POSITIVE);
  assert.equal(result.properties?.as2Mic, m.mic);
  assert.equal(partner.stats().mdnsSent, 1);
});

test('every protection level reaches the mock with the same payload and a matching MIC', async (t) => {
  const partner = await mock(t, { auth: 'none' });
  const levels: Record<string, unknown>[] = [
    {},
    { sign: true, signingCertPath: pki.sender.certPath, signingKeyPath: pki.sender.keyPath },
    { encrypt: true, partnerCertPath: pki.partner.certPath, encryptionAlgorithm: 'aes-128-cbc' },
  ];
  for (const level of levels) {
    const r = await adapter.send(message(EDI, { contentType: 'application/edifact' }), context({ address: partner.endpoint, config: { as2From: 'SENDER', as2To: 'PARTNER', ...level } }));
    assert.equal(r.properties?.mdnDisposition, POSITIVE);
  }
  const msgs = partner.messages();
  assert.deepEqual(msgs.map((m) => [m.signed, m.encrypted, m.payload.toString('utf8')]), [
    [false, false, EDI],
    [true, false, EDI],
    [false, true, EDI],
  ]);
  assert.equal(msgs[2]?.encryptionAlgorithm, 'aes128-CBC');
});

test('ONE authentication per session: several messages in an exchange-scope jar, counted by the mock', async (t) => {
  const partner = await mock(t);
  const jar = new SessionJar();
  const http = createSessionClient({ receiver: 'partner', jar, auth: alice });
  for (let i = 0; i < 3; i++) {
    const r = await adapter.send(message(`${EDI}${i}`), context({ address: partner.endpoint, config: fullConfig(), http }));
    assert.equal(r.properties?.mdnDisposition, POSITIVE);
  }
  const stats = partner.stats();
  assert.equal(stats.messages, 3);
  assert.equal(stats.authentications, 1);
  assert.equal(stats.sessionsCreated, 1);
  assert.equal(new Set(partner.messages().map((m) => m.sessionHash)).size, 1);
  assert.equal(new Set(partner.messages().map((m) => m.messageId)).size, 3);

  // Without a jar (session handling none) every message authenticates again.
  partner.resetStats();
  for (let i = 0; i < 3; i++) await adapter.send(message(EDI), context({ address: partner.endpoint, config: { as2From: 'SENDER', as2To: 'PARTNER' }, auth: alice }));
  assert.equal(partner.stats().authentications, 3);
  assert.equal(partner.stats().sessionsCreated, 3);
});

test('wrong credentials: the 401 fails the step and nothing is processed', async (t) => {
  const partner = await mock(t);
  await assert.rejects(
    adapter.send(message(EDI), context({ address: partner.endpoint, config: fullConfig(), auth: { type: 'basic', user: 'alice', password: 'wrong-pw' } })),
    (err: unknown) => {
      assert.ok(err instanceof AdapterError);
      assert.equal(err.code, 'SF_AS2_HTTP_STATUS');
      assert.match(err.message, /answered 401 Unauthorized/);
      assert.equal(err.message.includes('wrong-pw'), false);
      return true;
    },
  );
  assert.equal(partner.stats().messages, 0);
  assert.equal(partner.stats().failedAuthentications, 1);
});

test('mock partner answers: decryption failure, forced negative disposition, bad MDN signer, MIC and Message-ID tampering', async (t) => {
  // Encrypted for someone else: the partner cannot decrypt and says so.
  const p1 = await mock(t);
  await assert.rejects(adapter.send(message(EDI), context({ address: p1.endpoint, config: { ...fullConfig(), partnerCertPath: pki.rogue.certPath, partnerMdnCertPath: pki.partner.certPath }, auth: alice })), (err: unknown) => {
    assert.ok(err instanceof AdapterError);
    assert.equal(err.code, 'SF_AS2_MDN_NEGATIVE');
    assert.match(err.message, /negative MDN: automatic-action\/MDN-sent-automatically; processed\/error: decryption-failed/);
    return true;
  });
  assert.equal(p1.messages()[0]?.disposition, 'automatic-action/MDN-sent-automatically; processed/error: decryption-failed');
  assert.equal(p1.stats().negativeMdns, 1);
  // Signed by a sender the partner does not know.
  const p2 = await mock(t, { senderCertificates: { SENDER: pki.rogue.cert } });
  await assert.rejects(adapter.send(message(EDI), context({ address: p2.endpoint, config: fullConfig(), auth: alice })), /processed\/error: authentication-failed/);
  assert.equal(p2.messages()[0]?.signatureValid, false);

  const cases: [As2MockOptions, string, RegExp][] = [
    [{ disposition: 'automatic-action/MDN-sent-automatically; failed/Failure: sender-equals-receiver' }, 'SF_AS2_MDN_NEGATIVE', /failed\/Failure: sender-equals-receiver/],
    [{ mdnSigner: { certificate: pki.rogue.cert, privateKey: pki.rogue.key } }, 'SF_AS2_MDN_SIGNATURE', /does not verify with the partner certificate/],
    [{ unsignedMdn: true }, 'SF_AS2_MDN_SIGNATURE', /unsigned/],
    [{ mdnMic: 'AAAA, sha-256' }, 'SF_AS2_MDN_MIC', /partner: AAAA, sha-256/],
    [{ originalMessageId: '<other@mock>' }, 'SF_AS2_MDN_MESSAGE_ID', /Original-Message-ID <other@mock>/],
  ];
  for (const [over, code, re] of cases) {
    const p = await mock(t, over);
    await assert.rejects(adapter.send(message(EDI), context({ address: p.endpoint, config: fullConfig(), auth: alice })), (err: unknown) => {
      assert.ok(err instanceof AdapterError, String(err));
      assert.equal(err.code, code, err.message);
      assert.match(err.message, re);
      return true;
    });
    // The partner did receive and decode the message; only the receipt is wrong.
    assert.equal(p.messages()[0]?.payload.toString('utf8'), EDI);
  }
});

test('flow run: FlowRunner with the as2 adapter, onExchange sessions, one authentication per exchange', async (t) => {
  const partner = await mock(t);
  const flow = `
flow: as2-orders
formatVersion: 2
runtime:
  sessionHandling: onExchange
credentials:
  partner-user: { type: basic }
receivers:
  partner:
    adapter: as2
    address: ${partner.endpoint}
    auth: { type: basic, credential: partner-user }
    config:
      as2From: SENDER
      as2To: PARTNER
      subject: Orders
      sign: true
      signingCertPath: ${JSON.stringify(pki.sender.certPath)}
      signingKeyPath: ${JSON.stringify(pki.sender.keyPath)}
      encrypt: true
      partnerCertPath: ${JSON.stringify(pki.partner.certPath)}
      signedMdn: true
steps:
  - id: first
    send: partner
  - id: second
    send: partner
  - id: receipt
    call: partner
`;
  const doc = parseFlow(flow);
  assert.deepEqual(doc.problems, []);
  const runner = await FlowRunner.create(doc, {
    registry: AdapterRegistry.fromDefinitions([adapter]),
    credentials: staticCredentials({ 'partner-user': { type: 'basic', user: 'alice', password: 'alice-pw' } }),
  });
  t.after(() => runner.close());
  const report = await runner.run({ exchanges: 2, concurrency: 1, input: { body: EDI, contentType: 'application/edifact' } });
  assert.equal(report.failed, 0, JSON.stringify(report.errors));
  assert.equal(report.succeeded, 2);
  const stats = partner.stats();
  assert.equal(stats.messages, 6);
  assert.equal(stats.authentications, 2); // one per exchange, not one per message
  assert.equal(stats.sessionsCreated, 2);
  for (const m of partner.messages()) {
    assert.equal(m.payload.toString('utf8'), EDI);
    assert.equal(m.subject, 'Orders');
    assert.equal(m.signatureValid, true);
  }
  const last = report.results[0]!;
  assert.equal(last.properties.mdnDisposition, POSITIVE);
  assert.equal(last.properties.as2MessageId, partner.messages()[2]?.messageId);
  assert.match(Buffer.from(last.body).toString('latin1'), /Disposition: automatic-action\/MDN-sent-automatically; processed/);
  assert.equal(report.receivers.partner?.sessionsOpened, 2);
});

test('flow run: a negative MDN fails the exchange with the AS2 error code and the step id', async (t) => {
  const partner = await mock(t, { auth: 'none', disposition: 'automatic-action/MDN-sent-automatically; processed/error: unexpected-processing-error' });
  const doc = parseFlow(`
flow: as2-negative
formatVersion: 2
receivers:
  partner:
    adapter: as2
    address: ${partner.endpoint}
    auth: { type: none }
    config: { as2From: SENDER, as2To: PARTNER }
steps:
  - id: post
    send: partner
`);
  const runner = await FlowRunner.create(doc, { registry: AdapterRegistry.fromDefinitions([adapter]), credentials: staticCredentials({}) });
  t.after(() => runner.close());
  const result = await runner.runExchange({ body: EDI });
  assert.equal(result.status, 'failed');
  assert.equal(result.error?.code, 'SF_AS2_MDN_NEGATIVE');
  assert.equal(result.error?.stepId, 'post');
  assert.match(result.error?.message ?? '', /processed\/error: unexpected-processing-error/);
});
