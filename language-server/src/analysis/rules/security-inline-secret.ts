import { isMap, isPair, isScalar, isSeq } from 'yaml';
import { parseTemplate, type NodePath } from '@sessionflow/sdk';
import { Inline, insertEntries, removeEntry, rootNode, yamlNodeAt } from '../helpers.js';
import type { Finding, QuickFix, Rule, TextEdit } from '../types.js';

const SECRET_KEYS = new Set([
  'password', 'passwd', 'pwd', 'pass', 'secret', 'clientsecret', 'token', 'accesstoken', 'refreshtoken', 'idtoken',
  'bearertoken', 'authtoken', 'apitoken', 'apikey', 'xapikey', 'privatekey', 'passphrase', 'authorization', 'proxyauthorization',
]);

/** Whether a field or header name holds a secret (CSRF token headers do not). */
export function isSecretKey(key: string): boolean {
  const n = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (n.includes('csrf') || n.endsWith('url') || n.endsWith('uri')) return false;
  if (SECRET_KEYS.has(n)) return true;
  return n.endsWith('password') || n.endsWith('secret') || n.endsWith('apikey') || n.endsWith('accesstoken') || n.endsWith('authtoken');
}

function formatPath(path: NodePath): string {
  return path.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc === '' ? String(s) : `${acc}.${s}`), '');
}

/**
 * Every normalised secret key name (lower case, letters and digits only: see `isSecretKey`)
 * contains one of these words.
 */
const KEY_WORDS = ['pass', 'pwd', 'secret', 'token', 'key', 'authorization'];

/**
 * Finds the words of `KEY_WORDS` in source text the way `isSecretKey` sees a key: any case,
 * with any characters it drops in between. Exactly two characters outside ASCII lower-case
 * to a letter it keeps: U+0130 (i) and U+212A (k); every other character it drops.
 */
const KEY_WORD_PATTERN = (() => {
  const dropped = '[^a-zA-Z0-9\\u0130\\u212A]*';
  const letter = (c: string): string => (c === 'i' ? '[iI\\u0130]' : c === 'k' ? '[kK\\u212A]' : `[${c}${c.toUpperCase()}]`);
  return new RegExp(KEY_WORDS.map((w) => [...w].map(letter).join(dropped)).join('|'), 'g');
})();

/** A backslash followed by a letter or digit: an escape that may stand for a letter of a key. */
const ESCAPE_WITH_LETTER = /\\[A-Za-z0-9]/;

/**
 * Offsets where a secret key name may start: every match of `KEY_WORD_PATTERN` (overlapping
 * ones included), ascending. A key can only be secret when its own source text holds such a
 * match, as long as no backslash in the text is followed by a letter or digit (an escape such
 * as `\x70` or `\n` in a double-quoted key puts a character in the key that its source does
 * not show): with one, undefined. Other escapes (`\"`, `\\`, `\/`: every backslash in a JSON
 * text of quoted markup) stand for a character the pattern drops, as it drops the backslash.
 */
function keyWordOffsets(text: string): number[] | undefined {
  if (ESCAPE_WITH_LETTER.test(text)) return undefined;
  const out: number[] = [];
  const re = new RegExp(KEY_WORD_PATTERN);
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push(m.index);
    re.lastIndex = m.index + 1;
  }
  return out;
}

/** Start and end of a node's source (undefined without a usable range). */
function span(node: unknown): [number, number] | undefined {
  const r = (node as { range?: unknown } | null | undefined)?.range;
  if (!Array.isArray(r) || typeof r[0] !== 'number' || typeof r[1] !== 'number') return undefined;
  return [r[0], typeof r[2] === 'number' ? Math.max(r[1], r[2]) : r[1]];
}

