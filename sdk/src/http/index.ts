// Public API of the session-aware HTTP client (re-exported by the SDK's index).
export * from './types.js';
export { SessionJar, SessionStore, sessionScope, type SessionScope } from './jar.js';
export {
  createSessionClient,
  closeCertificateAgents,
  isModifyingMethod,
  DEFAULT_TIMEOUT_MS,
  HTTP_DIAGNOSTICS_CHANNEL,
  type SessionClientOptions,
} from './client.js';
export { HttpClientError } from './errors.js';
export { shortHash } from './hash.js';
export { displayUrl } from './url.js';
