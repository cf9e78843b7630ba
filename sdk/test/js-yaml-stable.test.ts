/**
 * The YAML parser under the fast path must stay optimized over a run of parses: js-yaml's ESM
 * build deoptimizes its whole parser once V8 optimizes `parseEvents` (its state object changes
 * shape), after which every parse takes about three times as long for the rest of the process
 * (see src/flow/js-yaml-cjs.cts). A child process parses the same flow 40 times and reports
 * V8's optimization and deoptimization trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./fixtures/js-yaml-stable-child.ts', import.meta.url));
/** js-yaml's parser functions that read the state object on every token. */
const PARSER = /<(?:JSFunction|SharedFunctionInfo) (parseNode|skipSeparationSpace|readBlockMapping|readBlockSequence|readPlainScalar|snapshotState|readTagProperty|readAnchorProperty)[ >]/;

test("js-yaml's parser is not deoptimized by a run of parses", () => {
  const r = spawnSync(process.execPath, ['--conditions=sessionflow-source', '--import', 'tsx', '--trace-opt', '--trace-deopt', child], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  const [warm, rest] = r.stdout.split('=== warm');
  assert.ok(warm !== undefined && rest !== undefined, 'the child finished its warm-up');
  // the parser was optimized during the warm-up (else this test proves nothing)
  const optimized = new Set(warm.split('\n').filter((l) => l.includes('completed optimizing') && PARSER.test(l)).map((l) => PARSER.exec(l)?.[1]));
  assert.ok(optimized.size >= 3, `parser functions optimized in the warm-up: ${[...optimized].join(', ')}`);
  const deopts = rest.split('\n').filter((l) => l.startsWith('[bailout') && PARSER.test(l));
  assert.deepEqual(deopts, [], 'parser functions deoptimized after the warm-up');
});
