import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileExamples, compileExamplesWithCli, type ExampleProject } from './example-project';
import { outputPattern, readmeExamples, type ReadmeExample } from './readme-examples';

/**
 * README.md's examples (and docs/nest.md's, which import the README's app), taken from the pages themselves (see readme-examples.ts for the markers):
 * compiled against the built package by its name, with the README's own tsconfig; the quick start
 * run with node, its output compared with the README's; the Testing example (which boots the Nest
 * example's AppModule and runs a job through it) run by this Jest, as a spec of its own. TypeScript 7
 * (devDependency `typescript7`) compiles the app examples again, and its quick start runs the same.
 */
const REPO_ROOT = join(__dirname, '..', '..');
/** The pages whose examples the suite compiles: the README, and docs pages that continue its examples. */
const PAGES = ['README.md', 'docs/nest.md'];
const read = PAGES.map((page) => readmeExamples(readFileSync(join(REPO_ROOT, page), 'utf8'), page));
const examples = read.flatMap((page) => page.examples);
const problems = read.flatMap((page, index) => page.problems.map((problem) => `${PAGES[index]} ${problem}`));
const only = (kind: ReadmeExample['kind']): ReadmeExample[] => examples.filter((example) => example.kind === kind);
const tsconfigBlock = only('tsconfig')[0];
const built = existsSync(join(REPO_ROOT, 'dist/lib/testing/index.d.ts'));

// Compiled while Jest collects the tests, so the Testing example's own describe() can join them below.
const project: ExampleProject | null = tsconfigBlock && built ? compileExamples(examples, JSON.parse(tsconfigBlock.code) as object) : null;
afterAll(() => project?.remove());

/** The version of the TypeScript installed at a folder, or "missing". */
function typeScriptVersion(folder: string): string {
  const manifest = join(folder, 'package.json');
  return existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version : 'missing';
}

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

  it('the app examples also compile with TypeScript 7: the quick start runs the same, the Nest example records what Nest injects', async () => {
    const typescript7 = join(REPO_ROOT, 'node_modules', 'typescript7');
    expect(
      typeScriptVersion(typescript7).startsWith('7.') ? 'TypeScript 7' : 'node_modules/typescript7 is not TypeScript 7: run npm ci',
    ).toBe('TypeScript 7');
    // The spec example is left to Jest: ts-jest compiles through TypeScript's JavaScript API, which TypeScript 7 does not ship.
    const compiled = examples.filter((example) => example.kind !== 'test');
    const ts7 = await compileExamplesWithCli(join(typescript7, 'bin', 'tsc'), compiled, JSON.parse(tsconfigBlock.code) as object);
    try {
      expect(ts7.errors).toEqual([]);
      for (const file of only('run').map((example) => example.file as string)) {
        const { code, stdout, stderr } = await runWithNode(ts7.dir, file.replace(/\.ts$/, '.js'));
        expect({ file, code, stderr }).toEqual({ file, code: 0, stderr: '' });
        expect(stdout).toMatch(outputPattern(examples.find((example) => example.kind === 'output' && example.file === file)!.code));
      }
      // Loaded, not booted: this app links the repository, whose own @nestjs copies would load beside the app's.
      // Nest injects by the constructor types emitDecoratorMetadata records; without them DetectorService would be undefined.
      writeFileSync(
        join(ts7.dir, 'injected-types.js'),
        "require('reflect-metadata');\n" +
          "const { ObjectDetectionConsumer } = require('./app.module.js');\n" +
          "console.log((Reflect.getMetadata('design:paramtypes', ObjectDetectionConsumer) ?? []).map((type) => type.name).join(','));\n",
      );
      expect(await runWithNode(ts7.dir, 'injected-types.js')).toEqual({ code: 0, stdout: 'DetectorService\n', stderr: '' });
    } finally {
      ts7.remove();
    }
  }, 60_000);

  // The README's spec files, each as a describe of this one: Jest runs them with their beforeEach and fake timers.
  for (const example of only('test')) {
    describe(`${example.file} (${example.source} line ${example.line})`, () => {
      if (!project || project.errors.length > 0) {
        it('compiles first', () => expect(project?.errors ?? ['not compiled: see above']).toEqual([]));
        return;
      }
      require(join(project.dir, (example.file as string).replace(/\.ts$/, '.js')));
    });
  }
});
