// `sessionflow run` with every built-in adapter, in-process: one small, realistic flow per
// adapter (and per locally runnable SuccessFactors variant) written to a temp folder, its
// receiver pointed at the adapter's mock from @sessionflow/sdk/testing, credentials declared in
// the flow and supplied through a --credentials file (mode 600). Each run does 2 exchanges and
// prints the JSON report; the test checks the report AND what the mock itself counted: one
// authentication per exchange session (not per call) for session-capable adapters, and no
// Cookie header ever reaching SuccessFactors' stateless APIs (rest, odata-v4).
// One failure per protocol family shows that a failed call exits 1 and names step and receiver.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startAs2Mock,
  startIdocMock,
  startODataMock,
  startSoapMock,
  startSuccessFactorsMock,
  startTestBackend,
  startXiMock,
} from '@sessionflow/sdk/testing';
import { main } from '../../language-server/src/cli/main.js';
import type { CliIO } from '../../language-server/src/cli/io.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

type T = { after(fn: () => unknown): void };

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

interface ReceiverSummary {
  calls: number;
  requests: number;
  credentialsSent: number;
  sessionsOpened: number;
  csrfFetches: number;
  logoffs: number;
  reauthentications: number;
  reusePercent: number | null;
}

interface JsonReport {
  flow: string;
  sessionHandling: string;
  exchanges: number;
  succeeded: number;
  failed: number;
  receivers: Record<string, ReceiverSummary>;
  failures: { exchange: string; code: string; stepId?: string; receiver?: string; message: string }[];
}

type Credential = { user: string; password: string } | { clientId: string; clientSecret: string };

const ALICE = { user: 'alice', password: 'alice-pw' };
/** Secrets that must never be printed, whatever the run does. */
const SECRETS = ['alice-pw', 'sf-secret', 'wrong-pw'];

