import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import * as soap from 'soap';
import { XMLParser } from 'fast-xml-parser';
import { AdapterError, createSessionClient, SDK_API_VERSION, SessionStore, validateAdapterConfig } from '@sessionflow/sdk';
import type { AdapterContext, HttpAuth, OutboundMessage, SessionHttpClient, SessionJar, StepKindIO } from '@sessionflow/sdk';
import { startSoapMock } from '@sessionflow/sdk/testing';
import adapter from '../src/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const WSDL = readFileSync(new URL('./fixtures/orders.wsdl', import.meta.url), 'utf8');

/** An independent XML parser (namespace prefixes stripped) for checking what the adapter produced. */
const xml = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true, parseTagValue: false });
/** The same, keeping prefixes and namespace declarations. */
const xmlNs = new XMLParser({ ignoreAttributes: false, parseTagValue: false });

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface OrderArgs {
  item: string;
  quantity: number;
}

/**
 * The `soap` npm package's server on a WSDL with a SOAP 1.1 port (/orders11) and a SOAP 1.2
 * port (/orders12). It parses the envelope and dispatches CreateOrder; "bad" items fault.
 */
async function soapServer(t: { after(fn: () => Promise<void>): void }) {
  const seen: Seen[] = [];
  const args: { port: string; args: OrderArgs }[] = [];
  const server = createServer();
  const impl = (port: string, fault: (reason: string) => unknown) => ({
    CreateOrder(a: OrderArgs) {
      args.push({ port, args: a });
      if (a.item === 'bad') throw fault(`item ${a.item} is out of stock`);
      return { orderId: `${port}-${args.length}`, item: a.item, quantity: a.quantity };
    },
  });
  const services = {
    OrdersService: {
      Soap11Port: impl('soap11', (reason) => ({ Fault: { faultcode: 'soap:Server', faultstring: reason, statusCode: 500 } })),
      Soap12Port: impl('soap12', (reason) => ({ Fault: { Code: { Value: 'soap:Receiver' }, Reason: { Text: reason }, statusCode: 500 } })),
    },
  };
  // soap.listen() installs its request listener once the WSDL is processed (callback).
  await new Promise<void>((resolve) => soap.listen(server, { path: '/orders11', services, xml: WSDL, callback: () => resolve() }));
  await new Promise<void>((resolve) => soap.listen(server, { path: '/orders12', services, xml: WSDL, forceSoap12Headers: true, callback: () => resolve() } as soap.IServerOptions));
  // Recorded next to the soap server's own listener: the raw request as it arrived.
  server.on('request', (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return { seen, args, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

interface CallOptions {
  address: string;
  variant?: string;
  kind?: StepKindIO;
  config?: Record<string, unknown>;
  body?: string;
  messageHeaders?: Record<string, string>;
  stepHeaders?: Record<string, string>;
  method?: string;
  http?: SessionHttpClient;
  jar?: SessionJar | null;
  auth?: HttpAuth;
}

function context(o: CallOptions): AdapterContext {
  return {
    receiver: { name: 'orders', adapter: 'soap', variant: o.variant ?? 'soap-1.1', address: o.address, authType: 'none', csrf: false, stateful: false, config: o.config ?? {} },
    step: { stepId: 'create', kind: o.kind ?? 'call', headers: o.stepHeaders ?? {}, query: {}, ...(o.method ? { method: o.method } : {}) },
    http: o.http ?? createSessionClient({ receiver: 'orders', jar: o.jar ?? null, auth: o.auth ?? { type: 'none' } }),
    log: { info: () => {}, debug: () => {} },
    signal: new AbortController().signal,
  };
}

function call(o: CallOptions) {
  const message: OutboundMessage = { body: enc.encode(o.body ?? ''), headers: o.messageHeaders ?? {}, properties: {}, contentType: 'application/xml' };
  return adapter.send(message, context(o));
}

const ORDER = '<?xml version="1.0" encoding="UTF-8"?>\n<CreateOrder xmlns="urn:example:orders"><item>pen</item><quantity>3</quantity></CreateOrder>';

test('declaration: soap-1.1, soap-1.2 and one-way sap-rm with the capabilities of the matrix', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string; keywords: string[]; sessionflow: { apiVersion: number } };
  assert.equal(adapter.id, 'soap');
  assert.equal(adapter.version, pkg.version);
  assert.equal(adapter.apiVersion, SDK_API_VERSION);
  assert.equal(pkg.sessionflow.apiVersion, SDK_API_VERSION);
  assert.ok(pkg.keywords.includes('sessionflow-adapter'));
  assert.deepEqual(adapter.variants.map((v) => [v.id, v.stepKinds]), [
    ['soap-1.1', ['call', 'send']],
    ['soap-1.2', ['call', 'send']],
    ['sap-rm', ['send']],
  ]);
  assert.equal(adapter.defaultVariant, 'soap-1.1');
  for (const v of adapter.variants) {
    assert.equal(v.sessionReuse, 'supported');
    assert.equal(v.csrf, false);
    assert.equal(v.direction, 'receiver');
    assert.deepEqual(Object.fromEntries(v.auth.map((a) => [a.type, a.proxies ?? 'all'])), {
      none: 'all',
      basic: 'all',
      'client-certificate': ['internet'],
      'principal-propagation': ['onPremise'],
    });
  }
});

test('config schema: defaults, enums and unknown fields', () => {
  assert.deepEqual(validateAdapterConfig(adapter, {}), []);
  assert.deepEqual(validateAdapterConfig(adapter, { soapAction: 'urn:a', operation: 'CreateOrder', operationNamespace: 'urn:x', wrapBody: 'never', responseMode: 'envelope' }), []);
  const [bad] = validateAdapterConfig(adapter, { responseMode: 'payload' });
  assert.deepEqual(bad?.allowed, ['body', 'envelope']);
  assert.deepEqual(validateAdapterConfig(adapter, { wrapbody: 'auto' }).map((p) => p.path), [['wrapbody']]);
  assert.ok(validateAdapterConfig(adapter, { operation: 'not a name' }).some((p) => p.path[0] === 'operation'));
  const props = adapter.configSchema.properties as Record<string, { default?: unknown; description?: string; title?: string }>;
  assert.equal(props.wrapBody?.default, 'auto');
  assert.equal(props.responseMode?.default, 'body');
  for (const p of Object.values(props)) assert.ok(p.title && p.description && p.description.length > 20);
});

test('SOAP 1.1 call: text/xml, quoted SOAPAction, envelope parsed and dispatched by the soap server, Body content returned', async (t) => {
  const srv = await soapServer(t);
  const result = await call({ address: `${srv.base}/orders11`, body: ORDER, config: { soapAction: 'urn:example:orders/CreateOrder' } });
  assert.equal(srv.seen.length, 1);
  const s = srv.seen[0]!;
  assert.equal(s.method, 'POST');
  assert.equal(s.url, '/orders11');
  assert.equal(s.headers['content-type'], 'text/xml; charset=utf-8');
  assert.equal(s.headers.soapaction, '"urn:example:orders/CreateOrder"');
  assert.deepEqual(srv.args, [{ port: 'soap11', args: { item: 'pen', quantity: 3 } }]);
  // The envelope shape, checked with an independent parser.
  const env = xmlNs.parse(s.body) as { 'soap:Envelope': { '@_xmlns:soap': string; 'soap:Body': { CreateOrder: { '@_xmlns': string; item: string } }; 'soap:Header'?: unknown } };
  assert.equal(env['soap:Envelope']['@_xmlns:soap'], SOAP11);
  assert.equal(env['soap:Envelope']['soap:Header'], undefined);
  assert.equal(env['soap:Envelope']['soap:Body'].CreateOrder['@_xmlns'], 'urn:example:orders');
  assert.ok(!s.body.includes('<?xml version="1.0" encoding="UTF-8"?>'), 'the payload\'s own XML declaration is dropped');

  assert.equal(result.status, 200);
  assert.equal(result.contentType, 'application/xml; charset=utf-8');
  const out = xmlNs.parse(dec.decode(result.body)) as { CreateOrderResponse: Record<string, string> };
  assert.equal(out.CreateOrderResponse['@_xmlns'], 'urn:example:orders');
  assert.deepEqual([out.CreateOrderResponse.orderId, out.CreateOrderResponse.item, out.CreateOrderResponse.quantity], ['soap11-1', 'pen', '3']);
  // The answer's Body content as the message body: the soap envelope's own namespace is not carried along.
  assert.ok(!dec.decode(result.body).includes(SOAP11));
});

test('SOAP 1.2 call: application/soap+xml with the action parameter, no SOAPAction header; operation wrapping', async (t) => {
  const srv = await soapServer(t);
  const result = await call({
    address: `${srv.base}/orders12`,
    variant: 'soap-1.2',
    body: '<item xmlns="urn:example:orders">ink</item><quantity xmlns="urn:example:orders">12</quantity>',
    config: { soapAction: 'urn:example:orders/CreateOrder', operation: 'CreateOrder', operationNamespace: 'urn:example:orders' },
  });
  const s = srv.seen[0]!;
  assert.equal(s.headers['content-type'], 'application/soap+xml; charset=utf-8; action="urn:example:orders/CreateOrder"');
  assert.equal(s.headers.soapaction, undefined);
  assert.deepEqual(srv.args, [{ port: 'soap12', args: { item: 'ink', quantity: 12 } }]);
  const env = xmlNs.parse(s.body) as { 'soap:Envelope': { '@_xmlns:soap': string } };
  assert.equal(env['soap:Envelope']['@_xmlns:soap'], SOAP12);
  const out = xml.parse(dec.decode(result.body)) as { CreateOrderResponse: { orderId: string } };
  assert.equal(out.CreateOrderResponse.orderId, 'soap12-1');
});

test('SOAP faults (1.1 and 1.2) become SF_SOAP_FAULT step errors with code and reason', async (t) => {
  const srv = await soapServer(t);
  const bad = ORDER.replace('pen', 'bad');
  await assert.rejects(call({ address: `${srv.base}/orders11`, body: bad, config: { soapAction: 'urn:example:orders/CreateOrder' } }), (err: unknown) => {
    assert.ok(err instanceof AdapterError);
    assert.equal(err.code, 'SF_SOAP_FAULT');
    assert.equal(err.message, 'receiver "orders": SOAP fault soap:Server — item bad is out of stock');
    assert.equal(err.details.faultCode, 'soap:Server');
    assert.equal(err.details.faultReason, 'item bad is out of stock');
    assert.equal(err.details.status, 500);
    assert.equal(err.details.soapVersion, '1.1');
    return true;
  });
  await assert.rejects(call({ address: `${srv.base}/orders12`, variant: 'soap-1.2', body: bad }), (err: unknown) => {
    assert.ok(err instanceof AdapterError);
    assert.equal(err.code, 'SF_SOAP_FAULT');
    assert.equal(err.message, 'receiver "orders": SOAP fault soap:Receiver — item bad is out of stock');
    assert.deepEqual([err.details.faultCode, err.details.faultReason, err.details.soapVersion], ['soap:Receiver', 'item bad is out of stock', '1.2']);
    return true;
  });
  assert.equal(srv.args.length, 2);
});

test('a body that already is an envelope is sent byte for byte; responseMode envelope returns the whole answer', async (t) => {
  const srv = await soapServer(t);
  const envelope = `<soapenv:Envelope xmlns:soapenv="${SOAP11}" xmlns:o="urn:example:orders"><soapenv:Header/><soapenv:Body><o:CreateOrder><o:item>cup</o:item><o:quantity>1</o:quantity></o:CreateOrder></soapenv:Body></soapenv:Envelope>`;
  const result = await call({ address: `${srv.base}/orders11`, body: envelope, config: { responseMode: 'envelope' } });
  assert.equal(srv.seen[0]?.body, envelope);
  assert.equal(srv.seen[0]?.headers.soapaction, '""');
  assert.deepEqual(srv.args[0]?.args, { item: 'cup', quantity: 1 });
  const whole = xml.parse(dec.decode(result.body)) as { Envelope: { Body: { CreateOrderResponse: { item: string } } } };
  assert.equal(whole.Envelope.Body.CreateOrderResponse.item, 'cup');
  assert.equal(result.contentType, 'text/xml; charset=utf-8');
});

test('Body content keeps the namespaces it inherits from the envelope', async (t) => {
  const mock = await startSoapMock({ auth: 'none' });
  t.after(() => mock.close());
  // The mock echoes the Body content; the request's prefix "o" is declared on the Envelope only.
  const envelope = `<s:Envelope xmlns:s="${SOAP11}" xmlns:o="urn:example:orders"><s:Body><o:Echo a="1">x &amp; y</o:Echo></s:Body></s:Envelope>`;
  const result = await call({ address: `${mock.url}/svc`, body: envelope });
  const body = dec.decode(result.body);
  assert.equal(body, '<o:Echo xmlns:o="urn:example:orders" a="1">x &amp; y</o:Echo>');
});

test('bad message bodies are refused before any request, with where and why', async (t) => {
  const srv = await soapServer(t);
  const address = `${srv.base}/orders11`;
  await assert.rejects(call({ address, body: '<a><b></a>' }), (err: unknown) => {
    assert.ok(err instanceof AdapterError);
    assert.equal(err.code, 'SF_SOAP_INVALID_BODY');
    assert.match(err.message, /^message body for receiver "orders" is not well-formed XML: .* \(line 1, column \d+\)$/);
    return true;
  });
  await assert.rejects(call({ address, body: 'just text' }), /message body for receiver "orders" is not XML: text "just text" outside any element/);
  await assert.rejects(call({ address, body: '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>' }), /DOCTYPE \(DTD\) is not allowed/);
  await assert.rejects(call({ address, body: '<item/>', config: { wrapBody: 'never' } }), /is not a SOAP envelope, and wrapBody is "never"/);
  await assert.rejects(call({ address, variant: 'soap-1.2', body: `<e:Envelope xmlns:e="${SOAP11}"><e:Body/></e:Envelope>` }), (err: unknown) => {
    assert.ok(err instanceof AdapterError);
    assert.equal(err.code, 'SF_SOAP_VERSION_MISMATCH');
    assert.match(err.message, /is a SOAP 1\.1 envelope, but variant "soap-1\.2" sends SOAP 1\.2/);
    return true;
  });
  await assert.rejects(call({ address, method: 'GET', body: ORDER }), /SOAP requests are POSTed; the step asks for GET/);
  await assert.rejects(call({ address: `${srv.base}/x`, body: ORDER, kind: 'call', variant: 'sap-rm' }), (err: unknown) => err instanceof AdapterError && err.code === 'SF_SOAP_ONE_WAY');
  assert.equal(srv.seen.length, 0);
});

test('answers without a fault: an error status fails with SF_SOAP_HTTP_STATUS, a non-SOAP 200 with SF_SOAP_BAD_RESPONSE', async (t) => {
  let status = 503;
  let text = '<html>maintenance</html>';
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'Content-Type': 'text/html' });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  const address = `http://127.0.0.1:${(server.address() as AddressInfo).port}/svc?sap-client=100`;
  await assert.rejects(call({ address, body: ORDER }), (err: unknown) => {
    assert.ok(err instanceof AdapterError);
    assert.equal(err.code, 'SF_SOAP_HTTP_STATUS');
    assert.match(err.message, /answered 503 Service Unavailable without a SOAP fault for POST http:\/\/127\.0\.0\.1:\d+\/svc\?sap-client=\*\*\*$/);
    return true;
  });
  status = 200;
  text = 'OK';
  await assert.rejects(call({ address, body: ORDER }), (err: unknown) => err instanceof AdapterError && err.code === 'SF_SOAP_BAD_RESPONSE' && /with a body that is not well-formed XML/.test(err.message));
  text = '<not-soap/>';
  await assert.rejects(call({ address, body: ORDER }), /with a body that is not a SOAP envelope \(root element not-soap\)/);
});

