import { setModeFix } from '../edits.js';
import { authType, countPerExchangeTree, dynamicAuthField, modeRange } from '../helpers.js';
import type { QuickFix, Rule } from '../types.js';

export const rule: Rule = {
  name: 'session/exchange-scope-no-reuse',
  defaultSeverity: 'hint',
  docs: {
    summary: 'One session per exchange, but no exchange calls a backend twice.',
    why: 'onExchange keeps a session for the calls of one message. When each message calls each backend at most once, nothing is reused: every exchange still authenticates once, and the cookie jar is overhead.',
    example: 'runtime:\n  sessionHandling: onExchange\nsteps:\n  - call: erp   # the only call',
    fix: 'Set the mode to `none`, or to `onIntegrationFlow` when the backend is stateless and the user fixed (then one login serves many messages).',
  },
  check(ctx) {
    if (ctx.mode !== 'onExchange') return [];
    const groups = new Map<string, string[]>();
    for (const info of ctx.receivers) {
      if (!info.sessionCapable) continue;
      const key = info.origin ?? `receiver:${info.receiver.name}`;
      groups.set(key, [...(groups.get(key) ?? []), info.receiver.name]);
    }
    let called = 0;
    for (const names of groups.values()) {
      const n = countPerExchangeTree(ctx.index, ctx.index.main, (s) => typeof s.receiver === 'string' && names.includes(s.receiver));
      if (n === 0) continue;
      called++;
      // A CSRF token fetch or a logoff uses the session once more.
      const extra = names.some((name) => {
        const r = ctx.receiverByName.get(name)?.receiver;
        return r?.csrf?.value === true || r?.logoff !== undefined;
      });
      if (n >= 2 || extra) return [];
    }
    if (called === 0) return [];
    return [
      {
        range: modeRange(ctx.flow),
        message: 'sessionHandling is onExchange but every exchange calls each session-capable backend at most once, so no session is ever reused; use none, or onIntegrationFlow if the backend is stateless and the user fixed',
      },
    ];
  },
  fixes(_doc, _d, ctx) {
    const fixes: QuickFix[] = [...setModeFix(ctx, 'none')];
    const flowScopeSafe = ctx.receivers
      .filter((r) => r.sessionCapable)
      .every((r) => {
        const t = authType(r.receiver);
        return (
          r.receiver.stateful?.value !== true &&
          r.receiver.csrf?.value !== true &&
          r.receiver.logoff === undefined &&
          !dynamicAuthField(r.receiver) &&
          t !== 'oauth2-client-credentials' &&
          t !== 'oauth2-saml-bearer' &&
          t !== 'principal-propagation'
        );
      });
    if (flowScopeSafe) fixes.push(...setModeFix(ctx, 'onIntegrationFlow', false));
    return fixes;
  },
};
