/** Every rule, in documentation order (flow structure, session handling, security). */
import type { Rule } from './types.js';
import { rule as flowSchema } from './rules/flow-schema.js';
import { rule as flowYamlSyntax } from './rules/flow-yaml-syntax.js';
import { rule as flowLegacyFormat } from './rules/flow-legacy-format.js';
import { rule as flowUnknownAdapter } from './rules/flow-unknown-adapter.js';
import { rule as flowUnsupportedVariant } from './rules/flow-unsupported-variant.js';
import { rule as flowAdapterConfig } from './rules/flow-adapter-config.js';
import { rule as flowUnsupportedAuth } from './rules/flow-unsupported-auth.js';
import { rule as flowStepKindMismatch } from './rules/flow-step-kind-mismatch.js';
import { rule as flowUnknownReceiver } from './rules/flow-unknown-receiver.js';
import { rule as flowUnknownProcess } from './rules/flow-unknown-process.js';
import { rule as flowUnknownCredential } from './rules/flow-unknown-credential.js';
import { rule as flowDuplicateStepId } from './rules/flow-duplicate-step-id.js';
import { rule as flowUnusedReceiver } from './rules/flow-unused-receiver.js';
import { rule as sessionNoCapableAdapter } from './rules/session-no-capable-adapter.js';
import { rule as sessionAdapterWithoutSessions } from './rules/session-adapter-without-sessions.js';
import { rule as sessionRequiredByAdapter } from './rules/session-required-by-adapter.js';
import { rule as sessionDynamicUserFlowScope } from './rules/session-dynamic-user-flow-scope.js';
import { rule as sessionDynamicUserInExchange } from './rules/session-dynamic-user-in-exchange.js';
import { rule as sessionOauth2FlowScope } from './rules/session-oauth2-flow-scope.js';
import { rule as sessionPrincipalPropagationFlowScope } from './rules/session-principal-propagation-flow-scope.js';
import { rule as sessionSharedBackendDifferentUsers } from './rules/session-shared-backend-different-users.js';
import { rule as sessionStatefulFlowScope } from './rules/session-stateful-flow-scope.js';
import { rule as sessionStatefulWithoutSession } from './rules/session-stateful-without-session.js';
import { rule as sessionCsrfWithoutSession } from './rules/session-csrf-without-session.js';
import { rule as sessionCsrfFlowScope } from './rules/session-csrf-flow-scope.js';
import { rule as sessionUnprimedParallel } from './rules/session-unprimed-parallel.js';
import { rule as sessionParallelCallsUnsupported } from './rules/session-parallel-calls-unsupported.js';
import { rule as sessionExchangeScopeNoReuse } from './rules/session-exchange-scope-no-reuse.js';
import { rule as sessionLogoffFlowScope } from './rules/session-logoff-flow-scope.js';
import { rule as sessionVirtualHostWithoutDot } from './rules/session-virtual-host-without-dot.js';
import { rule as sessionCookieDomainMapping } from './rules/session-cookie-domain-mapping.js';
import { rule as sessionManualCookieHeader } from './rules/session-manual-cookie-header.js';
import { rule as securityInlineSecret } from './rules/security-inline-secret.js';
import { rule as securityCleartextBasicAuth } from './rules/security-cleartext-basic-auth.js';
import { rule as securityPrincipalPropagationAuthHeader } from './rules/security-principal-propagation-auth-header.js';

export const rules: readonly Rule[] = Object.freeze([
  flowSchema,
  flowYamlSyntax,
  flowLegacyFormat,
  flowUnknownAdapter,
  flowUnsupportedVariant,
  flowAdapterConfig,
  flowUnsupportedAuth,
  flowStepKindMismatch,
  flowUnknownReceiver,
  flowUnknownProcess,
  flowUnknownCredential,
  flowDuplicateStepId,
  flowUnusedReceiver,
  sessionNoCapableAdapter,
  sessionAdapterWithoutSessions,
  sessionRequiredByAdapter,
  sessionDynamicUserFlowScope,
  sessionDynamicUserInExchange,
  sessionOauth2FlowScope,
  sessionPrincipalPropagationFlowScope,
  sessionSharedBackendDifferentUsers,
  sessionStatefulFlowScope,
  sessionStatefulWithoutSession,
  sessionCsrfWithoutSession,
  sessionCsrfFlowScope,
  sessionUnprimedParallel,
  sessionParallelCallsUnsupported,
  sessionExchangeScopeNoReuse,
  sessionLogoffFlowScope,
  sessionVirtualHostWithoutDot,
  sessionCookieDomainMapping,
  sessionManualCookieHeader,
  securityInlineSecret,
  securityCleartextBasicAuth,
  securityPrincipalPropagationAuthHeader,
]);

const byName = new Map(rules.map((r) => [r.name, r]));

export function ruleByName(name: string): Rule | undefined {
  return byName.get(name);
}
