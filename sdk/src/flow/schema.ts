/**
 * The flow JSON Schema (draft 2020-12, `sdk/schema/flow.schema.json`) and its validation
 * against a parsed yaml Document, with every error mapped to the exact YAML node range and
 * turned into one plain message naming the field.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ajvModule from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { isMap, isPair } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { NodePath, ParseProblem, Range } from './model.js';
import { STEP_KINDS } from './model.js';
import { formatPath, keyRangeOf, locate, nodeRange, valueRangeOf } from './paths.js';
import type { Located, NodeTree } from './paths.js';

type JsonSchema = Record<string, unknown>;

const Ajv2020 = ajvModule.default;

let cachedSchema: JsonSchema | undefined;
let cachedValidator: ValidateFunction | undefined;

/** Directory of the sdk package (the one holding package.json), found from this module's location. */
function sdkRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 10; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name;
        if (name === '@sessionflow/sdk') return dir;
      } catch {
        // keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error('cannot locate the @sessionflow/sdk package (schema/flow.schema.json)');
}

/** Absolute path of `schema/flow.schema.json`. */
export function flowSchemaPath(): string {
  return join(sdkRoot(), 'schema', 'flow.schema.json');
}

/** The flow JSON Schema (loaded once; treat as read-only). */
export function flowSchema(): JsonSchema {
  if (!cachedSchema) cachedSchema = JSON.parse(readFileSync(flowSchemaPath(), 'utf8')) as JsonSchema;
  return cachedSchema;
}

function validator(): ValidateFunction {
  if (!cachedValidator) {
    const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false, verbose: true });
    cachedValidator = ajv.compile(flowSchema());
  }
  return cachedValidator;
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

function isObj(v: unknown): v is JsonSchema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function decodePointer(ptr: string): string[] {
  const p = ptr.startsWith('#') ? ptr.slice(1) : ptr;
  if (p === '') return [];
  return p
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The schema object at a JSON pointer into the root schema (`#/$defs/auth/allOf/1/then`). */
function schemaAtPointer(ptr: string): unknown {
  let cur: unknown = flowSchema();
  for (const seg of decodePointer(ptr)) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isObj(cur)) cur = cur[seg];
    else return undefined;
  }
  return cur;
}

function resolveRef(s: unknown): unknown {
  let cur = s;
  for (let i = 0; i < 16 && isObj(cur) && typeof cur.$ref === 'string'; i++) {
    const { $ref, ...rest } = cur;
    const target = schemaAtPointer($ref as string);
    // keep the referring schema's own annotations (title, description) over the target's
    cur = isObj(target) ? { ...target, ...rest } : target;
  }
  return cur;
}

/** Edit distance (Levenshtein with adjacent transpositions, i.e. optimal string alignment). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length > 200 || b.length > 200) return Math.max(a.length, b.length);
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const prev = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
      row.push(d);
    }
    rows.push(row);
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/**
 * The allowed value closest to `value` when it is close enough to be a likely typo (case is
 * ignored; a unique prefix of 3+ characters also counts), else undefined.
 */
