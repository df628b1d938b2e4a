import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';
import type { ReadmeExample } from './readme-examples';

const REPO_ROOT = join(__dirname, '..', '..');
const COMPILED_KINDS: ReadmeExample['kind'][] = ['run', 'test', 'compile-only'];

/** A scratch app holding the README's examples, compiled; where each came from, for error messages. */
export interface ExampleProject {
  dir: string;
  /** tsc's errors, each pointing at its README line. Empty when everything compiled. */
  errors: string[];
  remove(): void;
}

/**
 * Writes the examples into a new folder outside the repository, as an app that installed the package
 * would hold them: node_modules has @mindtrace/jobs (a link to this repository, so imports by name
 * go through package.json's `exports` and `types` to the built dist/) beside links to this
 * repository's own dependencies. Then compiles them with the README's tsconfig (tsc's JS lands next
 * to each file).
 */
export function compileExamples(examples: ReadmeExample[], tsconfig: object, packageJson: object = {}): ExampleProject {
  const dir = mkdtempSync(join(tmpdir(), 'readme-examples-'));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  linkDependencies(dir);
  // The app's own package.json: its "type" decides whether Node loads the compiled files as CommonJS or ES modules.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-examples', private: true, ...packageJson }, null, 2));
  const sources = new Map<string, ReadmeExample>();
  for (const example of examples) {
    if (!COMPILED_KINDS.includes(example.kind)) continue;
    const file = join(dir, example.file ?? `readme-line-${example.line}.ts`);
    writeFileSync(file, example.code);
    sources.set(file, example);
  }
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ ...tsconfig, include: ['*.ts'] }, null, 2));
  const parsed = ts.parseJsonConfigFileContent({ ...tsconfig, include: ['*.ts'] }, ts.sys, dir);
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const diagnostics = [...parsed.errors, ...ts.getPreEmitDiagnostics(program)];
  if (diagnostics.length === 0) program.emit();
  const errors = diagnostics.map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const file = diagnostic.file;
    if (!file || diagnostic.start === undefined) return message;
    const { line } = file.getLineAndCharacterOfPosition(diagnostic.start);
    const example = sources.get(file.fileName);
    const where = example ? `README.md line ${example.line + line} (${relative(dir, file.fileName)})` : relative(dir, file.fileName);
    return `${where}: ${message}`;
  });
  return { dir, errors, remove };
}

function linkDependencies(dir: string): void {
  const modules = join(dir, 'node_modules');
  mkdirSync(join(modules, '@mindtrace'), { recursive: true });
  symlinkSync(REPO_ROOT, join(modules, '@mindtrace', 'jobs'), 'dir');
  for (const entry of readdirSync(join(REPO_ROOT, 'node_modules'))) {
    if (entry.startsWith('.') || existsSync(join(modules, entry))) continue;
    symlinkSync(join(REPO_ROOT, 'node_modules', entry), join(modules, entry), 'dir');
  }
}
