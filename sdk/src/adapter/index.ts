// Public adapter API: the contract types, defineAdapter(), the registry and the helpers adapters share.
export * from './types.js';
export * from './define.js';
export * from './registry.js';
export * from './helpers.js';
