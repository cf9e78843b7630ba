import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ajvModule from 'ajv/dist/2020.js';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { AUTH_TYPES, STEP_KINDS } from '../src/flow/model.js';
import type { NodePath, ParseProblem } from '../src/flow/model.js';
import { parseFlow } from '../src/flow/parse.js';
import { closestMatch, flowSchema, flowSchemaPath, isExpressionField, propertiesAtPath, schemaAtPath, validateFlowSchema } from '../src/flow/schema.js';
import { EXAMPLES_DIR } from './examples-dir.js';

const Ajv2020 = ajvModule.default;
const fixtures = fileURLToPath(new URL('./fixtures/flows/', import.meta.url));
const examplesDir = EXAMPLES_DIR;

type Obj = Record<string, unknown>;

function slice(text: string, p: ParseProblem): string {
  return text.slice(p.range.start, p.range.end);
}

/** A valid flow using every container the table tests poke into. */
function baseFlow(): Obj {
  return {
    flow: 'base',
    formatVersion: 2,
    description: 'd',
    runtime: { sessionHandling: 'onExchange', log: 'info', sessionStore: 'memory' },
    sender: { adapter: 'http', path: '/in', csrf: false },
    credentials: { u: { type: 'basic' } },
    receivers: {
      erp: {
        adapter: 'http',
        variant: 'v',
        address: 'https://erp.example.com',
        auth: { type: 'basic', credential: 'u' },
        csrf: true,
        stateful: false,
        parallelCallsInSession: true,
        proxy: { type: 'onPremise', virtualHost: 'erp.virtual:443', locationId: 'l', cookieDomains: { a: 'b' } },
        logoff: { method: 'POST', path: '/logout' },
        session: 'inherit',
        timeoutMs: 1000,
        config: { x: 1 },
      },
    },
    processes: { p: { steps: [{ script: './s.ts' }] } },
    steps: [
      { id: 'c', name: 'n', call: 'erp', method: 'GET', path: '/x', headers: { h: 'v' }, query: { q: 'v' }, body: 'b' },
      { split: { path: '$.a', parallel: true, maxConcurrency: 2, steps: [{ send: 'erp' }] } },
      { multicast: { parallel: false, branches: [[{ process: 'p' }], [{ set: { headers: { a: 'b' }, properties: { p: 'v' }, body: 'x' } }]] } },
      { loop: { while: "${property.x} == 'y'", max: 3, steps: [{ call: 'erp' }] } },
      { route: { when: [{ if: "${header.t} == 'a'", steps: [{ call: 'erp' }] }], otherwise: [{ call: 'erp' }] } },
    ],
  };
}

function setAt(obj: Obj, path: NodePath, value: unknown): Obj {
  const copy = structuredClone(obj);
  let cur: any = copy;
  for (const seg of path.slice(0, -1)) cur = cur[seg];
  cur[path[path.length - 1]!] = value;
  return copy;
}

function fieldName(path: NodePath): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

