import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LocalClient, Orchestrator } from '../../lib';
import { DetectorService } from '../../sample/detection/detector.service';
import { objectDetectionSchema } from '../../sample/detection/object-detection.schema';

const REPO_ROOT = join(__dirname, '..', '..');
/** `nest start` compiles the sample before it runs it: generous, for a loaded 2-core machine. */
const START_GUARD_MS = 150_000;
/** Where `nest build` and `nest start` put the sample's entry point (nest-cli.json, sample/tsconfig.app.json). */
const BUILT_MAIN = 'dist/sample/sample/main.js';

interface AppProcess {
  child: ChildProcess;
  /** Everything printed so far, stdout and stderr. */
  output: () => string;
  /** Resolves with the first match of `pattern` in the output, now or once printed; rejects if the process exits first. */
  printed: (pattern: RegExp) => Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

/** Runs a command in the repository in its own process group, so the whole tree can be stopped. */
function startApp(command: string, args: readonly string[], env: Record<string, string>): AppProcess {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const watchers = new Set<() => void>();
  const onData = (chunk: string): void => {
    output += chunk;
    for (const watch of [...watchers]) watch();
  };
  child.stdout?.setEncoding('utf8').on('data', onData);
  child.stderr?.setEncoding('utf8').on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const printed = (pattern: RegExp): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const watch = (): void => {
        const match = output.match(pattern);
        if (!match) return;
        watchers.delete(watch);
        resolve(match);
      };
      watchers.add(watch);
      watch();
      void exited.then(() => {
        if (watchers.delete(watch)) reject(new Error(`${[command, ...args].join(' ')} exited before printing ${pattern}:\n${output}`));
      });
    });
  return { child, output: () => output, printed, exited };
}

/** `npm start`, the README's one command: the Nest CLI compiles the sample, then runs it. */
function npmStart(env: Record<string, string>): AppProcess {
  return startApp('npm', ['start'], env);
}

/** The sample compiled by `nest build`, run as `nest start` runs it once compiled. */
function builtStart(env: Record<string, string>): AppProcess {
  return startApp(process.execPath, ['--enable-source-maps', BUILT_MAIN], env);
}

function stopGroup(start: AppProcess): void {
  if (start.child.pid !== undefined && start.child.exitCode === null) {
    try {
      process.kill(-start.child.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
}

describe('npm start', () => {
  it('is the Nest CLI (nest start), as nest-cli.json configures it', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const cli = JSON.parse(readFileSync(join(REPO_ROOT, 'nest-cli.json'), 'utf8')) as { sourceRoot: string; entryFile: string };
    expect(pkg.scripts.start).toBe('nest start');
    expect(pkg.scripts['start:dev']).toBe('nest start --watch');
    expect(cli).toMatchObject({ sourceRoot: 'sample', entryFile: 'main' });
  });

  it(
    'builds and serves the sample on the Local backend: a detection posted over HTTP is run by its consumer',
    async () => {
      const start = npmStart({ PORT: '0' });
      try {
        const [, port] = await start.printed(/\[Sample\] listening on http:\/\/localhost:(\d+) with the LocalClient backend/);
        const response = await fetch(`http://127.0.0.1:${port}/detections`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ image_path: '/img/cat.jpg' }),
        });
        expect(response.status).toBe(202);
        const { id } = (await response.json()) as { id: string };
        const [, result] = await start.printed(new RegExp(`job ${id} completed: (.*)`));
        expect(JSON.parse(result)).toEqual({ objects: new DetectorService().detect('/img/cat.jpg') });
      } finally {
        stopGroup(start);
        await start.exited;
      }
    },
    START_GUARD_MS,
  );
});

/**
 * What the sample does once started, for which its compile does not matter: one `nest build` (the compile
 * `npm start` repeats at every start, tested above), then the process `nest start` runs after it.
 */
describe('the sample as npm start runs it', () => {
  beforeAll(
    () => promisify(execFile)(process.execPath, [join(REPO_ROOT, 'node_modules/@nestjs/cli/bin/nest.js'), 'build'], { cwd: REPO_ROOT }),
    START_GUARD_MS,
  );

  it(
    'keeps its jobs in its file (JOBS_FILE) across a restart: a finished job and its result, and a job published while it was down',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'jobs-sample-'));
      const file = join(dir, 'queue.db');
      const portOf = async (start: AppProcess): Promise<string> => (await start.printed(/listening on http:\/\/localhost:(\d+)/))[1];
      const first = builtStart({ PORT: '0', JOBS_FILE: file });
      let finished: string;
      try {
        const response = await fetch(`http://127.0.0.1:${await portOf(first)}/detections`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ image_path: '/img/before.jpg' }),
        });
        finished = ((await response.json()) as { id: string }).id;
        await first.printed(new RegExp(`job ${finished} completed`));
      } finally {
        stopGroup(first);
        await first.exited;
      }

      // Another process (this one) publishes to the file while the app is down; the restarted app runs it.
      const orchestrator = new Orchestrator(new LocalClient({ path: file }));
      await orchestrator.register(objectDetectionSchema);
      const whileDown = await orchestrator.publish('object_detection', { image_path: '/img/while-down.jpg' });
      const second = builtStart({ PORT: '0', JOBS_FILE: file });
      try {
        const port = await portOf(second);
        const before = (await (await fetch(`http://127.0.0.1:${port}/jobs/${finished}`)).json()) as { status: string; result: unknown };
        expect(before).toMatchObject({ status: 'completed', result: { objects: new DetectorService().detect('/img/before.jpg') } });
        expect(await orchestrator.waitForResult(whileDown, { timeout: 30_000 })).toEqual({
          objects: new DetectorService().detect('/img/while-down.jpg'),
        });
      } finally {
        stopGroup(second);
        await second.exited;
        await orchestrator.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
    2 * START_GUARD_MS,
  );

  it(
    'exits 1 with one readable line when its Redis does not answer, instead of an unhandled rejection',
    async () => {
      // Port 1 is closed: the same as a Redis that is down.
      const start = builtStart({ JOBS_BACKEND: 'redis', REDIS_URL: 'redis://127.0.0.1:1', PORT: '0' });
      try {
        expect(await start.exited).toBe(1);
        expect(start.output()).toMatch(/\[Sample\] could not start: \S/);
        expect(start.output()).not.toMatch(/UnhandledPromiseRejection|triggerUncaughtException/);
      } finally {
        stopGroup(start);
      }
    },
    START_GUARD_MS,
  );
});
