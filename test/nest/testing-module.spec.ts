import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Consumer, InvalidOptionError, JobsModule, LocalClient, Orchestrator, Run, type Job, type JobBackend } from '../../lib';
import { JOBS_BACKEND } from '../../lib/nest/jobs.constants';
import { tickSchema, type TickInput } from './support/tick.schema';

const QUEUE = 'testing_module_ticks';

/** Doubles each tick; what an app module of a user holds. */
@Injectable()
@Consumer(QUEUE)
class DoublingConsumer {
  @Run()
  run(job: Job<TickInput>): { doubled: number } {
    return { doubled: job.payload.n * 2 };
  }
}

/** Every backend a factory made, so a test can tell which app got which. */
const made: LocalClient[] = [];
function makeLocalClient(): LocalClient {
  const client = new LocalClient();
  made.push(client);
  return client;
}

@Module({
  imports: [JobsModule.forRoot({ backend: makeLocalClient, schemas: [tickSchema(QUEUE)] })],
  providers: [DoublingConsumer],
})
class FactoryAppModule {}

/** Where the README used to lead: one backend, made when this file was imported. */
@Module({
  imports: [JobsModule.forRoot({ backend: new LocalClient(), schemas: [tickSchema(QUEUE)] })],
  providers: [DoublingConsumer],
})
class InstanceAppModule {}

let open: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all(open.map((app) => app.close().catch(() => undefined)));
  open = [];
  made.length = 0;
});

async function boot(
  module: Function,
  override?: (builder: ReturnType<typeof Test.createTestingModule>) => ReturnType<typeof Test.createTestingModule>,
): Promise<INestApplicationContext> {
  const builder = Test.createTestingModule({ imports: [module as new () => unknown] });
  const moduleRef = await (override ? override(builder) : builder).compile();
  moduleRef.useLogger(false);
  open.push(moduleRef);
  return moduleRef.init();
}

/** Publishes one tick and resolves with its result, through the app's own consumer. */
async function runOne(app: INestApplicationContext, n: number): Promise<unknown> {
  const orchestrator = app.get(Orchestrator);
  const id = await orchestrator.publish(QUEUE, { n });
  return orchestrator.waitForResult(id, { timeout: 10_000 });
}

describe('an app module with a backend factory', () => {
  it('is built, runs a job and is closed three times in a row, each app on a backend of its own', async () => {
    for (const n of [1, 2, 3]) {
      const app = await boot(FactoryAppModule);
      expect(await runOne(app, n)).toEqual({ doubled: n * 2 });
      expect(app.get(Orchestrator).backend).toBe(made[n - 1]);
      await app.close();
    }
    expect(made).toHaveLength(3);
    expect(new Set(made).size).toBe(3);
  });

  it('takes the factory as forRoot(factory) too', async () => {
    @Module({ imports: [JobsModule.forRoot(makeLocalClient)], providers: [DoublingConsumer] })
    class ShortAppModule {}
    const app = await boot(ShortAppModule);
    expect(app.get(Orchestrator).backend).toBe(made[0]);
    await app.get(Orchestrator).register(tickSchema(QUEUE));
    expect(await runOne(app, 4)).toEqual({ doubled: 8 });
  });

  it('takes a factory from forRootAsync, one backend per app', async () => {
    @Module({
      imports: [JobsModule.forRootAsync({ useFactory: () => ({ backend: makeLocalClient, schemas: [tickSchema(QUEUE)] }) })],
      providers: [DoublingConsumer],
    })
    class AsyncAppModule {}
    const first = await boot(AsyncAppModule);
    await first.close();
    const second = await boot(AsyncAppModule);
    expect(await runOne(second, 5)).toEqual({ doubled: 10 });
    expect(made).toHaveLength(2);
    expect(second.get(Orchestrator).backend).toBe(made[1]);
  });

  it('fails bootstrap naming the option when the factory returns something that is not a backend', async () => {
    @Module({ imports: [JobsModule.forRoot({ backend: () => ({ name: 'not a backend' }) as unknown as JobBackend })] })
    class BadFactoryModule {}
    const failure = boot(BadFactoryModule);
    await expect(failure).rejects.toThrow(InvalidOptionError);
    await expect(failure).rejects.toThrow(
      /option "backend" is a factory that must return a JobBackend.*it returned a plain object, which lacks declareQueue\(\)/,
    );
  });

  it('refuses a backend class where an instance or a factory belongs, showing both', () => {
    expect(() => JobsModule.forRoot({ backend: LocalClient as unknown as JobBackend })).toThrow(
      'JobsModule: option "backend" is the class LocalClient, not a backend — pass new LocalClient(…), or a factory: () => new LocalClient(…)',
    );
  });
});

describe('an app module with a backend instance', () => {
  it('built again after the first app closed fails at bootstrap saying to give a factory, not with BackendClosedError later', async () => {
    const first = await boot(InstanceAppModule);
    expect(await runOne(first, 1)).toEqual({ doubled: 2 });
    await first.close();
    const second = boot(InstanceAppModule);
    await expect(second).rejects.toThrow(InvalidOptionError);
    await expect(second).rejects.toThrow(/an earlier app closed.*JobsModule\.forRoot\(\{ backend: \(\) => new LocalClient\(…\) \}\)/);
  });
});

describe('a TestingModule that overrides JOBS_BACKEND', () => {
  it('runs the app on the override, and the module never calls its own factory', async () => {
    const override = new LocalClient();
    const app = await boot(FactoryAppModule, (builder) => builder.overrideProvider(JOBS_BACKEND).useValue(override));
    expect(app.get(Orchestrator).backend).toBe(override);
    expect(await runOne(app, 6)).toEqual({ doubled: 12 });
    expect(made).toEqual([]);
  });

  it('gives each app its own backend with useFactory', async () => {
    const overrides: LocalClient[] = [];
    const fresh = (builder: ReturnType<typeof Test.createTestingModule>) =>
      builder.overrideProvider(JOBS_BACKEND).useFactory({ factory: () => overrides[overrides.push(new LocalClient()) - 1] });
    const first = await boot(InstanceAppModule, fresh);
    await first.close();
    const second = await boot(InstanceAppModule, fresh);
    expect(await runOne(second, 7)).toEqual({ doubled: 14 });
    expect(second.get(Orchestrator).backend).toBe(overrides[1]);
    expect(overrides).toHaveLength(2);
  });

  it('closes the backend instance the module was given and the app never used, when the app closes', async () => {
    const given = new LocalClient();
    @Module({ imports: [JobsModule.forRoot(given)], providers: [DoublingConsumer] })
    class GivenAppModule {}
    const override = new LocalClient();
    const app = await boot(GivenAppModule, (builder) => builder.overrideProvider(JOBS_BACKEND).useValue(override));
    expect(app.get(Orchestrator).backend).toBe(override);
    await given.declareQueue('still_open', 'fifo');
    await app.close();
    await expect(given.declareQueue('closed_now', 'fifo')).rejects.toThrow(/LocalClient is closed/);
  });
});
