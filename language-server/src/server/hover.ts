/**
 * Hover: rule documentation on a diagnostic's range, a receiver's session behaviour on a
 * reference to it, and the field's schema documentation on any key or value.
 */
import type { AdapterCatalog, Diagnostic, Flow, FlowDocument, NodePath, Range, Receiver } from './core.js';
import { ruleByName } from './core.js';
import { declarationOf, refAt } from './model-walk.js';
import { fieldMarkdown, schemaFor } from './schema.js';

export interface HoverResult {
  markdown: string;
  range: Range;
}

/** Markdown explaining a rule: summary, why, example, fix. */
export function ruleMarkdown(d: Diagnostic): string {
  const rule = safe(() => ruleByName(d.rule));
  const parts = [`**${d.rule}** (${d.severity}): ${d.message}`];
  if (rule) {
    parts.push(rule.docs.summary);
    if (rule.docs.why) parts.push(`**Why it matters.** ${rule.docs.why}`);
    if (rule.docs.example) parts.push('**Example**\n\n```yaml\n' + rule.docs.example.replace(/\n+$/, '') + '\n```');
    if (rule.docs.fix) parts.push(`**Fix.** ${rule.docs.fix}`);
  }
  return parts.join('\n\n');
}

function effectiveMode(flow: Flow, isLegacy: boolean): string {
  if (isLegacy) return 'none';
  const v = flow.runtime?.sessionHandling?.value;
  return typeof v === 'string' ? v : 'none';
}

/** Markdown describing a receiver: adapter, address, auth and what session handling does for it. */
export function receiverMarkdown(fd: FlowDocument, r: Receiver, adapters: AdapterCatalog | undefined): string {
  const adapterId = typeof r.adapter?.value === 'string' ? r.adapter.value : undefined;
  const def = adapterId ? safe(() => adapters?.get(adapterId)?.definition) : undefined;
  const variantId = typeof r.variant?.value === 'string' ? r.variant.value : def?.defaultVariant;
  const variant = def ? safe(() => def.variant(variantId)) : undefined;
  const lines: string[] = [`**Receiver \`${r.name}\`**`];
  if (adapterId) lines.push(`- Adapter: \`${adapterId}\`${def?.displayName ? ` (${def.displayName})` : def ? '' : ' — not installed'}${variantId ? `, variant \`${variantId}\`` : ''}`);
  if (typeof r.address?.value === 'string') lines.push(`- Address: \`${r.address.value}\``);
  const authType = typeof r.auth?.type?.value === 'string' ? r.auth.type.value : undefined;
  if (authType) {
    const cred = typeof r.auth?.credential?.value === 'string' ? `, credential \`${r.auth.credential.value}\`` : '';
    const dynamicUser = r.auth?.user?.template?.parts?.some((p) => p.kind === 'expr') ? ', dynamic user' : '';
    lines.push(`- Auth: \`${authType}\`${cred}${dynamicUser}`);
  }
  const flags = [r.csrf?.value === true ? 'CSRF-protected' : undefined, r.stateful?.value === true ? 'stateful' : undefined, r.parallelCallsInSession?.value === false ? 'no parallel calls in one session' : undefined].filter(Boolean);
  if (flags.length > 0) lines.push(`- ${flags.join(', ')}`);
  const mode = effectiveMode(fd.flow, fd.isLegacy === true);
  let session: string;
  if (r.session?.value === 'none') session = 'opted out (`session: none`): every call authenticates on its own, no cookies kept';
  else if (variant && variant.sessionReuse === 'unsupported') session = `the \`${variantId ?? adapterId}\` variant cannot reuse sessions: every call authenticates`;
  else if (mode === 'onExchange') session = 'one session per exchange (`onExchange`): the calls of one message share cookies';
  else if (mode === 'onIntegrationFlow') session = 'one session for the whole flow (`onIntegrationFlow`): every exchange shares the cookies of whoever authenticated first';
  else session = 'no session reuse (`none`): every call authenticates';
  if (variant?.sessionReuse === 'required' && mode === 'none') session += ' — but this adapter variant requires session reuse';
  lines.push(`- Session: ${session}`);
  return lines.join('\n');
}

function contains(r: Range | undefined, offset: number): boolean {
  return r !== undefined && r.start <= offset && offset <= r.end;
}

export function hover(fd: FlowDocument, offset: number, diagnostics: readonly Diagnostic[], adapters: AdapterCatalog | undefined): HoverResult | undefined {
  const sections: string[] = [];
  let range: Range | undefined;
  const widen = (r: Range) => {
    range = range ? { start: Math.min(range.start, r.start), end: Math.max(range.end, r.end) } : { ...r };
  };

  for (const d of diagnostics) {
    if (!contains(d.range, offset)) continue;
    sections.push(ruleMarkdown(d));
    widen(d.range);
  }

  const ref = refAt(fd.flow, offset);
  if (ref && ref.kind === 'receiver') {
    const r = fd.flow.receivers.find((x) => x.name === ref.name);
    if (r) sections.push(receiverMarkdown(fd, r, adapters));
    else sections.push(`No receiver named \`${ref.name}\` is declared under \`receivers\`.`);
    range ??= ref.range;
  } else if (ref && ref.kind === 'process' && !ref.declaration) {
    const p = fd.flow.processes.find((x) => x.name === ref.name);
    sections.push(p ? `**Local process \`${p.name}\`** — ${p.steps.length} step(s)` : `No local process named \`${ref.name}\` is declared under \`processes\`.`);
    range ??= ref.range;
  } else if (ref && ref.kind === 'credential') {
    const decl = declarationOf(fd.flow, 'credential', ref.name);
    const c = fd.flow.credentials.find((x) => x.name === ref.name);
    const type = typeof c?.type?.value === 'string' ? ` of type \`${c.type.value}\`` : '';
    sections.push(
      decl
        ? `**Credential \`${ref.name}\`**${type}. Its secret comes from the local credential store (environment, a .env-style file outside the repository, or the editor's secret storage), never from the flow file.`
        : `No credential named \`${ref.name}\` is declared under \`credentials\`.`,
    );
    range ??= ref.range;
  }

  // Field documentation from the schema.
  const at = safe(() => fd.pathAt(offset));
  if (at && at.path.length > 0 && !(ref && !ref.declaration)) {
    const path: NodePath = at.path;
    const name = lastName(path);
    const schema = schemaFor(path, fd.flow, adapters);
    if (schema && name !== undefined && !isMapEntryName(path)) {
      const text = fieldMarkdown(name, schema);
      if (text) sections.push(text);
      const r = safe(() => fd.rangeAt(path, at.part));
      if (r) range ??= r;
    }
  }
  if (sections.length === 0) return undefined;
  return { markdown: sections.join('\n\n---\n\n'), range: range ?? { start: offset, end: offset } };
}

function lastName(path: NodePath): string | undefined {
  for (let i = path.length - 1; i >= 0; i--) {
    const seg = path[i];
    if (typeof seg === 'string') return seg;
  }
  return undefined;
}

/** `receivers.NAME`, `credentials.NAME`, `processes.NAME`: user-chosen names, not schema fields. */
function isMapEntryName(path: NodePath): boolean {
  return path.length === 2 && (path[0] === 'receivers' || path[0] === 'credentials' || path[0] === 'processes');
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
