import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cursorContext } from '../src/server/yaml-context.js';

/** Splits a text with one `<|>` cursor marker into text and offset. */
function at(marked: string): [string, number] {
  const offset = marked.indexOf('<|>');
  assert.ok(offset >= 0, 'fixture needs a <|> cursor');
  return [marked.slice(0, offset) + marked.slice(offset + 3), offset];
}

function ctx(marked: string) {
  const [text, offset] = at(marked);
  return { c: cursorContext(text, offset), text, offset };
}

describe('cursorContext (indentation-based YAML context)', () => {
  it('finds a value position after `call:` inside a nested split, with the path of its step', () => {
    const { c } = ctx(
      ['steps:', '  - call: a', '  - id: lines', '    split:', '      parallel: true', '      steps:', '        - call: <|>', ''].join('\n'),
    );
    assert.ok(c);
    assert.equal(c.kind, 'value');
    assert.equal(c.key, 'call');
    assert.deepEqual(c.parentPath, ['steps', 1, 'split', 'steps', 0]);
    assert.equal(c.prefix, '');
  });

  it('computes the replace range of a partially typed value', () => {
    const { c, text } = ctx('runtime:\n  sessionHandling: onEx<|>ch\n');
    assert.ok(c);
    assert.equal(c.kind, 'value');
    assert.deepEqual(c.parentPath, ['runtime']);
    assert.equal(c.prefix, 'onEx');
    assert.equal(text.slice(c.replace.start, c.replace.end), 'onExch');
  });

  it('finds a key position on a blank indented line and lists the siblings above and below', () => {
    const { c } = ctx(['receivers:', '  erp:', '    adapter: http', '    <|>', '    csrf: true', 'steps: []', ''].join('\n'));
    assert.ok(c);
    assert.equal(c.kind, 'key');
    assert.deepEqual(c.parentPath, ['receivers', 'erp']);
    assert.deepEqual(c.siblingKeys.sort(), ['adapter', 'csrf']);
  });

  it('handles a half-typed key that makes the YAML invalid', () => {
    const { c } = ctx(['flow: x', 'runtime:', '  sess<|>', 'steps:', '  - call: a', ''].join('\n'));
    assert.ok(c);
    assert.equal(c.kind, 'key');
    assert.equal(c.prefix, 'sess');
    assert.deepEqual(c.parentPath, ['runtime']);
  });

  it('treats a new sequence item as a new mapping with the next index', () => {
    const { c } = ctx(['steps:', '- call: a', '- call: b', '- <|>', ''].join('\n'));
    assert.ok(c);
    assert.equal(c.kind, 'key');
    assert.deepEqual(c.parentPath, ['steps', 2]);
    assert.deepEqual(c.siblingKeys, []);
  });

  it('resolves keys inside a one-line flow mapping', () => {
    const { c } = ctx(['receivers:', '  erp:', '    auth: { type: basic, credential: er<|> }', ''].join('\n'));
    assert.ok(c);
    assert.equal(c.kind, 'value');
    assert.equal(c.key, 'credential');
    assert.deepEqual(c.parentPath, ['receivers', 'erp', 'auth']);
    assert.equal(c.prefix, 'er');
    assert.equal(c.inFlow, true);
  });

  it('offers keys inside a flow mapping, excluding those already written', () => {
    const { c } = ctx(['receivers:', '  erp:', '    auth: { type: basic, <|> }', ''].join('\n'));
    assert.ok(c);
    assert.equal(c.kind, 'key');
    assert.deepEqual(c.parentPath, ['receivers', 'erp', 'auth']);
    assert.deepEqual(c.siblingKeys, ['type']);
  });

  it('returns nothing inside comments and block scalars', () => {
    assert.equal(ctx('flow: x # a comm<|>ent\n').c, undefined);
    assert.equal(ctx(['description: |', '  some text', '  mo<|>re', 'steps: []'].join('\n')).c, undefined);
  });

  it('skips block scalars and multi-line flow collections when computing the path', () => {
    const { c } = ctx(
      ['description: |', '  text: with colon', '  more', 'receivers: {', '  a: { adapter: http }', '}', 'runtime:', '  <|>', ''].join('\n'),
    );
    assert.ok(c);
    assert.deepEqual(c.parentPath, ['runtime']);
  });

  it('survives arbitrary input and offsets', () => {
    const inputs = ['', ':', '- - - ', '{[', '"unterminated: |', '\t\tkey:\n\t- x', 'a: [1, {b: ', '\r\n\r\n  x: y\r\n'];
    for (const text of inputs) {
      for (const offset of [-5, 0, 1, text.length, text.length + 10, Math.floor(text.length / 2)]) {
        assert.doesNotThrow(() => cursorContext(text, offset));
      }
    }
  });
});