export const rule: Rule = {
  name: 'security/inline-secret',
  defaultSeverity: 'error',
  docs: {
    summary: 'A password, client secret or token is written as a literal in the flow file.',
    why: 'Flow files live in repositories, reviews and designer exports: anyone who can read the file can read the secret, and it cannot be rotated without editing the flow.',
    example: 'receivers:\n  erp:\n    adapter: http\n    auth: { type: basic, user: svc, password: s3cret }',
    fix: 'Declare a credential under `credentials` and reference it with `auth.credential` (quick fix); its value comes from the credential store. For other fields use `${env.NAME}`.',
  },
  check(ctx) {
    const out: Finding[] = [];
    const doc = ctx.doc;
    const root = rootNode(doc);
    // A document repeats few key names many times: decide each once.
    const secret = new Map<string, boolean>();
    // The path of the node being visited; copied only for a finding.
    const path: NodePath = [];

    /** The finding for a scalar entry `key: value`, if it holds a literal secret. */
    const check = (key: string, value: unknown): void => {
      if (!isScalar(value)) return;
      // the cheap key test first: most values are not under a secret key
      if (key === 'credential') return;
      let isSecret = secret.get(key);
      if (isSecret === undefined) secret.set(key, (isSecret = isSecretKey(key)));
      if (!isSecret) return;
      const v = value.value;
      const literal = (typeof v === 'string' && v.trim() !== '' && parseTemplate(v).template.parts.every((x) => x.kind === 'text')) || typeof v === 'number';
      if (!literal) return;
      const r = value.range;
      if (!r) return;
      const at = [...path, key];
      const isPassword = at.length === 4 && at[0] === 'receivers' && at[2] === 'auth' && key === 'password';
      out.push({
        range: { start: r[0], end: r[1] },
        message: `${formatPath(at)} holds a literal secret: anyone who can read the flow file (repository, reviews, exports) can read it. Declare a credential under credentials and reference it${isPassword ? ' with auth.credential' : ', or read it with ${env.NAME}'}; the value then comes from the credential store`,
        data: { path: at, ...(isPassword ? { receiver: at[1] } : {}) },
      });
    };

    /** Every map entry of the tree (not inside keys), in document order. */
    const visit = (node: unknown, depth: number): void => {
      if (depth > 64) return;
      if (isMap(node)) {
        for (const p of node.items) {
          if (!isPair(p) || !isScalar(p.key)) continue;
          const key = String(p.key.value);
          const value = p.value;
          if (isScalar(value)) {
            check(key, value);
          } else {
            path.push(key);
            visit(value, depth + 1);
            path.pop();
          }
        }
      } else if (isSeq(node)) {
        const items = node.items;
        for (let i = 0; i < items.length; i++) {
          path.push(i);
          visit(items[i], depth + 1);
          path.pop();
        }
      }
    };

    // Only entries whose key's source holds a key word can hold a secret, so when the text
    // allows it, the walk enters only the nodes whose source holds one of those offsets (with
    // their ranges from the yaml tree) instead of every node of the file. Same entries, order
    // and findings as `visit` on everything.
    const hasSyntaxErrors = (doc.problems ?? []).some((p) => p.code === 'flow/yaml-syntax');
    const offsets = typeof doc.text === 'string' && !hasSyntaxErrors ? keyWordOffsets(doc.text) : undefined;
    if (!offsets) {
      visit(root, 0);
      return out;
    }
    let next = 0;
    /** Whether the next pending offset lies in `s` (first dropping those before it). */
    const holdsOffset = (s: [number, number]): boolean => {
      while (next < offsets.length && (offsets[next] as number) < s[0]) next++;
      return next < offsets.length && (offsets[next] as number) < s[1];
    };
    const visitPruned = (node: unknown, depth: number): void => {
      if (depth > 64) return;
      if (isMap(node)) {
        for (const p of node.items) {
          if (next >= offsets.length) return;
          if (!isPair(p) || !isScalar(p.key)) continue;
          const key = String(p.key.value);
          const value = p.value;
          if (isScalar(value)) {
            const ks = span(p.key);
            if (!ks || holdsOffset(ks)) check(key, value);
          } else {
            const vs = span(value);
            if (vs && !holdsOffset(vs)) continue;
            path.push(key);
            if (vs) visitPruned(value, depth + 1);
            else visit(value, depth + 1);
            path.pop();
          }
        }
      } else if (isSeq(node)) {
        const items = node.items;
        for (let i = 0; i < items.length; i++) {
          if (next >= offsets.length) return;
          const item = items[i];
          const is = span(item);
          if (is && !holdsOffset(is)) continue;
          path.push(i);
          if (is) visitPruned(item, depth + 1);
          else visit(item, depth + 1);
          path.pop();
        }
      }
    };
    visitPruned(root, 0);
    return out;
  },
  fixes(doc, d, ctx) {
    const receiver = d.data?.receiver;
    if (typeof receiver !== 'string') return [];
    const info = ctx.receiverByName.get(receiver);
    const auth = info?.receiver.auth;
    if (!auth) return [];
    const authPath: NodePath = ['receivers', receiver, 'auth'];
    const edits: TextEdit[] = [];
    if (auth.credential) {
      const e = removeEntry(doc, authPath, 'password');
      if (!e) return [];
      edits.push(e);
      return [{ title: `Remove the inline password (credential "${String(auth.credential.value)}" already provides it)`, edits, isPreferred: true }];
    }
    if (auth.user && auth.user.template.parts.some((p) => p.kind === 'expr')) return [];
    const declared = new Set((ctx.flow.credentials ?? []).map((c) => c.name));
    let name = `${receiver}-user`;
    for (let i = 2; declared.has(name) && i < 1000; i++) name = `${receiver}-user-${i}`;
    const keyRange = doc.rangeAt([...authPath, 'password'], 'key');
    const valueRange = doc.rangeAt([...authPath, 'password'], 'value');
    if (!keyRange || !valueRange || yamlNodeAt(doc, authPath) === undefined) return [];
    edits.push({ range: { start: keyRange.start, end: valueRange.end }, newText: `credential: ${name}` });
    if (auth.user) {
      const e = removeEntry(doc, authPath, 'user');
      if (!e) return [];
      edits.push(e);
    }
    const type = typeof auth.type?.value === 'string' && auth.type.value !== 'none' ? auth.type.value : 'basic';
    const decl = insertEntries(doc, ['credentials'], [[name, new Inline({ type })]], {}, { after: ['flow', 'formatVersion', 'description', 'runtime', 'sender'] });
    if (!decl) return [];
    edits.push(decl);
    const fix: QuickFix = { title: `Move the password to credential "${name}" (set its value in the credential store)`, edits, isPreferred: true };
    return [fix];
  },
};
