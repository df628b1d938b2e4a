import { Injectable, Module } from '@nestjs/common';
import {
  Consumer,
  ConsumerDefinitionError,
  InvalidOptionError,
  JobsModule,
  JobValidationError,
  LocalClient,
  OnJobEvent,
  Orchestrator,
  Run,
  scheduleOccurrenceId,
  type Job,
  type JobEventMap,
  type RunContext,
} from '../../lib';
import { Schedule } from '../../lib/nest';
import { bootJobsApp, closeAll } from './support/jobs-test-app';
import { tickSchema, type TickInput } from './support/tick.schema';

/**
 * Schedules in a Nest app on the Local backend: `@Schedule` beside `@Consumer`, JobsModule's
 * `schedules`, both upserted at bootstrap before the consumers start, and refused ones failing start-up.
 */
jest.setTimeout(30_000);

afterEach(closeAll);

/** Resolves with the first `count` jobs of `queue` the app completed, in order. */
function completedJobs(orchestrator: Orchestrator, queue: string, count: number): Promise<JobEventMap['completed'][]> {
  const seen: JobEventMap['completed'][] = [];
  return new Promise((resolve) => {
    const off = orchestrator.events.on('completed', (event) => {
      if (event.queue !== queue) return;
      seen.push(event);
      if (seen.length === count) {
        off();
        resolve(seen);
      }
    });
  });
}

/** Each tick's job: the schedule's own id for that tick, its input, and ticks on the `every` grid, each once and in order. */
function expectTicks(events: JobEventMap['completed'][], queue: string, key: string, every: number, payload: object): void {
  const ats = events.map((event) => event.job.schedule?.at ?? NaN);
  expect(events.map((event) => event.job.id)).toEqual(ats.map((at) => scheduleOccurrenceId(queue, key, at)));
  expect(events.map((event) => event.job.payload)).toEqual(events.map(() => payload));
  expect(ats.every((at, i) => at % every === 0 && (i === 0 || at > ats[i - 1]))).toBe(true);
}

describe('@Schedule on a @Consumer', () => {
  it('upserts an every-schedule of the consumer’s queue at bootstrap, and the consumer runs its ticks', async () => {
    const queue = 'nest-every';

    @Consumer(queue)
    @Schedule('heartbeat', { every: 200 }, { n: 7 })
    class HeartbeatConsumer {
      @Run() run(job: Job<TickInput>): number {
        return job.payload.n;
      }
    }

    const app = await bootJobsApp(JobsModule.forRoot({ backend: () => new LocalClient(), schemas: [tickSchema(queue)] }), [
      HeartbeatConsumer,
    ]);
    const ran = completedJobs(app.get(Orchestrator), queue, 3);
    expect(await app.get(Orchestrator).schedules(queue)).toEqual([
      expect.objectContaining({ queue, key: 'heartbeat', every: 200, payload: { n: 7 }, priority: 0 }),
    ]);
    expectTicks(await ran, queue, 'heartbeat', 200, { n: 7 });
  });

  it('stacks: two @Schedule on one consumer are two schedules of its queue', async () => {
    const queue = 'nest-stacked';

    @Consumer(queue)
    @Schedule('nightly', { cron: '0 3 * * *', tz: 'Europe/Berlin' }, { n: 1 })
    @Schedule('often', { every: 60_000 }, { n: 2 }, { priority: 0 })
    class ReportsConsumer {
      @Run() run(): void {}
    }

    const app = await bootJobsApp(JobsModule.forRoot({ backend: () => new LocalClient(), schemas: [tickSchema(queue)] }), [
      ReportsConsumer,
    ]);
    const schedules = await app.get(Orchestrator).schedules(queue);
    expect(schedules.map(({ key, cron, tz, every, payload }) => ({ key, cron, tz, every, payload }))).toEqual([
      { key: 'nightly', cron: '0 3 * * *', tz: 'Europe/Berlin', every: undefined, payload: { n: 1 } },
      { key: 'often', cron: undefined, tz: undefined, every: 60_000, payload: { n: 2 } },
    ]);
  });

  it('@OnJobEvent("progress") hears what a run reports with context.progress', async () => {
    const queue = 'nest-progress';
    const heard: unknown[] = [];

    @Consumer(queue)
    class UploadConsumer {
      @Run() async run(_job: Job<TickInput>, context: RunContext): Promise<void> {
        await context.progress(40);
        await context.progress({ stage: 'upload', done: 3 });
      }

      @OnJobEvent('progress')
      onProgress(event: JobEventMap['progress']): void {
        heard.push(event.progress);
      }
    }

    const app = await bootJobsApp(JobsModule.forRoot({ backend: () => new LocalClient(), schemas: [tickSchema(queue)] }), [UploadConsumer]);
    const orchestrator = app.get(Orchestrator);
    const id = await orchestrator.publish(queue, { n: 1 });
    await orchestrator.waitForResult(id, { timeout: 15_000 });
    expect(heard).toEqual([40, { stage: 'upload', done: 3 }]);
    expect((await orchestrator.getJob(id))?.progress).toEqual({ stage: 'upload', done: 3 });
  });
});

