import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coreOnlyApp } from './apps/core-only.app';
import { nestApp, type NestAppVariant } from './apps/nest.app';
import { runOk, type CommandResult } from './support/command';
import { packFreshClone } from './support/fresh-clone';
import { ScratchApp } from './support/scratch-app';

/**
 * @mindtrace/jobs as users get it: packed from a fresh clone (`npm pack` runs the build: the `prepare`
 * script, which an install from git runs in npm's clone too) and installed into apps made here, from
 * the npm registry, without flags. The first run downloads Nest 11 and 12; after that npm's cache answers.
 */
const MINUTES = 60_000;
const ROOT = join(__dirname, '../..');

const NEST_APPS: NestAppVariant[] = [
  { title: 'a Nest 11 CommonJS app with class-validator 0.14', nest: 11, classValidator: '0.14', moduleSystem: 'commonjs' },
  { title: 'a Nest 12 ES-module app with class-validator 0.15', nest: 12, classValidator: '0.15', moduleSystem: 'module' },
];

/** An app whose `npm install` has run, with the install's result (a failed one is for a test to show). */
interface InstalledApp {
  app: ScratchApp;
  installed: CommandResult;
}

let workDir: string;
let tarball: string;
/**
 * The apps' installs, all started once the tarball exists and each awaited by the tests of its app:
 * an install mostly waits on npm's cache and the disk, so they run side by side rather than in turn.
 */
let coreOnlyInstall: Promise<InstalledApp>;
const nestInstalls = new Map<NestAppVariant, Promise<InstalledApp>>();

/** Installs `app`, then, if the install succeeded, runs `after` on it (a failure there rejects). */
async function install(app: ScratchApp, after?: (app: ScratchApp) => Promise<unknown>): Promise<InstalledApp> {
  const installed = await app.install();
  if (installed.code === 0 && after) await after(app);
  return { app, installed };
}

/** An app's install, once it has ended; the packing's failure, if that is why there is none. */
function installOf(install: Promise<InstalledApp> | undefined): Promise<InstalledApp> {
  if (!install) throw new Error('Nothing was installed: packing the tarball failed (the first error says why).');
  return install;
}

/** Settles when every install started has: the work folder is removed only after them. */
function allInstalls(): Promise<unknown> {
  return Promise.allSettled([coreOnlyInstall, ...nestInstalls.values()]);
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'mindtrace-jobs-install-'));
  tarball = await packFreshClone(workDir);
  coreOnlyInstall = install(new ScratchApp(join(workDir, 'core-only'), coreOnlyApp(`file:${tarball}`)));
  for (const variant of NEST_APPS) {
    const app = new ScratchApp(join(workDir, `nest-${variant.moduleSystem}`), nestApp(tarball, variant));
    // Compiled with tsc and run with node, as `nest build` + `node dist/main` would.
    nestInstalls.set(
      variant,
      install(app, (nest) => nest.exec(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'])),
    );
  }
  // An app whose tests -t leaves out never awaits its install: a failure there is not an unhandled rejection.
  void allInstalls();
}, 5 * MINUTES);

afterAll(async () => {
  await allInstalls();
  rmSync(workDir, { recursive: true, force: true });
}, 8 * MINUTES);

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('the tarball npm pack makes from a fresh clone', () => {
  let unpacked: string;

  beforeAll(async () => {
    unpacked = join(workDir, 'unpacked');
    mkdirSync(unpacked);
    await runOk('tar', ['-xzf', tarball, '-C', unpacked], workDir);
  });

  it('holds what main, types and every export point to', () => {
    const pkg = JSON.parse(readFileSync(join(unpacked, 'package/package.json'), 'utf8')) as {
      main: string;
      types: string;
      exports: Record<string, string | Record<string, string>>;
    };
    const targets = [
      pkg.main,
      pkg.types,
      ...Object.values(pkg.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target))),
    ];
    expect(targets.length).toBeGreaterThan(4);
    expect(targets.filter((target) => !existsSync(join(unpacked, 'package', target)))).toEqual([]);
  });

  it('ships every Redis script beside the compiled Redis backend', () => {
    const scripts = (dir: string): string[] => filesUnder(dir).filter((file) => file.endsWith('.lua'));
    const sources = scripts(join(ROOT, 'lib/backends/redis/scripts'));
    expect(sources.length).toBeGreaterThan(0);
    expect(scripts(join(unpacked, 'package/dist/lib/backends/redis/scripts'))).toEqual(sources);
  });

  it('has source maps that carry the TypeScript they map to', () => {
    const map = JSON.parse(readFileSync(join(unpacked, 'package/dist/lib/consumer/queue-worker.js.map'), 'utf8')) as {
      sources: string[];
      sourcesContent?: string[];
    };
    expect(map.sources).toEqual(['../../../lib/consumer/queue-worker.ts']);
    expect(map.sourcesContent?.[0]).toBe(readFileSync(join(ROOT, 'lib/consumer/queue-worker.ts'), 'utf8'));
  });
});

