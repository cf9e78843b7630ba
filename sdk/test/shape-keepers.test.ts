/**
 * A full garbage collection between two parses must not deoptimize the parser: V8 discards an
 * object shape no live object has, and with it the optimized code that checks for it, unless
 * `keepShapes` (parse.ts) keeps one object of each kind alive. A child process warms the parser
 * up, collects with nothing of a parse alive, parses again, and reports V8's optimization and
 * deoptimization trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./fixtures/shape-keepers-child.ts', import.meta.url));
/** Functions of the parse path: the compact tree's build, its reader and the model builder. */
const PARSE_PATH = /<(?:JSFunction|SharedFunctionInfo) (build|scalar|collection|entries|steps|step|template|isMap|isScalar|pairKey|range)[ >]/;

test('a full garbage collection between parses leaves the parser optimized', () => {
  const r = spawnSync(process.execPath, ['--conditions=sessionflow-source', '--import', 'tsx', '--expose-gc', '--trace-opt', '--trace-deopt', child], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  const [before, after] = r.stdout.split('=== collected');
  assert.ok(before !== undefined && after !== undefined, 'the child reached the collection');
  // the trace shows the parse path optimized during the warm-up (else this test proves nothing)
  const optimized = before.split('\n').filter((l) => l.includes('completed optimizing') && PARSE_PATH.test(l));
  assert.ok(optimized.length >= 3, `parse-path functions optimized in the warm-up: ${optimized.length}`);
  const dropped = after.split('\n').filter((l) => l.includes('marking dependent code') && PARSE_PATH.test(l));
  assert.deepEqual(dropped, [], 'optimized parse code discarded by the collection');
});
