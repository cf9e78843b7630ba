/**
 * js-yaml's CommonJS build, for the fast path (fast-tree.ts), on purpose.
 *
 * Its ESM build creates the parser's state object with an object spread
 * (`{ ...DEFAULT_PARSER_OPTIONS, ...options, input, ... }`). Once V8 optimizes `parseEvents`
 * itself (around its tenth call), the optimized spread gives the state object a different
 * shape than the interpreter did; every parser function, optimized for the first shape, is
 * deoptimized ("wrong map"), the state's property accesses see several shapes and go
 * megamorphic, and from then on every parse takes about three times as long (measured: 5,000
 * steps 22-35 ms -> 70-130 ms, for as long as the process lives, i.e. a language server's whole
 * session). The CommonJS build makes the same object through Babel's `_objectSpread2` helper
 * (property definitions), whose shape does not change. Same version, same code otherwise.
 *
 * `require` here resolves js-yaml's `require` export (node, tsx and esbuild alike).
 * sdk/test/js-yaml-stable.test.ts fails if the parser is deoptimized in a run of parses.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS build is the point
import jsYaml = require('js-yaml');

export = jsYaml;
