import { validateAdapterConfig, type NodePath, type Range } from '@sessionflow/sdk';
import type { Finding, Rule } from '../types.js';

function formatConfigPath(path: (string | number)[]): string {
  return path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : `${acc}.${seg}`), 'config');
}

export const rule: Rule = {
  name: 'flow/adapter-config',
  defaultSeverity: 'error',
  docs: {
    summary: '`config` violates the adapter\'s own JSON Schema.',
    why: 'Each adapter validates its receiver settings (e.g. SOAP action, OData service path, IDoc client) before it sends anything; a wrong field fails the call at run time or is ignored.',
    example: 'receivers:\n  orders:\n    adapter: soap\n    variant: soap-1.1\n    config:\n      soapAction: 42   # must be a string',
    fix: 'Follow the adapter\'s schema: the message names the field and the expected shape; completion inside `config` lists the fields the adapter declares.',
  },
  check(ctx) {
    const out: Finding[] = [];
    for (const { receiver, definition } of ctx.receivers) {
      if (!definition) continue;
      const config = receiver.config?.value;
      let problems;
      try {
        problems = validateAdapterConfig(definition, config);
      } catch {
        continue;
      }
      const configPath: NodePath = [...receiver.path, 'config'];
      for (const p of problems) {
        const path = Array.isArray(p.path) ? p.path : [];
        let range: Range | undefined;
        if (p.keyword === 'required') {
          // The field is missing: point at the object that lacks it.
          const parent = path.slice(0, -1);
          range = parent.length > 0 ? ctx.doc.rangeAt([...configPath, ...parent], 'key') : receiver.config ? receiver.config.keyRange : undefined;
        } else if (p.keyword === 'additionalProperties') {
          range = ctx.doc.rangeAt([...configPath, ...path], 'key');
        } else {
          range = ctx.doc.rangeAt([...configPath, ...path], 'value');
        }
        for (let i = path.length - 1; !range && i >= 0; i--) range = ctx.doc.rangeAt([...configPath, ...path.slice(0, i)], 'value');
        range ??= receiver.config?.keyRange ?? receiver.keyRange ?? receiver.range;
        out.push({
          range,
          message: `receiver "${receiver.name}" ${formatConfigPath(path)}: ${p.message} — adapter "${definition.id}" checks its config against its schema and would reject this at run time`,
          data: { keyword: p.keyword, path, ...(p.allowed ? { allowed: p.allowed } : {}) },
        });
      }
    }
    return out;
  },
};
