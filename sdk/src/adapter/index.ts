// Public adapter API: the contract types, defineAdapter() and the registry.
export * from './types.js';
export * from './define.js';
export * from './registry.js';
