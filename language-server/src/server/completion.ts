/**
 * Completion: keys allowed at the cursor, enum values, adapter ids and variants, names of
 * receivers/processes/credentials, and adapter `config` fields — with documentation.
 * The cursor context comes from the raw lines (see yaml-context.ts) so that it works while
 * the document is being typed and does not parse.
 */
import {
  CompletionItemKind,
  InsertTextFormat,
  InsertTextMode,
  MarkupKind,
  type CompletionItem,
} from 'vscode-languageserver/node.js';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { AUTH_TYPES, SESSION_HANDLING_MODES } from './core.js';
import type { AdapterCatalog, AdapterDefinition, FlowDocument, NodePath } from './core.js';
import { toLspRange } from './convert.js';
import { cursorContext, type CursorContext } from './yaml-context.js';
import { allowedValues, descriptionOf, propertiesOf, schemaFor, titleOf, typeOf, type SchemaAt } from './schema.js';

/** Values offered for well-known keys when the schema does not say (robust fallback). */
const FALLBACK_VALUES: Record<string, readonly string[]> = {
  sessionHandling: SESSION_HANDLING_MODES,
  log: ['none', 'info', 'debug'],
  session: ['inherit', 'none'],
};

const BOOLEAN_KEYS = new Set(['csrf', 'stateful', 'parallel', 'parallelCallsInSession']);

function isStepPath(path: NodePath): boolean {
  return typeof path[path.length - 1] === 'number';
}

function receiverOf(fd: FlowDocument | undefined, name: unknown) {
  return fd?.flow?.receivers?.find((r) => r.name === name);
}

function definitionOf(adapters: AdapterCatalog | undefined, id: unknown): AdapterDefinition | undefined {
  if (typeof id !== 'string' || !adapters) return undefined;
  try {
    return adapters.get(id)?.definition;
  } catch {
    return undefined;
  }
}

function md(value: string): { kind: 'markdown'; value: string } {
  return { kind: MarkupKind.Markdown, value };
}