describe('JobsModule schedules', () => {
  it('forRoot({ schedules }) upserts them at bootstrap, and the queue’s consumer runs their ticks', async () => {
    const queue = 'nest-forroot-schedule';

    @Consumer(queue)
    class PingConsumer {
      @Run() run(job: Job<TickInput>): number {
        return job.payload.n;
      }
    }

    const app = await bootJobsApp(
      JobsModule.forRoot({
        backend: () => new LocalClient(),
        schemas: [tickSchema(queue)],
        schedules: [{ queue, key: 'ping', every: 200, input: { n: 3 } }],
      }),
      [PingConsumer],
    );
    const ran = completedJobs(app.get(Orchestrator), queue, 2);
    expectTicks(await ran, queue, 'ping', 200, { n: 3 });
  });

  it('forRootAsync takes schedules from its factory', async () => {
    const queue = 'nest-async-schedule';

    @Injectable()
    class JobsConfig {
      readonly cron = '30 4 * * 1';
    }

    @Module({ providers: [JobsConfig], exports: [JobsConfig] })
    class JobsConfigModule {}

    const app = await bootJobsApp(
      JobsModule.forRootAsync({
        imports: [JobsConfigModule],
        inject: [JobsConfig],
        useFactory: (config: JobsConfig) => ({
          backend: new LocalClient(),
          schemas: [tickSchema(queue)],
          schedules: [{ queue, key: 'weekly', cron: config.cron, tz: 'America/New_York', input: { n: 9 }, priority: 0 }],
        }),
      }),
    );
    expect(await app.get(Orchestrator).schedules()).toEqual([
      expect.objectContaining({ queue, key: 'weekly', cron: '30 4 * * 1', tz: 'America/New_York', payload: { n: 9 } }),
    ]);
  });
});

describe('a schedule that cannot work fails start-up', () => {
  it.each([
    [{ queue: 'q', key: 'k', cron: '* * * * *', every: 1000 }, 'JobsModule: option "schedules[0].every" cannot be given with cron'],
    [{ queue: 'q', key: 'k' }, 'JobsModule: option "schedules[0].cron" must be a cron pattern'],
    [{ queue: 'q', key: 'k', cron: 'every day' }, 'JobsModule: option "schedules[0].cron" is not a cron pattern croner reads'],
    [{ queue: 'q', key: 'k', cron: '0 3 * * *', tz: 'Mars/Olympus' }, 'option "schedules[0].tz" must be an IANA time zone'],
    [{ queue: 'q', key: 'k', every: 0.5 }, 'option "schedules[0].every" must be a whole number of milliseconds'],
    [{ queue: 'q', key: '', every: 1000 }, 'option "schedules[0].key" must be a non-empty string'],
    [{ queue: 'q', key: 'k', every: 1000, cadence: 'daily' }, 'option "schedules[0].cadence" is not a known option'],
  ])('forRoot refuses %j where it is declared', (schedule, message) => {
    const declare = () => JobsModule.forRoot({ backend: () => new LocalClient(), schedules: [schedule as never] });
    expect(declare).toThrow(InvalidOptionError);
    expect(declare).toThrow(message);
  });

  it('the same queue and key declared twice (forRoot and @Schedule) is refused, naming both', async () => {
    const queue = 'nest-twice';

    @Consumer(queue)
    @Schedule('k', { every: 1000 })
    class TwiceConsumer {
      @Run() run(): void {}
    }

    const boot = bootJobsApp(
      JobsModule.forRoot({ backend: () => new LocalClient(), schemas: [tickSchema(queue)], schedules: [{ queue, key: 'k', every: 500 }] }),
      [TwiceConsumer],
    );
    await expect(boot).rejects.toThrow(
      `declare schedule "k" of queue "${queue}" once: it is declared by JobsModule schedules[0] and by @Schedule("k") on TwiceConsumer`,
    );
  });

  it('a bad @Schedule fails bootstrap naming the decorator and its class', async () => {
    @Consumer('nest-bad-cron')
    @Schedule('nightly', { cron: '0 25 * * *' })
    class BadCronConsumer {
      @Run() run(): void {}
    }

    const boot = bootJobsApp(JobsModule.forRoot({ backend: () => new LocalClient() }), [BadCronConsumer]);
    await expect(boot).rejects.toThrow(InvalidOptionError);
    await expect(boot).rejects.toThrow(/^@Schedule\("nightly"\) on BadCronConsumer: option "when.cron" is not a cron pattern/);
  });

  it('@Schedule without @Consumer is refused: its queue would be unknown', async () => {
    @Injectable()
    @Schedule('k', { every: 1000 })
    class NotAConsumer {}

    const boot = bootJobsApp(JobsModule.forRoot({ backend: () => new LocalClient() }), [NotAConsumer]);
    await expect(boot).rejects.toThrow(ConsumerDefinitionError);
    await expect(boot).rejects.toThrow('NotAConsumer is decorated @Schedule but not @Consumer(queue)');
  });

  it('an input the queue’s schema refuses fails start-up before any consumer takes a job', async () => {
    const queue = 'nest-bad-input';
    const ran: number[] = [];

    @Consumer(queue)
    @Schedule('k', { every: 60_000 }, { n: 'seven' })
    class StrictConsumer {
      @Run() run(job: Job<TickInput>): void {
        ran.push(job.payload.n);
      }
    }

    const backend = new LocalClient();
    const before = new Orchestrator(backend);
    await before.register(tickSchema(queue));
    const waiting = await before.publish(queue, { n: 1 });

    const boot = bootJobsApp(JobsModule.forRoot({ backend, schemas: [tickSchema(queue)] }), [StrictConsumer]);
    await expect(boot).rejects.toThrow(JobValidationError);
    // The refused schedule stopped bootstrap before the consumer started: the job it would have taken waits.
    expect((await backend.getJob(waiting))?.status).toBe('waiting');
    expect(ran).toEqual([]);
    expect(await before.schedules(queue)).toEqual([]);
    await backend.close();
  });
});
