import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdapterDeclarationError,
  configWithDefaults,
  defineAdapter,
  isAdapterDefinition,
  validateAdapterConfig,
} from '../src/adapter/index.js';
import type { AdapterDeclaration, VariantDeclaration } from '../src/adapter/index.js';

function variant(over: Partial<VariantDeclaration> = {}): VariantDeclaration {
  return {
    id: 'main',
    direction: 'receiver',
    stepKinds: ['call', 'send'],
    sessionReuse: 'supported',
    csrf: false,
    auth: [{ type: 'none' }, { type: 'basic' }],
    parallelSafe: true,
    streaming: false,
    ...over,
  };
}

function decl(over: Record<string, unknown> = {}): AdapterDeclaration {
  return {
    id: 'demo',
    displayName: 'Demo',
    version: '1.0.0',
    apiVersion: 1,
    variants: [variant()],
    configSchema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        mode: { type: 'string', enum: ['fast', 'safe'], default: 'safe' },
        retries: { type: 'integer', minimum: 0, default: 2 },
        tags: { type: 'array', items: { type: 'string' }, default: [] },
        nested: { type: 'object', properties: { level: { type: 'integer' } }, required: ['level'], additionalProperties: false },
      },
    },
    async send() {
      return { status: 200, headers: {}, body: new Uint8Array() };
    },
    ...over,
  } as AdapterDeclaration;
}

function declarationError(fn: () => unknown): AdapterDeclarationError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AdapterDeclarationError, `expected AdapterDeclarationError, got ${String(err)}`);
    assert.equal(err.code, 'SF_ADAPTER_DECLARATION');
    return err;
  }
  assert.fail('defineAdapter did not throw');
}

test('a valid single-variant declaration becomes a frozen definition with a default variant', () => {
  const def = defineAdapter(decl());
  assert.equal(def.id, 'demo');
  assert.equal(def.defaultVariant, 'main');
  assert.equal(def.variant(undefined)?.id, 'main');
  assert.equal(def.variant('main')?.stepKinds.length, 2);
  assert.equal(def.variant('other'), undefined);
  assert.ok(Object.isFrozen(def));
  assert.ok(Object.isFrozen(def.variants[0]));
  assert.ok(Object.isFrozen(def.configSchema));
  assert.ok(isAdapterDefinition(def));
  assert.equal(isAdapterDefinition(decl()), false);
  assert.throws(() => {
    (def.variants as VariantDeclaration[]).push(variant({ id: 'x' }));
  }, TypeError);
});

test('the definition does not share mutable state with the declaration', () => {
  const d = decl();
  const def = defineAdapter(d);
  d.variants[0]!.sessionReuse = 'unsupported';
  assert.equal(def.variant('main')?.sessionReuse, 'supported');
});

test('several variants need an existing defaultVariant', () => {
  const two = [variant({ id: 'soap-1.1' }), variant({ id: 'soap-1.2' })];
  const missing = declarationError(() => defineAdapter(decl({ variants: two })));
  assert.match(missing.message, /adapter "demo"/);
  assert.match(missing.message, /defaultVariant: is required when there are several variants \(declared: soap-1\.1, soap-1\.2\)/);

  const wrong = declarationError(() => defineAdapter(decl({ variants: two, defaultVariant: 'soap-2' })));
  assert.match(wrong.message, /defaultVariant: names variant "soap-2", which is not declared/);

  const ok = defineAdapter(decl({ variants: two, defaultVariant: 'soap-1.2' }));
  assert.equal(ok.variant(undefined)?.id, 'soap-1.2');
  assert.equal(ok.variant('soap-1.1')?.id, 'soap-1.1');
});

test('bad top-level fields are each named in the error', () => {
  const err = declarationError(() =>
    defineAdapter(decl({ id: 'Bad_Id', displayName: '', version: 3, apiVersion: 1.5, send: 'nope', extra: true })),
  );
  assert.equal(err.adapterId, 'Bad_Id');
  const fields = err.issues.map((i) => i.field).sort();
  assert.deepEqual(fields, ['apiVersion', 'displayName', 'extra', 'id', 'send', 'version']);
  assert.match(err.message, /^invalid adapter "Bad_Id": /);
  assert.match(err.message, /send: must be a function/);
  assert.match(err.message, /extra: unknown field/);
});

test('variants must be a non-empty array of unique, valid variants', () => {
  assert.match(declarationError(() => defineAdapter(decl({ variants: [] }))).message, /variants: must be a non-empty array/);
  assert.match(declarationError(() => defineAdapter(decl({ variants: undefined }))).message, /variants: must be a non-empty array .* got missing/);
  const dup = declarationError(() => defineAdapter(decl({ variants: [variant(), variant()], defaultVariant: 'main' })));
  assert.match(dup.message, /variants\[1\]\.id: variant id "main" is declared twice/);
});

