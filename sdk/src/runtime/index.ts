// Public API of the runtime (the local runner).
export * from './types.js';
export { FlowRunner, MAX_PROCESS_DEPTH, DEFAULT_LOOP_MAX, DEFAULT_SPLIT_CONCURRENCY } from './runner.js';
export type { ScriptMessage, ScriptContext, ScriptFunction } from './runner.js';
export {
  loadCredentials,
  staticCredentials,
  credentialEnvName,
  credentialEnvVariables,
  CredentialError,
  type Credential,
  type CredentialType,
  type CredentialProvider,
} from './credentials.js';
export { FlowValidationError, MissingCredentialError, StepError, type FlowProblemLocation } from './errors.js';
export { Exchange, Headers as ExchangeHeaders, isJsonContentType, isXmlContentType } from './exchange.js';
export { ClientCredentialsTokenProvider } from './auth.js';