export function closestMatch(value: string, allowed: readonly string[]): string | undefined {
  if (typeof value !== 'string' || value === '' || allowed.length === 0) return undefined;
  const v = value.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  let tie = false;
  for (const a of allowed) {
    const d = editDistance(v, a.toLowerCase());
    if (d < bestD) {
      best = a;
      bestD = d;
      tie = false;
    } else if (d === bestD) {
      tie = true;
    }
  }
  const limit = v.length <= 3 ? 1 : v.length <= 8 ? 2 : 3;
  if (best !== undefined && bestD <= limit && !(tie && bestD > 0)) return best;
  if (v.length >= 3) {
    const prefixed = allowed.filter((a) => a.toLowerCase().startsWith(v));
    if (prefixed.length === 1) return prefixed[0];
  }
  return undefined;
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (typeof v === 'string') {
    const s = v.length > 60 ? `${v.slice(0, 57)}...` : v;
    return JSON.stringify(s);
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  return 'a map';
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'a map of fields',
  array: 'a list',
  null: 'empty',
};

function typeWords(t: unknown): string {
  const ts = (Array.isArray(t) ? t : [t]).map(String);
  const words = ts.map((x) => (ts.length > 1 && x === 'boolean' ? 'a boolean' : (TYPE_WORDS[x] ?? x)));
  if (words.length <= 1) return words[0] ?? 'valid';
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

function listValues(values: readonly unknown[]): string {
  return values.map((v) => String(v)).join(', ');
}

// ---------------------------------------------------------------------------------------------
// Mapping ajv errors to problems
// ---------------------------------------------------------------------------------------------

/** Converts an ajv instancePath to a NodePath, using the data to tell list indexes from keys. */
function toNodePath(instancePath: string, data: unknown): NodePath {
  const out: NodePath = [];
  let cur: unknown = data;
  for (const seg of decodePointer(instancePath === '' ? '' : `#${instancePath}`)) {
    if (Array.isArray(cur)) {
      const i = Number(seg);
      out.push(i);
      cur = cur[i];
    } else {
      out.push(seg);
      cur = isObj(cur) ? cur[seg] : undefined;
    }
  }
  return out;
}

function valueAt(data: unknown, path: NodePath): unknown {
  let cur = data;
  for (const seg of path) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isObj(cur)) cur = cur[String(seg)];
    else return undefined;
  }
  return cur;
}

/** Locates the deepest existing node along `path` (paths through aliases stop at the alias). */
function locateDeepest(doc: NodeTree, path: NodePath): { located: Located; exact: boolean } {
  for (let n = path.length; n >= 0; n--) {
    const located = locate(doc, path.slice(0, n));
    if (located) return { located, exact: n === path.length };
  }
  return { located: { node: doc.contents as YamlNode | null }, exact: false };
}

function docRange(doc: NodeTree): Range {
  return nodeRange(doc.contents) ?? { start: 0, end: 0 };
}

/** Range of the value at `path`. */
function valueRangeAt(doc: NodeTree, path: NodePath): Range {
  const { located } = locateDeepest(doc, path);
  return valueRangeOf(located) ?? docRange(doc);
}

/** Range of the key at `path` (its value when it has no key). */
function keyRangeAt(doc: NodeTree, path: NodePath): Range {
  const { located, exact } = locateDeepest(doc, path);
  return (exact ? keyRangeOf(located) : valueRangeOf(located)) ?? docRange(doc);
}

/**
 * Range for a problem about a whole object (missing field, wrong combination): the key the
 * object is the value of; for a list item or the root, its first key; else the object.
 */
function objectRangeAt(doc: NodeTree, path: NodePath): Range {
  const { located, exact } = locateDeepest(doc, path);
  if (exact && located.pair) return nodeRange(located.pair.key) ?? valueRangeOf(located) ?? docRange(doc);
  const node = located.node;
  if (exact && isMap(node)) {
    const first = node.items.find((p) => isPair(p));
    const r = first ? nodeRange(first.key) : undefined;
    if (r) return r;
  }
  return valueRangeOf(located) ?? docRange(doc);
}

interface Candidate {
  err: ErrorObject;
  path: NodePath;
}

/** An `x-sessionflow-*` annotation of the schema holding the failed keyword (ajv `verbose`). */
function annotation(err: ErrorObject, name: string): string | undefined {
  const s: unknown = err.parentSchema;
  return isObj(s) && typeof s[name] === 'string' ? (s[name] as string) : undefined;
}

function allowedProperties(err: ErrorObject): string[] {
  const s: unknown = err.parentSchema;
  if (!isObj(s) || !isObj(s.properties)) return [];
  return Object.keys(s.properties);
}

