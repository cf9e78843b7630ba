/**
 * `defineAdapter()`: checks an adapter declaration once, when the adapter module is loaded,
 * so that every later reader (language server, designer, runner) can trust its shape.
 * `validateAdapterConfig()`: checks a receiver's `config` against the adapter's JSON Schema.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { AUTH_TYPES } from '../flow/model.js';
import type {
  AdapterDeclaration,
  AdapterDefinition,
  Direction,
  JsonSchema,
  ProxyType,
  SessionReuse,
  StepKindIO,
  VariantDeclaration,
} from './types.js';

/** Allowed adapter ids: lower-case letters, digits and dashes, starting with a letter. */
export const ADAPTER_ID_PATTERN = /^[a-z][a-z0-9-]*$/;
/** Allowed variant ids, e.g. `http`, `soap-1.1`, `odata-v2`, `sap-rm`. */
export const VARIANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const DIRECTIONS: readonly Direction[] = ['receiver', 'sender', 'both'];
const STEP_KINDS_IO: readonly StepKindIO[] = ['call', 'send'];
const SESSION_REUSE: readonly SessionReuse[] = ['supported', 'required', 'unsupported'];
const PROXY_TYPES: readonly ProxyType[] = ['internet', 'onPremise'];

const DECLARATION_FIELDS = new Set([
  'id', 'displayName', 'version', 'apiVersion', 'description', 'variants', 'defaultVariant', 'configSchema', 'send',
]);
const VARIANT_FIELDS = new Set([
  'id', 'displayName', 'direction', 'stepKinds', 'sessionReuse', 'csrf', 'auth', 'parallelSafe', 'streaming', 'contentTypes', 'description',
]);
const AUTH_FIELDS = new Set(['type', 'proxies', 'note']);

/** Compiled config validators, per definition. */
const validators = new WeakMap<AdapterDefinition, ValidateFunction>();

/** Brand shared by every copy of the SDK (Symbol.for), so a definition made by another SDK copy is still recognised. */
const DEFINITION_BRAND = Symbol.for('sessionflow.adapter-definition');

export interface AdapterDeclarationIssue {
  /** Field path in the declaration, e.g. `variants[0].auth[2].type`. */
  field: string;
  message: string;
}

/** Thrown by `defineAdapter()` when a declaration is malformed. Lists every problem found. */
export class AdapterDeclarationError extends Error {
  readonly code = 'SF_ADAPTER_DECLARATION';
  constructor(
    /** The declared id, or undefined when the id itself is unusable. */
    public readonly adapterId: string | undefined,
    public readonly issues: AdapterDeclarationIssue[],
  ) {
    const who = adapterId !== undefined ? `adapter "${adapterId}"` : 'adapter declaration';
    const list = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
    super(`invalid ${who}: ${list}`);
    this.name = 'AdapterDeclarationError';
  }
}

/** True when `value` was produced by `defineAdapter()` (from any copy of the SDK). */
export function isAdapterDefinition(value: unknown): value is AdapterDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DEFINITION_BRAND] === true;
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${value.length > 40 ? value.slice(0, 40) + '…' : value}"`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  return `${typeof value} ${String(value)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Collects `x-...` annotation keywords used anywhere in a schema so ajv's strict mode accepts them. */
function collectExtensionKeywords(schema: unknown, into: Set<string>, depth = 0): void {
  if (depth > 64) return;
  if (Array.isArray(schema)) {
    for (const item of schema) collectExtensionKeywords(item, into, depth + 1);
  } else if (isPlainObject(schema)) {
    for (const [key, value] of Object.entries(schema)) {
      if (key.startsWith('x-') && /^[a-z_$][a-z0-9_$:-]*$/i.test(key)) into.add(key);
      collectExtensionKeywords(value, into, depth + 1);
    }
  }
}

/** Annotation keywords editors understand (VS Code's JSON language service); allowed in config schemas. */
const EDITOR_ANNOTATIONS = ['markdownDescription', 'deprecationMessage', 'enumDescriptions', 'markdownEnumDescriptions', 'defaultSnippets', 'errorMessage'];

let sharedAjv: Ajv2020 | undefined;

/** One Ajv instance for every adapter (creating one costs ~50 ms); schemas are unregistered after compiling so `$id`s never collide. */
function compileConfigSchema(schema: JsonSchema): ValidateFunction {
  const ajv = (sharedAjv ??= new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, validateFormats: false }));
  const extra = new Set<string>(EDITOR_ANNOTATIONS);
  collectExtensionKeywords(schema, extra);
  for (const keyword of extra) if (!ajv.getKeyword(keyword)) ajv.addKeyword({ keyword });
  try {
    return ajv.compile(schema);
  } finally {
    ajv.removeSchema(schema);
  }
}

