import { spawn } from 'node:child_process';
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
 * to each file), through this repository's TypeScript.
 */
export function compileExamples(examples: ReadmeExample[], tsconfig: object, packageJson: object = {}): ExampleProject {
  const { dir, sources, remove } = writeExamples(examples, tsconfig, packageJson);
  const parsed = ts.parseJsonConfigFileContent({ ...tsconfig, include: ['*.ts'] }, ts.sys, dir);
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const diagnostics = [...parsed.errors, ...ts.getPreEmitDiagnostics(program)];
  if (diagnostics.length === 0) program.emit();
  const errors = diagnostics.map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const file = diagnostic.file;
    if (!file || diagnostic.start === undefined) return message;
    const { line } = file.getLineAndCharacterOfPosition(diagnostic.start);
    return `${whereInReadme(dir, sources, file.fileName, line)}: ${message}`;
  });
  return { dir, errors, remove };
}

/**
 * The same scratch app, compiled by another TypeScript's command line (`node <tsc> -p <dir>`): TypeScript 7
 * is a native compiler whose package lacks the JavaScript API compileExamples calls. Its errors point
 * into the README as compileExamples's do.
 */
export async function compileExamplesWithCli(tsc: string, examples: ReadmeExample[], tsconfig: object): Promise<ExampleProject> {
  const { dir, sources, remove } = writeExamples(examples, tsconfig, {});
  const { code, output } = await runTsc(tsc, dir);
  // --pretty false prints one diagnostic per line: `file.ts(line,column): error TSnnnn: message`.
  const errors = output
    .split('\n')
    .filter((text) => text.trim() !== '')
    .map((text) => {
      const located = text.match(/^(.+?)\((\d+),\d+\): (.*)$/);
      return located ? `${whereInReadme(dir, sources, join(dir, located[1]), Number(located[2]) - 1)}: ${located[3]}` : text;
    });
  if (code !== 0 && errors.length === 0) errors.push(`${tsc} exited with code ${code} and printed nothing`);
  return { dir, errors, remove };
}

function writeExamples(
  examples: ReadmeExample[],
  tsconfig: object,
  packageJson: object,
): { dir: string; sources: Map<string, ReadmeExample>; remove(): void } {
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
  return { dir, sources, remove };
}

/** `README.md line N (file.ts)` (or the docs page's) for a 0-based line of a written example, else the file's own name. */
function whereInReadme(dir: string, sources: Map<string, ReadmeExample>, fileName: string, line: number): string {
  const example = sources.get(fileName);
  return example ? `${example.source} line ${example.line + line} (${relative(dir, fileName)})` : relative(dir, fileName);
}

function runTsc(tsc: string, dir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
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
