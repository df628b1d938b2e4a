import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..');

/** Every file under `dir` (relative to it) whose name ends with one of `endings`. */
function filesUnder(dir: string, endings: string[]): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => endings.some((ending) => file.endsWith(ending)))
    .sort();
}

/**
 * The package as users get it: `npm test` builds dist/ (npm run build) before Jest, and these tests
 * load it by its name, through package.json's `exports`, in a separate Node process — the way an app
 * that installed @mindtrace/jobs does, with none of this repository's TypeScript setup.
 */
describe('the built package', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    main: string;
    types: string;
    exports: Record<string, string | { types: string; default: string }>;
  };
  const root = pkg.exports['.'] as { types: string; default: string };

  it('is built from the current sources (run `npm run build` if not)', () => {
    const stale = filesUnder(join(ROOT, 'lib'), ['.ts'])
      .filter((file) => !file.endsWith('.d.ts'))
      .filter((file) => {
        const built = join(ROOT, 'dist/lib', file.replace(/\.ts$/, '.js'));
        return !existsSync(built) || statSync(built).mtimeMs < statSync(join(ROOT, 'lib', file)).mtimeMs;
      });
    expect(stale).toEqual([]);
  });

  it('has the files main, types and every export point to', () => {
    const targets = [
      pkg.main,
      pkg.types,
      ...Object.values(pkg.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target))),
    ];
    expect(targets.filter((target) => !existsSync(join(ROOT, target)))).toEqual([]);
    expect(root.default.replace(/^\.\//, '')).toBe(pkg.main);
    expect(root.types.replace(/^\.\//, '')).toBe(pkg.types);
    expect(readFileSync(join(ROOT, pkg.types), 'utf8')).toMatch(/export \{ JobsModule\b/);
  });

  it('loads no Nest, ioredis or amqplib until a part that needs them is used', () => {
    const script = `
      // The packages loaded so far, by name, from require's cache (ES modules loaded by require() included).
      const loaded = () => [...new Set(Object.keys(require.cache).map((file) => (/node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(file) || [])[1]).filter(Boolean))];
      const optional = (names) => names.filter((name) => /^(@nestjs\\/|ioredis$|amqplib$|rxjs$)/.test(name)).sort();
      const steps = {};
      const jobs = require('@mindtrace/jobs');
      steps.imported = optional(loaded());
      jobs.JobsModule;
      steps.jobsModule = optional(loaded());
      new jobs.RedisClient({ lazyConnect: true });
      steps.redisClient = optional(loaded());
      new jobs.RabbitMQClient();
      steps.rabbitMQClient = optional(loaded());
      console.log(JSON.stringify(steps));
      process.exit(0);
    `;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(JSON.parse(out.trim().split('\n').pop() as string)).toEqual({
      imported: [],
      jobsModule: ['@nestjs/common', '@nestjs/core', 'rxjs'],
      redisClient: ['@nestjs/common', '@nestjs/core', 'ioredis', 'rxjs'],
      rabbitMQClient: ['@nestjs/common', '@nestjs/core', 'amqplib', 'ioredis', 'rxjs'],
    });
  });

  it('gives by each subpath the same values the root gives', () => {
    const script = `
      const root = require('@mindtrace/jobs');
      console.log(JSON.stringify({
        redis: require('@mindtrace/jobs/redis').RedisClient === root.RedisClient,
        rabbitmq: require('@mindtrace/jobs/rabbitmq').RabbitMQClient === root.RabbitMQClient,
        nest: require('@mindtrace/jobs/nest').JobsModule === root.JobsModule,
        testing: Object.keys(require('@mindtrace/jobs/testing')).length > 0,
      }));
    `;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(JSON.parse(out.trim().split('\n').pop() as string)).toEqual({ redis: true, rabbitmq: true, nest: true, testing: true });
  });

  it('ships source maps that carry their TypeScript, for stack traces and debuggers in an app', () => {
    const map = JSON.parse(readFileSync(join(ROOT, 'dist/lib/index.js.map'), 'utf8')) as { sourcesContent?: string[] };
    expect(map.sourcesContent).toEqual([readFileSync(join(ROOT, 'lib/index.ts'), 'utf8')]);
  });

  it('ships every Redis script next to the compiled Redis backend', () => {
    const sources = join(ROOT, 'lib/backends/redis/scripts');
    const shipped = join(ROOT, 'dist/lib/backends/redis/scripts');
    const lua = filesUnder(sources, ['.lua']);
    expect(lua.length).toBeGreaterThan(0);
    expect(existsSync(shipped) ? filesUnder(shipped, ['.lua']) : []).toEqual(lua);
    for (const file of lua) expect(readFileSync(join(shipped, file), 'utf8')).toBe(readFileSync(join(sources, file), 'utf8'));
  });

  it('is imported by name in plain Node and runs a job; RedisClient finds its scripts', () => {
    const script = `
      require('reflect-metadata');
      const jobs = require('@mindtrace/jobs');
      const { Orchestrator, LocalClient, ConsumerBase, JobSchema, JobInput, RedisClient, JobsModule } = jobs;
      (async () => {
        class Input extends JobInput {}
        const orchestrator = new Orchestrator(new LocalClient());
        await orchestrator.register(new JobSchema({ name: 'smoke', input: Input }));
        class Echo extends ConsumerBase { run() { return { ok: true }; } }
        const consumer = new Echo('smoke');
        consumer.connect(orchestrator);
        const id = await orchestrator.publish('smoke', {});
        await consumer.consume(1);
        const result = await orchestrator.waitForResult(id);
        await orchestrator.close();
        // Constructing a RedisClient reads every .lua script; lazyConnect keeps it off the network.
        new RedisClient({ host: '127.0.0.1', port: 6379, lazyConnect: true });
        console.log(JSON.stringify({
          resolved: require.resolve('@mindtrace/jobs'),
          result,
          nest: typeof JobsModule.forRoot,
        }));
        process.exit(0);
      })().catch((err) => { console.error(err); process.exit(1); });
    `;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    const report = JSON.parse(out.trim().split('\n').pop() as string) as { resolved: string; result: unknown; nest: string };
    expect(relative(ROOT, report.resolved)).toBe(pkg.main);
    expect(report.result).toEqual({ ok: true });
    expect(report.nest).toBe('function');
  });
});
