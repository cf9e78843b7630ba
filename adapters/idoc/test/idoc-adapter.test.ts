import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import { AdapterError, createSessionClient, SDK_API_VERSION, SessionStore, validateAdapterConfig } from '@sessionflow/sdk';
import type { AdapterContext, HttpAuth, HttpRequest, OutboundMessage, SessionHttpClient, SessionJar } from '@sessionflow/sdk';
import { startIdocMock } from '@sessionflow/sdk/testing';
import adapter from '../src/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const ORDERS05 = readFileSync(new URL('./fixtures/orders05.xml', import.meta.url), 'utf8');
const xml = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true, parseTagValue: false, isArray: (name) => name === 'IDOC' || name === 'DbId' });
const xmlNs = new XMLParser({ ignoreAttributes: false, parseTagValue: false });
const ALICE: HttpAuth = { type: 'basic', user: 'alice', password: 'alice-pw' };

interface CallOptions {
  address: string;
  config?: Record<string, unknown>;
  body?: string;
  messageHeaders?: Record<string, string>;
  path?: string;
  http?: SessionHttpClient;
  jar?: SessionJar | null;
  auth?: HttpAuth;
}

/** Wraps a client to keep what the adapter handed it (method, URL, headers, body). */
function recording(inner: SessionHttpClient): { client: SessionHttpClient; sent: HttpRequest[] } {
  const sent: HttpRequest[] = [];
  return { sent, client: { request: (req) => (sent.push(req), inner.request(req)) } };
}

function context(o: CallOptions): AdapterContext {
  return {
    receiver: { name: 's4', adapter: 'idoc', variant: 'idoc', address: o.address, authType: 'basic', csrf: false, stateful: false, config: o.config ?? {} },
    step: { stepId: 'post-idoc', kind: 'call', headers: {}, query: {}, ...(o.path !== undefined ? { path: o.path } : {}) },
    http: o.http ?? createSessionClient({ receiver: 's4', jar: o.jar ?? null, auth: o.auth ?? ALICE }),
    log: { info: () => {}, debug: () => {} },
    signal: new AbortController().signal,
  };
}

function call(o: CallOptions) {
  const message: OutboundMessage = { body: enc.encode(o.body ?? ORDERS05), headers: o.messageHeaders ?? {}, properties: {}, contentType: 'application/xml' };
  return adapter.send(message, context(o));
}

function twoIdocs(): string {
  const idoc = /<IDOC BEGIN="1">[\s\S]*<\/IDOC>/.exec(ORDERS05)![0];
  return ORDERS05.replace(idoc, `${idoc}\n${idoc.replace('000010', '000020')}`);
}

test('declaration: one receiver variant, session reuse, auth constraints of the matrix', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string; sessionflow: { apiVersion: number } };
  assert.equal(adapter.id, 'idoc');
  assert.equal(adapter.version, pkg.version);
  assert.equal(adapter.apiVersion, SDK_API_VERSION);
  assert.equal(pkg.sessionflow.apiVersion, SDK_API_VERSION);
  const v = adapter.variant(undefined);
  assert.ok(v);
  assert.deepEqual(v.stepKinds, ['call', 'send']);
  assert.equal(v.sessionReuse, 'supported');
  assert.equal(v.csrf, false);
  assert.deepEqual(Object.fromEntries(v.auth.map((a) => [a.type, a.proxies ?? 'all'])), {
    none: 'all',
    basic: 'all',
    'client-certificate': ['internet'],
    'principal-propagation': ['onPremise'],
  });
});

test('config schema: sapClient is three digits, contentType an enum, defaults documented', () => {
  assert.deepEqual(validateAdapterConfig(adapter, { sapClient: '100', contentType: 'application/x-sap.idoc', path: '/sap/bc/srt/idoc' }), []);
  assert.deepEqual(validateAdapterConfig(adapter, { sapClient: '1000' }).map((p) => [p.path, p.keyword]), [[['sapClient'], 'pattern']]);
  assert.deepEqual(validateAdapterConfig(adapter, { contentType: 'application/json' })[0]?.allowed, ['text/xml', 'application/x-sap.idoc']);
  const props = adapter.configSchema.properties as Record<string, { default?: unknown; description?: string }>;
  assert.equal(props.path?.default, '/sap/bc/srt/idoc');
  assert.equal(props.contentType?.default, 'text/xml');
  for (const p of Object.values(props)) assert.ok(p.description && p.description.length > 20);
});

