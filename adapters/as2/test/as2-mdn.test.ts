import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { AdapterError } from '@sessionflow/sdk';
import adapter from '../src/index.js';
import { context, makePki, mdnReport, message, opensslSign, plainServer, signedMdn, splitSigned } from './support.js';
import type { Seen, TestPki } from './support.js';

let pki: TestPki;
before(() => {
  pki = makePki();
});
after(() => pki.cleanup());

const POSITIVE = 'automatic-action/MDN-sent-automatically; processed';
const PAYLOAD = 'ISA*00*hello~\r\n';

type MdnShape = (seen: Seen) => { contentType: string; body: Buffer; status?: number };

function signedMicOf(seen: Seen): string {
  const { content } = splitSigned(String(seen.headers['content-type']), seen.body);
  return `${createHash('sha256').update(content).digest('base64')}, sha-256`;
}

function plainMicOf(seen: Seen): string {
  return `${createHash('sha256').update(seen.body).digest('base64')}, sha-256`;
}

async function partner(t: Parameters<typeof plainServer>[0], shape: MdnShape) {
  return plainServer(t, (_q, res: ServerResponse, seen) => {
    const out = shape(seen);
    res.writeHead(out.status ?? 200, { 'Content-Type': out.contentType });
    res.end(out.body);
  });
}

function fields(seen: Seen, over: Record<string, string | undefined> = {}, mic: (s: Seen) => string = plainMicOf): Record<string, string> {
  const all: Record<string, string | undefined> = {
    'Reporting-UA': 'test partner',
    'Original-Recipient': 'rfc822; PARTNER',
    'Final-Recipient': 'rfc822; PARTNER',
    'Original-Message-ID': String(seen.headers['message-id']),
    'Received-Content-MIC': mic(seen),
    Disposition: POSITIVE,
    ...over,
  };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
}

const plainConfig = { as2From: 'SENDER', as2To: 'PARTNER' };

async function expectStepError(promise: Promise<unknown>, code: string, re: RegExp): Promise<AdapterError> {
  let caught: AdapterError | undefined;
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof AdapterError, String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, re);
    assert.match(err.message, /^receiver "partner": /);
    assert.match(err.message, /\(AS2 Message-ID <[^>]+>\)$/);
    caught = err;
    return true;
  });
  return caught!;
}

test('positive MDN: disposition and Message-ID become exchange properties, the MDN is the answer body', async (t) => {
  const srv = await partner(t, (seen) => mdnReport(fields(seen)));
  const result = await adapter.send(message(PAYLOAD), context({ address: `${srv.base}/as2`, config: plainConfig }));
  const sentId = srv.seen[0]!.raw['message-id'];
  assert.equal(result.properties?.as2MessageId, sentId);
  assert.equal(result.properties?.mdnDisposition, POSITIVE);
  assert.match(Buffer.from(result.body).toString('latin1'), /Disposition: automatic-action\/MDN-sent-automatically; processed/);
});

test('a warning disposition is accepted and logged', async (t) => {
  const disposition = 'automatic-action/MDN-sent-automatically; processed/warning: duplicate-document';
  const srv = await partner(t, (seen) => mdnReport(fields(seen, { Disposition: disposition })));
  const logs: { message: string }[] = [];
  const result = await adapter.send(message(PAYLOAD), context({ address: `${srv.base}/as2`, config: plainConfig, logs }));
  assert.equal(result.properties?.mdnDisposition, disposition);
  assert.ok(logs.some((l) => l.message.includes('warning: duplicate-document')));
});

test('negative dispositions fail the step with SF_AS2_MDN_NEGATIVE and the disposition', async (t) => {
  const dispositions = [
    'automatic-action/MDN-sent-automatically; processed/error: decryption-failed',
    'automatic-action/MDN-sent-automatically; failed/Failure: unsupported MIC-algorithms',
    'automatic-action/MDN-sent-automatically; processed/Error: authentication-failed',
  ];
  let i = 0;
  const srv = await partner(t, (seen) => mdnReport(fields(seen, { Disposition: dispositions[i++]!, 'Received-Content-MIC': undefined }), 'Could not decrypt the message.'));
  for (const d of dispositions) {
    const err = await expectStepError(
      adapter.send(message(PAYLOAD), context({ address: `${srv.base}/as2`, config: plainConfig })),
      'SF_AS2_MDN_NEGATIVE',
      new RegExp(`the partner answered a negative MDN: ${d.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`),
    );
    assert.equal(err.details.disposition, d);
    assert.equal(err.details.text, 'Could not decrypt the message.');
  }
});