describe('flow schema: the file itself', () => {
  const schema = flowSchema();

  it('is found next to the sdk package.json and is draft 2020-12', () => {
    assert.ok(flowSchemaPath().endsWith('/sdk/schema/flow.schema.json'));
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  });

  it('compiles in ajv strict-schema mode (no misspelt keywords)', () => {
    const ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, strictTuples: false, validateFormats: false });
    ajv.addVocabulary(['x-sessionflow-expression', 'x-sessionflow-message', 'x-sessionflow-context', 'x-sessionflow-kind']);
    assert.doesNotThrow(() => ajv.compile(schema));
  });

  it('every property has a title and a description; every enum lists its values', () => {
    let checked = 0;
    const visit = (s: unknown, where: string): void => {
      if (!s || typeof s !== 'object') return;
      if (Array.isArray(s)) {
        s.forEach((x, i) => visit(x, `${where}/${i}`));
        return;
      }
      const o = s as Obj;
      for (const mapKey of ['properties', 'additionalProperties'] as const) {
        const props = mapKey === 'properties' ? (o.properties as Obj | undefined) : { '*': o.additionalProperties };
        if (!props || typeof props !== 'object') continue;
        for (const [name, sub] of Object.entries(props)) {
          if (!sub || typeof sub !== 'object') continue; // `true` placeholders in kind/type branches
          const p = sub as Obj;
          const target = typeof p.$ref === 'string' ? { ...(schemaAtPointer(p.$ref) as Obj), ...p } : p;
          assert.equal(typeof target.title, 'string', `title of ${where}/${mapKey}/${name}`);
          assert.equal(typeof target.description, 'string', `description of ${where}/${mapKey}/${name}`);
          if (Array.isArray(target.enum)) {
            for (const v of target.enum) assert.ok(String(target.description).includes(String(v)), `${where}/${name}: description lists ${v}`);
          }
          checked++;
        }
      }
      // `if` sub-schemas are conditions, not field definitions
      for (const [k, v] of Object.entries(o)) if (k !== 'enum' && k !== 'if') visit(v, `${where}/${k}`);
    };
    const schemaAtPointer = (ptr: string): unknown => ptr.replace(/^#\//, '').split('/').reduce<any>((acc, seg) => acc?.[seg], schema);
    visit(schema, '#');
    assert.ok(checked > 60, `${checked} properties checked`);
  });

  it('flow objects are closed (additionalProperties false), except sender and receiver config', () => {
    const defs = schema.$defs as Record<string, Obj>;
    assert.equal(schema.additionalProperties, false);
    for (const name of ['runtime', 'credential', 'receiver', 'auth', 'proxy', 'logoff', 'process', 'setOptions', 'splitOptions', 'multicastOptions', 'loopOptions', 'routeOptions', 'routeWhen']) {
      assert.equal(defs[name]?.additionalProperties, false, name);
    }
    assert.equal(defs.sender?.additionalProperties, true);
    const config = (defs.receiver?.properties as Record<string, Obj>).config!;
    assert.equal(config.additionalProperties, undefined);
    const ok = validateFlowSchema(parseFlow(stringifyYaml(setAt(baseFlow(), ['receivers', 'erp', 'config'], { anything: { goes: [1] } })), { schema: false }).yaml);
    assert.deepEqual(ok, []);
    const sender = validateFlowSchema(parseFlow(stringifyYaml(setAt(baseFlow(), ['sender', 'custom'], 1)), { schema: false }).yaml);
    assert.deepEqual(sender, []);
  });

  it('enums, defaults and patterns from the spec', () => {
    assert.deepEqual(schemaAtPath(['formatVersion'])?.enum, [1, 2]);
    assert.equal(schemaAtPath(['flow'])?.pattern, '^[a-z0-9][a-z0-9-]*$');
    assert.deepEqual(schemaAtPath(['runtime', 'sessionHandling'])?.enum, ['none', 'onExchange', 'onIntegrationFlow']);
    assert.equal(schemaAtPath(['runtime', 'sessionHandling'])?.default, 'none');
    assert.equal(schemaAtPath(['runtime', 'sessionStore'])?.default, 'memory');
    assert.deepEqual(schemaAtPath(['runtime', 'log'])?.enum, ['none', 'info', 'debug']);
    assert.deepEqual(schemaAtPath(['receivers', 'r', 'auth', 'type'])?.enum, [...AUTH_TYPES]);
    assert.equal(schemaAtPath(['receivers', 'r', 'parallelCallsInSession'])?.default, true);
    assert.equal(schemaAtPath(['receivers', 'r', 'session'])?.default, 'inherit');
    assert.equal(schemaAtPath(['receivers', 'r', 'proxy', 'type'])?.default, 'internet');
  });

  it('expression-capable fields are marked', () => {
    const yes: NodePath[] = [
      ['receivers', 'r', 'address'],
      ['receivers', 'r', 'auth', 'user'],
      ['receivers', 'r', 'auth', 'password'],
      ['steps', 0, 'path'],
      ['steps', 0, 'headers', 'X-A'],
      ['steps', 0, 'query', 'q'],
      ['steps', 0, 'body'],
      ['steps', 0, 'set', 'headers', 'h'],
      ['steps', 0, 'set', 'properties', 'p'],
      ['steps', 0, 'set', 'body'],
      ['steps', 0, 'loop', 'while'],
      ['steps', 0, 'route', 'when', 0, 'if'],
    ];
    for (const p of yes) assert.equal(isExpressionField(p), true, JSON.stringify(p));
    for (const p of [['flow'], ['receivers', 'r', 'adapter'], ['steps', 0, 'call'], ['steps', 0, 'split', 'path']] as NodePath[]) {
      assert.equal(isExpressionField(p), false, JSON.stringify(p));
    }
  });
});

