import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SDK_API_VERSION, SessionJar, validateAdapterConfig } from '@sessionflow/sdk';
import { startODataMock, type ODataMock, type ODataMockOptions } from '@sessionflow/sdk/testing';
import adapter, { buildBatch, keyPredicate, parseBatchResponse, parseMultipart, parseODataError, resourcePath } from '../src/index.js';
import { call, json, rejects } from './support.js';

const PRODUCTS = [
  { ID: 1, Name: 'Bread', Category: 'Food', Price: 2 },
  { ID: 2, Name: 'Milk', Category: 'Food', Price: 1 },
  { ID: 3, Name: 'Lamp', Category: 'Home', Price: 30 },
  { ID: 4, Name: 'Apple', Category: 'Food', Price: 1 },
  { ID: 5, Name: 'Chair', Category: 'Home', Price: 50 },
];

async function mock(t: { after(fn: () => Promise<void>): void }, o: Partial<ODataMockOptions> = {}): Promise<ODataMock> {
  const m = await startODataMock({ version: 'v2', servicePath: '/odata/v2', entitySets: { Products: { key: 'ID', rows: PRODUCTS } }, ...o });
  t.after(() => m.close());
  return m;
}

test('declaration: variants v2 and v4 with the capabilities of the spec', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string; keywords: string[]; sessionflow: { apiVersion: number } };
  assert.equal(adapter.id, 'odata');
  assert.equal(adapter.version, pkg.version);
  assert.equal(adapter.apiVersion, SDK_API_VERSION);
  assert.ok(pkg.keywords.includes('sessionflow-adapter'));
  assert.equal(adapter.defaultVariant, 'v2');
  for (const id of ['v2', 'v4']) {
    const v = adapter.variant(id);
    assert.ok(v);
    assert.equal(v.sessionReuse, 'supported');
    assert.equal(v.csrf, true);
    assert.deepEqual(v.auth.map((a) => a.type), ['none', 'basic', 'client-certificate', 'oauth2-client-credentials', 'principal-propagation']);
  }
});

test('config schema: operations, keys, paging and batch requests are checked', () => {
  assert.deepEqual(validateAdapterConfig(adapter, { operation: 'query', entitySet: 'Products', query: { $filter: "Name eq 'x'", $top: 5 }, paging: 'client', pageSize: 2 }), []);
  assert.deepEqual(validateAdapterConfig(adapter, { operation: 'read', entitySet: 'Items', key: { OrderID: 1, Item: '10' } }), []);
  assert.deepEqual(validateAdapterConfig(adapter, { operation: 'batch', batch: [{ method: 'GET', url: 'Products(1)' }, { changeset: [{ method: 'POST', url: 'Products', body: { ID: 9 } }] }] }), []);
  const [bad] = validateAdapterConfig(adapter, { operation: 'upsert' });
  assert.equal(bad?.keyword, 'enum');
  assert.ok(bad?.allowed?.includes('merge'));
  assert.ok(validateAdapterConfig(adapter, { batch: [{ method: 'FETCH', url: 'x' }] }).length > 0);
  assert.ok(validateAdapterConfig(adapter, { paging: 'auto' }).some((p) => p.path[0] === 'paging'));
});

test('protocol: key predicates, resource paths and error payloads', () => {
  assert.equal(keyPredicate(42), '42');
  assert.equal(keyPredicate('ABC'), "'ABC'");
  assert.equal(keyPredicate('0042'), "'0042'");
  assert.equal(keyPredicate("'ABC'"), "'ABC'");
  assert.equal(keyPredicate("O'Neil"), "'O''Neil'");
  assert.equal(keyPredicate("guid'0050-56'"), "guid'0050-56'");
  assert.equal(keyPredicate({ OrderID: 1, Item: '10' }), "OrderID=1,Item='10'");
  assert.equal(resourcePath('Products', 'a b'), "Products('a%20b')");
  assert.deepEqual(parseODataError('{"error":{"code":"SY/530","message":{"lang":"en","value":"Not found"}}}'), { code: 'SY/530', message: 'Not found' });
  assert.deepEqual(parseODataError('{"error":{"code":"E1","message":"V4 text"}}'), { code: 'E1', message: 'V4 text' });
  assert.deepEqual(parseODataError('<error xmlns="x"><code>C</code><message xml:lang="en">a &amp; b</message></error>'), { code: 'C', message: 'a & b' });
  assert.equal(parseODataError('plain text'), undefined);
});

