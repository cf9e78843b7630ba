#!/usr/bin/env node
// The `sessionflow` command. The implementation is compiled TypeScript (npm run build).
let cli;
try {
  cli = await import('../dist/src/cli/main.js');
} catch (err) {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli/main.js')) {
    process.stderr.write('sessionflow: the command line is not built yet; run "npm run build" first\n');
    process.exit(1);
  }
  throw err;
}
process.exitCode = await cli.main(process.argv.slice(2));
