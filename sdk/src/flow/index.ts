// Barrel of the flow module: model types, expressions, parser, schema.
export * from './model.js';
export * from './expression.js';
export * from './parse.js';
export * from './schema.js';
export { formatPath } from './paths.js';
export * from './incremental.js';
export { compactTree, fastTree } from './fast-tree.js';
export type { CompactTree, FastTree } from './fast-tree.js';