function checkVariant(v: unknown, field: string, issues: AdapterDeclarationIssue[]): void {
  const add = (f: string, message: string) => issues.push({ field: `${field}${f}`, message });
  if (!isPlainObject(v)) {
    add('', `must be an object, got ${describe(v)}`);
    return;
  }
  for (const key of Object.keys(v)) if (!VARIANT_FIELDS.has(key)) add(`.${key}`, 'unknown field');
  if (typeof v.id !== 'string' || !VARIANT_ID_PATTERN.test(v.id)) {
    add('.id', `must be a string of letters, digits, ".", "_" or "-", got ${describe(v.id)}`);
  }
  if (v.displayName !== undefined && (typeof v.displayName !== 'string' || v.displayName.trim() === '')) {
    add('.displayName', `must be a non-empty string when given, got ${describe(v.displayName)}`);
  }
  if (v.description !== undefined && typeof v.description !== 'string') add('.description', `must be a string, got ${describe(v.description)}`);
  const direction = v.direction;
  if (typeof direction !== 'string' || !DIRECTIONS.includes(direction as Direction)) {
    add('.direction', `must be one of ${DIRECTIONS.join(', ')}, got ${describe(direction)}`);
  }
  if (!Array.isArray(v.stepKinds)) {
    add('.stepKinds', `must be an array of ${STEP_KINDS_IO.join(', ')}, got ${describe(v.stepKinds)}`);
  } else {
    v.stepKinds.forEach((k, i) => {
      if (!STEP_KINDS_IO.includes(k as StepKindIO)) add(`.stepKinds[${i}]`, `must be one of ${STEP_KINDS_IO.join(', ')}, got ${describe(k)}`);
    });
    if (new Set(v.stepKinds).size !== v.stepKinds.length) add('.stepKinds', 'must not repeat a step kind');
    if (v.stepKinds.length === 0 && direction !== 'sender') add('.stepKinds', 'must name at least one step kind (call, send) for a receiver variant');
  }
  if (typeof v.sessionReuse !== 'string' || !SESSION_REUSE.includes(v.sessionReuse as SessionReuse)) {
    add('.sessionReuse', `must be one of ${SESSION_REUSE.join(', ')}, got ${describe(v.sessionReuse)}`);
  }
  for (const flag of ['csrf', 'parallelSafe', 'streaming'] as const) {
    if (typeof v[flag] !== 'boolean') add(`.${flag}`, `must be true or false, got ${describe(v[flag])}`);
  }
  if (!Array.isArray(v.auth)) {
    add('.auth', `must be an array of {type, proxies?, note?}, got ${describe(v.auth)}`);
  } else {
    if (v.auth.length === 0 && direction !== 'sender') add('.auth', 'must list at least one auth type (use {type: "none"} for none)');
    const seen = new Set<string>();
    v.auth.forEach((a, i) => {
      const af = `.auth[${i}]`;
      if (!isPlainObject(a)) {
        add(af, `must be an object {type, proxies?, note?}, got ${describe(a)}`);
        return;
      }
      for (const key of Object.keys(a)) if (!AUTH_FIELDS.has(key)) add(`${af}.${key}`, 'unknown field');
      if (typeof a.type !== 'string' || !(AUTH_TYPES as readonly string[]).includes(a.type)) {
        add(`${af}.type`, `must be one of ${AUTH_TYPES.join(', ')}, got ${describe(a.type)}`);
      } else if (seen.has(a.type)) {
        add(`${af}.type`, `auth type "${a.type}" is listed twice`);
      } else {
        seen.add(a.type);
      }
      if (a.proxies !== undefined) {
        if (!Array.isArray(a.proxies) || a.proxies.length === 0) {
          add(`${af}.proxies`, `must be a non-empty array of ${PROXY_TYPES.join(', ')} when given, got ${describe(a.proxies)}`);
        } else {
          a.proxies.forEach((p, j) => {
            if (!PROXY_TYPES.includes(p as ProxyType)) add(`${af}.proxies[${j}]`, `must be one of ${PROXY_TYPES.join(', ')}, got ${describe(p)}`);
          });
        }
      }
      if (a.note !== undefined && typeof a.note !== 'string') add(`${af}.note`, `must be a string, got ${describe(a.note)}`);
    });
  }
  if (v.contentTypes !== undefined) {
    if (!isPlainObject(v.contentTypes)) {
      add('.contentTypes', `must be an object {in?, out?}, got ${describe(v.contentTypes)}`);
    } else {
      for (const key of Object.keys(v.contentTypes)) {
        const list = v.contentTypes[key];
        if (key !== 'in' && key !== 'out') add(`.contentTypes.${key}`, 'unknown field (use "in" or "out")');
        else if (!Array.isArray(list) || list.some((t) => typeof t !== 'string' || t === '')) {
          add(`.contentTypes.${key}`, `must be an array of media types, got ${describe(list)}`);
        }
      }
    }
  }
}

