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
    const root = rootNode(ctx.doc);
    const visit = (node: unknown, path: NodePath, depth: number): void => {
      if (depth > 64) return;
      if (isMap(node)) {
        for (const p of node.items) {
          if (!isPair(p) || !isScalar(p.key)) continue;
          const key = String(p.key.value);
          const value = p.value;
          if (isScalar(value)) {
            // the cheap key test first: most values are not under a secret key
            if (key === 'credential' || !isSecretKey(key)) continue;
            const v = value.value;
            const literal = (typeof v === 'string' && v.trim() !== '' && parseTemplate(v).template.parts.every((x) => x.kind === 'text')) || typeof v === 'number';
            if (literal) {
              const r = value.range;
              if (!r) continue;
              const at = [...path, key];
              const isPassword = at.length === 4 && at[0] === 'receivers' && at[2] === 'auth' && key === 'password';
              out.push({
                range: { start: r[0], end: r[1] },
                message: `${formatPath(at)} holds a literal secret: anyone who can read the flow file (repository, reviews, exports) can read it. Declare a credential under credentials and reference it${isPassword ? ' with auth.credential' : ', or read it with ${env.NAME}'}; the value then comes from the credential store`,
                data: { path: at, ...(isPassword ? { receiver: at[1] } : {}) },
              });
            }
          } else {
            visit(value, [...path, key], depth + 1);
          }
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, i) => visit(item, [...path, i], depth + 1));
      }
    };
    visit(root, [], 0);
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