test('SOAP posting: POST /sap/bc/srt/idoc?sap-client=NNN, text/xml + SOAPAction, IDoc XML in the Body; numbers into idocNumbers', async (t) => {
  const mock = await startIdocMock({ sapClients: ['100', '200'], firstIdocNumber: 4711 });
  t.after(() => mock.close());
  const rec = recording(createSessionClient({ receiver: 's4', jar: null, auth: ALICE }));
  const result = await call({ address: `${mock.url}/?sap-client=999`, config: { sapClient: '200' }, http: rec.client });
  const req = rec.sent[0]!;
  assert.equal(req.method, 'POST');
  assert.equal(req.url, `${mock.url}/sap/bc/srt/idoc?sap-client=200`);
  assert.equal(req.headers?.['Content-Type'], 'text/xml; charset=utf-8');
  assert.equal(req.headers?.SOAPAction, '""');
  const env = xml.parse(dec.decode(req.body as Uint8Array)) as { Envelope: { Body: { ORDERS05: { IDOC: { EDI_DC40: { MESTYP: string; IDOCTYP: string } }[] } } } };
  assert.equal(env.Envelope.Body.ORDERS05.IDOC.length, 1);
  assert.equal(env.Envelope.Body.ORDERS05.IDOC[0]?.EDI_DC40.MESTYP, 'ORDERS');
  assert.equal(xmlNs.parse(dec.decode(req.body as Uint8Array))['soap:Envelope']['@_xmlns:soap'], 'http://schemas.xmlsoap.org/soap/envelope/');

  // What the backend saw (its own parser): one ORDERS IDoc for client 200, from alice.
  const posted = mock.idocs();
  assert.equal(posted.length, 1);
  assert.deepEqual([posted[0]?.sapClient, posted[0]?.messageType, posted[0]?.idocType, posted[0]?.sender, posted[0]?.segments, posted[0]?.user], ['200', 'ORDERS', 'ORDERS05', 'CPI_LS', 2, 'alice']);

  assert.equal(result.status, 200);
  assert.deepEqual(result.properties?.idocNumbers, ['0000000000004711']);
  assert.equal(result.properties?.idocTransferId, posted[0]?.transferId);
  const assign = xml.parse(dec.decode(result.body)) as { idocAssign: { DbId: string[] } };
  assert.deepEqual(assign.idocAssign.DbId, ['0000000000004711']);
});

test('application/x-sap.idoc posts several IDocs in one call; text/xml refuses more than one', async (t) => {
  const mock = await startIdocMock();
  t.after(() => mock.close());
  const rec = recording(createSessionClient({ receiver: 's4', jar: null, auth: ALICE }));
  const result = await call({ address: mock.url, config: { sapClient: '100', contentType: 'application/x-sap.idoc' }, body: twoIdocs(), http: rec.client });
  assert.equal(rec.sent[0]?.headers?.['Content-Type'], 'application/x-sap.idoc; charset=utf-8');
  assert.equal(rec.sent[0]?.headers?.SOAPAction, undefined);
  assert.ok(dec.decode(rec.sent[0]!.body as Uint8Array).startsWith('<?xml version="1.0" encoding="utf-8"?><ORDERS05>'));
  assert.deepEqual(result.properties?.idocNumbers, ['0000000000001000', '0000000000001001']);
  assert.equal(mock.idocs().length, 2);
  await assert.rejects(call({ address: mock.url, config: { sapClient: '100' }, body: twoIdocs() }), /holds 2 IDocs, but a SOAP \(text\/xml\) posting takes one; set contentType to "application\/x-sap.idoc"/);
  assert.equal(mock.stats().posts, 1);
});

