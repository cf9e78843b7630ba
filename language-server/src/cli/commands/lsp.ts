/**
 * `sessionflow lsp [--stdio | --node-ipc]`: runs the language server in this process.
 * Without a transport flag it speaks LSP over stdin/stdout.
 */
import {
  IPCMessageReader,
  IPCMessageWriter,
  ProposedFeatures,
  StreamMessageReader,
  StreamMessageWriter,
  createConnection,
} from 'vscode-languageserver/node.js';
import { describeError, startServer } from '../../server/server.js';
import type { CliCommand, CliIO, CliWriter } from '../io.js';

const USAGE = `usage: sessionflow lsp [--stdio | --node-ipc]

Runs the Sessionflow language server (diagnostics, quick fixes, completion, hover,
outline, go to definition, references and rename for *.flow.yaml files).

  --stdio      speak LSP over stdin/stdout (default; for Neovim, Helix, Emacs, ...)
  --node-ipc   speak LSP over the Node IPC channel (when forked by the VS Code extension)
`;

/** Sends console output to stderr: stdout carries the protocol. */
function keepStdoutClean(stderr: CliWriter): void {
  const write = (...args: unknown[]) => {
    stderr.write(args.map((a) => (typeof a === 'string' ? a : String(a))).join(' ') + '\n');
  };
  console.log = write;
  console.info = write;
  console.warn = write;
  console.debug = write;
  console.error = write;
}

export const lspCommand: CliCommand = {
  name: 'lsp',
  summary: 'run the language server (LSP over stdio or Node IPC)',
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout.write(USAGE);
      return 0;
    }
    const unknown = args.filter((a) => a !== '--stdio' && a !== '--node-ipc' && !a.startsWith('--clientProcessId'));
    if (unknown.length > 0) {
      io.stderr.write(`sessionflow lsp: unknown option ${unknown[0]}\n${USAGE}`);
      return 2;
    }
    const ipc = args.includes('--node-ipc');
    if (ipc && typeof process.send !== 'function') {
      io.stderr.write('sessionflow lsp: --node-ipc needs an IPC channel (start the server with child_process.fork)\n');
      return 2;
    }
    const connection = ipc
      ? createConnection(ProposedFeatures.all, new IPCMessageReader(process), new IPCMessageWriter(process))
      : createConnection(ProposedFeatures.all, new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
    if (!ipc) keepStdoutClean(io.stderr);
    const report = (what: string) => (err: unknown) => {
      try {
        connection.console.error(`sessionflow: ${what}: ${describeError(err)}`);
      } catch {
        io.stderr.write(`sessionflow: ${what}: ${describeError(err)}\n`);
      }
    };
    process.on('uncaughtException', report('uncaught exception'));
    process.on('unhandledRejection', report('unhandled rejection'));
    return new Promise<number>((resolve) => {
      connection.onExit(() => resolve(0));
      if (!ipc) {
        process.stdin.on('end', () => resolve(1));
      }
      startServer(connection);
    });
  },
};

export default lspCommand;