test('protocol: the $batch body has the exact multipart layout', () => {
  let n = 0;
  const b = buildBatch(
    [{ method: 'GET', url: 'Products(1)' }, { changeset: [{ method: 'POST', url: 'Products', body: { ID: 9 } }, { method: 'MERGE', url: 'Products(2)', body: { Price: 3 } }] }],
    'v2',
    () => `b${++n}`,
  );
  assert.equal(b.contentType, 'multipart/mixed; boundary=batch_b1');
  const expected = [
    '--batch_b1',
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    '',
    'GET Products(1) HTTP/1.1',
    'Accept: application/json',
    'DataServiceVersion: 2.0',
    '',
    '',
    '--batch_b1',
    'Content-Type: multipart/mixed; boundary=changeset_b2',
    '',
    '--changeset_b2',
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    'Content-ID: 1',
    '',
    'POST Products HTTP/1.1',
    'Accept: application/json',
    'Content-Type: application/json',
    'DataServiceVersion: 2.0',
    'Content-Length: 8',
    '',
    '{"ID":9}',
    '--changeset_b2',
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    'Content-ID: 2',
    '',
    'MERGE Products(2) HTTP/1.1',
    'Accept: application/json',
    'Content-Type: application/json',
    'DataServiceVersion: 2.0',
    'Content-Length: 11',
    '',
    '{"Price":3}',
    '--changeset_b2--',
    '',
    '--batch_b1--',
    '',
  ].join('\r\n');
  assert.equal(b.body, expected);
  // Our own parser reads the request back: two top-level parts, the second a change set of two.
  const parts = parseMultipart(b.body, 'batch_b1');
  assert.equal(parts.length, 2);
  assert.equal(parseMultipart(parts[1]!.body, 'changeset_b2').length, 2);
});

test('protocol: a $batch answer with LF line ends and a failed change set is split per operation', () => {
  const body = [
    'preamble',
    '--resp',
    'Content-Type: application/http',
    '',
    'HTTP/1.1 200 OK',
    'Content-Type: application/json',
    '',
    '{"d":{"ID":1}}',
    '--resp',
    'Content-Type: application/http',
    '',
    'HTTP/1.1 409 Conflict',
    'Content-Type: application/json',
    '',
    '{"error":{"code":"DUP","message":{"lang":"en","value":"exists"}}}',
    '--resp--',
  ].join('\n');
  const results = parseBatchResponse('multipart/mixed; boundary="resp"', body, [{ method: 'GET', url: 'P(1)' }, { changeset: [{ method: 'POST', url: 'P' }] }]);
  assert.equal(results.length, 2);
  assert.deepEqual(results[0]?.body, { d: { ID: 1 } });
  assert.equal(results[1]?.status, 409);
  assert.equal(results[1]?.changesetFailed, true);
  assert.deepEqual(results[1]?.error, { code: 'DUP', message: 'exists' });
});

test('v2 query: server paging follows __next in the session and concatenates; one authentication', async (t) => {
  const m = await mock(t, { pageSize: 2 });
  const jar = new SessionJar();
  const res = await call({ adapter, variant: 'v2', address: m.serviceUrl, jar, config: { operation: 'query', entitySet: 'Products', query: { $orderby: 'ID', $inlinecount: 'allpages' } } });
  const body = json(res.body);
  assert.deepEqual(body.d.results.map((r: { ID: number }) => r.ID), [1, 2, 3, 4, 5]);
  assert.equal(body.d.__count, '5');
  assert.equal(body.d.__next, undefined);
  assert.deepEqual(res.properties, { odataCount: 5, odataPages: 3 });
  const reqs = m.requests();
  assert.deepEqual(reqs.map((r) => r.method), ['GET', 'GET', 'GET']);
  assert.equal(reqs[0]?.path, '/odata/v2/Products');
  assert.deepEqual(reqs[0]?.query, { $orderby: 'ID', $inlinecount: 'allpages' });
  assert.equal(reqs[0]?.headers.accept, 'application/json');
  assert.equal(reqs[0]?.headers.dataserviceversion, '2.0');
  assert.equal(reqs[0]?.headers.maxdataserviceversion, '2.0');
  assert.ok(reqs[1]?.query.$skiptoken, 'the second page carries the skiptoken');
  assert.deepEqual([reqs[0]?.authorization, reqs[1]?.authorization, reqs[2]?.authorization], ['basic', undefined, undefined]);
  assert.deepEqual(reqs.map((r) => r.cookie), [false, true, true]);
  // A second call in the same session: no new authentication.
  await call({ adapter, variant: 'v2', address: m.serviceUrl, jar, config: { entitySet: 'Products', query: { $filter: "Category eq 'Home'" } } });
  const s = m.stats();
  assert.equal(s.authentications, 1);
  assert.equal(s.sessionsCreated, 1);
  assert.equal(m.requests()[3]?.query.$filter, "Category eq 'Home'");
});

