/**
 * A plain Node app that uses only the core — Orchestrator, LocalClient, a Consumer — and installs
 * nothing but @mindtrace/jobs (npm adds its required peers: class-validator, class-transformer,
 * reflect-metadata). No Nest, no ioredis, no amqplib. Plain JavaScript, so decorators are applied by hand.
 * `jobsPackage` is what package.json depends on, e.g. `file:<tarball>`.
 */
export function coreOnlyApp(jobsPackage: string): Record<string, string> {
  return {
    'package.json': JSON.stringify({ name: 'core-only-app', private: true, dependencies: { '@mindtrace/jobs': jobsPackage } }, null, 2),
    'greet.cjs': `
      const { IsString } = require('class-validator');
      const { Consumer, JobInput, JobSchema, LocalClient, Orchestrator } = require('@mindtrace/jobs');

      class GreetInput extends JobInput {}
      IsString()(GreetInput.prototype, 'name');

      class Greeter extends Consumer {
        run(job) { return { greeting: 'hello ' + job.payload.name }; }
      }

      (async () => {
        const orchestrator = new Orchestrator(new LocalClient());
        await orchestrator.register(new JobSchema({ name: 'greet', input: GreetInput }));
        const greeter = new Greeter('greet');
        greeter.connect(orchestrator);
        const id = await orchestrator.publish('greet', { name: 'Ada' });
        await greeter.consume(1);
        const result = await orchestrator.waitForResult(id);
        await orchestrator.close();
        console.log(JSON.stringify(result));
      })();
    `,
    // The same with named imports from an ES module: Node reads the names out of the CommonJS build.
    'greet.mjs': `
      import { IsString } from 'class-validator';
      import { Consumer, JobInput, JobSchema, LocalClient, Orchestrator } from '@mindtrace/jobs';

      class GreetInput extends JobInput {}
      IsString()(GreetInput.prototype, 'name');

      class Greeter extends Consumer {
        run(job) { return { greeting: 'hello ' + job.payload.name }; }
      }

      const orchestrator = new Orchestrator(new LocalClient());
      await orchestrator.register(new JobSchema({ name: 'greet', input: GreetInput }));
      const greeter = new Greeter('greet');
      greeter.connect(orchestrator);
      const id = await orchestrator.publish('greet', { name: 'Grace' });
      await greeter.consume(1);
      console.log(JSON.stringify(await orchestrator.waitForResult(id)));
      await orchestrator.close();
    `,
    // What each part whose package is missing throws when used.
    'missing.cjs': `
      const jobs = require('@mindtrace/jobs');
      function thrown(use) {
        try {
          use();
          return null;
        } catch (err) {
          return { isMissingPackageError: err instanceof jobs.MissingPackageError, packages: err.packages, message: err.message };
        }
      }
      console.log(JSON.stringify({
        RedisClient: thrown(() => new jobs.RedisClient({ lazyConnect: true })),
        RabbitMQClient: thrown(() => new jobs.RabbitMQClient()),
        JobsModule: thrown(() => jobs.JobsModule.forRoot(new jobs.LocalClient())),
      }));
    `,
  };
}
