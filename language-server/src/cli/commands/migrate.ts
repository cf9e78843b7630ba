/**
 * `sessionflow migrate FILE... [--check]`: migrates legacy (format 1) flow files to format 2 in
 * place with the `flow/legacy-format` quick fix — minimal text insertions, comments and
 * formatting kept — and prints what changed. `--check` only reports (exit 1 if a file needs it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { parseFlow, type FlowDocument } from '@sessionflow/sdk';
import { applyEdits, migrationEdits, type TextEdit } from '../../analysis/index.js';
import { CliError, parseArgs } from '../args.js';
import { type CliCommand, type CliIO, println } from '../io.js';

const usage = `Usage: sessionflow migrate FILE... [--check]

Migrates legacy flow files (formatVersion 1 or none) to format 2: adds "formatVersion: 2" and
"runtime.sessionHandling: none" (merged into an existing runtime section), which keeps the
flow's behaviour; comments and formatting are kept. Files already in format 2 are left alone.

Options:
  --check  Only report which files need migrating; change nothing

Exit code: 0 when done (or nothing to do); 1 with --check when a file needs migrating, or when
a file cannot be migrated (YAML syntax errors); 2 for a missing file.`;

/** One line per edit: what was inserted or replaced, at which line. */
function describe(doc: FlowDocument, edits: TextEdit[]): string[] {
  const out: string[] = [];
  for (const e of [...edits].sort((a, b) => a.range.start - b.range.start)) {
    const line = doc.positionAt(e.range.start).line + 1;
    const inserted = e.newText.replace(/\r/g, '').replace(/^\n+|\n+$/g, '');
    if (e.range.end > e.range.start) {
      out.push(`  line ${line}: ${JSON.stringify(doc.text.slice(e.range.start, e.range.end))} -> ${JSON.stringify(inserted)}`);
    } else {
      for (const l of inserted.split('\n')) out.push(`  line ${line}: + ${l}`);
    }
  }
  return out;
}

async function run(args: string[], io: CliIO): Promise<number> {
  const { options, positionals } = parseArgs(args, { check: { type: 'boolean' } }, { minPositionals: 1, maxPositionals: Infinity });
  let exit = 0;
  for (const p of positionals) {
    const file = resolve(io.cwd, p);
    const shown = (relative(io.cwd, file) || file).split(sep).join('/');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException)?.code;
      throw new CliError(code === 'ENOENT' || code === 'EISDIR' ? `file not found: ${p}` : `cannot read ${p}: ${code ?? String(err)}`, 2);
    }
    const doc = parseFlow(text, { schema: false });
    const syntax = doc.problems.find((x) => x.code === 'flow/yaml-syntax' && x.data?.severity !== 'warning');
    if (syntax) {
      const pos = doc.positionAt(syntax.range.start);
      println(io.stderr, `sessionflow migrate: cannot migrate ${shown}: ${shown}:${pos.line + 1}:${pos.character + 1} ${syntax.message}`);
      exit = 1;
      continue;
    }
    if (!doc.isLegacy) {
      println(io.stdout, `${shown}: already format 2, nothing to do`);
      continue;
    }
    const edits = migrationEdits(doc, 'none');
    const result = applyEdits(text, edits);
    const check = parseFlow(result, { schema: false });
    if (edits.length === 0 || check.isLegacy || check.problems.some((x) => x.code === 'flow/yaml-syntax' && x.data?.severity !== 'warning')) {
      println(io.stderr, `sessionflow migrate: cannot migrate ${shown} automatically (unusual layout): add "formatVersion: 2" and "runtime: { sessionHandling: none }" by hand`);
      exit = 1;
      continue;
    }
    if (options.check) {
      println(io.stdout, `${shown}: legacy flow (format 1), would change:`);
      for (const l of describe(doc, edits)) println(io.stdout, l);
      exit = 1;
      continue;
    }
    try {
      writeFileSync(file, result);
    } catch (err) {
      throw new CliError(`cannot write ${p}: ${(err as NodeJS.ErrnoException)?.code ?? String(err)}`, 1);
    }
    println(io.stdout, `${shown}: migrated to format 2 (sessionHandling none keeps its behaviour):`);
    for (const l of describe(doc, edits)) println(io.stdout, l);
  }
  return exit;
}

const command: CliCommand = { name: 'migrate', summary: 'Migrate legacy flow files to format 2 in place (comments kept)', usage, run };
export default command;
