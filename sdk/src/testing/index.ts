// Public API of @sessionflow/sdk/testing: test backends for demos, tests and adapter authors.
export {
  startTestBackend,
  type TestBackend,
  type TestBackendOptions,
  type BackendStats,
  type RecordedRequest,
} from './backend.js';
