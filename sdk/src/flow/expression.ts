/**
 * Expressions in flow values: `${header.NAME}`, `${property.NAME}`, `${body}`, `${body.PATH}`
 * (JSONPath from `$`), `${response.header.NAME}`, `${env.NAME}`.
 *
 * A string value is parsed once into a Template (text and expression parts, with offsets
 * relative to the string's content) so later code asks `isDynamic()` instead of using regexes.
 */

export type ExprSource = 'header' | 'property' | 'body' | 'response.header' | 'env';

export interface Expr {
  source: ExprSource;
  /** Header/property/env name, or the JSONPath (without leading `$`) for `body.PATH`; '' for `${body}`. */
  name: string;
}

export interface TextPart {
  kind: 'text';
  text: string;
  start: number;
  end: number;
}

export interface ExprPart {
  kind: 'expr';
  expr: Expr;
  /** Offsets of `${...}` in the string. */
  start: number;
  end: number;
}

export type TemplatePart = TextPart | ExprPart;

export interface Template {
  source: string;
  parts: TemplatePart[];
}

export interface TemplateError {
  message: string;
  start: number;
  end: number;
}

/** Values an expression can read; header names are matched case-insensitively. */
export interface EvaluationContext {
  header(name: string): string | undefined;
  property(name: string): unknown;
  /** The body as text. */
  bodyText(): string;
  /** The body decoded as JSON (undefined if not JSON). */
  bodyJson(): unknown;
  responseHeader(name: string): string | undefined;
  env(name: string): string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Implementation
// ---------------------------------------------------------------------------------------------

import { JSONPath } from 'jsonpath-plus';

/** The expression sources, in the order error messages list them. */
export const EXPR_SOURCES: readonly ExprSource[] = ['header', 'property', 'body', 'response.header', 'env'];

/** Sources whose value can change from one exchange to the next (`env` is constant for a run). */
const DYNAMIC_SOURCES: ReadonlySet<ExprSource> = new Set<ExprSource>(['header', 'property', 'body', 'response.header']);

const NAME_RE = /^[^\s{}$]+$/;

/** Parses the inside of `${...}` (without the delimiters). Returns an Expr or an error message. */
function parseExprBody(inner: string): Expr | string {
  const text = inner.trim();
  if (text === '') return 'empty expression "${}": use ${header.NAME}, ${property.NAME}, ${body}, ${body.PATH}, ${response.header.NAME} or ${env.NAME}';
  if (text === 'body') return { source: 'body', name: '' };
  if (text.startsWith('body.') || text.startsWith('body[')) {
    const path = text.startsWith('body.') ? text.slice(5) : text.slice(4);
    if (path === '' || /\s/.test(path)) return `invalid JSONPath in "\${${text}}": write \${body.items[0].id}`;
    return { source: 'body', name: path };
  }
  const named: [string, ExprSource][] = [
    ['response.header.', 'response.header'],
    ['header.', 'header'],
    ['property.', 'property'],
    ['env.', 'env'],
  ];
  for (const [prefix, source] of named) {
    if (text.startsWith(prefix)) {
      const name = text.slice(prefix.length);
      if (name === '') return `missing name in "\${${text}}": write \${${prefix}NAME}`;
      if (!NAME_RE.test(name)) return `invalid name "${name}" in "\${${text}}"`;
      return { source, name };
    }
  }
  for (const [prefix] of named) {
    if (text === prefix.slice(0, -1)) return `missing name in "\${${text}}": write \${${prefix}NAME}`;
  }
  const head = text.split(/[.[\s]/, 1)[0] ?? text;
  return `unknown expression source "${head}" in "\${${text}}": use header, property, body, response.header or env`;
}

/**
 * Parses a string value into text and `${...}` expression parts. Never throws: an invalid
 * expression is reported in `errors` (offsets into `source`) and kept as literal text.
 */
export function parseTemplate(source: string): { template: Template; errors: TemplateError[] } {
  const src = typeof source === 'string' ? source : String(source);
  // most values hold no expression: one text part (none for ''), without the closures below
  if (!src.includes('${')) {
    return { template: { source: src, parts: src === '' ? [] : [{ kind: 'text', text: src, start: 0, end: src.length }] }, errors: [] };
  }
  const parts: TemplatePart[] = [];
  const errors: TemplateError[] = [];
  const pushText = (start: number, end: number): void => {
    if (end <= start) return;
    const last = parts[parts.length - 1];
    if (last && last.kind === 'text' && last.end === start) {
      last.text += src.slice(start, end);
      last.end = end;
    } else {
      parts.push({ kind: 'text', text: src.slice(start, end), start, end });
    }
  };
  let pos = 0;
  while (pos < src.length) {
    const open = src.indexOf('${', pos);
    if (open < 0) {
      pushText(pos, src.length);
      break;
    }
    pushText(pos, open);
    const close = src.indexOf('}', open + 2);
    if (close < 0) {
      errors.push({ message: `unterminated expression "${src.slice(open)}": missing "}"`, start: open, end: src.length });
      pushText(open, src.length);
      break;
    }
    const parsed = parseExprBody(src.slice(open + 2, close));
    if (typeof parsed === 'string') {
      errors.push({ message: parsed, start: open, end: close + 1 });
      pushText(open, close + 1);
    } else {
      parts.push({ kind: 'expr', expr: parsed, start: open, end: close + 1 });
    }
    pos = close + 1;
  }
  return { template: { source: src, parts }, errors };
}

/** True if any expression reads per-exchange data (header, property, body, response.header). */
export function isDynamic(t: Template): boolean {
  return t.parts.some((p) => p.kind === 'expr' && DYNAMIC_SOURCES.has(p.expr.source));
}

/** True if the template contains at least one `${...}` expression. */
export function hasExpressions(t: Template): boolean {
  return t.parts.some((p) => p.kind === 'expr');
}

/** Text form of a value read by an expression: missing → '', objects → JSON. */
export function stringifyValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/** `${body.PATH}` → the JSONPath used against the body (`$.PATH`, or `$[...]`). */
export function bodyJsonPath(name: string): string {
  if (name === '') return '$';
  return name.startsWith('[') ? `$${name}` : `$.${name}`;
}

/** Evaluates one expression to its raw value (undefined when missing). */
export function evaluateExpr(expr: Expr, ctx: EvaluationContext): unknown {
  switch (expr.source) {
    case 'header':
      return ctx.header(expr.name);
    case 'property':
      return ctx.property(expr.name);
    case 'response.header':
      return ctx.responseHeader(expr.name);
    case 'env':
      return ctx.env(expr.name);
    case 'body': {
      if (expr.name === '') return ctx.bodyText();
      const json = ctx.bodyJson();
      if (json === undefined || json === null || typeof json !== 'object') return undefined;
      try {
        return JSONPath({ path: bodyJsonPath(expr.name), json: json as object, wrap: false });
      } catch {
        return undefined;
      }
    }
    default:
      return undefined;
  }
}

/** Evaluates a template to a string: missing values become '', objects become JSON. */
export function evaluateTemplate(t: Template, ctx: EvaluationContext): string {
  let out = '';
  for (const part of t.parts) {
    out += part.kind === 'text' ? part.text : stringifyValue(evaluateExpr(part.expr, ctx));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Conditions: `loop.while` and `route.when[].if`
//
//   or-expr   := and-expr ('or' and-expr)*
//   and-expr  := not-expr ('and' not-expr)*
//   not-expr  := 'not' not-expr | comparison
//   comparison:= operand (('=='|'!='|'<'|'>'|'<='|'>=') operand)?
//   operand   := template | 'quoted' | "quoted" | number | true | false | '(' or-expr ')'
//
// A template operand is an unquoted run starting with `${` (e.g. `${property.count}`); quoted
// strings may contain expressions too. Comparisons are numeric when both sides are numbers (or
// numeric text), otherwise they compare text. A lone operand is true unless it is '', 'false',
// '0' or false.
// ---------------------------------------------------------------------------------------------

/** Error code of condition syntax errors thrown by `evaluateCondition`. */
export const CONDITION_SYNTAX_ERROR = 'ERR_SESSIONFLOW_CONDITION_SYNTAX';

/** Thrown by `evaluateCondition` for a condition that does not parse. */
export class ConditionError extends Error {
  readonly code = CONDITION_SYNTAX_ERROR;
  readonly start: number;
  readonly end: number;
  readonly source: string;
  constructor(source: string, error: TemplateError) {
    super(`invalid condition "${source}": ${error.message} (at ${error.start}..${error.end})`);
    this.name = 'ConditionError';
    this.source = source;
    this.start = error.start;
    this.end = error.end;
  }
}

type CmpOp = '==' | '!=' | '<' | '>' | '<=' | '>=';

type CondNode =
  | { kind: 'or' | 'and'; left: CondNode; right: CondNode }
  | { kind: 'not'; operand: CondNode }
  | { kind: 'cmp'; op: CmpOp; left: CondNode; right: CondNode }
  | { kind: 'literal'; value: string | number | boolean }
  | { kind: 'template'; template: Template };

type Token =
  | { t: 'op'; op: CmpOp; start: number; end: number }
  | { t: 'word'; word: 'and' | 'or' | 'not' | 'true' | 'false'; start: number; end: number }
  | { t: 'paren'; open: boolean; start: number; end: number }
  | { t: 'number'; value: number; start: number; end: number }
  | { t: 'string'; template: Template; start: number; end: number }
  | { t: 'template'; template: Template; start: number; end: number };

class SyntaxFailure {
  constructor(readonly error: TemplateError) {}
}

function fail(message: string, start: number, end: number): never {
  throw new SyntaxFailure({ message, start, end });
}

/** Shift template offsets (relative to a substring) so they are relative to the condition. */
function templateAt(text: string, offset: number): Template {
  const { template, errors } = parseTemplate(text);
  const first = errors[0];
  if (first) fail(first.message, first.start + offset, first.end + offset);
  return {
    source: template.source,
    parts: template.parts.map((p) => ({ ...p, start: p.start + offset, end: p.end + offset })),
  };
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '==' || two === '!=' || two === '<=' || two === '>=') {
      tokens.push({ t: 'op', op: two, start: i, end: i + 2 });
      i += 2;
      continue;
    }
    if (c === '<' || c === '>') {
      tokens.push({ t: 'op', op: c, start: i, end: i + 1 });
      i++;
      continue;
    }
    if (c === '=') fail('"=" is not an operator: use "==" to compare', i, i + 1);
    if (c === '!') fail('"!" is not an operator: use "!=" or "not"', i, i + 1);
    if (c === '&' || c === '|') fail(`"${c}" is not an operator: use "and" / "or"`, i, Math.min(src.length, i + 2));
    if (c === '(' || c === ')') {
      tokens.push({ t: 'paren', open: c === '(', start: i, end: i + 1 });
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      const close = src.indexOf(c, i + 1);
      if (close < 0) fail(`unterminated string: missing closing ${c}`, i, src.length);
      tokens.push({ t: 'string', template: templateAt(src.slice(i + 1, close), i + 1), start: i, end: close + 1 });
      i = close + 1;
      continue;
    }
    if (src.startsWith('${', i)) {
      // An unquoted template operand: runs until whitespace, a parenthesis or an operator
      // character outside `${...}`.
      let j = i;
      while (j < src.length) {
        if (src.startsWith('${', j)) {
          const close = src.indexOf('}', j + 2);
          if (close < 0) fail(`unterminated expression "${src.slice(j)}": missing "}"`, j, src.length);
          j = close + 1;
          continue;
        }
        const d = src[j] as string;
        if (/[\s()=!<>'"]/.test(d)) break;
        j++;
      }
      tokens.push({ t: 'template', template: templateAt(src.slice(i, j), i), start: i, end: j });
      i = j;
      continue;
    }
    const num = /^-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i));
    if (num && !/[A-Za-z_$]/.test(src[i + num[0].length] ?? '')) {
      tokens.push({ t: 'number', value: Number(num[0]), start: i, end: i + num[0].length });
      i += num[0].length;
      continue;
    }
    const word = /^[A-Za-z_][\w.-]*/.exec(src.slice(i));
    if (word) {
      const w = word[0];
      const lw = w.toLowerCase();
      if (lw === 'and' || lw === 'or' || lw === 'not' || lw === 'true' || lw === 'false') {
        tokens.push({ t: 'word', word: lw, start: i, end: i + w.length });
        i += w.length;
        continue;
      }
      fail(`unexpected word "${w}": quote text as '${w}' or use an expression such as \${property.${w}}`, i, i + w.length);
    }
    fail(`unexpected character "${c}"`, i, i + 1);
  }
  return tokens;
}

class ConditionParser {
  private pos = 0;
  constructor(
    private readonly src: string,
    private readonly tokens: Token[],
  ) {}

  parse(): CondNode {
    if (this.tokens.length === 0) fail('empty condition: write e.g. ${property.hasMore} == \'true\'', 0, this.src.length);
    const node = this.or();
    const extra = this.tokens[this.pos];
    if (extra) fail(`unexpected "${this.src.slice(extra.start, extra.end)}": expected "and", "or" or the end of the condition`, extra.start, extra.end);
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private isWord(w: string): boolean {
    const t = this.peek();
    return t !== undefined && t.t === 'word' && t.word === w;
  }

  private or(): CondNode {
    let left = this.and();
    while (this.isWord('or')) {
      this.pos++;
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): CondNode {
    let left = this.not();
    while (this.isWord('and')) {
      this.pos++;
      left = { kind: 'and', left, right: this.not() };
    }
    return left;
  }

  private not(): CondNode {
    if (this.isWord('not')) {
      this.pos++;
      return { kind: 'not', operand: this.not() };
    }
    return this.comparison();
  }

  private comparison(): CondNode {
    const left = this.operand();
    const t = this.peek();
    if (t && t.t === 'op') {
      this.pos++;
      const right = this.operand();
      const next = this.peek();
      if (next && next.t === 'op') fail(`comparisons cannot be chained: use "and" between them`, next.start, next.end);
      return { kind: 'cmp', op: t.op, left, right };
    }
    return left;
  }

  private operand(): CondNode {
    const t = this.peek();
    if (!t) fail('condition ends early: expected a value', this.src.length, this.src.length);
    this.pos++;
    switch (t.t) {
      case 'number':
        return { kind: 'literal', value: t.value };
      case 'string':
      case 'template':
        return { kind: 'template', template: t.template };
      case 'word':
        if (t.word === 'true' || t.word === 'false') return { kind: 'literal', value: t.word === 'true' };
        return fail(`unexpected "${t.word}": expected a value`, t.start, t.end);
      case 'paren': {
        if (!t.open) return fail('unexpected ")": expected a value', t.start, t.end);
        const inner = this.or();
        const close = this.peek();
        if (!close || close.t !== 'paren' || close.open) {
          return fail('missing ")"', close ? close.start : this.src.length, close ? close.end : this.src.length);
        }
        this.pos++;
        return inner;
      }
      case 'op':
        return fail(`unexpected "${t.op}": expected a value`, t.start, t.end);
    }
  }
}

const conditionCache = new Map<string, CondNode | TemplateError>();
const CONDITION_CACHE_MAX = 512;

function compileCondition(source: string): CondNode | TemplateError {
  const cached = conditionCache.get(source);
  if (cached) return cached;
  let result: CondNode | TemplateError;
  try {
    result = new ConditionParser(source, tokenize(source)).parse();
  } catch (e) {
    if (e instanceof SyntaxFailure) result = e.error;
    else result = { message: `cannot parse condition: ${e instanceof Error ? e.message : String(e)}`, start: 0, end: source.length };
  }
  if (conditionCache.size >= CONDITION_CACHE_MAX) {
    const oldest = conditionCache.keys().next();
    if (!oldest.done) conditionCache.delete(oldest.value);
  }
  conditionCache.set(source, result);
  return result;
}

/**
 * Checks the syntax of a condition (`loop.while`, `route.when[].if`), including the
 * expressions inside it. Returns the first error (offsets into `source`) or undefined.
 */
export function checkCondition(source: string): TemplateError | undefined {
  if (typeof source !== 'string') return { message: 'a condition must be a string', start: 0, end: 0 };
  const r = compileCondition(source);
  return 'kind' in r ? undefined : r;
}

type CondValue = string | number | boolean;

function evalValue(node: CondNode, ctx: EvaluationContext): CondValue {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'template':
      return evaluateTemplate(node.template, ctx);
    default:
      return evalBool(node, ctx);
  }
}

function truthy(v: CondValue): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  const s = v.trim().toLowerCase();
  return s !== '' && s !== 'false' && s !== '0';
}

function asNumber(v: CondValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v.trim());
    if (Number.isFinite(n)) return n;
  }
  return undefined;
}