test('sap-rm: one-way send with a WS-Addressing MessageID; a reused SapMessageId is detected as a duplicate', async (t) => {
  const mock = await startSoapMock({ auth: 'none' });
  t.after(() => mock.close());
  const address = `${mock.url}/sap/bc/srt/xip/sap/orders?sap-client=100`;
  const first = await call({ address, variant: 'sap-rm', kind: 'send', body: ORDER, config: { soapAction: 'urn:example:orders/CreateOrder' } });
  assert.equal(first.status, 202);
  assert.equal(first.body.byteLength, 0);
  const id = first.properties?.sapMessageId as string;
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

  const calls = mock.calls();
  assert.equal(calls.length, 1);
  assert.equal(calls[0]?.version, '1.1');
  assert.equal(calls[0]?.action, 'urn:example:orders/CreateOrder');
  assert.equal(calls[0]?.messageId, `uuid:${id}`);
  const env = xmlNs.parse(calls[0]!.envelope) as { 'soap:Envelope': { 'soap:Header': Record<string, { '#text': string; '@_xmlns:wsa': string }> } };
  const header = env['soap:Envelope']['soap:Header'];
  assert.equal(header['wsa:MessageID']?.['#text'], `uuid:${id}`);
  assert.equal(header['wsa:MessageID']?.['@_xmlns:wsa'], 'http://www.w3.org/2005/08/addressing');
  assert.equal(header['wsa:Action']?.['#text'], 'urn:example:orders/CreateOrder');

  // A retried exchange carries the same SapMessageId (SAP style: 32 hex digits): the receiver sees a duplicate.
  const sapId = 'A1B2C3D4E5F60718293A4B5C6D7E8F90';
  await call({ address, variant: 'sap-rm', kind: 'send', body: ORDER, messageHeaders: { SapMessageId: sapId } });
  const again = await call({ address, variant: 'sap-rm', kind: 'send', body: ORDER, messageHeaders: { sapmessageid: sapId } });
  assert.equal(again.properties?.sapMessageId, 'a1b2c3d4-e5f6-0718-293a-4b5c6d7e8f90');
  assert.deepEqual(mock.calls().map((c) => c.duplicate), [false, false, true]);
  assert.equal(mock.stats().duplicates, 1);
  await assert.rejects(call({ address, variant: 'sap-rm', kind: 'send', body: ORDER, messageHeaders: { SapMessageId: 'not-a-uuid' } }), /message header "SapMessageId" for receiver "orders" is not a UUID/);
});