test('v2 query: without a session the skiptoken is rejected and the step fails with the OData error', async (t) => {
  const m = await mock(t, { pageSize: 2 });
  const err = await rejects(call({ adapter, variant: 'v2', address: m.serviceUrl, jar: null, config: { entitySet: 'Products' } }));
  assert.equal(err.code, 'SF_ODATA_ERROR');
  assert.equal(err.details.status, 400);
  assert.equal(err.details.code, 'INVALID_SKIPTOKEN');
  assert.match(err.message, /answered 400 INVALID_SKIPTOKEN: the \$skiptoken is not valid in this session/);
  assert.equal(m.stats().sessionsCreated, 2, 'each call without a jar opened its own session');
});

test('v2 query: paging none returns the first page and the next link; maxPages stops a long query', async (t) => {
  const m = await mock(t, { pageSize: 2 });
  const res = await call({ adapter, variant: 'v2', address: m.serviceUrl, config: { entitySet: 'Products', paging: 'none' } });
  assert.equal(json(res.body).d.results.length, 2);
  assert.match(String(res.properties?.odataNextLink), /\$skiptoken=/);
  const err = await rejects(call({ adapter, variant: 'v2', address: m.serviceUrl, config: { entitySet: 'Products', maxPages: 2 } }));
  assert.equal(err.code, 'SF_ODATA_PAGING');
  assert.match(err.message, /more than maxPages \(2\)/);
});

test('v2 query: client paging sends $top/$skip per page and respects an overall $top', async (t) => {
  const m = await mock(t);
  const res = await call({ adapter, variant: 'v2', address: m.serviceUrl, config: { entitySet: 'Products', paging: 'client', pageSize: 2, query: { $top: 5, $orderby: 'ID' } } });
  assert.deepEqual(json(res.body).d.results.map((r: { ID: number }) => r.ID), [1, 2, 3, 4, 5]);
  assert.deepEqual(m.requests().map((r) => [r.query.$top, r.query.$skip]), [['2', '0'], ['2', '2'], ['1', '4']]);
  const m2 = await mock(t);
  await call({ adapter, variant: 'v2', address: m2.serviceUrl, config: { entitySet: 'Products', paging: 'client', pageSize: 2 } });
  assert.deepEqual(m2.requests().map((r) => [r.query.$top, r.query.$skip]), [['2', '0'], ['2', '2'], ['2', '4']], 'stops after the short page');
});

test('v2 read, merge (X-HTTP-Method tunnel and MERGE), update, delete with the adapter fetching CSRF tokens', async (t) => {
  const m = await mock(t);
  const jar = new SessionJar();
  const base = { adapter, variant: 'v2', address: m.serviceUrl, jar };
  const read = await call({ ...base, config: { operation: 'read', entitySet: 'Products', key: 3, query: { $select: 'Name' } } });
  assert.deepEqual(json(read.body).d.Name, 'Lamp');
  assert.equal(m.requests()[0]?.path, '/odata/v2/Products(3)');
  assert.deepEqual(m.requests()[0]?.query, { $select: 'Name' });

  await call({ ...base, config: { operation: 'merge', entitySet: 'Products', key: 3 }, body: { Price: 35 } });
  let reqs = m.requests().slice(1);
  assert.deepEqual(reqs.map((r) => [r.method, r.csrfToken]), [['GET', 'fetch'], ['POST', 'token']]);
  assert.equal(reqs[0]?.path, '/odata/v2/');
  assert.equal(reqs[1]?.path, '/odata/v2/Products(3)');
  assert.equal(reqs[1]?.headers['x-http-method'], 'MERGE');
  assert.equal(reqs[1]?.headers['content-type'], 'application/json');
  assert.equal(reqs[1]?.body, '{"Price":35}');
  assert.equal(m.engine.rows('Products')?.find((r) => r.ID === 3)?.Price, 35);
  assert.equal(m.engine.rows('Products')?.find((r) => r.ID === 3)?.Name, 'Lamp', 'merge keeps the other properties');

  await call({ ...base, config: { operation: 'merge', entitySet: 'Products', key: 3, mergeMethod: 'merge' }, body: { Name: 'Big lamp' } });
  reqs = m.requests().slice(3);
  assert.deepEqual(reqs.map((r) => r.method), ['GET', 'MERGE']);

  await call({ ...base, config: { operation: 'update', entitySet: 'Products', key: 3 }, body: { Name: 'Replaced' } });
  assert.deepEqual(m.engine.rows('Products')?.find((r) => r.ID === 3), { Name: 'Replaced', ID: 3 });
  // The step method picks the operation when the config names none.
  await call({ ...base, step: { method: 'DELETE' }, config: { entitySet: 'Products', key: 3 } });
  assert.equal(m.engine.rows('Products')?.some((r) => r.ID === 3), false);
  assert.equal(m.requests().at(-1)?.method, 'DELETE');
  const s = m.stats();
  assert.equal(s.csrfRejections, 0);
  assert.equal(s.authentications, 1, 'one authentication for the whole session');
});

