// Public API of @sessionflow/language-server: the analysis core (pure) and the project
// configuration loader. The LSP server (src/server) and the CLI (src/cli) build on these.
export * from './analysis/index.js';
export { loadProjectConfig, findProjectConfig, parseProjectConfig, type ProjectConfig, ConfigError } from './config.js';
export * from './edits/index.js';
