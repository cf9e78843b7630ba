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