/** The install's result in a form whose failure message shows npm's output. */
function outcome(result: CommandResult): { code: number | null; output: string } {
  return { code: result.code, output: `${result.stdout}\n${result.stderr}` };
}

/** The last line a script printed, parsed. */
function printed(result: CommandResult): unknown {
  expect(outcome(result)).toEqual({ code: 0, output: expect.any(String) });
  return JSON.parse(result.stdout.trim().split('\n').pop() as string);
}

describe('a Node app that uses only the core, with no Nest, ioredis or amqplib installed', () => {
  let app: ScratchApp;
  let installed: CommandResult;

  beforeAll(async () => ({ app, installed } = await installOf(coreOnlyInstall)), 5 * MINUTES);

  it('installs the required peers and none of the optional ones', () => {
    expect(outcome(installed)).toEqual({ code: 0, output: expect.any(String) });
    const present = (name: string): boolean => existsSync(join(app.dir, 'node_modules', name, 'package.json'));
    expect(['class-validator', 'class-transformer', 'reflect-metadata'].filter((name) => !present(name))).toEqual([]);
    expect(['@nestjs/common', '@nestjs/core', 'rxjs', 'ioredis', 'amqplib'].filter(present)).toEqual([]);
  });

  it(
    'runs a job with Orchestrator, LocalClient and a Consumer, from require() and from a named import',
    async () => {
      expect(printed(await app.node('greet.cjs'))).toEqual({ greeting: 'hello Ada' });
      expect(printed(await app.node('greet.mjs'))).toEqual({ greeting: 'hello Grace' });
    },
    MINUTES,
  );

  it(
    'names the package to install when a part that needs a missing one is used',
    async () => {
      const missing = (packages: string[]) => ({
        isMissingPackageError: true,
        packages,
        message: expect.stringContaining(`npm install ${packages.join(' ')}`),
      });
      expect(printed(await app.node('missing.cjs'))).toEqual({
        RedisClient: missing(['ioredis']),
        RabbitMQClient: missing(['amqplib']),
        JobsModule: missing(['@nestjs/common', '@nestjs/core', 'rxjs']),
      });
    },
    MINUTES,
  );
});

describe.each(NEST_APPS)('$title', (variant) => {
  let app: ScratchApp;
  let installed: CommandResult;
  /** The server the boot test started; the /health test asks it about the job that ran. */
  let port: number | undefined;

  beforeAll(async () => ({ app, installed } = await installOf(nestInstalls.get(variant))), 8 * MINUTES);

  afterAll(() => app?.stopServer(), MINUTES);

  it(
    'installs without flags, every peer dependency in its range',
    async () => {
      expect(outcome(installed)).toEqual({ code: 0, output: expect.any(String) });
      expect(outcome(await app.listTree())).toEqual({ code: 0, output: expect.any(String) });
      const version = (name: string): string =>
        (JSON.parse(readFileSync(join(app.dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
      expect(version('@nestjs/core').split('.')[0]).toBe(String(variant.nest));
      expect(version('@nestjs/terminus').split('.')[0]).toBe(String(variant.nest));
      expect(version('class-validator').split('.').slice(0, 2).join('.')).toBe(variant.classValidator);
    },
    MINUTES,
  );

  it(
    'boots, takes a job over HTTP, and its @Consumer runs it',
    async () => {
      port = await app.startServer('dist/main.js');
      const published = await fetch(`http://127.0.0.1:${port}/greetings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Ada' }),
      });
      expect(published.status).toBe(201);
      const { id } = (await published.json()) as { id: string };
      const result = await fetch(`http://127.0.0.1:${port}/greetings/${id}`);
      expect(await result.json()).toEqual({ greeting: 'hello Ada', inputClass: 'GreetInput' });
    },
    2 * MINUTES,
  );

  it(
    "answers GET /health through Terminus's HealthCheckService with JobsHealthIndicator up, naming its consumer",
    async () => {
      if (port === undefined) throw new Error('The app did not start: the boot test above says why.');
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      const body: unknown = await response.json();
      expect({ status: response.status, body }).toMatchObject({
        status: 200,
        body: {
          status: 'ok',
          info: {
            jobs: {
              status: 'up',
              backend: { name: 'LocalClient', status: 'up' },
              consumers: [{ queue: 'greet', consumer: 'GreetConsumer', status: 'up' }],
            },
          },
        },
      });
    },
    MINUTES,
  );
});