function tempDir(t: T): string {
  const dir = mkdtempSync(join(tmpdir(), 'sf-run-adapters-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function write(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** A credentials file (YAML) with mode 600, as `sessionflow run --credentials` demands. */
function credentialsFile(dir: string, entries: Record<string, Credential>): string {
  const file = join(dir, 'credentials.yaml');
  const text = Object.entries(entries)
    .map(([name, c]) =>
      'user' in c ? `${name}:\n  user: ${c.user}\n  password: ${c.password}\n` : `${name}:\n  clientId: ${c.clientId}\n  clientSecret: ${c.clientSecret}\n`,
    )
    .join('');
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  return file;
}

async function cli(args: string[], cwd: string): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    cwd,
    env: {},
  };
  const code = await main(args, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** stdout must be exactly one JSON object. */
function parseReport(stdout: string): JsonReport {
  const text = stdout.trim();
  assert.ok(text.startsWith('{') && text.endsWith('}'), `stdout is one JSON object, got: ${stdout.slice(0, 300)}`);
  return JSON.parse(text) as JsonReport;
}

function assertNoSecrets(r: Captured): void {
  for (const text of [r.stdout, r.stderr]) {
    for (const s of SECRETS) assert.ok(!text.includes(s), `"${s}" is never printed`);
    assert.doesNotMatch(text, /Basic [A-Za-z0-9+/=]{8,}/, 'no Authorization value printed');
    assert.doesNotMatch(text, /Bearer [A-Za-z0-9._~+/=-]{8,}/, 'no token printed');
    assert.doesNotMatch(text, /\n\s+at .*:\d+:\d+/, 'no stack trace');
  }
}

interface RunSpec {
  /** The flow file's text. */
  flow: string;
  credentials: Record<string, Credential>;
  /** Message file name (its extension sets the content type) and content. */
  message?: { name: string; text: string };
  exchanges?: number;
}

/** Writes flow, credentials and message into a temp folder and runs `sessionflow run ... --report json`. */
async function runFlow(t: T, spec: RunSpec): Promise<Captured & { report: JsonReport }> {
  const dir = tempDir(t);
  const flowFile = write(dir, 'adapter.flow.yaml', spec.flow);
  const creds = credentialsFile(dir, spec.credentials);
  const args = ['run', flowFile, '--credentials', creds, '--exchanges', String(spec.exchanges ?? 2), '--report', 'json'];
  if (spec.message) args.push('--message', write(dir, spec.message.name, spec.message.text));
  const r = await cli(args, dir);
  assertNoSecrets(r);
  return { ...r, report: parseReport(r.stdout) };
}

/** A successful 2-exchange run: exit 0, report totals and the flow's session handling. */
function assertCompleted(r: Captured & { report: JsonReport }, sessionHandling: string, exchanges = 2): void {
  assert.equal(r.code, 0, `exit 0\nstdout: ${r.stdout.slice(0, 1500)}\nstderr: ${r.stderr}`);
  assert.deepEqual([r.report.exchanges, r.report.succeeded, r.report.failed], [exchanges, exchanges, 0]);
  assert.equal(r.report.sessionHandling, sessionHandling);
  assert.deepEqual(r.report.failures, []);
}

/** Report counts of one receiver, as [calls, credentialsSent, sessionsOpened]. */
function counts(report: JsonReport, receiver: string): [number, number, number] {
  const s = report.receivers[receiver];
  assert.ok(s, `report has receiver ${receiver}: ${Object.keys(report.receivers).join(', ')}`);
  return [s.calls, s.credentialsSent, s.sessionsOpened];
}

/** A failed run: exit 1, every exchange failed with `code` at `stepId`/`receiver`, and stderr says so. */
function assertFailedAt(r: Captured & { report: JsonReport }, code: string, stepId: string, receiver: string, message: RegExp): void {
  assert.equal(r.code, 1, `exit 1\nstderr: ${r.stderr}`);
  assert.deepEqual([r.report.exchanges, r.report.succeeded, r.report.failed], [2, 0, 2]);
  assert.equal(r.report.failures.length, 2);
  for (const f of r.report.failures) {
    assert.deepEqual([f.code, f.stepId, f.receiver], [code, stepId, receiver]);
    assert.match(f.message, message);
  }
  // Identical failures are grouped on one line; failures whose messages differ (e.g. by message id) get one line each.
  assert.match(r.stderr, /^Failures \(2 of 2 exchanges\):\n/);
  assert.match(r.stderr, new RegExp(`\\n  (exchange|2 exchanges \\([^)]*\\)) [^\\n]*— step ${stepId}, receiver ${receiver}: `));
  assert.match(r.stderr, message);
}

/** Groups requests by session hash: how many sessions, and how many requests each served. */
function perSession<R extends { sessionHash?: string }>(requests: R[]): number[] {
  const by = new Map<string, number>();
  for (const q of requests) by.set(q.sessionHash ?? '(none)', (by.get(q.sessionHash ?? '(none)') ?? 0) + 1);
  return [...by.values()];
}

// ---------------------------------------------------------------------------------------------
// http
// ---------------------------------------------------------------------------------------------

const httpFlow = (url: string): string => `# Post an order to a CSRF-protected REST API: the token call primes the session.
flow: http-orders
formatVersion: 2
runtime:
  sessionHandling: onExchange
credentials:
  erp-user: { type: basic }
receivers:
  erp:
    adapter: http
    address: ${url}/api/items
    auth: { type: basic, credential: erp-user }
    csrf: true
steps:
  - id: fetch-token
    send: erp
    method: GET
    headers: { X-CSRF-Token: Fetch }
  - id: post-order
    call: erp
    method: POST
  - id: read-back
    call: erp
    method: GET
`;

test('http: token call, POST and GET share one session per exchange (report and backend agree)', async (t) => {
  const b = await startTestBackend();
  t.after(() => b.close());
  const r = await runFlow(t, {
    flow: httpFlow(b.url),
    credentials: { 'erp-user': ALICE },
    message: { name: 'order.json', text: JSON.stringify({ orderId: 'A-1', items: [{ sku: 'pen', qty: 3 }] }) },
  });
  assertCompleted(r, 'onExchange');
  assert.equal(r.report.flow, 'http-orders');
  assert.deepEqual(counts(r.report, 'erp'), [6, 2, 2]);
  assert.equal(r.report.receivers.erp!.csrfFetches, 2, 'the step fetched the token once per exchange');
  const stats = b.stats();
  assert.equal(stats.requests, 6);
  assert.equal(stats.authentications, 2, 'one password check per exchange, not per call');
  assert.equal(stats.sessionsCreated, 2);
  assert.equal(stats.csrfFetches, 2);
  assert.equal(stats.csrfRejections, 0);
  const requests = b.requests();
  assert.deepEqual(perSession(requests), [3, 3], 'each exchange made its three calls in its own session');
  assert.equal(requests.filter((q) => q.authorization).length, 2, 'credentials only on the first call of each session');
  assert.ok(requests.filter((q) => q.method === 'POST').every((q) => q.csrfToken && !q.authorization && q.status === 200));
});

test('http failure: a wrong password fails the first step with 401; exit 1, step and receiver named, no secret printed', async (t) => {
  const b = await startTestBackend();
  t.after(() => b.close());
  const r = await runFlow(t, { flow: httpFlow(b.url), credentials: { 'erp-user': { user: 'alice', password: 'wrong-pw' } } });
  assertFailedAt(r, 'SF_HTTP_STATUS', 'fetch-token', 'erp', /answered 401 Unauthorized for GET /);
  assert.equal(b.stats().failedAuthentications, 2);
  assert.equal(b.requests().length, 2, 'each exchange stops at its failed step');
});

// ---------------------------------------------------------------------------------------------
// soap
// ---------------------------------------------------------------------------------------------

const ORDER_XML = '<CreateOrder xmlns="urn:example:orders"><item>pen</item><quantity>3</quantity></CreateOrder>';

const soapFlow = (url: string): string => `# Create an order over SOAP 1.2, check it, then notify over SAP RM (one-way).
flow: soap-orders
formatVersion: 2
runtime:
  sessionHandling: onExchange
credentials:
  orders-user: { type: basic }
receivers:
  orders:
    adapter: soap
    variant: soap-1.2
    address: ${url}/orders
    auth: { type: basic, credential: orders-user }
    config:
      soapAction: urn:example:orders/CreateOrder
  orders-rm:
    adapter: soap
    variant: sap-rm
    address: ${url}/rm
    auth: { type: basic, credential: orders-user }
steps:
  - id: create
    call: orders
  - id: check
    call: orders
  - id: notify
    send: orders-rm
`;

test('soap: two SOAP 1.2 calls and an SAP RM send per exchange, one password check per exchange session', async (t) => {
  const mock = await startSoapMock();
  t.after(() => mock.close());
  const r = await runFlow(t, { flow: soapFlow(mock.url), credentials: { 'orders-user': ALICE }, message: { name: 'order.xml', text: ORDER_XML } });
  assertCompleted(r, 'onExchange');
  assert.deepEqual(counts(r.report, 'orders'), [4, 2, 2]);
  assert.deepEqual(counts(r.report, 'orders-rm'), [2, 0, 0], 'the RM receiver (same origin) rides on the exchange session');
  const stats = mock.stats();
  assert.equal(stats.calls, 6);
  assert.equal(stats.oneWay, 2);
  assert.equal(stats.faults, 0);
  assert.equal(stats.authentications, 2, 'one password check per exchange');
  assert.equal(stats.sessionsCreated, 2);
  const calls = mock.calls();
  assert.deepEqual(perSession(calls), [3, 3]);
  assert.deepEqual(calls.map((c) => [c.version, c.operation]), [
    ['1.2', 'CreateOrder'],
    ['1.2', 'CreateOrder'],
    ['1.1', 'CreateOrder'],
    ['1.2', 'CreateOrder'],
    ['1.2', 'CreateOrder'],
    ['1.1', 'CreateOrder'],
  ]);
  assert.equal(calls[0]?.action, 'urn:example:orders/CreateOrder');
});

test('soap failure: a SOAP fault fails the exchange with SF_SOAP_FAULT at step create, receiver orders', async (t) => {
  const mock = await startSoapMock({ faults: { CreateOrder: { code: 'Client', reason: 'unknown item pen' } } });
  t.after(() => mock.close());
  const r = await runFlow(t, { flow: soapFlow(mock.url), credentials: { 'orders-user': ALICE }, message: { name: 'order.xml', text: ORDER_XML } });
  assertFailedAt(r, 'SF_SOAP_FAULT', 'create', 'orders', /unknown item pen/);
  assert.equal(mock.stats().calls, 2, 'each exchange stops at its faulted step');
  assert.equal(mock.stats().faults, 2);
});

// ---------------------------------------------------------------------------------------------
// odata
// ---------------------------------------------------------------------------------------------

const PRODUCTS = [1, 2, 3, 4, 5].map((ID) => ({ ID, Name: `P${ID}`, Price: ID }));

const odataFlow = (serviceUrl: string, variant: 'v2' | 'v4', key = 3): string => `# Read the catalogue (server paging), reprice one product, read it back.
flow: odata-products
formatVersion: 2
runtime:
  sessionHandling: onExchange
credentials:
  shop-user: { type: basic }
receivers:
  products:
    adapter: odata
    variant: ${variant}
    address: ${serviceUrl}
    auth: { type: basic, credential: shop-user }
    csrf: true
    config:
      entitySet: Products
steps:
  - id: list
    send: products
    method: GET
  - id: reprice
    send: products
    method: ${variant === 'v2' ? 'MERGE' : 'PATCH'}
    path: Products(${key})
  - id: read
    call: products
    method: GET
    path: Products(${key})
`;

for (const variant of ['v2', 'v4'] as const) {
  test(`odata ${variant}: paged query, ${variant === 'v2' ? 'MERGE' : 'PATCH'} and read in one session per exchange, one CSRF fetch each`, async (t) => {
    const m = await startODataMock({ version: variant, servicePath: `/odata/${variant}`, pageSize: 2, entitySets: { Products: { key: 'ID', rows: PRODUCTS } } });
    t.after(() => m.close());
    const r = await runFlow(t, { flow: odataFlow(m.serviceUrl, variant), credentials: { 'shop-user': ALICE }, message: { name: 'price.json', text: '{"Price":9}' } });
    assertCompleted(r, 'onExchange');
    // Per exchange: 3 pages + the update + the read = 5 adapter calls; the CSRF fetch is the client's own.
    assert.deepEqual(counts(r.report, 'products'), [10, 2, 2]);
    assert.equal(r.report.receivers.products!.csrfFetches, 2);
    assert.equal(r.report.receivers.products!.requests, 12);
    const s = m.stats();
    assert.equal(s.authentications, 2, 'one password check per exchange');
    assert.equal(s.csrfFetches, 2);
    assert.equal(m.requests().length, 12);
    assert.deepEqual(m.engine.rows('Products')?.find((p) => p.ID === 3), { ID: 3, Name: 'P3', Price: 9 });
  });
}

test('odata failure: an unknown key fails the update with the OData error; exit 1, step and receiver named', async (t) => {
  const m = await startODataMock({ version: 'v2', servicePath: '/odata/v2', entitySets: { Products: { key: 'ID', rows: PRODUCTS } } });
  t.after(() => m.close());
  const r = await runFlow(t, { flow: odataFlow(m.serviceUrl, 'v2', 99), credentials: { 'shop-user': ALICE }, message: { name: 'price.json', text: '{"Price":9}' } });
  assertFailedAt(r, 'SF_ODATA_ERROR', 'reprice', 'products', /404/);
});

// ---------------------------------------------------------------------------------------------
// idoc
// ---------------------------------------------------------------------------------------------

const idoc = (type: string, mestyp: string, segments: string): string => `<?xml version="1.0" encoding="UTF-8"?>
<${type}>
  <IDOC BEGIN="1">
    <EDI_DC40 SEGMENT="1">
      <TABNAM>EDI_DC40</TABNAM>
      <DIRECT>2</DIRECT>
      <IDOCTYP>${type}</IDOCTYP>
      <MESTYP>${mestyp}</MESTYP>
      <SNDPOR>SAPCPI</SNDPOR>
      <SNDPRT>LS</SNDPRT>
      <SNDPRN>CPI_LS</SNDPRN>
      <RCVPOR>SAPS4H</RCVPOR>
      <RCVPRT>LS</RCVPRT>
      <RCVPRN>S4H_100</RCVPRN>
    </EDI_DC40>
${segments}
  </IDOC>
</${type}>`;

const ORDERS05 = idoc('ORDERS05', 'ORDERS', '    <E1EDK01 SEGMENT="1"><CURCY>EUR</CURCY></E1EDK01>\n    <E1EDP01 SEGMENT="1"><POSEX>000010</POSEX><MENGE>3</MENGE></E1EDP01>');

const idocFlow = (url: string, sapClient: string): string => `# Post the order IDoc, then a delivery notification IDoc referring to its number.
flow: idoc-orders
formatVersion: 2
runtime:
  sessionHandling: onExchange
credentials:
  s4-user: { type: basic }
receivers:
  s4:
    adapter: idoc
    address: ${url}
    auth: { type: basic, credential: s4-user }
    config:
      sapClient: "${sapClient}"
steps:
  - id: post-order
    send: s4
  - id: post-delivery
    send: s4
    headers: { Content-Type: application/xml }
    body: |
${idoc('DELVRY07', 'DESADV', '    <E1EDL20 SEGMENT="1"><VBELN>80000001</VBELN><BOLNR>${property.idocNumbers}</BOLNR></E1EDL20>')
  .split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}
`;

test('idoc: two IDocs per exchange posted in one session; numbers handed out in order', async (t) => {
  const mock = await startIdocMock({ firstIdocNumber: 700 });
  t.after(() => mock.close());
  const r = await runFlow(t, { flow: idocFlow(mock.url, '100'), credentials: { 's4-user': ALICE }, message: { name: 'orders05.xml', text: ORDERS05 } });
  assertCompleted(r, 'onExchange');
  assert.deepEqual(counts(r.report, 's4'), [4, 2, 2]);
  const stats = mock.stats();
  assert.equal(stats.posts, 4);
  assert.equal(stats.idocs, 4);
  assert.equal(stats.authentications, 2, 'one password check per exchange');
  assert.equal(stats.sessionsCreated, 2);
  const posted = mock.idocs();
  assert.deepEqual(posted.map((p) => [p.number, p.idocType, p.sapClient]), [
    ['0000000000000700', 'ORDERS05', '100'],
    ['0000000000000701', 'DELVRY07', '100'],
    ['0000000000000702', 'ORDERS05', '100'],
    ['0000000000000703', 'DELVRY07', '100'],
  ]);
  assert.deepEqual(perSession(posted), [2, 2]);
});

test('idoc failure: an unknown SAP client is a SOAP fault at the first post', async (t) => {
  const mock = await startIdocMock();
  t.after(() => mock.close());
  const r = await runFlow(t, { flow: idocFlow(mock.url, '999'), credentials: { 's4-user': ALICE }, message: { name: 'orders05.xml', text: ORDERS05 } });
  assertFailedAt(r, 'SF_SOAP_FAULT', 'post-order', 's4', /client "999" does not exist/);
  assert.equal(mock.stats().idocs, 0);
});

// ---------------------------------------------------------------------------------------------
// as2 (signed and encrypted, signed MDN; certificates made by openssl)
// ---------------------------------------------------------------------------------------------

interface Pki {
  dir: string;
  sender: { cert: string; key: string; certPath: string; keyPath: string };
  partner: { cert: string; key: string; certPath: string; keyPath: string };
}
let pki: Pki;

before(() => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-run-as2-'));
  const pair = (name: string) => {
    const certPath = join(dir, `${name}.crt`);
    const keyPath = join(dir, `${name}.key`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', `/CN=${name} AS2 test`], {
      stdio: 'pipe',
      timeout: 30_000,
    });
    return { certPath, keyPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
  };
  pki = { dir, sender: pair('sender'), partner: pair('partner') };
});
after(() => rmSync(pki.dir, { recursive: true, force: true }));

const EDI = "UNA:+.? 'UNB+UNOC:3+SENDER+PARTNER+240101:1200+1'UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNZ+1+1'";

const as2Flow = (endpoint: string): string => `# Send an EDIFACT order and its control message to a partner over AS2, signed and encrypted.
flow: as2-orders
formatVersion: 2
runtime:
  sessionHandling: onExchange
credentials:
  partner-user: { type: basic }
receivers:
  partner:
    adapter: as2
    address: ${endpoint}
    auth: { type: basic, credential: partner-user }
    config:
      as2From: SENDER
      as2To: PARTNER
      subject: Orders
      contentType: application/edifact
      sign: true
      signingCertPath: ${pki.sender.certPath}
      signingKeyPath: ${pki.sender.keyPath}
      encrypt: true
      partnerCertPath: ${pki.partner.certPath}
      signedMdn: true
steps:
  - id: send-order
    send: partner
  - id: send-control
    send: partner
    headers: { Subject: Control }
    body: "UNA:+.? 'UNB+UNOC:3+SENDER+PARTNER+240101:1201+2'UNH+1+CONTRL:D:3:UN'UNT+2+1'UNZ+1+2'"
`;

function as2Mock(extra: { disposition?: string } = {}) {
  return startAs2Mock({
    certificate: pki.partner.cert,
    privateKey: pki.partner.key,
    senderCertificates: { SENDER: pki.sender.cert },
    ...extra,
  });
}

test('as2: two signed, encrypted messages per exchange with signed MDNs, one password check per exchange session', async (t) => {
  const partner = await as2Mock();
  t.after(() => partner.close());
  const r = await runFlow(t, { flow: as2Flow(partner.endpoint), credentials: { 'partner-user': ALICE }, message: { name: 'order.edi', text: EDI } });
  assertCompleted(r, 'onExchange');
  assert.deepEqual(counts(r.report, 'partner'), [4, 2, 2]);
  const stats = partner.stats();
  assert.equal(stats.messages, 4);
  assert.equal(stats.mdnsSent, 4);
  assert.equal(stats.negativeMdns, 0);
  assert.equal(stats.authentications, 2, 'one password check per exchange');
  assert.equal(stats.sessionsCreated, 2);
  const messages = partner.messages();
  assert.deepEqual(perSession(messages), [2, 2]);
  assert.ok(messages.every((m) => m.encrypted && m.signed && m.signatureValid === true && m.mdnSigned && m.as2From === 'SENDER' && m.as2To === 'PARTNER'));
  assert.deepEqual(messages.map((m) => [m.subject, m.payload.toString('utf8').includes('CONTRL')]), [
    ['Orders', false],
    ['Control', true],
    ['Orders', false],
    ['Control', true],
  ]);
  assert.equal(messages[0]?.payload.toString('utf8'), EDI);
  assert.equal(new Set(messages.map((m) => m.messageId)).size, 4);
});

test('as2 failure: a negative MDN fails the first send; exit 1, step and receiver named', async (t) => {
  const partner = await as2Mock({ disposition: 'automatic-action/MDN-sent-automatically; processed/error: unexpected-processing-error' });
  t.after(() => partner.close());
  const r = await runFlow(t, { flow: as2Flow(partner.endpoint), credentials: { 'partner-user': ALICE }, message: { name: 'order.edi', text: EDI } });
  assertFailedAt(r, 'SF_AS2_MDN_NEGATIVE', 'send-order', 'partner', /negative MDN: .*unexpected-processing-error/);
  assert.equal(partner.stats().messages, 2);
});

// ---------------------------------------------------------------------------------------------
// xi
// ---------------------------------------------------------------------------------------------

const SALES_ORDER = '<ns0:SalesOrder xmlns:ns0="urn:example:sd"><Item>pen</Item></ns0:SalesOrder>';

const xiFlow = (endpoint: string): string => {
  const receiver = (variant: string, iface: string) => `    adapter: xi
    variant: ${variant}
    address: ${endpoint}
    auth: { type: basic, credential: pi-user }
    config:
      senderService: BS_CPI
      receiverService: S4H_100
      interface: ${iface}
      interfaceNamespace: urn:example:sd`;
  return `# Check a sales order synchronously (BestEffort), then post it ExactlyOnce.
flow: xi-orders
formatVersion: 2
runtime:
  sessionHandling: onExchange
credentials:
  pi-user: { type: basic }
receivers:
  check:
${receiver('xi-be', 'SalesOrderCheck_In')}
  post:
${receiver('xi-eo', 'SalesOrderCreate_In')}
steps:
  - id: check
    call: check
  - id: post
    send: post
`;
};

test('xi: a BestEffort call and an ExactlyOnce send per exchange in one session', async (t) => {
  const mock = await startXiMock({
    handlers: { SalesOrderCheck_In: (m) => ({ payload: `<Checked>${m.payload.toString('utf8')}</Checked>` }) },
  });
  t.after(() => mock.close());
  const r = await runFlow(t, { flow: xiFlow(mock.endpoint), credentials: { 'pi-user': ALICE }, message: { name: 'order.xml', text: SALES_ORDER } });
  assertCompleted(r, 'onExchange');
  assert.deepEqual(counts(r.report, 'check'), [2, 2, 2]);
  assert.deepEqual(counts(r.report, 'post'), [2, 0, 0], 'the EO send reuses the session the BE call opened');
  const stats = mock.stats();
  assert.equal(stats.messages, 4);
  assert.equal(stats.bestEffort, 2);
  assert.equal(stats.exactlyOnce, 2);
  assert.equal(stats.duplicates, 0);
  assert.equal(stats.authentications, 2, 'one password check per exchange');
  assert.equal(stats.sessionsCreated, 2);
  const messages = mock.messages();
  assert.deepEqual(perSession(messages), [2, 2]);
  assert.deepEqual(messages.map((m) => [m.interface, m.qualityOfService]), [
    ['SalesOrderCheck_In', 'BestEffort'],
    ['SalesOrderCreate_In', 'ExactlyOnce'],
    ['SalesOrderCheck_In', 'BestEffort'],
    ['SalesOrderCreate_In', 'ExactlyOnce'],
  ]);
  assert.equal(messages[1]?.payload.toString('utf8'), `<Checked>${SALES_ORDER}</Checked>`, 'the EO message carries the BE answer');
});

test('xi failure: an application error of the check fails the exchange; exit 1, step and receiver named', async (t) => {
  const mock = await startXiMock({ errors: { SalesOrderCheck_In: { code: 'ORDER_BLOCKED', text: 'customer is blocked' } } });
  t.after(() => mock.close());
  const r = await runFlow(t, { flow: xiFlow(mock.endpoint), credentials: { 'pi-user': ALICE }, message: { name: 'order.xml', text: SALES_ORDER } });
  assertFailedAt(r, 'SF_SOAP_FAULT', 'check', 'check', /customer is blocked/);
  assert.match(r.report.failures[0]!.message, /SOAP fault SOAP:Server — customer is blocked \(XI error ORDER_BLOCKED, category Application\)/);
  assert.equal(mock.stats().exactlyOnce, 0, 'nothing was posted');
});

// ---------------------------------------------------------------------------------------------
// odc
// ---------------------------------------------------------------------------------------------

test('odc: a Gateway merge and a read per exchange in one session, sap-client on every request', async (t) => {
  const gw = await startODataMock({
    version: 'v2',
    servicePath: '/sap/opu/odata/SAP/ZORDERS_SRV',
    sapClient: '100',
    entitySets: { Orders: { key: 'OrderID', rows: [{ OrderID: '1', Customer: 'ACME', Status: 'NEW' }] } },
  });
  t.after(() => gw.close());
  const flow = `# Release an order in SAP Gateway, then read the order list.
flow: odc-orders
formatVersion: 2
runtime:
  sessionHandling: onExchange
credentials:
  gw-user: { type: basic }
receivers:
  gateway:
    adapter: odc
    address: ${gw.url}
    auth: { type: basic, credential: gw-user }
    config:
      client: "100"
      serviceName: ZORDERS_SRV
      entitySet: Orders
steps:
  - id: release
    send: gateway
    method: MERGE
    path: Orders('1')
  - id: list
    call: gateway
    method: GET
`;
  const r = await runFlow(t, { flow, credentials: { 'gw-user': ALICE }, message: { name: 'release.json', text: '{"Status":"RELEASED"}' } });
  assertCompleted(r, 'onExchange');
  // Per exchange: the adapter's own CSRF token fetch (odc's csrf default is on), the merge, the read.
  assert.deepEqual(counts(r.report, 'gateway'), [6, 2, 2]);
  assert.equal(r.report.receivers.gateway!.csrfFetches, 2);
  const s = gw.stats();
  assert.equal(s.authentications, 2, 'one password check per exchange');
  assert.equal(s.csrfFetches, 2);
  assert.deepEqual(
    gw.requests().map((q) => [q.method, q.path.replace('/sap/opu/odata/SAP/ZORDERS_SRV/', ''), q.csrfToken]),
    [
      ['GET', '', 'fetch'],
      ['POST', "Orders('1')", 'token'],
      ['GET', 'Orders', 'none'],
      ['GET', '', 'fetch'],
      ['POST', "Orders('1')", 'token'],
      ['GET', 'Orders', 'none'],
    ],
  );
  assert.ok(gw.requests().filter((q) => q.method === 'POST').every((q) => q.headers['x-http-method'] === 'MERGE'));
  assert.ok(gw.requests().every((q) => q.query['sap-client'] === '100'));
  assert.ok(gw.requests().every((q) => q.path.startsWith('/sap/opu/odata/SAP/ZORDERS_SRV/')));
  assert.deepEqual(gw.engine.rows('Orders'), [{ OrderID: '1', Customer: 'ACME', Status: 'RELEASED' }]);
});

// ---------------------------------------------------------------------------------------------
// successfactors: odata-v2, soap (SFAPI login), rest, odata-v4
// ---------------------------------------------------------------------------------------------

const sfFlow = (sessionHandling: string, receiver: string, steps: string): string => `flow: sf-employees
formatVersion: 2
runtime:
  sessionHandling: ${sessionHandling}
credentials:
  sf-user: { type: basic }
  sf-oauth: { type: oauth2-client-credentials }
receivers:
${receiver}
steps:
${steps}
`;

const SF_CREDENTIALS: Record<string, Credential> = {
  'sf-user': ALICE,
  'sf-oauth': { clientId: 'sf-client', clientSecret: 'sf-secret' },
};

test('successfactors odata-v2: two paged queries per exchange in one session (server paging needs it)', async (t) => {
  const sf = await startSuccessFactorsMock();
  t.after(() => sf.close());
  const flow = sfFlow(
    'onExchange',
    `  sf-odata:
    adapter: successfactors
    variant: odata-v2
    address: ${sf.odataV2Url}
    auth: { type: basic, credential: sf-user }
    config:
      entitySet: User`,
    `  - id: all-users
    send: sf-odata
  - id: rnd-users
    call: sf-odata
    query: { $filter: "department eq 'R&D'" }`,
  );
  const r = await runFlow(t, { flow, credentials: SF_CREDENTIALS });
  assertCompleted(r, 'onExchange');
  const [calls, credentialsSent, sessionsOpened] = counts(r.report, 'sf-odata');
  assert.ok(calls >= 8, `5 users in pages of 2 → 3 requests, 3 R&D users → 2: got ${calls}`);
  assert.deepEqual([credentialsSent, sessionsOpened], [2, 2]);
  const s = sf.stats();
  assert.equal(s.odataV2Authentications, 2, 'one login per exchange');
  assert.equal(s.odataV2Sessions, 2);
  assert.equal(s.invalidSkiptokens, 0, 'every next page was read in the session that started the query');
});

test('successfactors soap: SFAPI login once per exchange, both queries in that session', async (t) => {
  const sf = await startSuccessFactorsMock();
  t.after(() => sf.close());
  const flow = sfFlow(
    'onExchange',
    `  sfapi:
    adapter: successfactors
    variant: soap
    address: ${sf.sfapiUrl}
    auth: { type: basic, credential: sf-user }
    config:
      companyId: ACME`,
    `  - id: query-users
    send: sfapi
  - id: query-again
    call: sfapi`,
  );
  const query = '<query><queryString>SELECT userId, lastName FROM User</queryString></query>';
  const r = await runFlow(t, { flow, credentials: SF_CREDENTIALS, message: { name: 'query.xml', text: query } });
  assertCompleted(r, 'onExchange');
  const s = sf.stats();
  assert.equal(s.sfapiLogins, 2, 'one SFAPI login per exchange');
  assert.equal(s.sfapiSessionsCreated, 2);
  assert.equal(s.sfapiFailedLogins, 0);
  const calls = sf.sfapiCalls();
  assert.deepEqual(calls.filter((c) => c.operation === 'query' && c.outcome === 'ok').length, 4);
  const ok = calls.filter((c) => c.operation === 'query' && c.outcome === 'ok');
  assert.ok(ok.every((c) => c.cookie && !c.authorization), 'queries ran in the login session, without credentials');
  // Per exchange: login first (password in the body, no Basic header), then both queries.
  assert.deepEqual(
    calls.map((c) => [c.operation, c.outcome, c.cookie, c.authorization]),
    [
      ['login', 'ok', false, false],
      ['query', 'ok', true, false],
      ['query', 'ok', true, false],
      ['login', 'ok', false, false],
      ['query', 'ok', true, false],
      ['query', 'ok', true, false],
    ],
  );
  assert.equal(s.sfapiInvalidSessionFaults, 0, 'no call went out before its login');
  // Per exchange the adapter made 3 calls (login, query, query); each login carries the password
  // in its body and opens the exchange's session, and nothing else carries credentials.
  assert.deepEqual(counts(r.report, 'sfapi'), [6, 2, 2]);
  assert.equal(r.report.receivers.sfapi!.requests, 6);
});

test('successfactors rest: bearer token per call, flow session handling ignored, no Cookie ever sent', async (t) => {
  const sf = await startSuccessFactorsMock();
  t.after(() => sf.close());
  const flow = sfFlow(
    'onExchange',
    `  sf-rest:
    adapter: successfactors
    variant: rest
    address: ${sf.restUrl}
    auth: { type: oauth2-client-credentials, credential: sf-oauth, tokenUrl: ${sf.tokenUrl} }`,
    `  - id: jobs
    send: sf-rest
    method: GET
    path: jobs
  - id: jobs-again
    call: sf-rest
    method: GET
    path: jobs`,
  );
  const r = await runFlow(t, { flow, credentials: SF_CREDENTIALS });
  assertCompleted(r, 'onExchange');
  const [calls, credentialsSent, sessionsOpened] = counts(r.report, 'sf-rest');
  assert.equal(calls, 4);
  assert.equal(credentialsSent, 4, 'the bearer token goes with every call');
  // The gateway sets a fresh JSESSIONID on every answer; it is never sent back, so nothing is reused.
  assert.equal(sessionsOpened, 4);
  assert.equal(r.report.receivers['sf-rest']!.reusePercent, 0);
  const s = sf.stats();
  assert.equal(s.cookiesReceivedOnStatelessApis, 0, 'no Cookie header reached the mock');
  assert.equal(s.statelessRequests, 4);
  assert.equal(s.tokensIssued, 1, 'one token, cached for the receiver across both exchanges');
  assert.equal(s.bearerRejected, 0);
  assert.ok(sf.requests().every((q) => q.path.startsWith('/rest/')));
});

test('successfactors odata-v4: bearer token, session handling none, paged read without cookies', async (t) => {
  const sf = await startSuccessFactorsMock();
  t.after(() => sf.close());
  const flow = sfFlow(
    'none',
    `  sf-v4:
    adapter: successfactors
    variant: odata-v4
    address: ${sf.odataV4Url}
    auth: { type: oauth2-client-credentials, credential: sf-oauth, tokenUrl: ${sf.tokenUrl} }
    config:
      entitySet: User`,
    `  - id: users
    send: sf-v4
  - id: one-user
    call: sf-v4
    method: GET
    path: User('u2')`,
  );
  const r = await runFlow(t, { flow, credentials: SF_CREDENTIALS });
  assertCompleted(r, 'none');
  const [calls, credentialsSent] = counts(r.report, 'sf-v4');
  assert.equal(calls, 8, '5 users in pages of 2 (3 requests) + the read, per exchange');
  assert.equal(credentialsSent, 8, 'the bearer token goes with every call');
  assert.equal(r.report.receivers['sf-v4']!.reusePercent, 0);
  const s = sf.stats();
  assert.equal(s.cookiesReceivedOnStatelessApis, 0, 'no Cookie header reached the mock');
  assert.equal(s.statelessRequests, 8);
  assert.equal(s.bearerRejected, 0);
  assert.ok(sf.requests().every((q) => q.path.startsWith('/odata/v4/')));
});

test('successfactors soap failure: an SFQL error is an SF_SOAP_FAULT at the query step', async (t) => {
  const sf = await startSuccessFactorsMock();
  t.after(() => sf.close());
  const flow = sfFlow(
    'onExchange',
    `  sfapi:
    adapter: successfactors
    variant: soap
    address: ${sf.sfapiUrl}
    auth: { type: basic, credential: sf-user }
    config:
      companyId: ACME`,
    `  - id: query-users
    call: sfapi`,
  );
  const r = await runFlow(t, { flow, credentials: SF_CREDENTIALS, message: { name: 'query.xml', text: '<query><queryString>SELECT x FROM Nothing</queryString></query>' } });
  assertFailedAt(r, 'SF_SOAP_FAULT', 'query-users', 'sfapi', /INVALID_SFQL/);
});