test('sap-rm with a complete envelope: the MessageID goes into its existing Header', async (t) => {
  const mock = await startSoapMock({ auth: 'none' });
  t.after(() => mock.close());
  const envelope = `<e:Envelope xmlns:e="${SOAP11}"><e:Header><x:Trace xmlns:x="urn:trace">t1</x:Trace></e:Header><e:Body><Ping/></e:Body></e:Envelope>`;
  const r = await call({ address: `${mock.url}/rm`, variant: 'sap-rm', kind: 'send', body: envelope });
  const sent = mock.calls()[0]!.envelope;
  const env = xml.parse(sent) as { Envelope: { Header: { Trace: string; MessageID: string }; Body: { Ping: string } } };
  assert.equal(env.Envelope.Header.Trace, 't1');
  assert.equal(env.Envelope.Header.MessageID, `uuid:${String(r.properties?.sapMessageId)}`);
  assert.equal(env.Envelope.Body.Ping, '');
});

test('a session from the exchange scope: ONE authentication over several calls, counted by the server', async (t) => {
  const mock = await startSoapMock({ users: { alice: 'alice-pw' } });
  t.after(() => mock.close());
  const store = new SessionStore();
  const auth: HttpAuth = { type: 'basic', user: 'alice', password: 'alice-pw' };
  const jar = store.jarFor({ kind: 'exchange', id: 'ex-1' });
  const http = createSessionClient({ receiver: 'orders', jar, auth });
  for (let i = 0; i < 3; i++) await call({ address: `${mock.url}/orders`, body: ORDER, http, variant: i === 1 ? 'soap-1.2' : 'soap-1.1' });
  await call({ address: `${mock.url}/orders`, body: ORDER, http, variant: 'sap-rm', kind: 'send' });
  let stats = mock.stats();
  assert.equal(stats.calls, 4);
  assert.equal(stats.authentications, 1);
  assert.equal(stats.sessionsCreated, 1);
  assert.equal(new Set(mock.calls().map((c) => c.sessionHash)).size, 1);

  // Another exchange has its own jar: one more authentication, then none.
  const other = createSessionClient({ receiver: 'orders', jar: store.jarFor({ kind: 'exchange', id: 'ex-2' }), auth });
  await call({ address: `${mock.url}/orders`, body: ORDER, http: other });
  await call({ address: `${mock.url}/orders`, body: ORDER, http: other });
  stats = mock.stats();
  assert.equal(stats.authentications, 2);
  assert.equal(stats.sessionsCreated, 2);

  // No session scope: every call authenticates.
  await call({ address: `${mock.url}/orders`, body: ORDER, jar: null, auth });
  await call({ address: `${mock.url}/orders`, body: ORDER, jar: null, auth });
  assert.equal(mock.stats().authentications, 4);
});

