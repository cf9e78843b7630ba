// Public API of @sessionflow/sdk. Keep this list deliberate: adapters and tools import only from here.
export * from './flow/index.js';
export * from './adapter/index.js';
export * from './http/index.js';
export * from './runtime/index.js';