describe('flow schema: checked against the spec (flow-format.md)', () => {
  const spec = readFileSync('/work/shared/spec/flow-format.md', 'utf8');
  /** Field names of the table under a `## heading`. */
  const tableFields = (heading: string): string[] => {
    const section = spec.split(/^## /m).find((s) => s.startsWith(heading)) ?? '';
    return [...section.matchAll(/^\| `?([A-Za-z]+)`? \|/gm)].map((m) => m[1]!).filter((f) => f !== 'field' && f !== 'step');
  };

  it('every top-level, runtime and receiver field of the spec is in the schema with a title', () => {
    const groups: [string, NodePath][] = [
      ['Top level', []],
      ['Runtime', ['runtime']],
      ['Receivers', ['receivers', 'r']],
    ];
    let n = 0;
    for (const [heading, prefix] of groups) {
      const fields = tableFields(heading);
      assert.ok(fields.length >= 3, heading);
      for (const f of fields) {
        assert.equal(typeof schemaAtPath([...prefix, f])?.title, 'string', `${heading}: ${f}`);
        n++;
      }
    }
    assert.ok(n >= 24, `${n} fields`);
  });

  it('every step kind of the spec is a step property', () => {
    const kinds = tableFields('Steps');
    assert.deepEqual(new Set(kinds), new Set(STEP_KINDS));
    for (const k of kinds) assert.equal(typeof schemaAtPath(['steps', 0, k])?.title, 'string', k);
  });

  it('every auth shape of the spec validates', () => {
    const shapes = [
      { type: 'none' },
      { type: 'basic', credential: 'c' },
      { type: 'basic', user: '${header.x}', password: '${property.x}' },
      { type: 'client-certificate', credential: 'c' },
      { type: 'oauth2-client-credentials', credential: 'c', tokenUrl: 'https://t/oauth/token' },
      { type: 'oauth2-saml-bearer', credential: 'c' },
      { type: 'principal-propagation' },
    ];
    for (const auth of shapes) {
      const text = stringifyYaml(setAt(baseFlow(), ['receivers', 'erp', 'auth'], auth));
      assert.deepEqual(parseFlow(text).problems, [], JSON.stringify(auth));
    }
    for (const proxy of [{ type: 'internet' }, {}, { type: 'onPremise', virtualHost: 'v.example:8080' }]) {
      const text = stringifyYaml(setAt(baseFlow(), ['receivers', 'erp', 'proxy'], proxy));
      assert.deepEqual(parseFlow(text).problems, [], JSON.stringify(proxy));
    }
    const store = stringifyYaml(setAt(baseFlow(), ['runtime', 'sessionStore'], 'redis://127.0.0.1:6379/0'));
    assert.deepEqual(parseFlow(store).problems, []);
  });
});

describe('flow schema: valid files', () => {
  const files = [
    ...readdirSync(examplesDir)
      .filter((n) => n.endsWith('.flow.yaml'))
      .map((n) => examplesDir + n),
    ...readdirSync(fixtures)
      .filter((n) => !n.startsWith('broken'))
      .map((n) => fixtures + n),
  ];
  for (const file of files) {
    it(`${file.split('/').pop()} validates (parseFlow and plain ajv agree)`, () => {
      const text = readFileSync(file, 'utf8');
      assert.deepEqual(parseFlow(text).problems, []);
      const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
      const ok = ajv.validate(flowSchema(), parseYaml(text));
      assert.equal(ok, true, JSON.stringify(ajv.errors));
    });
  }

  it('the table-test base flow is valid', () => {
    assert.deepEqual(parseFlow(stringifyYaml(baseFlow())).problems, []);
  });

  it('formatVersion 1 is accepted (legacy)', () => {
    assert.deepEqual(parseFlow('flow: old\nformatVersion: 1\n').problems, []);
  });
});

describe('flow schema: wrong types name the field, one problem each', () => {
  const cases: [NodePath, unknown, RegExp][] = [
    [['flow'], 5, /must be a string/],
    [['formatVersion'], 'two', /must be a whole number/],
    [['description'], ['x'], /must be a string — got a list/],
    [['runtime'], 'fast', /must be a map of fields/],
    [['runtime', 'sessionHandling'], 5, /must be a string/],
    [['runtime', 'log'], true, /must be a string/],
    [['runtime', 'sessionStore'], 1, /must be a string/],
    [['sender'], ['http'], /must be a map of fields/],
    [['sender', 'adapter'], 1, /must be a string/],
    [['sender', 'csrf'], 'yes', /must be true or false — got "yes"/],
    [['credentials'], ['u'], /must be a map of fields/],
    [['credentials', 'u', 'type'], 1, /must be a string/],
    [['receivers'], 'erp', /must be a map of fields/],
    [['receivers', 'erp'], 'http', /must be a map of fields/],
    [['receivers', 'erp', 'adapter'], 1, /must be a string/],
    [['receivers', 'erp', 'variant'], 2, /must be a string/],
    [['receivers', 'erp', 'address'], { a: 1 }, /must be a string — got a map/],
    [['receivers', 'erp', 'auth'], 'basic', /must be a map of fields/],
    [['receivers', 'erp', 'auth', 'type'], 1, /must be a string/],
    [['receivers', 'erp', 'auth', 'credential'], 1, /must be a string/],
    [['receivers', 'erp', 'csrf'], 'true', /must be true or false/],
    [['receivers', 'erp', 'stateful'], 'no', /must be true or false/],
    [['receivers', 'erp', 'parallelCallsInSession'], 1, /must be true or false/],
    [['receivers', 'erp', 'proxy'], 'internet', /must be a map of fields/],
    [['receivers', 'erp', 'proxy', 'virtualHost'], 1, /must be a string/],
    [['receivers', 'erp', 'proxy', 'cookieDomains'], 'a', /must be a map of fields/],
    [['receivers', 'erp', 'proxy', 'cookieDomains', 'a'], 1, /must be a string/],
    [['receivers', 'erp', 'logoff'], '/logout', /must be a map of fields/],
    [['receivers', 'erp', 'logoff', 'path'], 1, /must be a string/],
    [['receivers', 'erp', 'session'], false, /must be a string/],
    [['receivers', 'erp', 'timeoutMs'], '5s', /must be a number — got "5s"/],
    [['receivers', 'erp', 'timeoutMs'], 0, /must be > 0 — got 0/],
    [['steps', 1, 'split', 'maxConcurrency'], 1.5, /must be a whole number — got 1.5/],
    [['receivers', 'erp', 'config'], 'x', /must be a map of fields/],
    [['processes'], [], /must be a map of fields/],
    [['processes', 'p', 'steps'], 'x', /must be a list/],
    [['steps'], { a: 1 }, /must be a list/],
    [['steps', 0], 'call erp', /must be a map of fields/],
    [['steps', 0, 'id'], 1, /must be a string/],
    [['steps', 0, 'call'], ['erp'], /must be a string/],
    [['steps', 0, 'method'], 1, /must be a string/],
    [['steps', 0, 'path'], 1, /must be a string/],
    [['steps', 0, 'headers'], 'h', /must be a map of fields/],
    [['steps', 0, 'headers', 'h'], { x: 1 }, /must be a string, a number or a boolean/],
    [['steps', 0, 'query'], ['q'], /must be a map of fields/],
    [['steps', 1, 'split'], '$.a', /must be a map of fields/],
    [['steps', 1, 'split', 'path'], 1, /must be a string/],
    [['steps', 1, 'split', 'parallel'], 'yes', /must be true or false/],
    [['steps', 1, 'split', 'maxConcurrency'], 'many', /must be a whole number/],
    [['steps', 1, 'split', 'steps'], 'x', /must be a list/],
    [['steps', 1, 'split', 'steps', 0, 'send'], 1, /must be a string/],
    [['steps', 2, 'multicast', 'branches'], 'x', /must be a list/],
    [['steps', 2, 'multicast', 'branches', 0], 'x', /must be a list/],
    [['steps', 2, 'multicast', 'branches', 1, 0, 'set', 'headers'], 'x', /must be a map of fields/],
    [['steps', 3, 'loop', 'while'], 1, /must be a string/],
    [['steps', 3, 'loop', 'max'], 'ten', /must be a whole number/],
    [['steps', 4, 'route', 'when'], 'x', /must be a list/],
    [['steps', 4, 'route', 'when', 0, 'if'], true, /must be a string/],
    [['steps', 4, 'route', 'otherwise'], 'x', /must be a list/],
    [['processes', 'p', 'steps', 0, 'script'], 1, /must be a string/],
  ];
  for (const [path, value, re] of cases) {
    const name = fieldName(path);
    it(`${name} = ${JSON.stringify(value)}`, () => {
      const text = stringifyYaml(setAt(baseFlow(), path, value));
      const doc = parseFlow(text);
      const problems = doc.problems.filter((p) => p.code === 'flow/schema');
      assert.equal(problems.length, 1, problems.map((p) => p.message).join('\n'));
      const p = problems[0]!;
      assert.ok(p.message.startsWith(`${name}: `), p.message);
      assert.match(p.message, re);
      assert.deepEqual(p.path, path);
      assert.deepEqual(p.range, doc.rangeAt(path));
    });
  }
});

describe('flow schema: enum typos suggest the closest value', () => {
  const cases: [NodePath, string, string | undefined][] = [
    [['runtime', 'sessionHandling'], 'onexchange', 'onExchange'],
    [['runtime', 'sessionHandling'], 'onIntegrationFLow', 'onIntegrationFlow'],
    [['runtime', 'log'], 'debgu', 'debug'],
    [['runtime', 'log'], 'verbose', undefined],
    [['receivers', 'erp', 'auth', 'type'], 'basik', 'basic'],
    [['receivers', 'erp', 'auth', 'type'], 'oauth2-client-credential', 'oauth2-client-credentials'],
    [['receivers', 'erp', 'session'], 'inherrit', 'inherit'],
    [['receivers', 'erp', 'proxy', 'type'], 'onpremise', 'onPremise'],
    [['steps', 0, 'method'], 'post', 'POST'],
    [['credentials', 'u', 'type'], 'basci', 'basic'],
  ];
  for (const [path, value, suggestion] of cases) {
    it(`${fieldName(path)}: ${value} → ${suggestion ?? 'no suggestion'}`, () => {
      const text = stringifyYaml(setAt(baseFlow(), path, value));
      const doc = parseFlow(text);
      assert.equal(doc.problems.length, 1, doc.problems.map((p) => p.message).join('\n'));
      const p = doc.problems[0]!;
      assert.equal(slice(text, p), value);
      assert.ok(p.message.startsWith(`${fieldName(path)}: must be one of `), p.message);
      assert.ok(p.message.includes(`got "${value}"`));
      const data = p.data as { allowed: string[]; suggestion?: string; field: string };
      assert.equal(data.field, fieldName(path));
      assert.ok(data.allowed.length >= 2);
      for (const a of data.allowed) assert.ok(p.message.includes(a));
      assert.equal(data.suggestion, suggestion);
      if (suggestion) assert.ok(p.message.endsWith(`(did you mean "${suggestion}"?)`), p.message);
      else assert.ok(!p.message.includes('did you mean'));
    });
  }

  it('matches the example message shape', () => {
    const text = 'flow: x\nreceivers:\n  erp:\n    adapter: http\n    auth: { type: basik, credential: u }\n';
    const [p] = parseFlow(text).problems;
    assert.equal(
      p?.message,
      'receivers.erp.auth.type: must be one of none, basic, client-certificate, oauth2-client-credentials, oauth2-saml-bearer, principal-propagation — got "basik" (did you mean "basic"?)',
    );
  });

  it('closestMatch', () => {
    assert.equal(closestMatch('basik', AUTH_TYPES), 'basic');
    assert.equal(closestMatch('principal', AUTH_TYPES), 'principal-propagation');
    assert.equal(closestMatch('oauth2', AUTH_TYPES), undefined); // two candidates share the prefix
    assert.equal(closestMatch('zzz', AUTH_TYPES), undefined);
    assert.equal(closestMatch('', AUTH_TYPES), undefined);
  });
});

describe('flow schema: unknown fields point at the key', () => {
  const cases: [string, string, RegExp, string | undefined][] = [
    ['flow: x\nformatVersion: 2\nrecievers: {}\n', 'recievers', /^recievers: unknown field/, 'receivers'],
    ['flow: x\nreceivers:\n  erp:\n    adapter: http\n    adress: https://x\n', 'adress', /^receivers\.erp\.adress: unknown field/, 'address'],
    ['flow: x\nruntime:\n  sesionHandling: none\n', 'sesionHandling', /^runtime\.sesionHandling: unknown field/, 'sessionHandling'],
    ['flow: x\nsteps:\n  - call: r\n    metod: GET\n', 'metod', /^steps\[0\]\.metod: unknown field for a call step/, 'method'],
    ['flow: x\nsteps:\n  - split: { path: $, steps: [], paralel: true }\n', 'paralel', /^steps\[0\]\.split\.paralel: unknown field/, 'parallel'],
    ['flow: x\nsteps:\n  - set: { headers: {} }\n    method: GET\n', 'method', /^steps\[0\]\.method: unknown field for a set step/, undefined],
    [
      'flow: x\nreceivers:\n  r:\n    adapter: http\n    auth: { type: none, credential: c }\n',
      'credential',
      /^receivers\.r\.auth\.credential: unknown field for auth type none — allowed: type$/,
      undefined,
    ],
    ['flow: x\nreceivers:\n  r:\n    adapter: http\n    auth: { type: basic, credential: c, tokenUrl: u }\n', 'tokenUrl', /for auth type basic/, undefined],
    ['flow: x\nreceivers:\n  r:\n    adapter: http\n    proxy: { virtualHost: v }\n', 'virtualHost', /for an internet proxy/, undefined],
  ];
  for (const [text, key, re, suggestion] of cases) {
    it(`${key}`, () => {
      const doc = parseFlow(text);
      assert.equal(doc.problems.length, 1, doc.problems.map((p) => p.message).join('\n'));
      const p = doc.problems[0]!;
      assert.equal(slice(text, p), key);
      assert.match(p.message, re);
      assert.equal((p.data as { suggestion?: string }).suggestion, suggestion);
      if (suggestion) assert.ok(p.message.includes(`did you mean "${suggestion}"`));
    });
  }
});

describe('flow schema: one mistake, one message', () => {
  it('missing required flow id points at the first key', () => {
    const text = 'formatVersion: 2\nsteps: []\n';
    const doc = parseFlow(text);
    assert.equal(doc.problems.length, 1);
    assert.equal(doc.problems[0]!.message, '(flow file): missing required field "flow"');
    assert.equal(slice(text, doc.problems[0]!), 'formatVersion');
  });

  it('missing receiver adapter points at the receiver name', () => {
    const text = 'flow: x\nreceivers:\n  erp:\n    address: https://x\n';
    const doc = parseFlow(text);
    assert.equal(doc.problems.length, 1);
    assert.equal(doc.problems[0]!.message, 'receivers.erp: missing required field "adapter"');
    assert.equal(slice(text, doc.problems[0]!), 'erp');
  });

  it('a step without a kind', () => {
    const text = 'flow: x\nsteps:\n  - id: lonely\n    method: GET\n';
    const doc = parseFlow(text);
    assert.equal(doc.problems.length, 1, doc.problems.map((p) => p.message).join('\n'));
    assert.equal(doc.problems[0]!.message, `steps[0]: a step needs one kind: ${STEP_KINDS.join(', ')}`);
    assert.equal(slice(text, doc.problems[0]!), 'id');
  });

  it('a step with two kinds points at the second kind key', () => {
    const text = 'flow: x\nsteps:\n  - call: r\n    split: { path: $, steps: [] }\n';
    const doc = parseFlow(text);
    assert.equal(doc.problems.length, 1, doc.problems.map((p) => p.message).join('\n'));
    assert.match(doc.problems[0]!.message, /^steps\[0\]\.split: a step has exactly one kind; this step is already a "call" step/);
    assert.equal(slice(text, doc.problems[0]!), 'split');
  });

  it('an error inside a nested call step gives one message', () => {
    const text = 'flow: x\nsteps:\n  - loop:\n      while: "true"\n      steps:\n        - call: r\n          method: FETCH\n';
    const doc = parseFlow(text);
    assert.equal(doc.problems.length, 1, doc.problems.map((p) => p.message).join('\n'));
    assert.match(doc.problems[0]!.message, /^steps\[0\]\.loop\.steps\[0\]\.method: must be one of GET, POST/);
    assert.equal(slice(text, doc.problems[0]!), 'FETCH');
  });

  it('basic auth without credential or user/password', () => {
    const text = 'flow: x\nreceivers:\n  r:\n    adapter: http\n    auth: { type: basic }\n';
    const doc = parseFlow(text);
    assert.equal(doc.problems.length, 1);
    assert.equal(doc.problems[0]!.message, 'receivers.r.auth: basic auth needs either "credential", or "user" and "password"');
    assert.equal(slice(text, doc.problems[0]!), 'auth');
  });

  it('basic auth with both credential and user', () => {
    const text = 'flow: x\nreceivers:\n  r:\n    adapter: http\n    auth: { type: basic, credential: c, user: u, password: p }\n';
    const doc = parseFlow(text);
    assert.equal(doc.problems.length, 1);
    assert.match(doc.problems[0]!.message, /not both/);
  });

  it('oauth2 client credentials needs a token URL', () => {
    const text = 'flow: x\nreceivers:\n  r:\n    adapter: http\n    auth: { type: oauth2-client-credentials, credential: c }\n';
    const doc = parseFlow(text);
    assert.equal(doc.problems.length, 1);
    assert.equal(doc.problems[0]!.message, 'receivers.r.auth: missing required field "tokenUrl"');
  });

  it('onPremise proxy needs a virtual host', () => {
    const text = 'flow: x\nreceivers:\n  r:\n    adapter: http\n    proxy: { type: onPremise }\n';
    const doc = parseFlow(text);
    assert.equal(doc.problems.length, 1);
    assert.equal(doc.problems[0]!.message, 'receivers.r.proxy: missing required field "virtualHost"');
  });

  it('a bad flow id and a bad format version', () => {
    const text = 'flow: Orders_To_ERP\nformatVersion: 3\n';
    const doc = parseFlow(text);
    assert.deepEqual(
      doc.problems.map((p) => [slice(text, p), p.message]),
      [
        ['Orders_To_ERP', `flow: must be lowercase letters, digits and '-', starting with a letter or digit (e.g. orders-to-erp) — got "Orders_To_ERP"`],
        ['3', 'formatVersion: must be one of 1, 2 — got 3'],
      ],
    );
  });

  it('numbers below their minimum and empty lists', () => {
    const text = 'flow: x\nsteps:\n  - split: { path: $, maxConcurrency: 0, steps: [] }\n  - multicast: { branches: [] }\n';
    const doc = parseFlow(text);
    assert.deepEqual(
      doc.problems.map((p) => p.message),
      ['steps[0].split.maxConcurrency: must be >= 1 — got 0', 'steps[1].multicast.branches: must have at least 1 item'],
    );
  });

  it('several independent mistakes give one problem each, sorted by position', () => {
    const text = 'flow: x\nruntime: { sessionHandling: always }\nreceivers:\n  r: { adapter: http, csrf: maybe }\nsteps:\n  - call: r\n    metod: GET\n';
    const doc = parseFlow(text);
    assert.deepEqual(
      doc.problems.map((p) => slice(text, p)),
      ['always', 'maybe', 'metod'],
    );
  });

  it('validateFlowSchema works on a yaml Document directly', () => {
    const doc = parseFlow('flow: x\nnope: 1\n', { schema: false });
    const problems = validateFlowSchema(doc.yaml);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.code, 'flow/schema');
  });
});