/** YAML text for a scalar value (quoted when plain YAML would read it differently). */
function yamlScalar(v: unknown): string {
  if (typeof v !== 'string') return JSON.stringify(v);
  if (v === '' || /^[\s]|[\s]$|^[-?:,[\]{}#&*!|>'"%@`]|: | #|^(true|false|null|yes|no|on|off|~)$/i.test(v) || /^[-+]?(\d|\.\d)/.test(v)) {
    return JSON.stringify(v);
  }
  return v;
}

export interface CompletionInput {
  doc: TextDocument;
  /** Parsed document (may be partial); used for names declared in the file. */
  fd: FlowDocument | undefined;
  adapters: AdapterCatalog | undefined;
  offset: number;
}

export function complete(input: CompletionInput): CompletionItem[] {
  const text = input.doc.getText();
  const ctx = cursorContext(text, input.offset);
  if (!ctx) return [];
  const items = ctx.kind === 'key' ? keyItems(input, ctx) : valueItems(input, ctx);
  const range = toLspRange(input.doc, ctx.replace);
  // Right after `-` or `:` (no space typed yet) the inserted text needs one.
  const before = text[ctx.replace.start - 1];
  const lead = before === '-' || before === ':' ? ' ' : '';
  items.forEach((item, i) => {
    item.sortText ??= String(i).padStart(4, '0');
    item.filterText ??= item.label;
    if (!item.textEdit) item.textEdit = { range, newText: lead + (item.insertText ?? item.label) };
    delete item.insertText;
  });
  return items;
}

function keyItems(input: CompletionInput, ctx: CursorContext): CompletionItem[] {
  const at = schemaFor(ctx.parentPath, input.fd?.flow, input.adapters);
  if (!at) return [];
  const present = new Set(ctx.siblingKeys);
  const text = input.doc.getText();
  // When the key already has its `:` (editing an existing key), insert the name only.
  const hasColon = /^[ \t]*:/.test(text.slice(ctx.replace.end, ctx.replace.end + 200));
  const props = propertiesOf(at, [...present]).filter((p) => !present.has(p.name));
  return props.map((p) => {
    const sub: SchemaAt = { schema: p.schema, root: at.root };
    const type = typeOf(sub);
    const doc = descriptionOf(p.schema);
    const item: CompletionItem = {
      label: p.name,
      kind: CompletionItemKind.Property,
      insertTextFormat: InsertTextFormat.PlainText,
      insertTextMode: InsertTextMode.asIs,
    };
    const title = titleOf(p.schema);
    const detail = [title, p.required ? '(required)' : undefined].filter(Boolean).join(' ');
    if (detail) item.detail = detail;
    const docParts: string[] = [];
    if (doc) docParts.push(doc);
    if ('default' in p.schema) docParts.push(`Default: \`${JSON.stringify(p.schema.default)}\``);
    if (docParts.length > 0) item.documentation = md(docParts.join('\n\n'));
    if (hasColon) item.insertText = p.name;
    else if (ctx.inFlow) item.insertText = `${p.name}: `;
    else if (type === 'object') item.insertText = `${p.name}:\n${' '.repeat(ctx.column + 2)}`;
    else if (type === 'array' && p.name === 'steps') item.insertText = `${p.name}:\n${' '.repeat(ctx.column + 2)}- `;
    else item.insertText = `${p.name}: `;
    if (p.required) item.sortText = `0${p.name}`;
    else item.sortText = `1${p.name}`;
    return item;
  });
}

function valueItems(input: CompletionInput, ctx: CursorContext): CompletionItem[] {
  const key = ctx.key;
  if (key === undefined) return [];
  const path = ctx.parentPath;
  const fd = input.fd;
  const flow = fd?.flow;
  const items: CompletionItem[] = [];
  const seen = new Set<string>();
  const push = (item: CompletionItem) => {
    if (seen.has(item.label)) return;
    seen.add(item.label);
    items.push(item);
  };

  // Names declared in the file.
  if ((key === 'call' || key === 'send') && isStepPath(path)) {
    for (const r of flow?.receivers ?? []) {
      const adapter = typeof r.adapter?.value === 'string' ? r.adapter.value : undefined;
      const address = typeof r.address?.value === 'string' ? r.address.value : undefined;
      const item: CompletionItem = { label: r.name, kind: CompletionItemKind.Reference, insertText: yamlScalar(r.name) };
      if (adapter) item.detail = `receiver · ${adapter}${typeof r.variant?.value === 'string' ? ` ${r.variant.value}` : ''}`;
      if (address) item.documentation = md(`Receiver \`${r.name}\`\n\nAddress: \`${address}\``);
      push(item);
    }
    return items;
  }
  if (key === 'process' && isStepPath(path)) {
    for (const p of flow?.processes ?? []) {
      push({ label: p.name, kind: CompletionItemKind.Function, detail: `local process · ${p.steps?.length ?? 0} steps`, insertText: yamlScalar(p.name) });
    }
    return items;
  }
  if (key === 'credential' && path[path.length - 1] === 'auth') {
    for (const c of flow?.credentials ?? []) {
      const type = typeof c.type?.value === 'string' ? c.type.value : undefined;
      const item: CompletionItem = { label: c.name, kind: CompletionItemKind.Variable, insertText: yamlScalar(c.name) };
      if (type) item.detail = `credential · ${type}`;
      push(item);
    }
    return items;
  }
  const inReceiver = path.length === 2 && path[0] === 'receivers';
  if (key === 'adapter' && (inReceiver || (path.length === 1 && path[0] === 'sender'))) {
    let ids: string[] = [];
    try {
      ids = input.adapters?.ids() ?? [];
    } catch {
      ids = [];
    }
    for (const id of ids) {
      const def = definitionOf(input.adapters, id);
      const item: CompletionItem = { label: id, kind: CompletionItemKind.Module, insertText: yamlScalar(id) };
      if (def?.displayName) item.detail = def.displayName;
      const docs: string[] = [];
      if (def?.description) docs.push(def.description);
      const variants = (def?.variants ?? []).map((v) => v.id);
      if (variants.length > 1) docs.push(`Variants: ${variants.map((v) => `\`${v}\``).join(', ')}`);
      if (docs.length > 0) item.documentation = md(docs.join('\n\n'));
      push(item);
    }
    return items;
  }
  if (key === 'variant' && inReceiver) {
    const receiver = receiverOf(fd, path[1]);
    const def = definitionOf(input.adapters, receiver?.adapter?.value);
    for (const v of def?.variants ?? []) {
      const item: CompletionItem = { label: v.id, kind: CompletionItemKind.EnumMember, insertText: yamlScalar(v.id) };
      item.detail = [v.displayName, v.id === def?.defaultVariant ? '(default)' : undefined].filter(Boolean).join(' ') || undefined;
      const docs: string[] = [];
      if (v.description) docs.push(v.description);
      docs.push(`Session reuse: \`${v.sessionReuse}\` · steps: ${v.stepKinds.map((k) => `\`${k}\``).join(', ')}`);
      item.documentation = md(docs.join('\n\n'));
      if (item.detail === undefined) delete item.detail;
      push(item);
    }
    return items;
  }

  // Values the schema allows (flow schema, or the adapter's config schema).
  const at = schemaFor([...path, key], flow, input.adapters);
  const values = at ? allowedValues(at) : [];
  if (values.length === 0) {
    const fallback =
      key === 'type' && path[path.length - 1] === 'auth' ? AUTH_TYPES : FALLBACK_VALUES[key] ?? (BOOLEAN_KEYS.has(key) ? ['true', 'false'] : undefined);
    if (fallback) values.push(...fallback.map((v) => (v === 'true' ? true : v === 'false' ? false : v)));
  }
  const defaultValue = at && 'default' in at.schema ? at.schema.default : undefined;
  for (const v of values) {
    const label = typeof v === 'string' ? v : JSON.stringify(v);
    const item: CompletionItem = {
      label,
      kind: typeof v === 'boolean' ? CompletionItemKind.Value : CompletionItemKind.EnumMember,
      insertText: ctx.inFlow && typeof v === 'string' && /[,{}[\]]/.test(v) ? JSON.stringify(v) : yamlScalar(v),
    };
    if (defaultValue !== undefined && defaultValue === v) item.detail = '(default)';
    const desc = at ? valueDescription(at, v) : undefined;
    if (desc) item.documentation = md(desc);
    push(item);
  }
  return items;
}

/** Descriptions of enum values when the schema has `oneOf: [{const, description}]` or `x-enumDescriptions`. */
function valueDescription(at: SchemaAt, v: unknown): string | undefined {
  const s = at.schema;
  const list = (s.oneOf ?? s.anyOf) as unknown;
  if (Array.isArray(list)) {
    for (const b of list) {
      if (b && typeof b === 'object' && (b as Record<string, unknown>).const === v) {
        const d = descriptionOf(b as Record<string, unknown>) ?? titleOf(b as Record<string, unknown>);
        if (d) return d;
      }
    }
  }
  const enums = s.enum;
  const descs = (s.enumDescriptions ?? s['x-enumDescriptions'] ?? s.markdownEnumDescriptions) as unknown;
  if (Array.isArray(enums) && Array.isArray(descs)) {
    const i = enums.indexOf(v);
    const d = descs[i];
    if (typeof d === 'string') return d;
  }
  return undefined;
}
