import { setModeFix } from '../edits.js';
import { authType } from '../helpers.js';
import type { Finding, Rule } from '../types.js';

export const rule: Rule = {
  name: 'session/oauth2-flow-scope',
  defaultSeverity: 'error',
  docs: {
    summary: 'OAuth2 grants with sessions shared across exchanges.',
    why: 'Session reuse across exchanges is not supported with OAuth2 client credentials or SAML bearer grants: tokens are issued per exchange and a flow-wide session would outlive or mix them.',
    example: 'runtime:\n  sessionHandling: onIntegrationFlow\nreceivers:\n  s4:\n    adapter: odata\n    auth: { type: oauth2-client-credentials, credential: s4, tokenUrl: https://s4.example.com/oauth/token }',
    fix: 'Set the mode to `onExchange` (quick fix).',
  },
  check(ctx) {
    if (ctx.mode !== 'onIntegrationFlow') return [];
    const out: Finding[] = [];
    for (const { receiver, sessionCapable } of ctx.receivers) {
      const t = authType(receiver);
      if (!sessionCapable || !receiver.auth?.type || (t !== 'oauth2-client-credentials' && t !== 'oauth2-saml-bearer')) continue;
      out.push({
        range: receiver.auth.type.range,
        message: `receiver "${receiver.name}" uses ${t}, which does not support sessions shared across exchanges (sessionHandling onIntegrationFlow); use onExchange`,
        data: { receiver: receiver.name },
      });
    }
    return out;
  },
  fixes(_doc, _d, ctx) {
    return setModeFix(ctx, 'onExchange');
  },
};
