#!/usr/bin/env node
// Runs every benchmark of the workspace, one after the other (benchmarks must not compete for
// the CPU): test/bench/*.bench.ts and <workspace>/bench/*.bench.ts of each package, from the
// TypeScript sources (tsx loader, `sessionflow-source` export condition), each printing its
// own table. Usage: node test/scripts/run-bench.mjs [substring-filter ...]
// Exit code: 1 when a benchmark failed to run (not when a goal was missed: the tables say so).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Workspace folders from the root package.json (`dir` and `dir/*` patterns). */
function workspaceDirs() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const dirs = [];
  for (const pattern of pkg.workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const parent = join(root, pattern.slice(0, -2));
      if (!existsSync(parent)) continue;
      for (const name of readdirSync(parent)) {
        const dir = join(parent, name);
        if (statSync(dir).isDirectory()) dirs.push(dir);
      }
    } else {
      dirs.push(join(root, pattern));
    }
  }
  return dirs;
}

const files = [];
// The designer's benchmark lives beside its Chromium harness in test/designer.
const benchDirs = [...workspaceDirs().map((dir) => join(dir, 'bench')), join(root, 'test/designer')];
for (const bench of benchDirs) {
  if (!existsSync(bench) || !statSync(bench).isDirectory()) continue;
  for (const name of readdirSync(bench).sort()) {
    if (name.endsWith('.bench.ts')) files.push(relative(root, join(bench, name)));
  }
}
const filters = process.argv.slice(2);
const selected = files.filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (selected.length === 0) {
  console.error(filters.length ? `no benchmark matched ${filters.join(', ')}` : 'no benchmarks found (*/bench/*.bench.ts)');
  process.exit(1);
}

let failed = 0;
for (const file of selected) {
  console.log(`\n=== ${file}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--conditions=sessionflow-source', '--import', 'tsx', file], { cwd: root, stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    failed++;
    console.log(`=== ${file}: FAILED (${r.signal ?? `exit ${r.status}`}) after ${seconds} s`);
  } else {
    console.log(`=== ${file}: done in ${seconds} s`);
  }
}
process.exit(failed > 0 ? 1 : 0);
