import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Consumer, JobsModule, LocalClient, Orchestrator, Run, UnrecoverableError, type Job } from '../../lib';
import { DrainTimeoutError, JobsTester } from '../../lib/testing';
import { tickSchema, type TickInput } from './support/tick.schema';

const SQUARES = 'tester_squares';
const ROOTS = 'tester_roots';
const UNCONSUMED = 'tester_unconsumed';

/** Squares n; n < 0 is a job that can never succeed. Publishes n² to ROOTS when asked to (n = 10). */
@Injectable()
@Consumer(SQUARES, { concurrency: 2 })
class Squarer {
  constructor(private readonly orchestrator: Orchestrator) {}

  @Run()
  async run(job: Job<TickInput>): Promise<{ square: number }> {
    const { n } = job.payload;
    if (n < 0) throw new UnrecoverableError(`no square for ${n} today`);
    if (n === 10) await this.orchestrator.publish(ROOTS, { n: n * n });
    return { square: n * n };
  }
}

/** Fails its first attempt at every job, then gives the square root. */
@Injectable()
@Consumer(ROOTS, { attempts: 2, backoff: { type: 'fixed', delay: 5_000 } })
class Rooter {
  @Run()
  run(job: Job<TickInput>): { root: number } {
    if (job.attempt === 1) throw new Error('first attempts always fail here');
    return { root: Math.sqrt(job.payload.n) };
  }
}

@Module({
  imports: [
    JobsModule.forRoot({
      backend: () => new LocalClient(),
      schemas: [tickSchema(SQUARES), tickSchema(ROOTS), tickSchema(UNCONSUMED)],
      shutdownTimeout: 0,
    }),
  ],
  providers: [Squarer, Rooter],
})
class TesterAppModule {}

let moduleRef: TestingModule;
let jobs: JobsTester;
let app: INestApplicationContext;
let orchestrator: Orchestrator;

beforeEach(async () => {
  moduleRef = await Test.createTestingModule({ imports: [TesterAppModule] }).compile();
  moduleRef.useLogger(false);
  jobs = new JobsTester(moduleRef);
  app = await moduleRef.init();
  orchestrator = app.get(Orchestrator);
});

afterEach(async () => {
  jest.useRealTimers();
  await app.close();
});

describe('JobsTester.drain', () => {
  it('gives every run that ended since the tester was made, with results and errors, jobs that ended before the call included', async () => {
    const ok = await orchestrator.publish(SQUARES, { n: 3 });
    const bad = await orchestrator.publish(SQUARES, { n: -1 });
    await orchestrator.waitForResult(ok, { timeout: 10_000 }); // ended before drain() is called
    const later = await orchestrator.publish(SQUARES, { n: 4 });

    const ran = await jobs.drain();
    expect(ran.map((run) => run.job.id).sort()).toEqual([ok, bad, later].sort());
    expect(ran.find((run) => run.job.id === ok)).toMatchObject({ type: 'completed', queue: SQUARES, result: { square: 9 } });
    expect(ran.find((run) => run.job.id === later)).toMatchObject({ type: 'completed', result: { square: 16 } });
    expect(ran.find((run) => run.job.id === bad)).toMatchObject({ type: 'dead', error: { message: 'no square for -1 today' } });
    expect(await orchestrator.queueStats(SQUARES)).toMatchObject({ waiting: 0, active: 0, completed: 2, dead: 1 });
  });

  it('gives each run once: a second drain gives only what ended after the first', async () => {
    await orchestrator.publish(SQUARES, { n: 1 });
    expect(await jobs.drain()).toHaveLength(1);
    expect(await jobs.drain()).toEqual([]);
    const id = await orchestrator.publish(SQUARES, { n: 2 });
    expect((await jobs.drain()).map((run) => run.job.id)).toEqual([id]);
  });

  it('waits for the jobs that runs publish, on every queue the app consumes', async () => {
    await orchestrator.publish(SQUARES, { n: 10 });
    const ran = await jobs.drain();
    // ROOTS fails its first attempt: the retry waits for its backoff, which drain() does not.
    expect(ran.map((run) => `${run.queue}: ${run.type}`).sort()).toEqual([`${ROOTS}: retrying`, `${SQUARES}: completed`]);
    expect(await orchestrator.queueStats(ROOTS)).toMatchObject({ waiting: 0, active: 0, delayed: 1 });
  });

  it('runs a retry in backoff once Jest fake timers pass its delay', async () => {
    jest.useFakeTimers();
    await orchestrator.publish(ROOTS, { n: 49 });
    expect((await jobs.drain()).map((run) => run.type)).toEqual(['retrying']);
    jest.advanceTimersByTime(5_000);
    expect(await jobs.drain()).toMatchObject([{ type: 'completed', queue: ROOTS, result: { root: 7 } }]);
  });

  it('runs a delayed job once Jest fake timers pass its delay, not before', async () => {
    jest.useFakeTimers();
    const id = await orchestrator.publish(SQUARES, { n: 5 }, { delay: 60_000 });
    expect(await jobs.drain()).toEqual([]);
    jest.advanceTimersByTime(59_999);
    expect(await jobs.drain()).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(await jobs.drain()).toMatchObject([{ type: 'completed', job: { id }, result: { square: 25 } }]);
  });

  it('does not wait for a queue no consumer of the app takes from', async () => {
    await orchestrator.publish(UNCONSUMED, { n: 1 });
    expect(await jobs.drain()).toEqual([]);
    expect(await orchestrator.queueStats(UNCONSUMED)).toMatchObject({ waiting: 1 });
  });
});

describe('JobsTester.drain with a run that never ends', () => {
  const STUCK = 'tester_stuck';

  @Injectable()
  @Consumer(STUCK)
  class Stuck {
    @Run()
    run(): Promise<never> {
      return new Promise<never>(() => undefined);
    }
  }

  @Module({
    imports: [JobsModule.forRoot({ backend: () => new LocalClient(), schemas: [tickSchema(STUCK)], shutdownTimeout: 0 })],
    providers: [Stuck],
  })
  class StuckAppModule {}

  it('fails with DrainTimeoutError naming the queue and what it still holds', async () => {
    const stuckRef = await Test.createTestingModule({ imports: [StuckAppModule] }).compile();
    stuckRef.useLogger(false);
    const stuckJobs = new JobsTester(stuckRef);
    const stuckApp = await stuckRef.init();
    try {
      await stuckApp.get(Orchestrator).publish(STUCK, { n: 1 });
      await stuckApp.get(Orchestrator).publish(STUCK, { n: 2 });
      const failure = stuckJobs.drain({ timeout: 200 });
      await expect(failure).rejects.toThrow(DrainTimeoutError);
      await expect(failure).rejects.toMatchObject({ timeoutMs: 200, busy: [{ queue: STUCK, waiting: 1, active: 1 }] });
      await expect(failure).rejects.toThrow(/after 200 ms of drain\(\): "tester_stuck" \(1 waiting, 1 running\)/);
    } finally {
      await stuckApp.close();
    }
  });
});
