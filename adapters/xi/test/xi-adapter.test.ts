import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import Dicer from 'dicer';
import { XMLParser } from 'fast-xml-parser';
import { AdapterError, createSessionClient, SDK_API_VERSION, SessionStore, validateAdapterConfig } from '@sessionflow/sdk';
import type { AdapterContext, HttpAuth, OutboundMessage, SessionHttpClient, StepKindIO } from '@sessionflow/sdk';
import { buildMultipartRelated, startXiMock } from '@sessionflow/sdk/testing';
import adapter from '../src/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const XI30 = 'http://sap.com/xi/XI/Message/30';
const ALICE: HttpAuth = { type: 'basic', user: 'alice', password: 'alice-pw' };
const CONFIG = { senderService: 'BS_CPI', receiverService: 'S4H_100', interface: 'SalesOrderCreate_In', interfaceNamespace: 'urn:example:sd' };
const ORDER = '<ns0:SalesOrder xmlns:ns0="urn:example:sd"><Item>pen</Item></ns0:SalesOrder>';
/** An independent XML parser that keeps prefixes and namespace declarations. */
const xml = new XMLParser({ ignoreAttributes: false, parseTagValue: false });

interface CallOptions {
  address: string;
  variant?: string;
  kind?: StepKindIO;
  config?: Record<string, unknown>;
  body?: string;
  contentType?: string;
  messageHeaders?: Record<string, string>;
  http?: SessionHttpClient;
  auth?: HttpAuth;
}

function context(o: CallOptions): AdapterContext {
  return {
    receiver: { name: 'pi', adapter: 'xi', variant: o.variant ?? 'xi-be', address: o.address, authType: 'basic', csrf: false, stateful: false, config: o.config ?? CONFIG },
    step: { stepId: 'order', kind: o.kind ?? 'call', headers: {}, query: {} },
    http: o.http ?? createSessionClient({ receiver: 'pi', jar: null, auth: o.auth ?? ALICE }),
    log: { info: () => {}, debug: () => {} },
    signal: new AbortController().signal,
  };
}

function call(o: CallOptions) {
  const message: OutboundMessage = { body: enc.encode(o.body ?? ORDER), headers: o.messageHeaders ?? {}, properties: {}, contentType: o.contentType ?? 'application/xml' };
  return adapter.send(message, context(o));
}

interface Part {
  headers: Record<string, string[]>;
  body: Buffer;
}

/** Parses a multipart request with dicer (an independent streaming multipart parser). */
function dicerParts(req: IncomingMessage, boundary: string): Promise<Part[]> {
  return new Promise((resolve, reject) => {
    const parts: Part[] = [];
    const d = new Dicer({ boundary });
    d.on('part', (p) => {
      const part: Part = { headers: {}, body: Buffer.alloc(0) };
      const chunks: Buffer[] = [];
      p.on('header', (h) => (part.headers = h));
      p.on('data', (c) => chunks.push(c));
      p.on('end', () => {
        part.body = Buffer.concat(chunks);
        parts.push(part);
      });
    });
    d.on('finish', () => resolve(parts));
    d.on('error', reject);
    req.pipe(d);
  });
}

type Node = Record<string, unknown>;
const at = (node: unknown, ...path: string[]): unknown => path.reduce<unknown>((n, k) => (n as Node | undefined)?.[k], node);

test('declaration: xi-be (call, send) and xi-eo (send only), capabilities of the matrix', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string; sessionflow: { apiVersion: number } };
  assert.equal(adapter.id, 'xi');
  assert.equal(adapter.version, pkg.version);
  assert.equal(adapter.apiVersion, SDK_API_VERSION);
  assert.equal(adapter.defaultVariant, 'xi-be');
  assert.deepEqual(adapter.variants.map((v) => [v.id, v.stepKinds]), [
    ['xi-be', ['call', 'send']],
    ['xi-eo', ['send']],
  ]);
  for (const v of adapter.variants) {
    assert.equal(v.sessionReuse, 'supported');
    assert.deepEqual(Object.fromEntries(v.auth.map((a) => [a.type, a.proxies ?? 'all'])), {
      none: 'all',
      basic: 'all',
      'client-certificate': ['internet'],
      'principal-propagation': ['onPremise'],
    });
  }
});

