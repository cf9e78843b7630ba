#!/usr/bin/env node
/**
 * Entry point of the Sessionflow language server process.
 *
 *   node main.js --stdio        (editors: Neovim, Helix, Emacs, ...)
 *   node main.js --node-ipc     (the VS Code extension forks this file)
 *   node main.js --socket=PORT  /  --pipe=NAME
 *
 * `createConnection(ProposedFeatures.all)` picks the transport from these arguments.
 */
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node.js';
import { describeError, startServer } from './server.js';

const transports = ['--stdio', '--node-ipc'];
const args = process.argv.slice(2);
if (!args.some((a) => transports.includes(a) || a.startsWith('--socket') || a.startsWith('--pipe'))) {
  process.stderr.write('sessionflow language server: pass --stdio, --node-ipc, --socket=PORT or --pipe=NAME\n');
  process.exit(2);
}

const connection = createConnection(ProposedFeatures.all);
process.on('uncaughtException', (err) => {
  try {
    connection.console.error(`sessionflow: uncaught exception: ${describeError(err)}`);
  } catch {
    process.stderr.write(`sessionflow: uncaught exception: ${describeError(err)}\n`);
  }
});
process.on('unhandledRejection', (err) => {
  try {
    connection.console.error(`sessionflow: unhandled rejection: ${describeError(err)}`);
  } catch {
    process.stderr.write(`sessionflow: unhandled rejection: ${describeError(err)}\n`);
  }
});
startServer(connection);
