import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONDITION_SYNTAX_ERROR,
  ConditionError,
  checkCondition,
  evaluateCondition,
  evaluateTemplate,
  hasExpressions,
  isDynamic,
  parseTemplate,
} from '../src/flow/expression.js';
import type { EvaluationContext, ExprPart } from '../src/flow/expression.js';

function ctx(opts: {
  headers?: Record<string, string>;
  properties?: Record<string, unknown>;
  body?: string;
  responseHeaders?: Record<string, string>;
  env?: Record<string, string>;
}): EvaluationContext {
  const lower = (m: Record<string, string> | undefined) => new Map(Object.entries(m ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const headers = lower(opts.headers);
  const responseHeaders = lower(opts.responseHeaders);
  return {
    header: (n) => headers.get(n.toLowerCase()),
    property: (n) => opts.properties?.[n],
    bodyText: () => opts.body ?? '',
    bodyJson: () => {
      try {
        return JSON.parse(opts.body ?? '') as unknown;
      } catch {
        return undefined;
      }
    },
    responseHeader: (n) => responseHeaders.get(n.toLowerCase()),
    env: (n) => opts.env?.[n],
  };
}

function exprs(source: string): ExprPart[] {
  return parseTemplate(source).template.parts.filter((p): p is ExprPart => p.kind === 'expr');
}

describe('parseTemplate', () => {
  it('keeps plain text as one text part', () => {
    const { template, errors } = parseTemplate('https://erp.example.com/api');
    assert.deepEqual(errors, []);
    assert.deepEqual(template.parts, [{ kind: 'text', text: 'https://erp.example.com/api', start: 0, end: 27 }]);
    assert.equal(hasExpressions(template), false);
  });

  it('recognises every expression source with offsets', () => {
    const src = 'a${header.X-User}b${property.p}${body}${body.items[0].id}${response.header.Set-Token}${env.HOME}z';
    const { template, errors } = parseTemplate(src);
    assert.deepEqual(errors, []);
    const ex = template.parts.filter((p): p is ExprPart => p.kind === 'expr');
    assert.deepEqual(
      ex.map((p) => [p.expr.source, p.expr.name, src.slice(p.start, p.end)]),
      [
        ['header', 'X-User', '${header.X-User}'],
        ['property', 'p', '${property.p}'],
        ['body', '', '${body}'],
        ['body', 'items[0].id', '${body.items[0].id}'],
        ['response.header', 'Set-Token', '${response.header.Set-Token}'],
        ['env', 'HOME', '${env.HOME}'],
      ],
    );
    const texts = template.parts.filter((p) => p.kind === 'text').map((p) => (p.kind === 'text' ? p.text : ''));
    assert.deepEqual(texts, ['a', 'b', 'z']);
  });

  it('accepts ${body[...]} as a JSONPath from $', () => {
    assert.deepEqual(exprs('${body[0].id}')[0]?.expr, { source: 'body', name: '[0].id' });
  });

  it('reports an unknown source with the offsets of the expression and keeps it as text', () => {
    const src = 'x ${headers.a} y';
    const { template, errors } = parseTemplate(src);
    assert.equal(errors.length, 1);
    const e = errors[0]!;
    assert.equal(src.slice(e.start, e.end), '${headers.a}');
    assert.match(e.message, /unknown expression source "headers"/);
    assert.equal(hasExpressions(template), false);
    assert.equal(template.parts.map((p) => (p.kind === 'text' ? p.text : '')).join(''), src);
  });

  it('reports an unterminated ${ up to the end', () => {
    const src = 'abc ${header.x';
    const { errors } = parseTemplate(src);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.start, 4);
    assert.equal(errors[0]!.end, src.length);
    assert.match(errors[0]!.message, /unterminated/);
  });

  it('reports empty expressions and missing names', () => {
    for (const [src, re] of [
      ['${}', /empty expression/],
      ['${header}', /missing name/],
      ['${response.header.}', /missing name/],
      ['${env.}', /missing name/],
      ['${property.a b}', /invalid name/],
    ] as const) {
      const { errors } = parseTemplate(src);
      assert.equal(errors.length, 1, src);
      assert.match(errors[0]!.message, re, src);
      assert.equal(errors[0]!.start, 0, src);
      assert.equal(errors[0]!.end, src.length, src);
    }
  });

  it('finds several errors in one string', () => {
    const { errors, template } = parseTemplate('${a} ${header.ok} ${b.c}');
    assert.equal(errors.length, 2);
    assert.equal(exprs(template.source).length, 1);
  });
});

describe('isDynamic / hasExpressions', () => {
  const cases: [string, boolean, boolean][] = [
    ['plain', false, false],
    ['${env.TENANT}', false, true],
    ['https://${env.HOST}/x', false, true],
    ['${header.user}', true, true],
    ['${property.pw}', true, true],
    ['${body}', true, true],
    ['${body.a}', true, true],
    ['${response.header.X}', true, true],
    ['${env.A}${header.b}', true, true],
    ['${nope.x}', false, false],
  ];
  for (const [src, dyn, has] of cases) {
    it(`${src} → dynamic ${dyn}`, () => {
      const { template } = parseTemplate(src);
      assert.equal(isDynamic(template), dyn);
      assert.equal(hasExpressions(template), has);
    });
  }
});

describe('evaluateTemplate', () => {
  const c = ctx({
    headers: { 'X-User': 'alice' },
    properties: { n: 3, obj: { a: [1, 2] }, flag: true, nil: null },
    body: '{"items":[{"id":"i1"},{"id":"i2"}],"total":2}',
    responseHeaders: { 'X-Has-More': 'true' },
    env: { TENANT: 't1' },
  });
  const cases: [string, string][] = [
    ['user=${header.x-user}', 'user=alice'],
    ['${property.n}', '3'],
    ['${property.obj}', '{"a":[1,2]}'],
    ['${property.flag}', 'true'],
    ['[${property.nil}][${property.missing}][${header.none}]', '[][][]'],
    ['${body.items[1].id}', 'i2'],
    ['${body.total}', '2'],
    ['${body.items[*].id}', '["i1","i2"]'],
    ['${body.nothing}', ''],
    ['${response.header.x-has-more}', 'true'],
    ['https://${env.TENANT}.example.com', 'https://t1.example.com'],
    ['${env.UNSET}', ''],
    ['bad ${x.y} stays', 'bad ${x.y} stays'],
  ];
  for (const [src, want] of cases) {
    it(`${src} → ${want}`, () => {
      assert.equal(evaluateTemplate(parseTemplate(src).template, c), want);
    });
  }

  it('${body} is the body text; paths on a non-JSON body are empty', () => {
    const x = ctx({ body: '<a>1</a>' });
    assert.equal(evaluateTemplate(parseTemplate('${body}').template, x), '<a>1</a>');
    assert.equal(evaluateTemplate(parseTemplate('${body.a}').template, x), '');
  });
});

describe('conditions', () => {
  const c = ctx({
    headers: { type: 'order' },
    properties: { hasMore: 'true', page: 3, done: false, big: '10', name: 'abc' },
    responseHeaders: { 'X-Has-More': 'false' },
    env: { MODE: 'test' },
  });
  const cases: [string, boolean][] = [
    ["${property.hasMore} == 'true'", true],
    ['${property.hasMore} == "true"', true],
    ["${property.hasMore} != 'true'", false],
    ["${response.header.X-Has-More} == 'true'", false],
    ['${property.page} < 10', true],
    ['${property.page} >= 3', true],
    ['${property.page} > 3', false],
    ['${property.page} <= 2', false],
    ["${property.big} > '9'", true], // both numeric: compared as numbers
    ["${property.name} < 'abd'", true], // text comparison
    ['${property.page} == 3.0', true],
    ["${property.hasMore} == 'true' and ${property.page} < 10", true],
    ["${property.hasMore} == 'false' or ${header.type} == 'order'", true],
    ["not ${property.hasMore} == 'false'", true],
    ['not (${property.page} < 10)', false],
    ['true or false and false', true], // and binds tighter than or
    ['(true or false) and false', false],
    ['not true or true', true],
    ['${property.hasMore}', true],
    ['${property.done}', false],
    ['${property.missing}', false],
    ['${property.done} == false', true],
    ["'${header.type}-x' == 'order-x'", true],
    ["${env.MODE} == 'test'", true],
    ['0', false],
    ['1', true],
    ["'' == ${property.missing}", true],
    ['(1 < 2) == true', true],
  ];
  for (const [src, want] of cases) {
    it(`${src} → ${want}`, () => {
      assert.equal(checkCondition(src), undefined);
      assert.equal(evaluateCondition(src, c), want);
    });
  }

  const bad: [string, string, RegExp][] = [
    ['${property.a} = 1', '=', /use "=="/],
    ['${property.a} == ', '', /ends early/],
    ['', '', /empty condition/],
    ["${property.a} == 'x", "'x", /unterminated string/],
    ['${property.a} == yes', 'yes', /unexpected word "yes"/],
    ['(${property.a} == 1', '', /missing "\)"/],
    ['${property.a} == 1)', ')', /unexpected "\)"/],
    ['1 < 2 < 3', '<', /cannot be chained/],
    ['${nope.a} == 1', '${nope.a}', /unknown expression source/],
    ["'${header.x' == 1", '${header.x', /unterminated expression/],
    ['${header.a} && ${header.b}', '&&', /use "and"/],
    ['${header.a} == 1 and', '', /ends early/],
    ['and', 'and', /expected a value/],
    ['1 == 2 3', '3', /unexpected "3"/],
  ];
  for (const [src, at, re] of bad) {
    it(`rejects ${JSON.stringify(src)}`, () => {
      const err = checkCondition(src);
      assert.ok(err, 'expected an error');
      assert.match(err.message, re);
      assert.equal(src.slice(err.start, err.end), at);
      assert.throws(
        () => evaluateCondition(src, c),
        (e: unknown) => e instanceof ConditionError && e.code === CONDITION_SYNTAX_ERROR && e.start === err.start && e.message.includes('invalid condition'),
      );
    });
  }
});