test('config schema: sender service, interface and namespace are required', () => {
  assert.deepEqual(validateAdapterConfig(adapter, CONFIG), []);
  assert.deepEqual(validateAdapterConfig(adapter, {}).map((p) => p.message).sort(), [
    'missing required field "interface"',
    'missing required field "interfaceNamespace"',
    'missing required field "senderService"',
  ]);
  assert.deepEqual(validateAdapterConfig(adapter, { ...CONFIG, qualityOfService: 'EO' }).map((p) => p.path), [['qualityOfService']]);
});

test('BE on the wire: multipart/related, SOAP part with SAP:Main and ReliableMessaging, payload attachment from the manifest', async (t) => {
  const seen: { url: string; headers: IncomingMessage['headers']; parts: Part[]; boundary: string }[] = [];
  const server = createServer((req, res) => {
    const boundary = /boundary=([^;]+)/.exec(req.headers['content-type'] ?? '')?.[1] ?? '';
    void dicerParts(req, boundary).then((parts) => {
      seen.push({ url: req.url ?? '', headers: req.headers, parts, boundary });
      const envelope = xml.parse(parts[0]!.body.toString('utf8'));
      const requestId = String(at(envelope, 'soap:Envelope', 'soap:Header', 'SAP:Main', 'SAP:MessageId'));
      const answer =
        `<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/" xmlns:SAP="${XI30}"><S:Header><SAP:Main versionMajor="3" versionMinor="0">` +
        `<SAP:MessageClass>ApplicationResponse</SAP:MessageClass><SAP:MessageId>00000000-0000-0000-0000-00000000abcd</SAP:MessageId><SAP:RefToMessageId>${requestId}</SAP:RefToMessageId></SAP:Main></S:Header>` +
        `<S:Body><SAP:Manifest xmlns:xlink="http://www.w3.org/1999/xlink"><SAP:Payload xlink:href="cid:answer@test"/></SAP:Manifest></S:Body></S:Envelope>`;
      const mp = buildMultipartRelated([
        { contentId: 'soap@test', contentType: 'text/xml; charset=utf-8', body: answer },
        { contentId: 'answer@test', contentType: 'application/json', body: '{"order":"4711"}' },
      ]);
      res.writeHead(200, { 'Content-Type': mp.contentType });
      res.end(mp.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const result = await call({ address: `${base}/sap/xi/engine?type=entry`, auth: { type: 'none' }, config: { ...CONFIG, senderParty: 'ACME' } });

  assert.equal(seen.length, 1);
  const s = seen[0]!;
  assert.equal(s.url, '/sap/xi/engine?type=entry');
  assert.equal(s.headers.soapaction, '"http://sap.com/xi/XI/Message/30"');
  assert.match(s.headers['content-type'] ?? '', /^multipart\/related; boundary=[^;]+; type="text\/xml"; start="<soap-[0-9a-f]{32}@sap\.com>"$/);
  assert.equal(s.parts.length, 2);
  const [soapPart, payloadPart] = s.parts;
  const start = /start="<([^>]+)>"/.exec(s.headers['content-type'] ?? '')?.[1];
  assert.deepEqual(soapPart?.headers['content-id'], [`<${start}>`]);
  assert.deepEqual(soapPart?.headers['content-type'], ['text/xml; charset=utf-8']);
  assert.deepEqual(payloadPart?.headers['content-type'], ['application/xml']);
  assert.equal(payloadPart?.body.toString('utf8'), ORDER);

  const env = xml.parse(soapPart!.body.toString('utf8'));
  assert.equal(at(env, 'soap:Envelope', '@_xmlns:soap'), 'http://schemas.xmlsoap.org/soap/envelope/');
  const main = at(env, 'soap:Envelope', 'soap:Header', 'SAP:Main') as Node;
  assert.equal(main['@_xmlns:SAP'], XI30);
  assert.equal(main['@_versionMajor'], '3');
  assert.equal(main['@_soap:mustUnderstand'], '1');
  assert.equal(main['SAP:MessageClass'], 'ApplicationMessage');
  assert.equal(main['SAP:ProcessingMode'], 'synchronous');
  const messageId = String(main['SAP:MessageId']);
  assert.match(messageId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.match(String(main['SAP:TimeSent']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(at(main, 'SAP:Sender', 'SAP:Party', '#text'), 'ACME');
  assert.equal(at(main, 'SAP:Sender', 'SAP:Service'), 'BS_CPI');
  assert.equal(at(main, 'SAP:Receiver', 'SAP:Party', '@_agency'), 'http://sap.com/xi/XI');
  assert.equal(at(main, 'SAP:Receiver', 'SAP:Service'), 'S4H_100');
  assert.deepEqual(main['SAP:Interface'], { '#text': 'SalesOrderCreate_In', '@_namespace': 'urn:example:sd' });
  assert.equal(at(env, 'soap:Envelope', 'soap:Header', 'SAP:ReliableMessaging', 'SAP:QualityOfService'), 'BestEffort');
  const href = String(at(env, 'soap:Envelope', 'soap:Body', 'SAP:Manifest', 'SAP:Payload', '@_xlink:href'));
  assert.deepEqual(payloadPart?.headers['content-id'], [`<${href.slice('cid:'.length)}>`]);

  // The answer: the attachment the response manifest references.
  assert.equal(dec.decode(result.body), '{"order":"4711"}');
  assert.equal(result.contentType, 'application/json');
  assert.deepEqual(result.properties, { sapMessageId: messageId, xiQualityOfService: 'BestEffort', xiResponseMessageId: '00000000-0000-0000-0000-00000000abcd' });
});

test('BE against the XI mock: the response payload becomes the body', async (t) => {
  const mock = await startXiMock({
    handlers: { SalesOrderCreate_In: (m) => ({ payload: `<Confirmation from="${m.receiver.service}">${m.payload.toString('utf8')}</Confirmation>`, contentType: 'application/xml' }) },
  });
  t.after(() => mock.close());
  const result = await call({ address: mock.endpoint });
  assert.equal(dec.decode(result.body), `<Confirmation from="S4H_100">${ORDER}</Confirmation>`);
  const [m] = mock.messages();
  assert.deepEqual([m?.qualityOfService, m?.processingMode, m?.messageClass, m?.interface, m?.interfaceNamespace, m?.sender.service, m?.user], [
    'BestEffort', 'synchronous', 'ApplicationMessage', 'SalesOrderCreate_In', 'urn:example:sd', 'BS_CPI', 'alice',
  ]);
  assert.equal(m?.messageId, result.properties?.sapMessageId);
  assert.equal(m?.soapAction, 'http://sap.com/xi/XI/Message/30');
});

test('EO: one-way send acknowledged; the receiver drops a duplicate by message id; call is refused', async (t) => {
  const mock = await startXiMock();
  t.after(() => mock.close());
  const first = await call({ address: mock.endpoint, variant: 'xi-eo', kind: 'send' });
  assert.equal(first.status, 200);
  assert.equal(first.body.byteLength, 0);
  assert.equal(first.properties?.xiQualityOfService, 'ExactlyOnce');
  const retryId = '0123456789abcdef0123456789abcdef';
  await call({ address: mock.endpoint, variant: 'xi-eo', kind: 'send', messageHeaders: { SapMessageId: retryId } });
  const retry = await call({ address: mock.endpoint, variant: 'xi-eo', kind: 'send', messageHeaders: { SapMessageId: retryId } });
  assert.equal(retry.properties?.sapMessageId, '01234567-89ab-cdef-0123-456789abcdef');
  const messages = mock.messages();
  assert.deepEqual(messages.map((m) => [m.qualityOfService, m.processingMode, m.duplicate]), [
    ['ExactlyOnce', 'asynchronous', false],
    ['ExactlyOnce', 'asynchronous', false],
    ['ExactlyOnce', 'asynchronous', true],
  ]);
  assert.equal(mock.stats().duplicates, 1);
  await assert.rejects(call({ address: mock.endpoint, variant: 'xi-eo', kind: 'call' }), (err: unknown) => err instanceof AdapterError && err.code === 'SF_XI_ONE_WAY');
  assert.equal(mock.stats().messages, 3);
});

test('an XI error (SOAP fault with SAP:Error) fails the step with code, reason, category', async (t) => {
  const mock = await startXiMock({ errors: { SalesOrderCreate_In: { category: 'Application', code: 'SD.ORDER_BLOCKED', text: 'customer 4711 is blocked for orders' } } });
  t.after(() => mock.close());
  await assert.rejects(call({ address: mock.endpoint }), (err: unknown) => {
    assert.ok(err instanceof AdapterError);
    assert.equal(err.code, 'SF_SOAP_FAULT');
    assert.equal(err.message, 'receiver "pi": SOAP fault SOAP:Server — customer 4711 is blocked for orders (XI error SD.ORDER_BLOCKED, category Application)');
    assert.equal(err.details.faultCode, 'SOAP:Server');
    assert.equal(err.details.errorCategory, 'Application');
    assert.equal(err.details.errorCode, 'SD.ORDER_BLOCKED');
    assert.equal(err.details.status, 500);
    return true;
  });
});

test('missing config and bad message ids are refused before any request', async (t) => {
  const mock = await startXiMock();
  t.after(() => mock.close());
  await assert.rejects(call({ address: mock.endpoint, config: { senderService: 'BS_CPI' } }), (err: unknown) => {
    assert.ok(err instanceof AdapterError);
    assert.equal(err.code, 'SF_XI_CONFIG');
    assert.match(err.message, /^receiver "pi" \(adapter xi\) needs config interface, interfaceNamespace/);
    return true;
  });
  await assert.rejects(call({ address: mock.endpoint, messageHeaders: { SapMessageId: 'order-17' } }), /message header "SapMessageId" for receiver "pi" is not a UUID/);
  assert.equal(mock.stats().requests, 0);
});

test('a session from the exchange scope: ONE authentication over several messages, counted by the server', async (t) => {
  const mock = await startXiMock();
  t.after(() => mock.close());
  const store = new SessionStore();
  const http = createSessionClient({ receiver: 'pi', jar: store.jarFor({ kind: 'exchange', id: 'ex-1' }), auth: ALICE });
  await call({ address: mock.endpoint, http });
  await call({ address: mock.endpoint, http, variant: 'xi-eo', kind: 'send' });
  await call({ address: mock.endpoint, http });
  const stats = mock.stats();
  assert.equal(stats.messages, 3);
  assert.equal(stats.authentications, 1);
  assert.equal(stats.sessionsCreated, 1);
  assert.equal(new Set(mock.messages().map((m) => m.sessionHash)).size, 1);
});

test('the XI mock itself refuses a message without the XI header, with an SAP:Error of category XIProtocol', async (t) => {
  const mock = await startXiMock({ auth: 'none' });
  t.after(() => mock.close());
  const envelope = '<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body/></S:Envelope>';
  const mp = buildMultipartRelated([{ contentId: 'soap@x', contentType: 'text/xml', body: envelope }]);
  const res = await fetch(mock.endpoint, { method: 'POST', headers: { 'Content-Type': mp.contentType }, body: mp.body });
  assert.equal(res.status, 500);
  const fault = xml.parse(await res.text());
  const error = at(fault, 'SOAP:Envelope', 'SOAP:Body', 'SOAP:Fault', 'detail', 'SAP:Error') as Node;
  assert.equal(error['SAP:Category'], 'XIProtocol');
  assert.equal(at(error, 'SAP:Code', '#text'), 'MESSAGE.MISSING_MAIN');
  assert.equal(mock.stats().errors, 1);
  assert.equal(mock.messages().length, 0);
});