test('variant capability fields are checked one by one', () => {
  const bad = {
    id: 'v',
    direction: 'inbound',
    stepKinds: ['call', 'stream'],
    sessionReuse: 'sometimes',
    csrf: 'yes',
    auth: [{ type: 'kerberos' }, { type: 'basic', proxies: ['moon'] }, { type: 'basic' }],
    parallelSafe: true,
    streaming: false,
    colour: 'red',
  };
  const err = declarationError(() => defineAdapter(decl({ variants: [bad] })));
  const byField = new Map(err.issues.map((i) => [i.field, i.message]));
  assert.match(byField.get('variants[0].direction') ?? '', /must be one of receiver, sender, both, got "inbound"/);
  assert.match(byField.get('variants[0].stepKinds[1]') ?? '', /must be one of call, send, got "stream"/);
  assert.match(byField.get('variants[0].sessionReuse') ?? '', /supported, required, unsupported/);
  assert.match(byField.get('variants[0].csrf') ?? '', /must be true or false/);
  assert.match(byField.get('variants[0].auth[0].type') ?? '', /must be one of none, basic, .*got "kerberos"/);
  assert.match(byField.get('variants[0].auth[1].proxies[0]') ?? '', /internet, onPremise/);
  assert.match(byField.get('variants[0].auth[2].type') ?? '', /listed twice/);
  assert.equal(byField.get('variants[0].colour'), 'unknown field');
});

test('a receiver variant needs step kinds and auth types; a sender variant may have none', () => {
  const err = declarationError(() => defineAdapter(decl({ variants: [variant({ stepKinds: [], auth: [] })] })));
  assert.ok(err.issues.some((i) => i.field === 'variants[0].stepKinds'));
  assert.ok(err.issues.some((i) => i.field === 'variants[0].auth'));
  const sender = defineAdapter(decl({ variants: [variant({ direction: 'sender', stepKinds: [], auth: [] })] }));
  assert.equal(sender.variant(undefined)?.direction, 'sender');
});

test('the config schema must compile as JSON Schema draft 2020-12', () => {
  const notObject = declarationError(() => defineAdapter(decl({ configSchema: 'string' })));
  assert.match(notObject.message, /configSchema: must be a JSON Schema object/);
  const wrongType = declarationError(() => defineAdapter(decl({ configSchema: { type: 'array' } })));
  assert.match(wrongType.message, /configSchema\.type: must be "object"/);
  const broken = declarationError(() => defineAdapter(decl({ configSchema: { type: 'object', properties: { a: { type: 'strng' } } } })));
  assert.match(broken.message, /configSchema: is not a valid JSON Schema \(draft 2020-12\)/);
  const typo = declarationError(() => defineAdapter(decl({ configSchema: { type: 'object', requried: ['a'] } })));
  assert.match(typo.message, /requried/);
  // Extension (x-*) and editor annotation keywords are accepted.
  const def = defineAdapter(decl({
    configSchema: { type: 'object', properties: { a: { type: 'string', 'x-sessionflow-expression': true, markdownDescription: '**A**' } } },
  }));
  assert.deepEqual(validateAdapterConfig(def, { a: 'x' }), []);
});

test('a non-object declaration is refused without crashing', () => {
  const err = declarationError(() => defineAdapter(null as unknown as AdapterDeclaration));
  assert.equal(err.adapterId, undefined);
  assert.match(err.message, /^invalid adapter declaration: /);
});

test('validateAdapterConfig reports path, keyword and allowed values', () => {
  const def = defineAdapter(decl());
  assert.deepEqual(validateAdapterConfig(def, undefined), []);
  assert.deepEqual(validateAdapterConfig(def, { mode: 'fast', retries: 0, tags: ['a'] }), []);

  const problems = validateAdapterConfig(def, { mode: 'slow', retries: -1, tags: ['a', 7], nested: {}, colour: 'red' });
  const find = (keyword: string) => problems.find((p) => p.keyword === keyword);
  assert.deepEqual(find('enum'), { path: ['mode'], keyword: 'enum', message: 'must be one of: fast, safe', allowed: ['fast', 'safe'] });
  assert.deepEqual(find('minimum')?.path, ['retries']);
  assert.deepEqual(find('type'), { path: ['tags', 1], keyword: 'type', message: 'must be string' });
  assert.deepEqual(find('required'), { path: ['nested', 'level'], keyword: 'required', message: 'missing required field "level"' });
  const extra = find('additionalProperties');
  assert.deepEqual(extra?.path, ['colour']);
  assert.deepEqual(extra?.allowed, ['mode', 'retries', 'tags', 'nested']);
  assert.match(extra?.message ?? '', /unknown field "colour" \(known: mode, retries, tags, nested\)/);
  assert.equal(problems.length, 5);

  assert.deepEqual(validateAdapterConfig(def, 'text'), [{ path: [], keyword: 'type', message: 'must be object' }]);
});

test('configWithDefaults fills missing top-level defaults without touching the input', () => {
  const def = defineAdapter(decl());
  const input = { mode: 'fast' };
  const out = configWithDefaults(def, input);
  assert.deepEqual(out, { mode: 'fast', retries: 2, tags: [] });
  assert.deepEqual(input, { mode: 'fast' });
  (out.tags as string[]).push('x');
  assert.deepEqual(configWithDefaults(def, undefined).tags, []);
});

test('two adapters may use the same schema $id and $defs without clashing', () => {
  const schema = (kind: string) => ({
    $id: 'https://example.com/config.json',
    type: 'object',
    $defs: { mode: { type: 'string', enum: [kind] } },
    properties: { mode: { $ref: '#/$defs/mode' } },
  });
  const a = defineAdapter(decl({ id: 'first', configSchema: schema('a') }));
  const b = defineAdapter(decl({ id: 'second', configSchema: schema('b') }));
  assert.deepEqual(validateAdapterConfig(a, { mode: 'a' }), []);
  assert.deepEqual(validateAdapterConfig(b, { mode: 'b' }), []);
  assert.deepEqual(validateAdapterConfig(a, { mode: 'b' })[0]?.allowed, ['a']);
});
