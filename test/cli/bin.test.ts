// The installed command as a user runs it: `npx sessionflow` from the repo root runs the
// built bin (dist/), not the sources. Guards the entry module against import cycles that
// only deadlock when main.js is the process entry.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const built = existsSync(`${root}/language-server/dist/src/cli/main.js`);

function npx(args: string[]) {
  return spawnSync('npx', ['--no-install', 'sessionflow', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
}

describe('npx sessionflow (built bin)', { skip: built ? false : 'run `npm run build` first' }, () => {
  it('--version names the CLI, adapter API and node versions', () => {
    const r = npx(['--version']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^sessionflow \d+\.\d+\.\d+ \(adapter API \d+, node v\d+/);
  });

  it('--help lists every command and exits 0', () => {
    const r = npx(['--help']);
    assert.equal(r.status, 0, r.stderr);
    for (const cmd of ['run', 'validate', 'migrate', 'lsp', 'serve', 'demo', 'adapters', 'new-adapter']) {
      assert.match(r.stdout, new RegExp(`^  ${cmd}\\s`, 'm'), `help lists ${cmd}`);
    }
  });

  it('an unknown command is a one-line usage error with exit 2, no stack trace', () => {
    const r = npx(['frobnicate']);
    assert.equal(r.status, 2);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.match(r.stderr, /frobnicate/);
  });
});
