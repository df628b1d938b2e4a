import { randomUUID } from 'node:crypto';
import {
  Job,
  JobFailedError,
  JobNotFoundError,
  JobsError,
  Orchestrator,
  UnrecoverableError,
  UnsupportedCapabilityError,
  WaitTimeoutError,
  jobFromSchema,
  type BackoffOptions,
  type ConsumerOptions,
  type JobState,
} from '../../lib';
import { itIf, type ConformanceContext } from './conformance-context';
import { FnConsumer, taskSchema, type RunFn } from './conformance.fixtures';
import { ISO_UTC, deferred, outcomeOf, recordEvents, stateOf } from './lifecycle.fixtures';

/** Retry at once: cases about counting attempts should not wait on a backoff. */
const NO_BACKOFF: BackoffOptions = { type: 'fixed', delay: 0 };

/**
 * A job's life through the public API: retries and backoff, timeouts, dead letters and redrive,
 * delayed jobs, status and results, stats, events. Runs record what they saw; the cases assert order
 * and state, never how long anything took.
 */
export function lifecycleCases(ctx: ConformanceContext): void {
  async function registeredQueue(label: string): Promise<{ queue: string; orchestrator: Orchestrator }> {
    const queue = ctx.queueName(label);
    const orchestrator = ctx.orchestrator();
    await orchestrator.register(taskSchema(queue));
    return { queue, orchestrator };
  }

  function connected(orchestrator: Orchestrator, queue: string, run: RunFn, options?: ConsumerOptions): FnConsumer {
    const consumer = new FnConsumer(queue, run, options);
    consumer.connect(orchestrator);
    return consumer;
  }

  /** Whether getJob / waitForResult / the completed count work on this backend. */
  const hasJobState = (): boolean => ctx.capabilities.jobState;
  const withJobState = itIf(ctx.capabilities.jobState, 'no job state (capability jobState)');

  describe('retries', () => {
    it('retries a failing run until it succeeds, the run seeing attempt 1, 2, 3', async () => {
      const { queue, orchestrator } = await registeredQueue('retry-ok');
      const attempts: number[] = [];
      const consumer = connected(
        orchestrator,
        queue,
        (job) => {
          attempts.push(job.attempt);
          if (job.attempt < 3) throw new Error(`boom ${job.attempt}`);
          return { echoed: `done on ${job.attempt}` };
        },
        { attempts: 3, backoff: NO_BACKOFF },
      );
      const id = await orchestrator.publish(queue, { label: 'a' });

      expect(await consumer.consume(3)).toBe(3);
      expect(attempts).toEqual([1, 2, 3]);
      expect(await orchestrator.deadLetters(queue)).toEqual([]);
      if (hasJobState())
        expect(await stateOf(orchestrator, id)).toMatchObject({ status: 'completed', attempt: 3, result: { echoed: 'done on 3' } });
    });

    it('dead-letters a run that always throws after exactly `attempts` runs, keeping the last error', async () => {
      const { queue, orchestrator } = await registeredQueue('retry-dead');
      const attempts: number[] = [];
      const consumer = connected(
        orchestrator,
        queue,
        (job) => {
          attempts.push(job.attempt);
          throw new Error(`boom ${job.attempt}`);
        },
        { attempts: 3, backoff: NO_BACKOFF },
      );
      const id = await orchestrator.publish(queue, { label: 'a' });

      expect(await consumer.consume(3)).toBe(3);
      expect(attempts).toEqual([1, 2, 3]);
      const dead = await orchestrator.deadLetters(queue);
      expect(dead).toHaveLength(1);
      expect(dead[0].job.id).toBe(id);
      expect(dead[0].error).toMatchObject({ name: 'Error', message: 'boom 3', attempt: 3 });
      expect(dead[0].error.failedAt).toMatch(ISO_UTC);
      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, delayed: 0, active: 0, dead: 1 });
      if (hasJobState()) {
        const state = await stateOf(orchestrator, id);
        expect(state).toMatchObject({ status: 'dead', attempt: 3, error: { name: 'Error', message: 'boom 3', attempt: 3 } });
        expect(state.error?.failedAt).toMatch(ISO_UTC);
        expect(state.finishedAt).toMatch(ISO_UTC);
      }
    });

    it('an UnrecoverableError dead-letters the job on its first run, whatever attempts allows', async () => {
      const { queue, orchestrator } = await registeredQueue('unrecoverable');
      const attempts: number[] = [];
      const consumer = connected(
        orchestrator,
        queue,
        (job) => {
          attempts.push(job.attempt);
          throw new UnrecoverableError('this input can never work');
        },
        { attempts: 5, backoff: NO_BACKOFF },
      );
      const events = recordEvents(consumer);
      await orchestrator.publish(queue, { label: 'a' });

      expect(await consumer.consume(1)).toBe(1);
      expect(attempts).toEqual([1]);
      expect(events.map((e) => e.type)).toEqual(['active', 'failed', 'dead']);
      const dead = await orchestrator.deadLetters(queue);
      expect(dead.map((d) => d.error)).toEqual([
        expect.objectContaining({ name: 'UnrecoverableError', message: 'this input can never work', attempt: 1 }),
      ]);
      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, delayed: 0, active: 0, dead: 1 });
    });

    it('without an attempts option a throwing run is not retried: one run, then dead', async () => {
      const { queue, orchestrator } = await registeredQueue('default-attempts');
      let runs = 0;
      const consumer = connected(orchestrator, queue, () => {
        runs++;
        throw new Error('once is enough');
      });
      const events = recordEvents(consumer);
      const id = await orchestrator.publish(queue, { label: 'a' });

      expect(await consumer.consume(1)).toBe(1);
      expect(runs).toBe(1);
      expect(events.map((e) => e.type)).toEqual(['active', 'failed', 'dead']);
      expect((await orchestrator.deadLetters(queue)).map((d) => [d.job.id, d.error.attempt])).toEqual([[id, 1]]);
      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, delayed: 0, dead: 1 });
    });
  });

  describe('backoff', () => {
    /** Fails every run and records, per attempt, when it ran and when its failure was recorded. */
    async function alwaysFailing(label: string, options: ConsumerOptions) {
      const { queue, orchestrator } = await registeredQueue(label);
      const ranAt: number[] = [];
      const thrown: Error[] = [];
      const consumer = connected(
        orchestrator,
        queue,
        (job) => {
          ranAt.push(Date.now());
          const error = new Error(`boom ${job.attempt}`);
          thrown.push(error);
          throw error;
        },
        options,
      );
      const failedAt: string[] = [];
      consumer.on('failed', (event) => void failedAt.push(event.error.failedAt));
      const events = recordEvents(consumer);
      await orchestrator.publish(queue, { label: 'a' });
      return { queue, orchestrator, consumer, ranAt, thrown, failedAt, events };
    }

    /** Every retry ran no sooner than its backoff after the failure before it. */
    function expectNoEarlyRetry(ranAt: number[], failedAt: string[], delays: number[]): void {
      delays.forEach((delay, i) => expect(ranAt[i + 1]).toBeGreaterThanOrEqual(Date.parse(failedAt[i]) + delay));
    }

    it("fixed backoff waits the same delay before each retry, and 'retrying' carries it", async () => {
      const { queue, orchestrator, consumer, ranAt, failedAt, events } = await alwaysFailing('fixed', {
        attempts: 3,
        backoff: { type: 'fixed', delay: 30 },
      });

      expect(await consumer.consume(3)).toBe(3);
      const retrying = events.filter((e) => e.type === 'retrying');
      expect(retrying.map((e) => [e.error?.attempt, e.delayMs])).toEqual([
        [1, 30],
        [2, 30],
      ]);
      expectNoEarlyRetry(ranAt, failedAt, [30, 30]);
      expect((await orchestrator.deadLetters(queue)).map((d) => d.error.attempt)).toEqual([3]);
    });

    it('exponential backoff doubles the delay on each retry', async () => {
      const { consumer, ranAt, failedAt, events } = await alwaysFailing('exponential', {
        attempts: 4,
        backoff: { type: 'exponential', delay: 10 },
      });

      expect(await consumer.consume(4)).toBe(4);
      expect(events.filter((e) => e.type === 'retrying').map((e) => e.delayMs)).toEqual([10, 20, 40]);
      expectNoEarlyRetry(ranAt, failedAt, [10, 20, 40]);
      expect(events.at(-1)).toMatchObject({ type: 'dead', attempt: 4 });
    });

    it('a backoff function gets each failed attempt and the error its run threw, and its delay is used', async () => {
      const calls: { attempt: number; error: unknown }[] = [];
      const backoff = (attempt: number, error: unknown): number => {
        calls.push({ attempt, error });
        return attempt * 15;
      };
      const { consumer, ranAt, thrown, failedAt, events } = await alwaysFailing('backoff-fn', { attempts: 3, backoff });

      expect(await consumer.consume(3)).toBe(3);
      expect(calls.map((c) => c.attempt)).toEqual([1, 2]);
      // The very error each run threw, so a function can decide by its class (`err instanceof RateLimited`).
      expect(calls[0].error).toBe(thrown[0]);
      expect(calls[1].error).toBe(thrown[1]);
      expect(events.filter((e) => e.type === 'retrying').map((e) => e.delayMs)).toEqual([15, 30]);
      expectNoEarlyRetry(ranAt, failedAt, [15, 30]);
    });
  });

  describe('timeout', () => {
    /** A run that does nothing but wait for its signal, and gives up (throws) when it fires. */
    function waitingForAbort(aborted: number[]): RunFn {
      return (job, { signal }) =>
        new Promise((_, reject) => {
          signal.addEventListener(
            'abort',
            () => {
              aborted.push(job.attempt);
              reject(new Error('run stopped because its signal fired'));
            },
            { once: true },
          );
        });
    }

    it('aborts the signal of a run that outlives its timeout and dead-letters it with JobTimeoutError', async () => {
      const { queue, orchestrator } = await registeredQueue('timeout');
      const aborted: number[] = [];
      const consumer = connected(orchestrator, queue, waitingForAbort(aborted), { timeout: 50 });
      const id = await orchestrator.publish(queue, { label: 'slow' });

      expect(await consumer.consume(1)).toBe(1);
      expect(aborted).toEqual([1]);
      const dead = await orchestrator.deadLetters(queue);
      expect(dead.map((d) => d.job.id)).toEqual([id]);
      expect(dead[0].error).toMatchObject({ name: 'JobTimeoutError', attempt: 1 });
    });

    it('a timed-out attempt is retried like any failure', async () => {
      const { queue, orchestrator } = await registeredQueue('timeout-retry');
      const aborted: number[] = [];
      const consumer = connected(orchestrator, queue, waitingForAbort(aborted), { timeout: 50, attempts: 2, backoff: NO_BACKOFF });
      const events = recordEvents(consumer);
      await orchestrator.publish(queue, { label: 'slow' });

      expect(await consumer.consume(2)).toBe(2);
      expect(aborted).toEqual([1, 2]);
      expect(events.map((e) => [e.type, e.error?.name])).toEqual([
        ['active', undefined],
        ['failed', 'JobTimeoutError'],
        ['retrying', 'JobTimeoutError'],
        ['active', undefined],
        ['failed', 'JobTimeoutError'],
        ['dead', 'JobTimeoutError'],
      ]);
      expect((await orchestrator.deadLetters(queue)).map((d) => [d.error.name, d.error.attempt])).toEqual([['JobTimeoutError', 2]]);
    });
  });

  describe('dead letters', () => {
    /** Publishes one job per label and lets a consumer fail each once, so they die in label order. */
    async function deadJobs(label: string, labels: string[]) {
      const { queue, orchestrator } = await registeredQueue(label);
      const mode = { failing: true };
      const runs: { label: string; attempt: number }[] = [];
      const consumer = connected(orchestrator, queue, (job) => {
        runs.push({ label: job.payload.label, attempt: job.attempt });
        if (mode.failing) throw new Error(`failed ${job.payload.label}`);
      });
      const ids: string[] = [];
      for (const l of labels) ids.push(await orchestrator.publish(queue, { label: l }));
      expect(await consumer.consume(labels.length)).toBe(labels.length);
      runs.length = 0;
      return { queue, orchestrator, consumer, ids, mode, runs };
    }

    it('deadLetters lists the oldest first and respects limit', async () => {
      const { queue, orchestrator, ids } = await deadJobs('dl-list', ['a', 'b', 'c']);

      const all = await orchestrator.deadLetters(queue);
      expect(all.map((d) => d.job.id)).toEqual(ids);
      expect(all.map((d) => d.error.message)).toEqual(['failed a', 'failed b', 'failed c']);
      expect((await orchestrator.deadLetters(queue, { limit: 2 })).map((d) => d.job.id)).toEqual(ids.slice(0, 2));
      expect((await orchestrator.deadLetters(queue, { limit: 1 })).map((d) => d.job.id)).toEqual(ids.slice(0, 1));
    });

    it('redrive() puts every dead letter back with a fresh attempt count, and they can complete', async () => {
      const { queue, orchestrator, consumer, ids, mode, runs } = await deadJobs('dl-redrive', ['a', 'b', 'c']);

      expect(await orchestrator.redrive(queue)).toBe(3);
      expect(await orchestrator.deadLetters(queue)).toEqual([]);
      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 3, dead: 0 });
      if (hasJobState()) expect(await stateOf(orchestrator, ids[0])).toMatchObject({ status: 'waiting', attempt: 0 });

      mode.failing = false;
      expect(await consumer.consume(3)).toBe(3);
      expect(runs.map((r) => r.attempt)).toEqual([1, 1, 1]);
      expect(runs.map((r) => r.label)).toEqual(['a', 'b', 'c']);
      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, dead: 0 });
      if (hasJobState()) {
        for (const id of ids) expect(await stateOf(orchestrator, id)).toMatchObject({ status: 'completed', attempt: 1 });
      }
    });

    it('redrive({ ids }) moves only the named dead letters', async () => {
      const { queue, orchestrator, consumer, ids, mode, runs } = await deadJobs('dl-redrive-one', ['a', 'b', 'c']);

      expect(await orchestrator.redrive(queue, { ids: [ids[1]] })).toBe(1);
      expect((await orchestrator.deadLetters(queue)).map((d) => d.job.id)).toEqual([ids[0], ids[2]]);
      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 1, dead: 2 });

      mode.failing = false;
      expect(await consumer.consume(1)).toBe(1);
      expect(runs).toEqual([{ label: 'b', attempt: 1 }]);
    });

    it('redrive with an id that is not a dead letter throws and moves nothing', async () => {
      const { queue, orchestrator, ids } = await deadJobs('dl-redrive-unknown', ['a', 'b']);
      const unknown = randomUUID();

      const error = await outcomeOf(orchestrator.redrive(queue, { ids: [ids[0], unknown] }));
      expect(error).toBeInstanceOf(JobsError);
      expect((error as Error).message).toContain(unknown);
      expect((await orchestrator.deadLetters(queue)).map((d) => d.job.id)).toEqual(ids);
      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, dead: 2 });
    });

    it('redrive naming the same id twice moves the job once', async () => {
      const { queue, orchestrator, ids } = await deadJobs('dl-redrive-twice', ['a']);

      // ids are a set: a double mention is neither a double move nor an error.
      expect(await orchestrator.redrive(queue, { ids: [ids[0], ids[0]] })).toBe(1);
      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 1, dead: 0 });
    });

    it('purgeDeadLetters empties the dead-letter queue and returns how many it deleted', async () => {
      const { queue, orchestrator } = await deadJobs('dl-purge', ['a', 'b']);

      expect(await orchestrator.purgeDeadLetters(queue)).toBe(2);
      expect(await orchestrator.deadLetters(queue)).toEqual([]);
      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, dead: 0 });
      expect(await orchestrator.redrive(queue)).toBe(0);
      expect(await orchestrator.purgeDeadLetters(queue)).toBe(0);
    });

    it('a job whose payload fails the queue schema goes to the dead letters at once, never reaching run', async () => {
      const { queue, orchestrator } = await registeredQueue('poison');
      let runs = 0;
      const consumer = connected(
        orchestrator,
        queue,
        () => {
          runs++;
        },
        { attempts: 3, backoff: NO_BACKOFF },
      );
      const events = recordEvents(consumer);
      // A producer that never registered the schema (another service, an older build) publishes
      // straight to the queue, so nothing checks the payload on the way in.
      const producer = new Orchestrator(orchestrator.backend);
      const poison = new Job(randomUUID(), queue, queue, { label: 42 }, new Date().toISOString());
      const id = await producer.publish(queue, poison);

      expect(await consumer.consume(1)).toBe(1);
      expect(runs).toBe(0);
      expect(events.map((e) => e.type)).toEqual(['active', 'failed', 'dead']);
      const dead = await orchestrator.deadLetters(queue);
      expect(dead.map((d) => d.job.id)).toEqual([id]);
      expect(dead[0].error).toMatchObject({ name: 'JobValidationError', attempt: 1 });
      expect(dead[0].error.message).toContain('label');
      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, delayed: 0, active: 0, dead: 1 });
    });
  });

  describe('delayed jobs', () => {
    /** A consumer recording, per run, its label and the moment it started. */
    function timedConsumer(orchestrator: Orchestrator, queue: string) {
      const runs: { label: string; at: number }[] = [];
      const consumer = connected(orchestrator, queue, (job) => void runs.push({ label: job.payload.label, at: Date.now() }));
      return { consumer, runs };
    }

    // Long enough that the checks made before it is due (a few round trips on a loaded machine) are.
    const DELAY_MS = 1000;

    it('a job published with { delay } is delayed, not waiting, until it is due; then it runs', async () => {
      const { queue, orchestrator } = await registeredQueue('delay');
      const { consumer, runs } = timedConsumer(orchestrator, queue);
      const before = Date.now();
      const id = await orchestrator.publish(queue, { label: 'later' }, { delay: DELAY_MS });

      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, delayed: 1, active: 0 });
      expect(await orchestrator.countQueueMessages(queue)).toBe(0);
      if (hasJobState()) {
        const state = await stateOf(orchestrator, id);
        expect(state.status).toBe('delayed');
        expect(state.runAt).toMatch(ISO_UTC);
        // "No sooner than": a backend may round up or count from its own clock, never earlier.
        expect(Date.parse(state.runAt as string)).toBeGreaterThanOrEqual(before + DELAY_MS);
      }

      expect(await consumer.consume(1)).toBe(1);
      expect(runs.map((r) => r.label)).toEqual(['later']);
      expect(runs[0].at).toBeGreaterThanOrEqual(before + DELAY_MS);
      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
      if (hasJobState()) expect((await stateOf(orchestrator, id)).status).toBe('completed');
    });

    it('a job published with { runAt } is delayed until that time', async () => {
      const { queue, orchestrator } = await registeredQueue('run-at');
      const { consumer, runs } = timedConsumer(orchestrator, queue);
      const runAt = new Date(Date.now() + DELAY_MS);
      const id = await orchestrator.publish(queue, { label: 'later' }, { runAt });

      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, delayed: 1 });
      expect(await orchestrator.countQueueMessages(queue)).toBe(0);
      if (hasJobState()) {
        const state = await stateOf(orchestrator, id);
        expect(state.status).toBe('delayed');
        expect(Date.parse(state.runAt as string)).toBeGreaterThanOrEqual(runAt.getTime());
      }

      expect(await consumer.consume(1)).toBe(1);
      expect(runs[0].at).toBeGreaterThanOrEqual(runAt.getTime());
      if (hasJobState()) expect((await stateOf(orchestrator, id)).status).toBe('completed');
    });

    it('delayed jobs published out of order are delivered in the order they fall due', async () => {
      const { queue, orchestrator } = await registeredQueue('delay-order');
      const { consumer, runs } = timedConsumer(orchestrator, queue);
      // Absolute due times, so a slow publish cannot reorder them.
      const base = Date.now() + 30;
      const due: Record<string, number> = { late: base + 120, early: base, middle: base + 60 };
      for (const label of ['late', 'early', 'middle']) {
        await orchestrator.publish(queue, { label }, { runAt: new Date(due[label]) });
      }

      expect(await consumer.consume(3)).toBe(3);
      expect(runs.map((r) => r.label)).toEqual(['early', 'middle', 'late']);
      for (const run of runs) expect(run.at).toBeGreaterThanOrEqual(due[run.label]);
    });

    it('a consumer already waiting on an empty queue gets a delayed job once it is due', async () => {
      const { queue, orchestrator } = await registeredQueue('delay-waiter');
      const { consumer, runs } = timedConsumer(orchestrator, queue);
      const consuming = consumer.consume(1);
      const due = Date.now() + 40;
      await orchestrator.publish(queue, { label: 'later' }, { delay: 40 });

      expect(await consuming).toBe(1);
      expect(runs.map((r) => r.label)).toEqual(['later']);
      expect(runs[0].at).toBeGreaterThanOrEqual(due);
    });
  });

  describe('status and results', () => {
    // Without it, a job is only known where it was published or run.
    itIf(ctx.capabilities.sharedJobState, 'job state not shared between processes (capability sharedJobState)')(
      'with shared job state, another process looks the job up and awaits its result',
      async () => {
        const { queue, orchestrator } = await registeredQueue('shared');
        const other = await ctx.secondOrchestrator();
        await other.register(taskSchema(queue));
        const id = await orchestrator.publish(queue, { label: 'far' });
        expect(await other.getJob(id)).toMatchObject({ id, queue, status: 'waiting' });
        const awaited = other.waitForResult(id, { timeout: 5000 });
        const consumer = connected(other, queue, (job) => ({ echoed: `${job.payload.label} away` }));
        await consumer.consume(1);
        expect(await awaited).toEqual({ echoed: 'far away' });
        expect(await orchestrator.waitForResult(id, { timeout: 5000 })).toEqual({ echoed: 'far away' });
      },
    );

    itIf(!ctx.capabilities.jobState, 'the backend has job state (capability jobState)')(
      'without job state, getJob and waitForResult say so instead of answering',
      async () => {
        const { queue, orchestrator } = await registeredQueue('no-state');
        const id = await orchestrator.publish(queue, { label: 'a' });
        await expect(orchestrator.getJob(id)).rejects.toBeInstanceOf(UnsupportedCapabilityError);
        await expect(orchestrator.waitForResult(id, { timeout: 1000 })).rejects.toBeInstanceOf(UnsupportedCapabilityError);
      },
    );

    withJobState('getJob follows a job from waiting through active to completed, with its result and times', async () => {
      const { queue, orchestrator } = await registeredQueue('status');
      let during: JobState | null = null;
      const consumer = connected(orchestrator, queue, async (job) => {
        during = await orchestrator.getJob(job.id);
        return { echoed: `${job.payload.label}!` };
      });
      const id = await orchestrator.publish(queue, jobFromSchema(taskSchema(queue), { label: 'a' }));

      const before = await stateOf(orchestrator, id);
      expect(before).toMatchObject({
        id,
        queue,
        name: queue,
        status: 'waiting',
        attempt: 0,
        payload: { label: 'a' },
        result: null,
        error: null,
        startedAt: null,
        finishedAt: null,
      });
      expect(before.createdAt).toMatch(ISO_UTC);

      expect(await consumer.consume(1)).toBe(1);
      expect(during).toMatchObject({ id, status: 'active', attempt: 1, finishedAt: null });
      const after = await stateOf(orchestrator, id);
      expect(after).toMatchObject({ id, status: 'completed', attempt: 1, result: { echoed: 'a!' }, error: null });
      expect(after.startedAt).toMatch(ISO_UTC);
      expect(after.finishedAt).toMatch(ISO_UTC);
      expect(Date.parse(after.finishedAt as string)).toBeGreaterThanOrEqual(Date.parse(after.startedAt as string));
    });

    it('a result that fails the output DTO fails the attempt with an output JobValidationError', async () => {
      const { queue, orchestrator } = await registeredQueue('bad-result');
      const consumer = connected(orchestrator, queue, () => ({ echoed: 42 }));
      const id = await orchestrator.publish(queue, { label: 'a' });

      expect(await consumer.consume(1)).toBe(1);
      const dead = await orchestrator.deadLetters(queue);
      expect(dead.map((d) => d.job.id)).toEqual([id]);
      expect(dead[0].error).toMatchObject({ name: 'JobValidationError', attempt: 1 });
      expect(dead[0].error.message).toMatch(/\boutput\b/);
      expect(dead[0].error.message).toContain('echoed');
      if (hasJobState()) expect(await stateOf(orchestrator, id)).toMatchObject({ status: 'dead', result: null });
    });

    withJobState('waitForResult resolves with the result once a consumer completes the job, and at once after', async () => {
      const { queue, orchestrator } = await registeredQueue('wait-ok');
      const consumer = connected(orchestrator, queue, (job) => ({ echoed: `${job.payload.label}!` }));
      const id = await orchestrator.publish(queue, { label: 'a' });

      const waiting = outcomeOf(orchestrator.waitForResult(id));
      expect(await consumer.consume(1)).toBe(1);
      expect(await waiting).toEqual({ echoed: 'a!' });
      expect(await orchestrator.waitForResult(id)).toEqual({ echoed: 'a!' });
    });

    withJobState('waitForResult rejects with JobFailedError carrying the last error when the job ends dead', async () => {
      const { queue, orchestrator } = await registeredQueue('wait-dead');
      const consumer = connected(orchestrator, queue, () => {
        throw new Error('no luck');
      });
      const id = await orchestrator.publish(queue, { label: 'a' });

      const waiting = outcomeOf(orchestrator.waitForResult(id));
      expect(await consumer.consume(1)).toBe(1);
      const error = await waiting;
      expect(error).toBeInstanceOf(JobFailedError);
      expect(error).toMatchObject({ queue, jobId: id, failure: { message: 'no luck', attempt: 1 } });
      expect((error as Error).message).toContain(`"${queue}"`);
      await expect(orchestrator.waitForResult(id)).rejects.toBeInstanceOf(JobFailedError);
    });

    withJobState('waitForResult gives up with WaitTimeoutError when nobody consumes, and the job goes on waiting', async () => {
      const { queue, orchestrator } = await registeredQueue('wait-timeout');
      const id = await orchestrator.publish(queue, { label: 'a' });

      const error = await outcomeOf(orchestrator.waitForResult(id, { timeout: 50 }));
      expect(error).toBeInstanceOf(WaitTimeoutError);
      expect(error).toMatchObject({ queue, jobId: id, timeoutMs: 50, lastStatus: 'waiting' });
      expect((error as Error).message).toContain(`"${queue}"`);
      expect((await stateOf(orchestrator, id)).status).toBe('waiting');
      expect(await orchestrator.countQueueMessages(queue)).toBe(1);
    });

    withJobState('an unknown id: waitForResult rejects with JobNotFoundError, getJob resolves null', async () => {
      const { orchestrator } = await registeredQueue('unknown');
      const unknown = randomUUID();

      const error = await outcomeOf(orchestrator.waitForResult(unknown));
      expect(error).toBeInstanceOf(JobNotFoundError);
      expect(error).toMatchObject({ jobId: unknown });
      expect(await orchestrator.getJob(unknown)).toBeNull();
      expect(await orchestrator.getJob('nope')).toBeNull();
    });

    withJobState("between a failed attempt and its retry the job is 'failed' with that attempt's error", async () => {
      const { queue, orchestrator } = await registeredQueue('failed-status');
      let seenOnRetry: JobState | null = null;
      const consumer = connected(
        orchestrator,
        queue,
        async (job) => {
          if (job.attempt === 1) throw new Error('first try fails');
          seenOnRetry = await orchestrator.getJob(job.id);
        },
        { attempts: 2, backoff: NO_BACKOFF },
      );
      const id = await orchestrator.publish(queue, { label: 'a' });

      // consume(1) takes only the first delivery, so the retry is left for the second consume.
      expect(await consumer.consume(1)).toBe(1);
      expect(await stateOf(orchestrator, id)).toMatchObject({
        status: 'failed',
        attempt: 1,
        error: { message: 'first try fails', attempt: 1 },
      });

      expect(await consumer.consume(1)).toBe(1);
      expect(seenOnRetry).toMatchObject({ status: 'active', attempt: 2, error: { message: 'first try fails', attempt: 1 } });
      expect(await stateOf(orchestrator, id)).toMatchObject({ status: 'completed', attempt: 2 });
    });
  });

  describe('stats', () => {
    it('queueStats counts waiting, delayed, active, completed and dead jobs as they move', async () => {
      const { queue, orchestrator } = await registeredQueue('stats');
      const started = deferred();
      const release = deferred();
      const consumer = connected(orchestrator, queue, async (job) => {
        if (job.payload.label === 'slow') {
          started.resolve();
          await release.promise;
        }
        if (job.payload.label === 'bad') throw new Error('bad job');
      });
      const zero = { waiting: 0, delayed: 0, active: 0, completed: 0, dead: 0, paused: false };
      expect(await orchestrator.queueStats(queue)).toEqual(zero);

      for (const label of ['slow', 'ok', 'bad']) await orchestrator.publish(queue, { label });
      expect(await orchestrator.queueStats(queue)).toEqual({ ...zero, waiting: 3 });
      // Due long after the test ends: it must stay delayed throughout.
      await orchestrator.publish(queue, { label: 'ok' }, { delay: 60_000 });
      expect(await orchestrator.queueStats(queue)).toEqual({ ...zero, waiting: 3, delayed: 1 });

      const consuming = consumer.consume(3);
      await started.promise;
      // Read while 'slow' runs, assert once it is released: a failed assertion must not leave the run hanging.
      const running = await orchestrator.queueStats(queue);
      release.resolve();
      expect(await consuming).toBe(3);
      expect(running).toEqual({ ...zero, waiting: 2, delayed: 1, active: 1 });

      const after = await orchestrator.queueStats(queue);
      expect(after).toMatchObject({ waiting: 0, delayed: 1, active: 0, dead: 1 });
      if (hasJobState()) expect(after.completed).toBe(2);
    });
  });

  describe('events', () => {
    it("a success emits 'active' then 'completed' on the consumer and on the orchestrator", async () => {
      const { queue, orchestrator } = await registeredQueue('ev-ok');
      const consumer = connected(orchestrator, queue, (job) => ({ echoed: `${job.payload.label}!` }));
      const onConsumer = recordEvents(consumer);
      const onOrchestrator = recordEvents(orchestrator.events);
      let result: unknown;
      consumer.on('completed', (event) => void (result = event.result));
      const id = await orchestrator.publish(queue, { label: 'a' });

      expect(await consumer.consume(1)).toBe(1);
      for (const seen of [onConsumer, onOrchestrator]) {
        expect(seen.map((e) => [e.type, e.jobId, e.attempt])).toEqual([
          ['active', id, 1],
          ['completed', id, 1],
        ]);
      }
      expect(result).toEqual({ echoed: 'a!' });
    });

    it('a retry then a success emits active, failed, retrying, active, completed', async () => {
      const { queue, orchestrator } = await registeredQueue('ev-retry');
      const consumer = connected(
        orchestrator,
        queue,
        (job) => {
          if (job.attempt === 1) throw new Error('first try fails');
        },
        { attempts: 2, backoff: NO_BACKOFF },
      );
      const onConsumer = recordEvents(consumer);
      const onOrchestrator = recordEvents(orchestrator.events);
      await orchestrator.publish(queue, { label: 'a' });

      expect(await consumer.consume(2)).toBe(2);
      for (const seen of [onConsumer, onOrchestrator]) {
        expect(seen.map((e) => [e.type, e.attempt])).toEqual([
          ['active', 1],
          ['failed', 1],
          ['retrying', 1],
          ['active', 2],
          ['completed', 2],
        ]);
        expect(seen.filter((e) => e.error).map((e) => e.error)).toEqual([
          { name: 'Error', message: 'first try fails', attempt: 1 },
          { name: 'Error', message: 'first try fails', attempt: 1 },
        ]);
      }
    });

    it('a final failure emits active, failed, dead', async () => {
      const { queue, orchestrator } = await registeredQueue('ev-dead');
      const consumer = connected(orchestrator, queue, () => {
        throw new Error('never works');
      });
      const onConsumer = recordEvents(consumer);
      const onOrchestrator = recordEvents(orchestrator.events);
      await orchestrator.publish(queue, { label: 'a' });

      expect(await consumer.consume(1)).toBe(1);
      for (const seen of [onConsumer, onOrchestrator]) {
        expect(seen.map((e) => [e.type, e.error?.message])).toEqual([
          ['active', undefined],
          ['failed', 'never works'],
          ['dead', 'never works'],
        ]);
      }
    });

    it('a listener that throws or rejects does not stop the consumer or the listeners after it', async () => {
      const { queue, orchestrator } = await registeredQueue('ev-throwing');
      const consumer = connected(orchestrator, queue, (job) => {
        if (job.payload.label === 'bad') throw new Error('bad job');
      });
      const explode = (): never => {
        throw new Error('listener blew up');
      };
      const rejectLater = (): Promise<never> => Promise.reject(new Error('async listener blew up'));
      consumer.on('active', explode);
      consumer.on('completed', rejectLater);
      consumer.on('failed', explode);
      orchestrator.events.on('completed', explode);
      orchestrator.events.on('dead', rejectLater);
      const onConsumer = recordEvents(consumer);
      const onOrchestrator = recordEvents(orchestrator.events);
      const ids: string[] = [];
      for (const label of ['a', 'bad', 'c']) ids.push(await orchestrator.publish(queue, { label }));

      expect(await consumer.consume(3)).toBe(3);
      const byJob = (seen: ReturnType<typeof recordEvents>) => ids.map((id) => seen.filter((e) => e.jobId === id).map((e) => e.type));
      const expected = [
        ['active', 'completed'],
        ['active', 'failed', 'dead'],
        ['active', 'completed'],
      ];
      expect(byJob(onConsumer)).toEqual(expected);
      expect(byJob(onOrchestrator)).toEqual(expected);
      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, dead: 1 });
      if (hasJobState()) {
        expect(await Promise.all(ids.map(async (id) => (await stateOf(orchestrator, id)).status))).toEqual([
          'completed',
          'dead',
          'completed',
        ]);
      }
    });
  });

  describe('a backoff function that throws', () => {
    it('does not leave the job active: it is retried after the default backoff, and consume resolves', async () => {
      const { queue, orchestrator } = await registeredQueue('backoff-throws');
      const consumer = connected(
        orchestrator,
        queue,
        () => {
          throw new Error('run failed');
        },
        {
          attempts: 2,
          backoff: () => {
            throw new Error('backoff exploded');
          },
        },
      );
      const events = recordEvents(consumer);
      const id = await orchestrator.publish(queue, { label: 'a' });

      expect(await consumer.consume(1)).toBe(1);
      // The default backoff's first wait (exponential from 1000 ms), not a job stuck in 'active'.
      expect(events.map((e) => [e.type, e.error?.message, e.delayMs])).toEqual([
        ['active', undefined, undefined],
        ['failed', 'run failed', undefined],
        ['retrying', 'run failed', 1000],
      ]);
      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, delayed: 1, dead: 0 });
      if (hasJobState()) expect(await stateOf(orchestrator, id)).toMatchObject({ status: 'failed', attempt: 1 });
    });
  });
}
