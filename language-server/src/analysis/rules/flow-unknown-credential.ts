import { closest, Inline, insertEntries, quoteList, replacementText } from '../helpers.js';
import type { Finding, QuickFix, Rule } from '../types.js';

const CREDENTIAL_TYPES = ['basic', 'client-certificate', 'oauth2-client-credentials', 'oauth2-saml-bearer'];

export const rule: Rule = {
  name: 'flow/unknown-credential',
  defaultSeverity: 'error',
  docs: {
    summary: '`auth.credential` is not declared under `credentials`.',
    why: 'Credential values come from the local credential store by declared name; an undeclared name cannot be resolved, so the receiver cannot authenticate.',
    example: 'credentials:\n  erp-user: { type: basic }\nreceivers:\n  erp:\n    adapter: http\n    auth: { type: basic, credential: erp-usr }',
    fix: 'Declare the credential under `credentials` (the quick fix adds `NAME: { type: ... }`) or use a declared name.',
  },
  check(ctx) {
    const out: Finding[] = [];
    const declared = (ctx.flow.credentials ?? []).map((c) => c.name);
    for (const { receiver } of ctx.receivers) {
      const c = receiver.auth?.credential;
      if (!c || typeof c.value !== 'string' || c.value === '' || declared.includes(c.value)) continue;
      const authType = receiver.auth?.type?.value;
      const suggestion = closest(c.value, declared);
      out.push({
        range: c.range,
        message: `receiver "${receiver.name}": credential "${c.value}" is not declared under credentials, so its value cannot be looked up and the receiver cannot authenticate${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; declared: ${declared.length > 0 ? quoteList(declared) : '(none)'}`,
        data: { name: c.value, type: typeof authType === 'string' && CREDENTIAL_TYPES.includes(authType) ? authType : 'basic', ...(suggestion ? { suggestion } : {}) },
      });
    }
    return out;
  },
  fixes(doc, d) {
    const fixes: QuickFix[] = [];
    const name = d.data?.name;
    const type = typeof d.data?.type === 'string' ? d.data.type : 'basic';
    if (typeof name === 'string') {
      const e = insertEntries(doc, ['credentials'], [[name, new Inline({ type })]], {}, { after: ['flow', 'formatVersion', 'description', 'runtime', 'sender'] });
      if (e) fixes.push({ title: `Declare credential "${name}" (type ${type})`, edits: [e], isPreferred: true });
    }
    const s = d.data?.suggestion;
    if (typeof s === 'string') fixes.push({ title: `Change to "${s}"`, edits: [{ range: d.range, newText: replacementText(doc, d.range, s) }] });
    return fixes;
  },
};
