/**
 * Reading JSON Schemas for editor features: the sub-schema at a document path (flow schema,
 * or an adapter's `configSchema` inside `receivers.X.config`), the properties a mapping may
 * have, the values a field allows, and human text for hovers and completion items.
 */
import { flowSchema, schemaAtPath } from './core.js';
import type { AdapterCatalog, Flow, JsonSchema, NodePath } from './core.js';

type S = Record<string, unknown>;

function isObj(v: unknown): v is S {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Follows local `$ref`s (`#/...` JSON pointers) against `root`. */
export function deref(schema: unknown, root: unknown, depth = 0): S | undefined {
  if (!isObj(schema)) return undefined;
  const ref = schema.$ref;
  if (typeof ref !== 'string' || depth > 20) return schema;
  if (!ref.startsWith('#')) return schema;
  let target: unknown = root;
  for (const raw of ref.slice(1).split('/').filter((p) => p !== '')) {
    const seg = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    target = isObj(target) ? target[seg] : undefined;
  }
  const resolved = deref(target, root, depth + 1);
  if (!resolved) return schema;
  // Sibling keywords next to $ref (title, description) win over the target's.
  const { $ref: _ref, ...rest } = schema;
  return { ...resolved, ...rest };
}

/** The schema and its combinator branches, flattened (allOf always; anyOf/oneOf branches too). */
function variants(schema: S | undefined, root: unknown, depth = 0, withConditionals = false): S[] {
  if (!schema || depth > 10) return [];
  const out: S[] = [schema];
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const list = schema[key];
    if (Array.isArray(list)) for (const b of list) out.push(...variants(deref(b, root), root, depth + 1, withConditionals));
  }
  if (withConditionals) {
    for (const key of ['then', 'else']) {
      const b = deref(schema[key], root);
      if (b) out.push(...variants(b, root, depth + 1, withConditionals));
    }
  }
  return out;
}

/**
 * Evaluates `if/then/else` chains whose conditions are plain `required` lists against the
 * keys present; returns the `then` branches that apply. Conditions on values are unknown
 * while typing and are skipped.
 */
function applicableThens(schema: S, root: unknown, present: readonly string[], depth = 0): S[] {
  if (depth > 30) return [];
  const out: S[] = [];
  const cond = deref(schema.if, root);
  if (cond) {
    const keys = Object.keys(cond);
    const onlyRequired = keys.every((k) => k === 'required') && Array.isArray(cond.required);
    if (onlyRequired) {
      const holds = (cond.required as unknown[]).every((k) => typeof k === 'string' && present.includes(k));
      const branch = deref(holds ? schema.then : schema.else, root);
      if (branch) {
        if (holds) out.push(branch);
        out.push(...applicableThens(branch, root, present, depth + 1));
      }
    }
  }
  if (Array.isArray(schema.allOf)) for (const b of schema.allOf) {
    const d = deref(b, root);
    if (d) out.push(...applicableThens(d, root, present, depth + 1));
  }
  return out;
}

/** Walks `path` through a schema (properties, patternProperties, additionalProperties, items). */
export function walkSchema(schema: unknown, root: unknown, path: NodePath): S | undefined {
  let current = deref(schema, root);
  for (const seg of path) {
    if (!current) return undefined;
    let next: S | undefined;
    for (const v of variants(current, root, 0, true)) {
      if (typeof seg === 'number' || /^\d+$/.test(String(seg))) {
        const items = v.items;
        if (isObj(items)) next = deref(items, root);
        else if (Array.isArray(v.prefixItems)) next = deref(v.prefixItems[Number(seg)], root);
      }
      if (!next && typeof seg === 'string') {
        const props = v.properties;
        if (isObj(props) && seg in props) next = deref(props[seg], root);
        else if (isObj(v.patternProperties)) {
          for (const [pattern, sub] of Object.entries(v.patternProperties)) {
            try {
              if (new RegExp(pattern, 'u').test(seg)) {
                next = deref(sub, root);
                break;
              }
            } catch {
              /* invalid pattern: ignore */
            }
          }
        }
        if (!next && isObj(v.additionalProperties)) next = deref(v.additionalProperties, root);
      }
      if (next) break;
    }
    current = next;
  }
  return current;
}

export interface SchemaAt {
  schema: S;
  root: unknown;
}

/** The adapter id of a receiver named in the path, read from the (possibly partial) model. */
function receiverAdapter(flow: Flow | undefined, name: string | number | undefined): string | undefined {
  const r = flow?.receivers?.find((x) => x.name === name);
  const v = r?.adapter?.value;
  return typeof v === 'string' ? v : undefined;
}

/**
 * The schema describing the node at `path`: inside `receivers.X.config` the adapter's own
 * config schema; elsewhere the flow schema.
 */