function compare(op: CmpOp, a: CondValue, b: CondValue): boolean {
  let x: string | number;
  let y: string | number;
  const na = asNumber(a);
  const nb = asNumber(b);
  if (typeof a !== 'boolean' && typeof b !== 'boolean' && na !== undefined && nb !== undefined) {
    x = na;
    y = nb;
  } else {
    x = String(a);
    y = String(b);
  }
  switch (op) {
    case '==':
      return x === y;
    case '!=':
      return x !== y;
    case '<':
      return x < y;
    case '>':
      return x > y;
    case '<=':
      return x <= y;
    case '>=':
      return x >= y;
  }
}

function evalBool(node: CondNode, ctx: EvaluationContext): boolean {
  switch (node.kind) {
    case 'or':
      return evalBool(node.left, ctx) || evalBool(node.right, ctx);
    case 'and':
      return evalBool(node.left, ctx) && evalBool(node.right, ctx);
    case 'not':
      return !evalBool(node.operand, ctx);
    case 'cmp':
      return compare(node.op, evalValue(node.left, ctx), evalValue(node.right, ctx));
    default:
      return truthy(evalValue(node, ctx));
  }
}

/**
 * Evaluates a condition against an exchange. Throws a `ConditionError` (code
 * `ERR_SESSIONFLOW_CONDITION_SYNTAX`) when the condition does not parse.
 */
export function evaluateCondition(source: string, ctx: EvaluationContext): boolean {
  const r = compileCondition(source);
  if (!('kind' in r)) throw new ConditionError(source, r);
  return evalBool(r, ctx);
}