describe('schemaAtPath', () => {
  it('resolves through refs, maps, lists and step kinds', () => {
    assert.equal(schemaAtPath([])?.title, 'Sessionflow flow file');
    assert.equal(schemaAtPath(['receivers', 'erp'])?.title, 'Receiver');
    assert.equal(schemaAtPath(['receivers', 'erp', 'auth'])?.title, 'Authentication');
    assert.equal(schemaAtPath(['receivers', 'erp', 'auth', 'tokenUrl'])?.title, 'Token URL');
    assert.equal(schemaAtPath(['steps'])?.title, 'Steps');
    assert.equal(schemaAtPath(['steps', 0])?.title, 'Step');
    assert.equal(schemaAtPath(['steps', 0, 'split', 'steps', 1, 'call'])?.title, 'Call (request-reply)');
    assert.equal(schemaAtPath(['steps', 0, 'split', 'path'])?.title, 'Split path');
    assert.equal(schemaAtPath(['steps', 0, 'multicast', 'branches', 0, 1, 'process'])?.title, 'Process call');
    assert.equal(schemaAtPath(['steps', 0, 'route', 'when', 0, 'if'])?.title, 'If');
    assert.equal(schemaAtPath(['steps', 0, 'route', 'otherwise', 0, 'send'])?.title, 'Send (one-way)');
    assert.equal(schemaAtPath(['steps', 0, 'loop', 'max'])?.title, 'Max iterations');
    assert.equal(schemaAtPath(['processes', 'p', 'steps', 0, 'script'])?.title, 'Script');
    assert.equal(schemaAtPath(['credentials', 'c', 'type'])?.title, 'Credential type');
    assert.equal(schemaAtPath(['receivers', 'r', 'proxy', 'cookieDomains', 'a.example'])?.title, 'Virtual domain');
    assert.equal(schemaAtPath(['runtime', 'nope']), undefined);
    assert.equal(schemaAtPath(['nope']), undefined);
    assert.equal(schemaAtPath(['receivers', 'r', 'config', 'anything']), undefined);
  });

  it('keeps the referring title/description and the target shape', () => {
    const s = schemaAtPath(['processes', 'p', 'steps']);
    assert.equal(s?.description, 'The steps of the process.');
    assert.equal(s?.type, 'array');
    assert.equal(s?.$ref, undefined);
  });

  it('propertiesAtPath lists the fields for completion', () => {
    const step = propertiesAtPath(['steps', 0]);
    for (const k of [...STEP_KINDS, 'id', 'name', 'method', 'headers']) assert.ok(step.includes(k), k);
    assert.deepEqual(new Set(propertiesAtPath(['receivers', 'r', 'auth'])), new Set(['type', 'credential', 'user', 'password', 'tokenUrl']));
    assert.deepEqual(propertiesAtPath(['runtime']), ['sessionHandling', 'log', 'sessionStore']);
  });
});
