import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateTemplate, parseTemplate } from '../src/flow/expression.js';
import { Exchange, ExchangeHeaders } from '../src/runtime/index.js';

const ev = (src: string, ex: Exchange): string => evaluateTemplate(parseTemplate(src).template, ex);

test('headers are case-insensitive and keep their first spelling', () => {
  const h = new ExchangeHeaders({ 'X-Order-Id': '42' });
  assert.equal(h.get('x-order-id'), '42');
  h.set('x-ORDER-id', '43');
  assert.deepEqual(h.toRecord(), { 'X-Order-Id': '43' });
  h.delete('X-ORDER-ID');
  assert.equal(h.has('x-order-id'), false);
});

test('a JSON body is decoded lazily and expressions read it', () => {
  const ex = new Exchange('e1', { body: '{"items":[{"id":7}],"n":2}', contentType: 'application/json; charset=utf-8', headers: { User: 'alice' }, properties: { p: 'v' } }, { HOME_X: 'h' });
  assert.deepEqual(ex.bodyJson(), { items: [{ id: 7 }], n: 2 });
  assert.equal(ev('${body.items[0].id}-${header.user}-${property.p}-${env.HOME_X}', ex), '7-alice-v-h');
  ex.responseHeaders = new ExchangeHeaders({ 'x-has-more': 'true' });
  assert.equal(ev('${response.header.X-Has-More}', ex), 'true');
  ex.setBody('plain', 'text/plain');
  assert.equal(ex.bodyJson(), undefined, 'text/plain is not decoded as JSON');
  assert.equal(ev('${body}', ex), 'plain');
});

test('an XML body is text, never JSON; Content-Type header is the default content type', () => {
  const ex = new Exchange('e2', { body: '<a>1</a>', headers: { 'content-type': 'application/xml' } });
  assert.equal(ex.contentType, 'application/xml');
  assert.equal(ex.bodyText(), '<a>1</a>');
  assert.equal(ex.bodyJson(), undefined);
  assert.equal(ex.bodyValue(), '<a>1</a>');
});

test('copies share nothing mutable with the original', () => {
  const ex = new Exchange('e3', { body: '{"a":1}', contentType: 'application/json', headers: { h: '1' }, properties: { p: 1 } });
  const copy = ex.copy('e3', { body: '2', contentType: 'application/json' });
  copy.headers.set('h', '2');
  copy.properties.p = 2;
  assert.equal(ex.headers.get('h'), '1');
  assert.equal(ex.properties.p, 1);
  assert.deepEqual(ex.bodyJson(), { a: 1 });
  assert.equal(copy.bodyJson(), 2);
  ex.setJsonBody([1, null, 'x']);
  assert.equal(new TextDecoder().decode(ex.body), '[1,null,"x"]');
  assert.equal(ex.contentType, 'application/json');
});