test('a Received-Content-MIC that does not match the message fails with SF_AS2_MDN_MIC', async (t) => {
  const wrong = `${createHash('sha256').update('something else').digest('base64')}, sha-256`;
  const srv = await partner(t, (seen) => mdnReport(fields(seen, { 'Received-Content-MIC': wrong })));
  const config = { ...plainConfig, sign: true, signingCertPath: pki.sender.certPath, signingKeyPath: pki.sender.keyPath };
  const err = await expectStepError(adapter.send(message(PAYLOAD), context({ address: `${srv.base}/as2`, config })), 'SF_AS2_MDN_MIC', /Received-Content-MIC does not match the message sent/);
  assert.equal(err.details.receivedMic, wrong);
  assert.equal(err.details.expectedMic, signedMicOf(srv.seen[0]!));
});

test('a MIC in another algorithm (sha1) is checked in that algorithm; an unknown algorithm is an error', async (t) => {
  const srv = await partner(t, (seen) => mdnReport(fields(seen, { 'Received-Content-MIC': `${createHash('sha1').update(seen.body).digest('base64')}, sha1` })));
  const result = await adapter.send(message(PAYLOAD), context({ address: `${srv.base}/as2`, config: plainConfig }));
  assert.equal(result.properties?.mdnDisposition, POSITIVE);
  const unknown = await partner(t, (seen) => mdnReport(fields(seen, { 'Received-Content-MIC': 'abc, whirlpool' })));
  await expectStepError(adapter.send(message(PAYLOAD), context({ address: `${unknown.base}/as2`, config: plainConfig })), 'SF_AS2_MDN_MIC', /is not "base64, algorithm" with a known algorithm/);
});

test('an MDN for another message (Original-Message-ID) fails with SF_AS2_MDN_MESSAGE_ID', async (t) => {
  const srv = await partner(t, (seen) => mdnReport(fields(seen, { 'Original-Message-ID': '<someone-else@as2.example.com>' })));
  const err = await expectStepError(
    adapter.send(message(PAYLOAD), context({ address: `${srv.base}/as2`, config: plainConfig })),
    'SF_AS2_MDN_MESSAGE_ID',
    /the MDN is for another message: Original-Message-ID <someone-else@as2\.example\.com>/,
  );
  assert.equal(err.details.originalMessageId, '<someone-else@as2.example.com>');
  const none = await partner(t, (seen) => mdnReport(fields(seen, { 'Original-Message-ID': undefined })));
  await expectStepError(adapter.send(message(PAYLOAD), context({ address: `${none.base}/as2`, config: plainConfig })), 'SF_AS2_MDN_MESSAGE_ID', /no Original-Message-ID/);
});

test('signed MDN signed by openssl with the partner key is verified; the MIC matches the signed entity', async (t) => {
  const srv = await partner(t, (seen) => signedMdn(mdnReport(fields(seen, {}, signedMicOf)), (entity) => opensslSign(pki, entity, pki.partner)));
  const config = {
    ...plainConfig,
    sign: true,
    signingCertPath: pki.sender.certPath,
    signingKeyPath: pki.sender.keyPath,
    signedMdn: true,
    partnerMdnCertPath: pki.partner.certPath,
  };
  const result = await adapter.send(message(PAYLOAD), context({ address: `${srv.base}/as2`, config }));
  assert.equal(result.properties?.mdnDisposition, POSITIVE);
  assert.equal(result.properties?.as2Mic, signedMicOf(srv.seen[0]!));
  assert.match(result.contentType ?? '', /^multipart\/signed/);
});