/**
 * Checks an adapter declaration and returns a frozen definition. Throws
 * `AdapterDeclarationError` (code `SF_ADAPTER_DECLARATION`) naming the adapter and every bad field.
 */
export function defineAdapter(decl: AdapterDeclaration): AdapterDefinition {
  const issues: AdapterDeclarationIssue[] = [];
  const add = (field: string, message: string) => issues.push({ field, message });
  if (!isPlainObject(decl)) {
    throw new AdapterDeclarationError(undefined, [{ field: '(declaration)', message: `must be an object, got ${describe(decl)}` }]);
  }
  const d = decl as unknown as Record<string, unknown>;
  const id = typeof d.id === 'string' && d.id !== '' ? d.id : undefined;
  for (const key of Object.keys(d)) if (!DECLARATION_FIELDS.has(key)) add(key, 'unknown field');
  if (typeof d.id !== 'string' || !ADAPTER_ID_PATTERN.test(d.id)) {
    add('id', `must match ${ADAPTER_ID_PATTERN.source} (lower-case letters, digits, dashes; starts with a letter), got ${describe(d.id)}`);
  }
  if (typeof d.displayName !== 'string' || d.displayName.trim() === '') add('displayName', `must be a non-empty string, got ${describe(d.displayName)}`);
  if (typeof d.version !== 'string' || d.version.trim() === '') add('version', `must be a non-empty string, got ${describe(d.version)}`);
  if (typeof d.apiVersion !== 'number' || !Number.isInteger(d.apiVersion) || d.apiVersion < 1) {
    add('apiVersion', `must be a positive integer (the Sessionflow adapter API version targeted), got ${describe(d.apiVersion)}`);
  }
  if (d.description !== undefined && typeof d.description !== 'string') add('description', `must be a string, got ${describe(d.description)}`);
  if (typeof d.send !== 'function') add('send', `must be a function (message, context) => Promise<AdapterResult>, got ${describe(d.send)}`);

  const variantIds: string[] = [];
  if (!Array.isArray(d.variants) || d.variants.length === 0) {
    add('variants', `must be a non-empty array of variant declarations, got ${Array.isArray(d.variants) ? 'an empty array' : describe(d.variants)}`);
  } else {
    d.variants.forEach((v, i) => {
      checkVariant(v, `variants[${i}]`, issues);
      const vid = isPlainObject(v) && typeof v.id === 'string' ? v.id : undefined;
      if (vid !== undefined) {
        if (variantIds.includes(vid)) add(`variants[${i}].id`, `variant id "${vid}" is declared twice`);
        variantIds.push(vid);
      }
    });
  }
  let defaultVariant: string | undefined;
  if (d.defaultVariant !== undefined) {
    if (typeof d.defaultVariant !== 'string') {
      add('defaultVariant', `must be a string, got ${describe(d.defaultVariant)}`);
    } else if (variantIds.length > 0 && !variantIds.includes(d.defaultVariant)) {
      add('defaultVariant', `names variant "${d.defaultVariant}", which is not declared (declared: ${variantIds.join(', ')})`);
    } else {
      defaultVariant = d.defaultVariant;
    }
  } else if (variantIds.length === 1) {
    defaultVariant = variantIds[0];
  } else if (variantIds.length > 1) {
    add('defaultVariant', `is required when there are several variants (declared: ${variantIds.join(', ')})`);
  }

  let validator: ValidateFunction | undefined;
  if (!isPlainObject(d.configSchema)) {
    add('configSchema', `must be a JSON Schema object (draft 2020-12), got ${describe(d.configSchema)}`);
  } else if (d.configSchema.type !== undefined && d.configSchema.type !== 'object') {
    add('configSchema.type', `must be "object" (a receiver's config is a map), got ${describe(d.configSchema.type)}`);
  } else {
    try {
      validator = compileConfigSchema(structuredClone(d.configSchema));
    } catch (err) {
      add('configSchema', `is not a valid JSON Schema (draft 2020-12): ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  if (issues.length > 0 || defaultVariant === undefined || validator === undefined) {
    throw new AdapterDeclarationError(id, issues);
  }

  const variants = deepFreeze(structuredClone(d.variants as VariantDeclaration[]));
  const configSchema = deepFreeze(structuredClone(d.configSchema as JsonSchema));
  const definition: AdapterDefinition = {
    id: d.id as string,
    displayName: d.displayName as string,
    version: d.version as string,
    apiVersion: d.apiVersion as number,
    ...(typeof d.description === 'string' ? { description: d.description } : {}),
    variants,
    defaultVariant,
    configSchema,
    send: d.send as AdapterDeclaration['send'],
    variant(variantId: string | undefined): VariantDeclaration | undefined {
      return variants.find((v) => v.id === (variantId ?? defaultVariant));
    },
  };
  Object.defineProperty(definition, DEFINITION_BRAND, { value: true, enumerable: false });
  validators.set(definition, validator);
  return Object.freeze(definition);
}

/** One problem in a receiver's `config`. `path` is relative to the config object. */
export interface AdapterConfigProblem {
  path: (string | number)[];
  message: string;
  /** The JSON Schema keyword that failed (`type`, `enum`, `required`, `additionalProperties`, ...). */
  keyword: string;
  /** Allowed values (for `enum`/`const`) or allowed property names (for `additionalProperties`). */
  allowed?: string[];
}

function validatorFor(def: AdapterDefinition): ValidateFunction {
  let v = validators.get(def);
  if (v === undefined) {
    // A definition from another copy of the SDK: compile here, once.
    v = compileConfigSchema(structuredClone(def.configSchema));
    validators.set(def, v);
  }
  return v;
}

function decodePointer(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let cur: unknown = data;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur) && /^\d+$/.test(seg)) {
      out.push(Number(seg));
      cur = cur[Number(seg)];
    } else {
      out.push(seg);
      cur = isPlainObject(cur) ? cur[seg] : undefined;
    }
  }
  return out;
}

/** Finds the subschema that owns an error (for allowed property names). */
function schemaAt(root: unknown, schemaPath: string): Record<string, unknown> | undefined {
  // schemaPath like '#/properties/x/additionalProperties': strip the failing keyword.
  const segs = schemaPath.replace(/^#/, '').split('/').slice(1, -1);
  let cur: unknown = root;
  for (const raw of segs) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isPlainObject(cur)) cur = cur[seg];
    else return undefined;
  }
  return isPlainObject(cur) ? cur : undefined;
}

function toProblem(e: ErrorObject, config: unknown, schema: JsonSchema): AdapterConfigProblem {
  const path = decodePointer(e.instancePath, config);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path: [...path, String(params.missingProperty)], keyword: 'required', message: `missing required field "${String(params.missingProperty)}"` };
    case 'additionalProperties': {
      const owner = schemaAt(schema, e.schemaPath);
      const props = owner && isPlainObject(owner.properties) ? Object.keys(owner.properties) : [];
      const name = String(params.additionalProperty);
      return {
        path: [...path, name],
        keyword: 'additionalProperties',
        message: `unknown field "${name}"${props.length > 0 ? ` (known: ${props.join(', ')})` : ''}`,
        ...(props.length > 0 ? { allowed: props } : {}),
      };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
      return { path, keyword: 'enum', message: `must be one of: ${allowed.join(', ')}`, allowed };
    }
    case 'const': {
      const allowed = [typeof params.allowedValue === 'string' ? params.allowedValue : JSON.stringify(params.allowedValue)];
      return { path, keyword: 'const', message: `must be ${allowed[0]}`, allowed };
    }
    case 'type':
      return { path, keyword: 'type', message: `must be ${String(params.type).replace(/,/g, ' or ')}` };
    default:
      return { path, keyword: e.keyword, message: e.message ?? `fails "${e.keyword}"` };
  }
}

/**
 * Validates a receiver's `config` against the adapter's config schema. Returns an empty array
 * when the config is valid. `undefined` config is treated as `{}`.
 */
export function validateAdapterConfig(def: AdapterDefinition, config: unknown): AdapterConfigProblem[] {
  const validate = validatorFor(def);
  const data = config === undefined ? {} : config;
  if (validate(data)) return [];
  const problems = (validate.errors ?? []).map((e) => toProblem(e, data, def.configSchema));
  // allErrors can report the same problem twice through different schema branches.
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${JSON.stringify(p.path)}|${p.keyword}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Returns a copy of `config` with the schema's top-level `default`s filled in for missing
 * fields. Adapters use it in `send()`; it never changes the given object.
 */
export function configWithDefaults(def: AdapterDefinition, config: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(config ?? {}) };
  const props = def.configSchema.properties;
  if (isPlainObject(props)) {
    for (const [name, sub] of Object.entries(props)) {
      if (out[name] === undefined && isPlainObject(sub) && 'default' in sub) out[name] = structuredClone(sub.default);
    }
  }
  return out;
}

