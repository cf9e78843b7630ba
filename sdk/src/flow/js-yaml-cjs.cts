/**
 * js-yaml's CommonJS build, for the fast path (fast-tree.ts), on purpose.
 *
 * Its ESM build creates the parser's state object with an object spread
 * (`{ ...DEFAULT_PARSER_OPTIONS, ...options, input, ... }`). Observed under V8 (node 20) with
 * --trace-deopt: from about the ninth parse on (by call count, not at a GC), the state object
 * comes out with a new shape on several successive parses; every parser function, optimized for
 * the earlier shape, is deoptimized ("wrong map"), and from then on every parse takes about
 * three times as long (5,000 steps: 22-35 ms -> 70-130 ms) for as long as the process lives,
 * i.e. a language server's whole session. A copy of the ESM build without the spread keeps one
 * shape, and so does the CommonJS build, which makes the same object through Babel's
 * `_objectSpread2` helper. Same version, same code otherwise.
 *
 * `require` here resolves js-yaml's `require` export (node, tsx and esbuild alike).
 * sdk/test/js-yaml-stable.test.ts fails if the parser is deoptimized in a run of parses.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS build is the point
import jsYaml = require('js-yaml');

export = jsYaml;