test('no step method: read when a key is set (config key or a step path ending in (...)), else query', async (t) => {
  const m = await mock(t, { pageSize: 2 });
  const jar = new SessionJar();
  // Client paging makes the difference visible on the wire: a query sends $top/$skip, a read does not.
  const base = { adapter, variant: 'v2', address: m.serviceUrl, jar };
  const byKey = await call({ ...base, config: { entitySet: 'Products', key: 3, paging: 'client', pageSize: 2 } });
  assert.equal(json(byKey.body).d.Name, 'Lamp');
  assert.equal(byKey.properties?.odataPages, undefined, 'a read is not paged');
  const byPath = await call({ ...base, step: { path: 'Products(4)' }, config: { entitySet: 'Products', paging: 'client', pageSize: 2 } });
  assert.equal(json(byPath.body).d.Name, 'Apple');
  const all = await call({ ...base, config: { entitySet: 'Products', paging: 'client', pageSize: 2 } });
  assert.deepEqual(json(all.body).d.results.map((r: { ID: number }) => r.ID), [1, 2, 3, 4, 5]);
  const reqs = m.requests();
  assert.deepEqual(
    reqs.map((r) => [r.method, r.path, r.query.$top ?? null]),
    [
      ['GET', '/odata/v2/Products(3)', null],
      ['GET', '/odata/v2/Products(4)', null],
      ['GET', '/odata/v2/Products', '2'],
      ['GET', '/odata/v2/Products', '2'],
      ['GET', '/odata/v2/Products', '2'],
    ],
  );
});

test('v4 without a step method: a step path addressing one entity is a read', async (t) => {
  const m = await mock(t, { version: 'v4', servicePath: '/odata/v4', pageSize: 2 });
  const res = await call({ adapter, variant: 'v4', address: m.serviceUrl, step: { path: 'Products(5)' }, config: { paging: 'client', pageSize: 2 } });
  assert.equal(json(res.body).Name, 'Chair');
  assert.deepEqual(m.requests().map((r) => [r.path, r.query]), [['/odata/v4/Products(5)', {}]]);
});

test('v2 create: with the receiver csrf flag the session client fetches one token per session', async (t) => {
  const m = await mock(t);
  const jar = new SessionJar();
  for (const id of [10, 11, 12]) {
    const res = await call({ adapter, variant: 'v2', address: m.serviceUrl, jar, csrf: true, config: { operation: 'create', entitySet: 'Products' }, body: { ID: id, Name: `N${id}` } });
    assert.equal(res.status, 201);
    assert.equal(json(res.body).d.ID, id);
  }
  const s = m.stats();
  assert.equal(s.csrfFetches, 1);
  assert.equal(s.csrfRejections, 0);
  assert.equal(s.authentications, 1);
  assert.deepEqual(m.requests().map((r) => r.method), ['GET', 'POST', 'POST', 'POST']);
});

test('v2 writes: csrf false sends no token and the protected service rejects the write', async (t) => {
  const m = await mock(t);
  const err = await rejects(call({ adapter, variant: 'v2', address: m.serviceUrl, config: { operation: 'create', entitySet: 'Products', csrf: false }, body: { ID: 20 } }));
  assert.equal(err.details.status, 403);
  assert.match(err.message, /answered 403 CSRF_TOKEN: CSRF token validation failed for POST/);
  assert.equal(m.requests().length, 1);
});

