// Public API of @sessionflow/sdk. Keep this list deliberate: adapters and tools import only from here.
export * from './flow/model.js';
export * from './flow/expression.js';
export * from './adapter/types.js';
export * from './http/index.js';
