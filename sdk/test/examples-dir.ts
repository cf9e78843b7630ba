import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The shared example flows (`shared/examples` next to the repository checkout), with a trailing slash. */
export const EXAMPLES_DIR = ((): string => {
  const beside = fileURLToPath(new URL('../../../shared/examples/', import.meta.url));
  return existsSync(beside) ? beside : '/work/shared/examples/';
})();
