import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdapterError,
  displayUrl,
  headerValue,
  httpStatusText,
  isForbiddenRequestHeader,
  NEVER_SENT_HEADERS,
  outboundHeaders,
  receiverAddressUrl,
  resolveStepUrl,
  statusError,
} from '../src/index.js';

function adapterError(fn: () => unknown): AdapterError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AdapterError, `an AdapterError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an AdapterError');
}

test('resolveStepUrl: the path is resolved like a link against the address, the query appended, the fragment dropped', () => {
  const address = 'https://erp.example.com/api/v1/orders?sap-client=100#top';
  assert.equal(resolveStepUrl(address).href, 'https://erp.example.com/api/v1/orders?sap-client=100');
  assert.equal(resolveStepUrl(address, '').href, 'https://erp.example.com/api/v1/orders?sap-client=100');
  assert.equal(resolveStepUrl(address, '/health').href, 'https://erp.example.com/health', '/x: same origin, from the root');
  assert.equal(resolveStepUrl(address, 'items').href, 'https://erp.example.com/api/v1/items', 'x: next to the address');
  assert.equal(resolveStepUrl('https://erp.example.com/api/v1/', 'items/7').href, 'https://erp.example.com/api/v1/items/7');
  assert.equal(resolveStepUrl(address, '../v2/orders').href, 'https://erp.example.com/api/v2/orders');
  assert.equal(resolveStepUrl(address, 'items?expand=all#x').href, 'https://erp.example.com/api/v1/items?expand=all');
  assert.equal(
    resolveStepUrl(address, undefined, { q: 'a b', q2: 'x&y' }).href,
    'https://erp.example.com/api/v1/orders?sap-client=100&q=a+b&q2=x%26y',
  );
  assert.equal(resolveStepUrl('http://127.0.0.1:8080', 'x', { n: '1' }).href, 'http://127.0.0.1:8080/x?n=1');
});

test('resolveStepUrl refuses another origin, a bad address and a non-http scheme, with a stable code and no secrets', () => {
  const address = 'https://user:s3cret@erp.example.com/api/';
  for (const path of ['https://evil.example/x', '//evil.example/x', 'http://erp.example.com/api/']) {
    const err = adapterError(() => resolveStepUrl(address, path, {}, { receiver: 'erp' }));
    assert.equal(err.code, 'SF_HTTP_INVALID_URL');
    assert.match(err.message, /^the path for receiver "erp" leads to .*, outside the receiver's origin https:\/\/erp\.example\.com; use a path, or another receiver$/);
    assert.doesNotMatch(err.message, /s3cret/);
  }
  const bad = adapterError(() => resolveStepUrl('not a url?token=abc', 'x', {}, { receiver: 'erp', code: 'SF_SOAP_INVALID_URL' }));
  assert.equal(bad.code, 'SF_SOAP_INVALID_URL');
  assert.equal(bad.message, 'receiver "erp" has an invalid address: not an absolute http(s) URL');
  const ftp = adapterError(() => resolveStepUrl('ftp://files.example.com/in'));
  assert.equal(ftp.code, 'SF_HTTP_INVALID_URL');
  assert.equal(ftp.message, 'the receiver has an invalid address: scheme "ftp" is not http or https');
});

test('receiverAddressUrl parses the address only (no path resolution), with the same checks', () => {
  const url = receiverAddressUrl('https://h.example.com/svc?sap-client=001', { receiver: 'gw' });
  assert.equal(url.href, 'https://h.example.com/svc?sap-client=001');
  assert.equal(adapterError(() => receiverAddressUrl('mailto:x@example.com', { receiver: 'gw', code: 'X_BAD_URL' })).code, 'X_BAD_URL');
});

test('NEVER_SENT_HEADERS / isForbiddenRequestHeader: credentials, cookies and framing, any case', () => {
  for (const h of ['Authorization', 'PROXY-AUTHORIZATION', 'cookie', 'Host', 'Content-Length', 'Transfer-Encoding', 'Connection', 'Keep-Alive', 'Proxy-Connection', 'TE', 'Trailer', 'Upgrade']) {
    assert.equal(isForbiddenRequestHeader(h), true, h);
  }
  for (const h of ['Content-Type', 'Accept', 'X-CSRF-Token', 'SOAPAction', 'X-Correlation-Id']) assert.equal(isForbiddenRequestHeader(h), false, h);
  assert.ok([...NEVER_SENT_HEADERS].every((h) => h === h.toLowerCase()));
});

test('outboundHeaders: step headers minus forbidden and owned ones; dropped names are reported as given', () => {
  const { headers, dropped } = outboundHeaders(
    { Accept: 'application/json', Cookie: 'a=1', authorization: 'Basic eA==', 'Content-Type': 'text/plain', 'X-Trace': '7' },
    { owned: ['content-type', 'SOAPAction'] },
  );
  assert.deepEqual(headers, { Accept: 'application/json', 'X-Trace': '7' });
  assert.deepEqual(dropped, ['Cookie', 'authorization', 'Content-Type']);
  assert.deepEqual(outboundHeaders({}), { headers: {}, dropped: [] });
});

test('outboundHeaders: forwarded message headers (by name or *), never credentials, CSRF token, Set-Cookie or Content-Type; step headers win', () => {
  const message = {
    'X-Correlation-Id': 'c-1',
    SapAuthenticatedUserName: 'ALICE',
    Authorization: 'Bearer probe',
    'X-CSRF-Token': 'tok',
    'Set-Cookie': 'a=b',
    'Content-Type': 'application/json',
    'X-Other': 'o',
  };
  const named = outboundHeaders({ 'x-correlation-id': 'from-step' }, { message, forward: ['X-CORRELATION-ID', 'sapauthenticatedusername', 'authorization'] });
  assert.deepEqual(named.headers, { 'x-correlation-id': 'from-step', SapAuthenticatedUserName: 'ALICE' });
  assert.deepEqual(named.dropped, ['Authorization']);
  const all = outboundHeaders({ Host: 'evil' }, { message, forward: ['*'] });
  assert.deepEqual(all.headers, { 'X-Correlation-Id': 'c-1', SapAuthenticatedUserName: 'ALICE', 'X-Other': 'o' });
  assert.deepEqual(all.dropped, ['Authorization', 'X-CSRF-Token', 'Set-Cookie', 'Content-Type', 'Host']);
  assert.deepEqual(outboundHeaders({}, { message }).headers, {}, 'nothing is forwarded unless asked');
});

test('headerValue is case-insensitive', () => {
  assert.equal(headerValue({ 'Content-Type': 'text/xml' }, 'content-type'), 'text/xml');
  assert.equal(headerValue({ a: '1' }, 'b'), undefined);
});

test('statusError: the standard SF_HTTP_STATUS error, URL without user info or query values', () => {
  const body = new TextEncoder().encode('database down');
  const err = statusError('erp', 'POST', new URL('https://u:pw@erp.example.com/api/orders?access_token=abc'), { status: 500, headers: { 'content-type': 'text/plain' }, body });
  assert.ok(err instanceof AdapterError);
  assert.equal(err.code, 'SF_HTTP_STATUS');
  assert.equal(err.message, 'receiver "erp" answered 500 Internal Server Error for POST https://erp.example.com/api/orders?access_token=***');
  assert.deepEqual(err.details, { status: 500, method: 'POST', url: 'https://erp.example.com/api/orders?access_token=***', headers: { 'content-type': 'text/plain' }, body });
  assert.doesNotMatch(`${err.message} ${JSON.stringify({ ...err.details, body: undefined })}`, /abc|pw@/);
  const soap = statusError('svc', 'POST', 'http://h/x', { status: 599 }, { code: 'SF_SOAP_HTTP_STATUS', note: 'without a SOAP fault', details: { messageId: 'm-1' } });
  assert.equal(soap.code, 'SF_SOAP_HTTP_STATUS');
  assert.equal(soap.message, 'receiver "svc" answered 599 without a SOAP fault for POST http://h/x');
  assert.deepEqual(soap.details, { status: 599, method: 'POST', url: 'http://h/x', messageId: 'm-1' });
});

test('httpStatusText and displayUrl', () => {
  assert.equal(httpStatusText(404), '404 Not Found');
  assert.equal(httpStatusText(799), '799');
  assert.equal(displayUrl('https://a:b@h.example.com/p?x=1&y=2#f'), 'https://h.example.com/p?x=***&y=***');
});