test('IDoc numbers are read from the SOAP answer when the SapIDocDbId header is missing', async (t) => {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' });
      res.end('<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><i:idocAssign xmlns:i="urn:sap-com:document:sap:idoc:soap:messages"><DbId>0000000000000042</DbId></i:idocAssign></e:Body></e:Envelope>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  const result = await call({ address: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, config: { sapClient: '100' }, auth: { type: 'none' } });
  assert.deepEqual(result.properties?.idocNumbers, ['0000000000000042']);
});

test('SapMessageId goes into ARCKEY: a retried exchange is recognised by the backend and gets the same number', async (t) => {
  const mock = await startIdocMock();
  t.after(() => mock.close());
  const headers = { SapMessageId: 'c0ffee00-1111-2222-3333-444455556666' };
  const first = await call({ address: mock.url, config: { sapClient: '100' }, messageHeaders: headers });
  const retry = await call({ address: mock.url, config: { sapClient: '100' }, messageHeaders: headers });
  assert.deepEqual(retry.properties?.idocNumbers, first.properties?.idocNumbers);
  assert.equal(first.properties?.idocArchiveKey, headers.SapMessageId);
  assert.equal(mock.idocs().length, 1);
  assert.equal(mock.idocs()[0]?.archiveKey, headers.SapMessageId);
  assert.equal(mock.stats().duplicates, 1);
  // An ARCKEY already in the IDoc is kept.
  const own = ORDERS05.replace('</RCVPRN>', '</RCVPRN>\n      <ARCKEY>from-the-idoc</ARCKEY>');
  await call({ address: mock.url, config: { sapClient: '100' }, messageHeaders: headers, body: own });
  assert.equal(mock.idocs()[1]?.archiveKey, 'from-the-idoc');
});

test('faults from the backend (unknown client, posting error) fail the step with code and reason', async (t) => {
  const mock = await startIdocMock();
  t.after(() => mock.close());
  await assert.rejects(call({ address: mock.url, config: { sapClient: '300' } }), (err: unknown) => {
    assert.ok(err instanceof AdapterError);
    assert.equal(err.code, 'SF_SOAP_FAULT');
    assert.equal(err.message, 'receiver "s4": SOAP fault soap:Client — client "300" does not exist (sap-client query parameter)');
    assert.equal(err.details.faultCode, 'soap:Client');
    return true;
  });
  mock.setFault({ code: 'Server', reason: 'partner profile CPI_LS/LS not found' });
  await assert.rejects(call({ address: mock.url, config: { sapClient: '100' } }), (err: unknown) => {
    assert.ok(err instanceof AdapterError);
    assert.equal(err.details.faultReason, 'partner profile CPI_LS/LS not found');
    assert.equal(err.details.status, 500);
    return true;
  });
  mock.setFault(undefined);
  await assert.rejects(call({ address: mock.url, config: { sapClient: '100' }, auth: { type: 'basic', user: 'alice', password: 'wrong-pw' } }), (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.equal(String(err.message).includes('wrong-pw'), false);
    return true;
  });
});

test('bad IDoc XML is refused before any request, naming what is wrong', async (t) => {
  const mock = await startIdocMock();
  t.after(() => mock.close());
  const cases: [string, RegExp][] = [
    ['<ORDERS05><IDOC BEGIN="1"></ORDERS05>', /^message body for receiver "s4" is not IDoc XML: not well-formed XML: .*\(line 1, column \d+\)$/],
    ['<ORDERS05/>', /<ORDERS05> holds no <IDOC BEGIN="1"> element/],
    ['<ORDERS05><IDOC><EDI_DC40 SEGMENT="1"/></IDOC></ORDERS05>', /IDOC #1 lacks the attribute BEGIN="1"/],
    ['<ORDERS05><IDOC BEGIN="1"><E1EDK01 SEGMENT="1"/></IDOC></ORDERS05>', /IDOC #1 has no control record <EDI_DC40 SEGMENT="1">/],
    ['<ORDERS05><IDOC BEGIN="1"><EDI_DC40 SEGMENT="1"><MESTYP>ORDERS</MESTYP></EDI_DC40></IDOC></ORDERS05>', /needs IDOCTYP and MESTYP/],
  ];
  for (const [body, message] of cases) {
    await assert.rejects(call({ address: mock.url, body }), (err: unknown) => err instanceof AdapterError && err.code === 'SF_IDOC_INVALID' && message.test(err.message));
  }
  assert.equal(mock.stats().requests, 0);
});

test('a session from the exchange scope: ONE authentication over several postings, counted by the server', async (t) => {
  const mock = await startIdocMock();
  t.after(() => mock.close());
  const store = new SessionStore();
  const http = createSessionClient({ receiver: 's4', jar: store.jarFor({ kind: 'exchange', id: 'ex-1' }), auth: ALICE });
  const numbers: unknown[] = [];
  for (let i = 0; i < 4; i++) numbers.push((await call({ address: mock.url, config: { sapClient: '100' }, http })).properties?.idocNumbers);
  assert.deepEqual(numbers, [['0000000000001000'], ['0000000000001001'], ['0000000000001002'], ['0000000000001003']]);
  const stats = mock.stats();
  assert.equal(stats.posts, 4);
  assert.equal(stats.authentications, 1);
  assert.equal(stats.sessionsCreated, 1);
  assert.equal(new Set(mock.idocs().map((i) => i.sessionHash)).size, 1);
});
