import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileExamples, type ExampleProject } from './example-project';
import { outputPattern, readmeExamples, type ReadmeExample } from './readme-examples';

/**
 * README.md's examples, taken from the README itself (see readme-examples.ts for the markers):
 * compiled against the built package by its name, with the README's own tsconfig; the quick start
 * run with node, its output compared with the README's; the Testing example (which boots the Nest
 * example's AppModule and runs a job through it) run by this Jest, as a spec of its own.
 */
const REPO_ROOT = join(__dirname, '..', '..');
const { examples, problems } = readmeExamples(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));
const only = (kind: ReadmeExample['kind']): ReadmeExample[] => examples.filter((example) => example.kind === kind);
const tsconfigBlock = only('tsconfig')[0];
const built = existsSync(join(REPO_ROOT, 'dist/lib/testing/index.d.ts'));

// Compiled while Jest collects the tests, so the Testing example's own describe() can join them below.
const project: ExampleProject | null = tsconfigBlock && built ? compileExamples(examples, JSON.parse(tsconfigBlock.code) as object) : null;
afterAll(() => project?.remove());

/** Runs a compiled example with node; resolves with its exit code and output. */
function runWithNode(dir: string, file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], {
      cwd: dir,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('README examples', () => {
  it('mark every TypeScript block with what the suite does with it, and give one tsconfig', () => {
    expect(problems).toEqual([]);
    expect(only('tsconfig')).toHaveLength(1);
    expect(only('run').map((example) => example.file)).toEqual(['quick-start.ts']);
    expect(only('test').length).toBeGreaterThan(0);
  });

  it('compile against the built package, by name, with the README tsconfig', () => {
    expect(built ? 'built' : 'dist/ is missing or old: run `npm run build` first').toBe('built');
    expect(project?.errors).toEqual([]);
  });

  it.each(only('run').map((example) => [example.file as string]))(
    '%s runs with node and prints what the README shows',
    async (file) => {
      expect(project?.errors).toEqual([]);
      const { code, stdout, stderr } = await runWithNode(project!.dir, file.replace(/\.ts$/, '.js'));
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      const shown = examples.find((example) => example.kind === 'output' && example.file === file);
      expect(shown).toBeDefined();
      expect(stdout).toMatch(outputPattern(shown!.code));
    },
    60_000,
  );

  it.each(only('run').map((example) => [example.file as string]))(
    '%s also runs unchanged as an ES module ("type": "module", "module": "nodenext")',
    async (file) => {
      const tsconfig = JSON.parse(tsconfigBlock.code) as { compilerOptions: object };
      const esm = compileExamples(
        only('run'),
        { ...tsconfig, compilerOptions: { ...tsconfig.compilerOptions, module: 'nodenext' } },
        { type: 'module' },
      );
      try {
        expect(esm.errors).toEqual([]);
        const { code, stdout, stderr } = await runWithNode(esm.dir, file.replace(/\.ts$/, '.js'));
        expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
        expect(stdout).toMatch(outputPattern(examples.find((example) => example.kind === 'output' && example.file === file)!.code));
      } finally {
        esm.remove();
      }
    },
    60_000,
  );

  // The README's spec files, each as a describe of this one: Jest runs them with their beforeEach and fake timers.
  for (const example of only('test')) {
    describe(`${example.file} (README.md line ${example.line})`, () => {
      if (!project || project.errors.length > 0) {
        it('compiles first', () => expect(project?.errors ?? ['not compiled: see above']).toEqual([]));
        return;
      }
      require(join(project.dir, (example.file as string).replace(/\.ts$/, '.js')));
    });
  }
});
