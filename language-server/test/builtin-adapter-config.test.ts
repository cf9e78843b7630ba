/**
 * Every built-in adapter's `config` is completed and validated from that adapter's own schema:
 * the language server offers its fields (with their descriptions) and enum values, and the
 * analysis reports a wrong value at the exact node with the allowed values.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { AdapterRegistry, parseFlow, type AdapterDefinition } from '@sessionflow/sdk';
import { complete } from '../src/server/completion.js';
import { analyze } from '../src/index.js';

const BUILTINS = ['http', 'soap', 'odata', 'idoc', 'as2', 'xi', 'odc', 'successfactors'];
let registry: AdapterRegistry;

before(async () => {
  registry = await AdapterRegistry.load({ builtins: true });
});

function definition(id: string): AdapterDefinition {
  const loaded = registry.get(id);
  assert.ok(loaded, `built-in adapter ${id} is installed (registry problems: ${JSON.stringify(registry.problems)})`);
  assert.equal(loaded.builtin, true);
  return loaded.definition;
}

function properties(def: AdapterDefinition): Record<string, Record<string, unknown>> {
  return ((def.configSchema as { properties?: Record<string, Record<string, unknown>> }).properties ?? {});
}

function flowFor(id: string, variant: string, configLines: string): string {
  return [
    'flow: adapter-config',
    'formatVersion: 2',
    'runtime:',
    '  sessionHandling: onExchange',
    'receivers:',
    '  target:',
    `    adapter: ${id}`,
    `    variant: ${variant}`,
    '    address: https://backend.example.com/svc',
    '    auth: { type: none }',
    '    config:',
    configLines,
    'steps:',
    '  - send: target',
    '',
  ].join('\n');
}

describe('built-in adapters: config completion and validation from their own schemas', () => {
  for (const id of BUILTINS) {
    it(`${id}: completion offers every config field with its description`, () => {
      const def = definition(id);
      const props = properties(def);
      const names = Object.keys(props);
      assert.ok(names.length > 0, `${id} declares config fields`);
      const marked = flowFor(id, def.defaultVariant, '      <|>');
      const offset = marked.indexOf('<|>');
      const text = marked.slice(0, offset) + marked.slice(offset + 3);
      const doc = TextDocument.create('file:///w/a.flow.yaml', 'yaml', 1, text);
      const items = complete({ doc, fd: parseFlow(text, { uri: doc.uri }), adapters: registry, offset });
      const labels = items.map((i) => String(i.label));
      for (const name of names) assert.ok(labels.includes(name), `${id}: completion offers config field "${name}" (got ${labels.join(', ')})`);
      for (const name of names) {
        const description = props[name]?.description;
        if (typeof description !== 'string') continue;
        const item = items.find((i) => i.label === name)!;
        const doc = typeof item.documentation === 'string' ? item.documentation : item.documentation?.value ?? '';
        assert.ok(doc.includes(description.slice(0, 20)), `${id}.${name}: documentation comes from the schema`);
      }
    });

    it(`${id}: a wrong enum value (or type) in config is an error at that node`, () => {
      const def = definition(id);
      const props = properties(def);
      const withEnum = Object.entries(props).find(([, s]) => Array.isArray(s.enum) && (s.enum as unknown[]).every((v) => typeof v === 'string'));
      const [field, line, expected] = withEnum
        ? [withEnum[0], `      ${withEnum[0]}: not-a-valid-value`, 'not-a-valid-value']
        : (() => {
            const [name, schema] = Object.entries(props).find(([, s]) => s.type === 'string' || s.type === 'boolean' || s.type === 'integer' || s.type === 'number')!;
            const wrong = schema.type === 'string' ? '[1, 2]' : '"text"';
            return [name, `      ${name}: ${wrong}`, wrong];
          })();
      const text = flowFor(id, def.defaultVariant, line);
      const diagnostics = analyze(parseFlow(text), { adapters: registry }).filter((d) => d.rule === 'flow/adapter-config');
      // Other findings (e.g. a required field the snippet leaves out) may come too: take the one at the field.
      const d = diagnostics.find((x) => x.message.includes(field));
      assert.ok(d, `${id}.${field}: flow/adapter-config reported for the field (got ${diagnostics.map((x) => x.message).join(' | ')})`);
      assert.equal(d.severity, 'error');
      assert.equal(text.slice(d.range.start, d.range.end), expected, `${id}.${field}: range is the offending value`);
      assert.match(d.message, new RegExp(field));
      if (withEnum) for (const v of withEnum[1].enum as string[]) assert.ok(d.message.includes(v), `${id}.${field}: message lists allowed value ${v}`);
    });
  }
});