test('a fault configured on the mock fails the step; no secret appears in the error', async (t) => {
  const mock = await startSoapMock({ users: { alice: 's3cr3t-pw' }, faults: { CreateOrder: { code: 'Client', reason: 'quantity must be positive', status: 500 } } });
  t.after(() => mock.close());
  const auth: HttpAuth = { type: 'basic', user: 'alice', password: 's3cr3t-pw' };
  for (const variant of ['soap-1.1', 'soap-1.2']) {
    await assert.rejects(call({ address: `${mock.url}/orders?token=abc123`, body: ORDER, variant, auth }), (err: unknown) => {
      assert.ok(err instanceof AdapterError);
      assert.equal(err.code, 'SF_SOAP_FAULT');
      assert.equal(err.details.faultCode, variant === 'soap-1.1' ? 'soap:Client' : 'env:Sender');
      assert.equal(err.details.faultReason, 'quantity must be positive');
      const all = `${err.message} ${JSON.stringify(err.details)}`;
      for (const secret of ['s3cr3t-pw', 'abc123']) assert.equal(all.includes(secret), false);
      return true;
    });
  }
  assert.equal(mock.stats().faults, 2);
});

test('the SOAP mock itself: 401 without credentials, 415 for other content types, VersionMismatch for a mixed-up envelope', async (t) => {
  const mock = await startSoapMock();
  t.after(() => mock.close());
  const basic = `Basic ${Buffer.from('alice:alice-pw').toString('base64')}`;
  const env11 = `<s:Envelope xmlns:s="${SOAP11}"><s:Body><Ping/></s:Body></s:Envelope>`;
  assert.equal((await fetch(`${mock.url}/x`, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: env11 })).status, 401);
  assert.equal((await fetch(`${mock.url}/x`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: basic }, body: '{}' })).status, 415);
  const mixed = await fetch(`${mock.url}/x`, { method: 'POST', headers: { 'Content-Type': 'application/soap+xml', Authorization: basic }, body: env11 });
  assert.equal(mixed.status, 500);
  const fault = xml.parse(await mixed.text()) as { Envelope: { Body: { Fault: { Code: { Value: string }; Reason: { Text: { '#text': string } } } } } };
  assert.equal(fault.Envelope.Body.Fault.Code.Value, 'env:VersionMismatch');
  assert.match(fault.Envelope.Body.Fault.Reason.Text['#text'], /SOAP 1\.1 envelope sent with the content type of SOAP 1\.2/);
  const stats = mock.stats();
  assert.equal(stats.authentications, 2);
  assert.equal(stats.failedAuthentications, 0);
  assert.equal(stats.faults, 1);
});