test('errors: OData error payloads become SF_ODATA_ERROR with status, code and message (V2 and V4)', async (t) => {
  const m = await mock(t);
  const e2 = await rejects(call({ adapter, variant: 'v2', address: m.serviceUrl, config: { operation: 'read', entitySet: 'Products', key: 99 } }));
  assert.equal(e2.code, 'SF_ODATA_ERROR');
  assert.deepEqual([e2.details.status, e2.details.code, e2.details.message], [404, 'RESOURCE_NOT_FOUND', 'no Products entity with key 99']);
  assert.doesNotMatch(e2.message, /alice-pw/);
  const m4 = await mock(t, { version: 'v4', servicePath: '/odata/v4' });
  const e4 = await rejects(call({ adapter, variant: 'v4', address: m4.serviceUrl, config: { operation: 'create', entitySet: 'Products' }, body: { ID: 1 } }));
  assert.deepEqual([e4.details.status, e4.details.code, e4.details.message], [409, 'DUPLICATE_KEY', 'a Products entity with this key already exists']);
  const bad = await rejects(call({ adapter, variant: 'v2', address: m.serviceUrl, config: { operation: 'create', entitySet: 'Products' }, body: 'not json' }));
  assert.equal(bad.code, 'SF_ODATA_BODY');
  const noKey = await rejects(call({ adapter, variant: 'v2', address: m.serviceUrl, config: { operation: 'delete', entitySet: 'Products' } }));
  assert.equal(noKey.code, 'SF_ODATA_CONFIG');
});

test('v4 query follows @odata.nextLink; patch and merge use PATCH with OData-Version headers', async (t) => {
  const m = await mock(t, { version: 'v4', servicePath: '/odata/v4', pageSize: 2 });
  const jar = new SessionJar();
  const res = await call({ adapter, variant: 'v4', address: m.serviceUrl, jar, config: { entitySet: 'Products', query: { $filter: "Category eq 'Food'", $count: true } } });
  const body = json(res.body);
  assert.deepEqual(body.value.map((r: { ID: number }) => r.ID), [1, 2, 4]);
  assert.equal(body['@odata.count'], 3);
  assert.equal(body['@odata.context'], '$metadata#Products');
  assert.equal(body['@odata.nextLink'], undefined);
  const reqs = m.requests();
  assert.equal(reqs.length, 2);
  assert.equal(reqs[0]?.headers['odata-version'], '4.0');
  assert.equal(reqs[0]?.headers['odata-maxversion'], '4.0');
  await call({ adapter, variant: 'v4', address: m.serviceUrl, jar, config: { operation: 'merge', entitySet: 'Products', key: 1 }, body: { Price: 9 } });
  assert.deepEqual(m.requests().slice(2).map((r) => r.method), ['GET', 'PATCH']);
  assert.equal(m.engine.rows('Products')?.[0]?.Price, 9);
  assert.equal(m.stats().authentications, 1);
});

test('v2 $batch: retrieval plus change set; per-operation results; a failed change set fails the step and is rolled back', async (t) => {
  const m = await mock(t);
  const jar = new SessionJar();
  const ok = await call({
    adapter,
    variant: 'v2',
    address: m.serviceUrl,
    jar,
    config: { operation: 'batch' },
    body: [{ method: 'GET', url: 'Products(1)' }, { changeset: [{ method: 'POST', url: 'Products', body: { ID: 30, Name: 'New' } }, { method: 'MERGE', url: 'Products(2)', body: { Price: 4 } }] }],
  });
  const out = json(ok.body);
  assert.deepEqual(out.responses.map((r: { status: number }) => r.status), [200, 201, 204]);
  assert.equal(out.responses[0].body.d.Name, 'Bread');
  assert.deepEqual([out.responses[1].changeset, out.responses[1].operation, out.responses[1].contentId], [1, 0, '1']);
  const batchReq = m.requests().find((r) => r.path.endsWith('$batch'))!;
  assert.match(batchReq.headers['content-type'] ?? '', /^multipart\/mixed; boundary=batch_[0-9a-f]+$/);
  assert.equal(batchReq.csrfToken, 'token');
  assert.equal(m.engine.rows('Products')?.find((r) => r.ID === 2)?.Price, 4);

  const err = await rejects(
    call({
      adapter,
      variant: 'v2',
      address: m.serviceUrl,
      jar,
      config: { operation: 'batch', batch: [{ changeset: [{ method: 'POST', url: 'Products', body: { ID: 31 } }, { method: 'POST', url: 'Products', body: { ID: 1 } }] }] },
    }),
  );
  assert.equal(err.code, 'SF_ODATA_ERROR');
  assert.equal(err.details.status, 409);
  assert.equal(err.details.code, 'DUPLICATE_KEY');
  assert.match(err.message, /\$batch change set \(batch part 1\) failed with 409 DUPLICATE_KEY/);
  assert.equal(m.engine.rows('Products')?.some((r) => r.ID === 31), false, 'the change set was rolled back');
  assert.equal(m.stats().rolledBackChangesets, 1);
  assert.equal(m.stats().authentications, 1);
});