test('MDN signature problems fail with SF_AS2_MDN_SIGNATURE: wrong signer, altered content, unsigned', async (t) => {
  const config = { ...plainConfig, signedMdn: true, partnerCertPath: pki.partner.certPath };
  const rogue = await partner(t, (seen) => signedMdn(mdnReport(fields(seen)), (entity) => opensslSign(pki, entity, pki.rogue)));
  await expectStepError(
    adapter.send(message(PAYLOAD), context({ address: `${rogue.base}/as2`, config })),
    'SF_AS2_MDN_SIGNATURE',
    /the MDN signature is not valid: the signature does not verify with the partner certificate \(config\.partnerCertPath ".*partner\.crt"\)/,
  );
  // Signed correctly, then the disposition was changed on the way.
  const altered = await partner(t, (seen) => {
    const negative = mdnReport(fields(seen, { Disposition: 'automatic-action/MDN-sent-automatically; processed/error: decryption-failed' }));
    const signed = signedMdn(negative, (entity) => opensslSign(pki, entity, pki.partner));
    return { ...signed, body: Buffer.from(signed.body.toString('latin1').replace('processed/error: decryption-failed', 'processed/error: decryption-faileD'), 'latin1') };
  });
  await expectStepError(adapter.send(message(PAYLOAD), context({ address: `${altered.base}/as2`, config })), 'SF_AS2_MDN_SIGNATURE', /content altered/);
  const unsigned = await partner(t, (seen) => mdnReport(fields(seen)));
  await expectStepError(adapter.send(message(PAYLOAD), context({ address: `${unsigned.base}/as2`, config })), 'SF_AS2_MDN_SIGNATURE', /a signed MDN was requested but the partner sent an unsigned one/);
  // A signed message with a signed MDN must get a MIC back.
  const noMic = await partner(t, (seen) => signedMdn(mdnReport(fields(seen, { 'Received-Content-MIC': undefined })), (entity) => opensslSign(pki, entity, pki.partner)));
  const signing = { sign: true, signingCertPath: pki.sender.certPath, signingKeyPath: pki.sender.keyPath };
  await expectStepError(adapter.send(message(PAYLOAD), context({ address: `${noMic.base}/as2`, config: { ...config, ...signing } })), 'SF_AS2_MDN_MIC', /carries no Received-Content-MIC/);
});

test('answers that are no MDN or an error status fail with clear codes', async (t) => {
  const text = await partner(t, () => ({ contentType: 'text/plain', body: Buffer.from('thanks') }));
  await expectStepError(
    adapter.send(message(PAYLOAD), context({ address: `${text.base}/as2`, config: plainConfig })),
    'SF_AS2_MDN_INVALID',
    /expected a synchronous MDN \(multipart\/report\) but the answer is "text\/plain" \(6 bytes\)/,
  );
  const noDisposition = await partner(t, (seen) => mdnReport(fields(seen, { Disposition: undefined })));
  await expectStepError(adapter.send(message(PAYLOAD), context({ address: `${noDisposition.base}/as2`, config: plainConfig })), 'SF_AS2_MDN_INVALID', /no Disposition field/);
  const broken = await partner(t, () => ({ contentType: 'multipart/report; report-type=disposition-notification; boundary=x', body: Buffer.from('--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--\r\n') }));
  await expectStepError(adapter.send(message(PAYLOAD), context({ address: `${broken.base}/as2`, config: plainConfig })), 'SF_AS2_MDN_INVALID', /no message\/disposition-notification part/);
  const failing = await partner(t, () => ({ status: 500, contentType: 'text/plain', body: Buffer.from('disk full') }));
  const err = await expectStepError(
    adapter.send(message(PAYLOAD), context({ address: `${failing.base}/as2?token=s3cr3t`, config: plainConfig })),
    'SF_AS2_HTTP_STATUS',
    /the AS2 partner answered 500 Internal Server Error for POST http:\/\/127\.0\.0\.1:\d+\/as2\?token=\*\*\*/,
  );
  assert.equal(err.message.includes('s3cr3t'), false);
  assert.equal(err.details.status, 500);
  // mdn: none accepts any 2xx without looking at the body.
  const ok = await adapter.send(message(PAYLOAD), context({ address: `${text.base}/as2`, config: { ...plainConfig, mdn: 'none' } }));
  assert.equal(ok.properties?.mdnDisposition, undefined);
});