export function schemaFor(path: NodePath, flow: Flow | undefined, adapters: AdapterCatalog | undefined): SchemaAt | undefined {
  if (path[0] === 'receivers' && path[2] === 'config' && path.length >= 3) {
    const id = receiverAdapter(flow, path[1]);
    const def = id ? safe(() => adapters?.get(id)?.definition) : undefined;
    const cfg = def?.configSchema as JsonSchema | undefined;
    if (!cfg) return undefined;
    const s = walkSchema(cfg, cfg, path.slice(3));
    return s ? { schema: s, root: cfg } : undefined;
  }
  const root = safe(() => flowSchema()) as unknown;
  // The plain walk first: it returns a field's full definition (all enum values), where the
  // SDK's schemaAtPath may pick a conditional branch (e.g. the auth types that need a credential).
  let s: S | undefined = root ? walkSchema(root, root, path) : undefined;
  if (!s) {
    const fromSdk = safe(() => schemaAtPath(path)) as unknown;
    if (isObj(fromSdk)) s = deref(fromSdk, root);
  }
  return s ? { schema: s, root } : undefined;
}

export interface PropertyInfo {
  name: string;
  schema: S;
  required: boolean;
}

/**
 * The properties a mapping described by `schema` may have. With combinators (oneOf step
 * kinds), branches whose properties include every key already present are preferred.
 */
export function propertiesOf(at: SchemaAt, presentKeys: readonly string[]): PropertyInfo[] {
  const all = variants(at.schema, at.root);
  const branches = all.filter((v) => isObj(v.properties));
  const compatible = branches.filter((v) => presentKeys.every((k) => k in (v.properties as S)));
  const chosen = compatible.length > 0 ? compatible : branches;
  const out = new Map<string, PropertyInfo>();
  const addFrom = (b: S) => {
    const req = Array.isArray(b.required) ? (b.required as unknown[]) : [];
    for (const [name, sub] of Object.entries(b.properties as S)) {
      const schema = deref(sub, at.root);
      const prev = out.get(name);
      if (!prev) out.set(name, { name, schema: schema ?? {}, required: req.includes(name) });
      else {
        if (req.includes(name)) prev.required = true;
        if (schema && Object.keys(prev.schema).length === 0) prev.schema = schema;
      }
    }
  };
  for (const b of chosen) addFrom(b);
  // `if: {required: [call]} then: {properties: {...}, additionalProperties: false}` narrows the keys.
  for (const t of applicableThens(at.schema, at.root, presentKeys)) {
    if (!isObj(t.properties)) continue;
    if (t.additionalProperties === false) {
      const allowed = new Set(Object.keys(t.properties));
      for (const name of [...out.keys()]) if (!allowed.has(name)) out.delete(name);
    }
    addFrom(t);
  }
  return [...out.values()];
}

/** Values a field allows: enum/const (also in branches) and booleans. */
export function allowedValues(at: SchemaAt): unknown[] {
  const out: unknown[] = [];
  const add = (v: unknown) => {
    if (!out.some((x) => x === v)) out.push(v);
  };
  for (const v of variants(at.schema, at.root)) {
    if (Array.isArray(v.enum)) v.enum.forEach(add);
    if ('const' in v) add(v.const);
    const t = v.type;
    if (t === 'boolean' || (Array.isArray(t) && t.includes('boolean'))) {
      add(true);
      add(false);
    }
  }
  return out;
}

export function typeOf(at: SchemaAt): string | undefined {
  for (const v of variants(at.schema, at.root)) {
    if (typeof v.type === 'string') return v.type;
    if (isObj(v.properties)) return 'object';
  }
  return undefined;
}

export function titleOf(schema: S): string | undefined {
  return typeof schema.title === 'string' ? schema.title : undefined;
}

export function descriptionOf(schema: S): string | undefined {
  if (typeof schema.markdownDescription === 'string') return schema.markdownDescription;
  return typeof schema.description === 'string' ? schema.description : undefined;
}

/** Markdown for a field: title, description, allowed values and default. */
export function fieldMarkdown(name: string | undefined, at: SchemaAt): string {
  const parts: string[] = [];
  const title = titleOf(at.schema);
  const heading = name !== undefined ? `\`${name}\`` + (title ? ` — ${title}` : '') : (title ?? '');
  if (heading) parts.push(`**${heading}**`);
  const desc = descriptionOf(at.schema);
  if (desc) parts.push(desc);
  const values = allowedValues(at);
  if (values.length > 0) parts.push(`Allowed values: ${values.map((v) => `\`${String(v)}\``).join(', ')}`);
  if ('default' in at.schema) parts.push(`Default: \`${JSON.stringify(at.schema.default)}\``);
  return parts.join('\n\n');
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
