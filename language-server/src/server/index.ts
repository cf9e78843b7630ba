/**
 * The LSP layer of Sessionflow. `startServer(connection)` wires every feature to a
 * connection from `vscode-languageserver/node.js`; `main.ts` is the process entry.
 */
export { createServer, startServer, isFlowUri, describeError, MIGRATE_ACTION_KIND, type ServerOptions, type SessionflowServer } from './server.js';
export { Workspace, sanitizeSettings, type ClientSettings, type FolderContext } from './workspace.js';
export { cursorContext, type CursorContext } from './yaml-context.js';