/** True when `inner` was produced beneath the composite keyword error `outer`. */
function isBeneath(inner: ErrorObject, outer: ErrorObject): boolean {
  if (inner === outer) return false;
  const ip = inner.instancePath;
  const op = outer.instancePath;
  if (ip !== op && !ip.startsWith(`${op}/`)) return false;
  return inner.schemaPath.startsWith(`${outer.schemaPath}/`);
}

/**
 * Validates a parsed flow document against the flow schema. Returns one `flow/schema` problem
 * per mistake, with the range of the offending YAML node (the key, for unknown fields).
 * `data` may pass the document's JS value when the caller already has it. `doc` is a yaml
 * Document, or any tree of yaml nodes without aliases (`{ contents: root }`).
 */
export function validateFlowSchema(doc: Document | NodeTree, options: { data?: unknown } = {}): ParseProblem[] {
  let data: unknown;
  if ('data' in options) data = options.data;
  else {
    try {
      data = 'toJS' in doc && typeof doc.toJS === 'function' ? (doc as Document).toJS({ maxAliasCount: 100 }) : (doc.contents as { toJSON?: () => unknown } | null)?.toJSON?.() ?? null;
    } catch (e) {
      return [
        {
          code: 'flow/schema',
          message: `(flow file): cannot be validated: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
          range: docRange(doc),
          path: [],
        },
      ];
    }
  }
  const validate = validator();
  if (validate(data)) return [];
  const errors = [...(validate.errors ?? [])];
  return errorsToProblems(doc, data, errors);
}

function errorsToProblems(doc: NodeTree, data: unknown, errors: ErrorObject[]): ParseProblem[] {
  // 1. composite keywords with a custom message replace everything beneath them
  const custom = errors.filter(
    (err) => (err.keyword === 'anyOf' || err.keyword === 'oneOf' || err.keyword === 'not') && annotation(err, 'x-sessionflow-message') !== undefined,
  );
  const kept: Candidate[] = [];
  for (const err of errors) {
    if (custom.some((outer) => isBeneath(err, outer))) continue;
    if (err.keyword === 'if') continue; // "must match then schema": the branch's own errors say why
    if ((err.keyword === 'anyOf' || err.keyword === 'oneOf') && !custom.includes(err)) {
      // keep a bare anyOf/oneOf only when nothing beneath it explains the failure
      if (errors.some((o) => isBeneath(o, err))) continue;
    }
    kept.push({ err, path: toNodePath(err.instancePath, data) });
  }
  // 2. a wrong type at a path makes the other complaints about that same value noise
  const typeErrorAt = new Set(kept.filter((c) => c.err.keyword === 'type').map((c) => c.err.instancePath));
  // 3. unknown fields reported by several schemas: keep the most specific (a kind/type branch)
  const additional = new Map<string, Candidate>();
  const out: Candidate[] = [];
  for (const c of kept) {
    if (c.err.keyword !== 'type' && typeErrorAt.has(c.err.instancePath)) continue;
    if (c.err.keyword === 'additionalProperties' || c.err.keyword === 'unevaluatedProperties') {
      const prop = String(c.err.params.additionalProperty ?? c.err.params.unevaluatedProperty);
      const key = `${c.err.instancePath}\u0000${prop}`;
      const prev = additional.get(key);
      const specific = (x: Candidate): boolean => annotation(x.err, 'x-sessionflow-context') !== undefined;
      if (!prev) {
        additional.set(key, c);
        out.push(c);
      } else if (!specific(prev) && specific(c)) {
        out[out.indexOf(prev)] = c;
        additional.set(key, c);
      }
      continue;
    }
    out.push(c);
  }
  const problems: ParseProblem[] = [];
  const seen = new Set<string>();
  for (const c of out) {
    const p = toProblem(doc, data, c);
    if (!p) continue;
    const key = `${p.range.start}:${p.range.end}:${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(p);
  }
  problems.sort((a, b) => a.range.start - b.range.start || a.range.end - b.range.end);
  return problems;
}

function toProblem(doc: NodeTree, data: unknown, c: Candidate): ParseProblem | undefined {
  const { err, path } = c;
  const field = formatPath(path);
  const value = valueAt(data, path);
  const customMessage = annotation(err, 'x-sessionflow-message');
  const base = (message: string, range: Range, extra?: Record<string, unknown>): ParseProblem => ({
    code: 'flow/schema',
    message,
    range,
    path,
    data: { field, keyword: err.keyword, ...extra },
  });
  switch (err.keyword) {
    case 'type':
      return base(`${field}: must be ${typeWords(err.params.type)} — got ${describeValue(value)}`, valueRangeAt(doc, path), {
        expected: err.params.type,
      });
    case 'enum': {
      const allowed = (err.params.allowedValues as unknown[]).map((v) => String(v));
      // suggest only for text: "did you mean 1" for a 3 helps nobody
      const suggestion = typeof value === 'string' ? closestMatch(value, allowed) : undefined;
      const hint = suggestion !== undefined ? ` (did you mean "${suggestion}"?)` : '';
      const data2: Record<string, unknown> = { allowed, field };
      if (suggestion !== undefined) data2.suggestion = suggestion;
      return { code: 'flow/schema', message: `${field}: must be one of ${listValues(allowed)} — got ${describeValue(value)}${hint}`, range: valueRangeAt(doc, path), path, data: data2 };
    }
    case 'const':
      return base(`${field}: must be ${JSON.stringify(err.params.allowedValue)} — got ${describeValue(value)}`, valueRangeAt(doc, path));
    case 'required': {
      const missing = String(err.params.missingProperty);
      return base(`${field}: missing required field "${missing}"`, objectRangeAt(doc, path), { missing, field: formatPath([...path, missing]) });
    }
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const prop = String(err.params.additionalProperty ?? err.params.unevaluatedProperty);
      const propPath = [...path, prop];
      const allowed = allowedProperties(err);
      const context = annotation(err, 'x-sessionflow-context');
      const kind = annotation(err, 'x-sessionflow-kind');
      const range = keyRangeAt(doc, propPath);
      const propField = formatPath(propPath);
      if (kind !== undefined && (STEP_KINDS as readonly string[]).includes(prop)) {
        return {
          code: 'flow/schema',
          message: `${propField}: a step has exactly one kind; this step is already a "${kind}" step — move "${prop}" to a step of its own`,
          range,
          path: propPath,
          data: { field: propField, keyword: err.keyword, property: prop, allowed },
        };
      }
      const suggestion = closestMatch(prop, allowed);
      const hint = suggestion !== undefined ? ` (did you mean "${suggestion}"?)` : '';
      const where = context !== undefined ? ` for ${context}` : '';
      const data2: Record<string, unknown> = { field: propField, keyword: err.keyword, property: prop, allowed };
      if (suggestion !== undefined) data2.suggestion = suggestion;
      return {
        code: 'flow/schema',
        message: `${propField}: unknown field${where}${hint} — allowed: ${allowed.length > 0 ? listValues(allowed) : 'none'}`,
        range,
        path: propPath,
        data: data2,
      };
    }
    case 'anyOf':
    case 'oneOf':
    case 'not':
      if (customMessage !== undefined) return base(`${field}: ${customMessage}`, objectRangeAt(doc, path));
      return base(`${field}: ${err.keyword === 'not' ? 'this combination of fields is not allowed' : 'does not match any allowed shape'}`, valueRangeAt(doc, path));
    case 'pattern':
      return base(`${field}: ${customMessage ?? `must match ${String(err.params.pattern)}`} — got ${describeValue(value)}`, valueRangeAt(doc, path), {
        pattern: err.params.pattern,
      });
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return base(`${field}: must be ${String(err.params.comparison)} ${String(err.params.limit)} — got ${describeValue(value)}`, valueRangeAt(doc, path));
    case 'minLength':
      return base(
        Number(err.params.limit) === 1 ? `${field}: must not be empty` : `${field}: must be at least ${String(err.params.limit)} characters long`,
        valueRangeAt(doc, path),
      );
    case 'maxLength':
      return base(`${field}: must be at most ${String(err.params.limit)} characters long`, valueRangeAt(doc, path));
    case 'minItems':
      return base(`${field}: must have at least ${String(err.params.limit)} item${Number(err.params.limit) === 1 ? '' : 's'}`, valueRangeAt(doc, path));
    case 'maxItems':
      return base(`${field}: must have at most ${String(err.params.limit)} items`, valueRangeAt(doc, path));
    case 'propertyNames': {
      const name = String(err.params.propertyName);
      return base(`${formatPath([...path, name])}: invalid name "${name}"`, keyRangeAt(doc, [...path, name]));
    }
    case 'false schema':
      return base(`${field}: not allowed here`, keyRangeAt(doc, path));
    default:
      return base(`${field}: ${err.message ?? 'is invalid'}`, valueRangeAt(doc, path));
  }
}

// ---------------------------------------------------------------------------------------------
// schemaAtPath (hover, completion)
// ---------------------------------------------------------------------------------------------

/** The schema and the schemas it combines (allOf, if/then/else, anyOf, oneOf), refs resolved. */
function expand(s: unknown, depth = 0, out: JsonSchema[] = []): JsonSchema[] {
  const r = resolveRef(s);
  if (!isObj(r) || depth > 20) return out;
  out.push(r);
  for (const k of ['allOf', 'anyOf', 'oneOf'] as const) {
    const xs = r[k];
    if (Array.isArray(xs)) for (const x of xs) expand(x, depth + 1, out);
  }
  if (r.then !== undefined) expand(r.then, depth + 1, out);
  if (r.else !== undefined) expand(r.else, depth + 1, out);
  return out;
}

function childSchema(s: unknown, seg: string | number): unknown {
  const cands = expand(s);
  const key = String(seg);
  for (const c of cands) {
    if (isObj(c.properties) && isObj(c.properties[key])) return resolveRef(c.properties[key]);
  }
  for (const c of cands) {
    if (isObj(c.patternProperties)) {
      for (const [re, sub] of Object.entries(c.patternProperties)) {
        try {
          if (isObj(sub) && new RegExp(re, 'u').test(key)) return resolveRef(sub);
        } catch {
          // ignore bad patterns
        }
      }
    }
  }
  const isIndex = typeof seg === 'number' || /^\d+$/.test(key);
  for (const c of cands) {
    if (isIndex && isObj(c.items)) return resolveRef(c.items);
    if (!isIndex && isObj(c.additionalProperties)) return resolveRef(c.additionalProperties);
  }
  return undefined;
}

/**
 * The sub-schema describing the value at `path` (through $ref, properties,
 * additionalProperties, items and the step-kind/auth-type selection), for hover and
 * completion. The returned object keeps the referring property's title/description.
 */
export function schemaAtPath(path: NodePath): Record<string, unknown> | undefined {
  let cur: unknown = flowSchema();
  for (const seg of path) {
    cur = childSchema(cur, seg);
    if (cur === undefined) return undefined;
  }
  const r = resolveRef(cur);
  return isObj(r) ? r : undefined;
}

/** Property names the schema allows at `path` (union over step kinds / auth types), for completion. */
export function propertiesAtPath(path: NodePath): string[] {
  const s = schemaAtPath(path);
  if (!s) return [];
  const names = new Set<string>();
  for (const c of expand(s)) {
    if (isObj(c.properties)) for (const [k, v] of Object.entries(c.properties)) if (isObj(v)) names.add(k);
  }
  return [...names];
}

/** True when the schema marks the value at `path` as able to hold `${...}` expressions. */
export function isExpressionField(path: NodePath): boolean {
  const s = schemaAtPath(path);
  return s !== undefined && s['x-sessionflow-expression'] === true;
}
