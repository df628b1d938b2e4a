import { Logger } from '../../lib/logger/logger';
import { IsString } from 'class-validator';
import {
  Consumer,
  Job,
  JobEvents,
  JobInput,
  JobSchema,
  LeaseLostError,
  LocalClient,
  Orchestrator,
  resolveConsumerOptions,
  type ConsumerOptions,
  type Delivery,
  type JobBackend,
  type JobFailure,
  type RunContext,
} from '../../lib';
import type { FetchOptions } from '../../lib/backend/job-backend.interface';
import { TransientBackendError } from '../../lib/errors';
import { QueueWorker } from '../../lib/consumer/queue-worker';

class WorkInput extends JobInput {
  @IsString() label = '';
}

type Run = (job: Job<WorkInput>, context: RunContext) => unknown;

class FnConsumer extends Consumer<WorkInput> {
  constructor(
    queue: string,
    private readonly fn: Run,
    options?: ConsumerOptions,
  ) {
    super(queue, options);
  }

  run(job: Job<WorkInput>, context: RunContext): unknown {
    return this.fn(job, context);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise the test resolves from outside. */
function gate<T = void>(): { promise: Promise<T>; open(value: T): void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/** Messages logged at `level` by any of the library's loggers while the test runs. */
function logged(level: 'warn' | 'error'): string[] {
  const messages: string[] = [];
  jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => void messages.push(String(args[0])));
  return messages;
}

describe('QueueWorker', () => {
  let orchestrator: Orchestrator;
  let queue: string;
  let counter = 0;

  beforeEach(async () => {
    orchestrator = new Orchestrator(new LocalClient());
    queue = `worker-${++counter}`;
    await orchestrator.register(new JobSchema({ name: queue, input: WorkInput }));
  });

  afterEach(async () => {
    await orchestrator.close();
    jest.restoreAllMocks();
  });

  function connected(run: Run, options?: ConsumerOptions): FnConsumer {
    const consumer = new FnConsumer(queue, run, options);
    consumer.connect(orchestrator);
    return consumer;
  }

  describe('a backoff function that throws', () => {
    it('retries the job after the default backoff and logs the error with the queue and job id', async () => {
      const errors = logged('error');
      const consumer = connected(
        () => {
          throw new Error('run failed');
        },
        {
          attempts: 3,
          backoff: () => {
            throw new Error('backoff exploded');
          },
        },
      );
      const seen: [string, number | undefined][] = [];
      for (const type of ['failed', 'retrying', 'dead'] as const)
        consumer.on(type, (event) => void seen.push([type, 'delayMs' in event ? event.delayMs : undefined]));
      const id = await orchestrator.publish(queue, { label: 'a' });

      expect(await consumer.consume(1)).toBe(1);
      expect(seen).toEqual([
        ['failed', undefined],
        ['retrying', 1000],
      ]);
      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, delayed: 1, dead: 0 });
      expect((await orchestrator.getJob(id))?.status).toBe('failed');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`"${queue}"`);
      expect(errors[0]).toContain(id);
      expect(errors[0]).toContain('backoff exploded');
    });
  });

  describe('a run that outlives its timeout and ignores its signal', () => {
    it('fails its job at the timeout but keeps its slot until it returns: never more runs than concurrency', async () => {
      const warnings = logged('warn');
      let live = 0;
      let maxLive = 0;
      let deadWhileRunning = 0;
      const running = new Set<string>();
      const consumer = connected(
        async (job) => {
          running.add(job.id);
          maxLive = Math.max(maxLive, ++live);
          await sleep(60); // ignores context.signal
          live--;
          running.delete(job.id);
          return { done: true };
        },
        { concurrency: 2, timeout: 20 },
      );
      consumer.on('dead', (event) => {
        if (running.has(event.job.id)) deadWhileRunning++;
      });
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push(await orchestrator.publish(queue, { label: `j${i}` }));

      expect(await consumer.consume(6)).toBe(6);
      expect(maxLive).toBe(2);
      expect(live).toBe(0);
      // Each job was dead-lettered at its timeout, while its run was still going.
      expect(deadWhileRunning).toBe(6);
      const dead = await orchestrator.deadLetters(queue);
      expect(dead.map((d) => d.job.id).sort()).toEqual([...ids].sort());
      expect(dead.every((d) => d.error.name === 'JobTimeoutError')).toBe(true);
      const late = warnings.filter((w) => w.includes('after its timeout'));
      expect(late).toHaveLength(6);
      for (const id of ids) expect(late.some((w) => w.includes(id) && w.includes(`"${queue}"`))).toBe(true);
    });

    it('a run that stops when its signal aborts frees its slot with no warning', async () => {
      const warnings = logged('warn');
      const consumer = connected(
        (_job, { signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
        { timeout: 20, attempts: 2, backoff: { type: 'fixed', delay: 0 } },
      );
      const types: string[] = [];
      for (const type of ['active', 'failed', 'retrying', 'dead'] as const) consumer.on(type, () => void types.push(type));
      await orchestrator.publish(queue, { label: 'a' });

      expect(await consumer.consume(2)).toBe(2);
      expect(types).toEqual(['active', 'failed', 'retrying', 'active', 'failed', 'dead']);
      expect(warnings).toEqual([]);
    });

    it('shutdown does not wait for it beyond its timeout, nor give its settled job back', async () => {
      const errors = logged('error');
      logged('warn');
      const never = gate();
      const events = new JobEvents();
      const deadIds: string[] = [];
      events.on('dead', (event) => void deadIds.push(event.job.id));
      const options = resolveConsumerOptions('test', { timeout: 20 });
      const worker = new QueueWorker(orchestrator, queue, () => never.promise, options, events);
      const dead = gate();
      events.on('dead', () => dead.open());
      const id = await orchestrator.publish(queue, { label: 'stuck' });
      const consuming = worker.consume();

      await dead.promise;
      expect(await worker.shutdown(10)).toBe(false);
      expect(await consuming).toBe(1);
      expect(deadIds).toEqual([id]);
      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, dead: 1 });
      expect(errors).toEqual([]);
      never.open();
    });
  });

  describe('a run that ignores its signal beyond timeoutGrace', () => {
    /** Lets every pending promise callback run (not a wait for time to pass). */
    const settled = () => new Promise((resolve) => setImmediate(resolve));

    it('is abandoned: its slot goes to the next job, a warning names queue and job, abandonedRuns counts it until it returns', async () => {
      const warnings = logged('warn');
      const stuck = gate();
      const ran: string[] = [];
      const consumer = connected(
        (job) => {
          ran.push(job.payload.label);
          return job.payload.label === 'stuck' ? stuck.promise.then(() => ({ late: true })) : {};
        },
        { concurrency: 1, timeout: 20, timeoutGrace: 30 },
      );
      const stuckId = await orchestrator.publish(queue, { label: 'stuck' });
      const nextId = await orchestrator.publish(queue, { label: 'next' });

      expect(await consumer.consume(2)).toBe(2);
      expect(ran).toEqual(['stuck', 'next']);
      expect(consumer.abandonedRuns).toBe(1);
      const abandoned = warnings.filter((w) => w.includes('abandoned —'));
      expect(abandoned).toHaveLength(1);
      expect(abandoned[0]).toContain(stuckId);
      expect(abandoned[0]).toContain(`"${queue}"`);
      expect((await orchestrator.getJob(nextId))?.status).toBe('completed');

      stuck.open();
      await settled();
      expect(consumer.abandonedRuns).toBe(0);
      expect(warnings.filter((w) => w.includes(`abandoned run of job ${stuckId}`) && w.includes('returned'))).toHaveLength(1);
      // Its late result changed nothing: the job died once, with JobTimeoutError.
      const dead = await orchestrator.deadLetters(queue);
      expect(dead.map((d) => [d.job.id, d.error.name])).toEqual([[stuckId, 'JobTimeoutError']]);
      expect((await orchestrator.getJob(stuckId))?.status).toBe('dead');
    });

    it('at maxAbandonedRuns the consumer takes no more jobs, says so once, and resumes when one returns', async () => {
      logged('warn');
      const errors = logged('error');
      const full = gate();
      jest.spyOn(Logger.prototype, 'error').mockImplementation((message: string) => {
        errors.push(message);
        if (message.includes('takes no more jobs')) full.open();
      });
      const stuck = gate();
      const ran: string[] = [];
      const consumer = connected(
        (job) => {
          ran.push(job.payload.label);
          return job.payload.label === 'stuck' ? stuck.promise : {};
        },
        { concurrency: 1, timeout: 20, timeoutGrace: 0, maxAbandonedRuns: 1 },
      );
      const completed = gate();
      let completions = 0;
      consumer.on('completed', () => void (++completions === 2 && completed.open()));
      await orchestrator.publish(queue, { label: 'stuck' });
      await orchestrator.publish(queue, { label: 'a' });
      await orchestrator.publish(queue, { label: 'b' });
      const consuming = consumer.consume();

      await full.promise;
      expect(ran).toEqual(['stuck']);
      expect(await orchestrator.countQueueMessages(queue)).toBe(2);
      expect(errors.filter((e) => e.includes('takes no more jobs'))).toHaveLength(1);
      expect(errors[0]).toContain(`"${queue}"`);
      expect(errors[0]).toContain('maxAbandonedRuns: 1');

      stuck.open();
      await completed.promise;
      expect(ran).toEqual(['stuck', 'a', 'b']);
      expect(consumer.abandonedRuns).toBe(0);
      await consumer.stop();
      expect(await consuming).toBe(3);
    });

    it('stop() resolves once the run is abandoned, though the run never returns', async () => {
      logged('warn');
      const consumer = connected(() => new Promise(() => undefined), { timeout: 20, timeoutGrace: 20 });
      const dead = gate();
      consumer.on('dead', () => dead.open());
      const consuming = consumer.consume();
      await orchestrator.publish(queue, { label: 'stuck' });
      await dead.promise;

      await consumer.stop();
      expect(await consuming).toBe(1);
      expect(consumer.abandonedRuns).toBe(1);
    });
  });

  describe('maxStalls on a backend that does not count stalls', () => {
    it('warns once per consumer when maxStalls was given, naming the queue and the backend', async () => {
      const warnings = logged('warn');
      const consumer = connected(() => ({}), { maxStalls: 3 });
      await orchestrator.publish(queue, { label: 'a' });
      await orchestrator.publish(queue, { label: 'b' });
      await consumer.consume(1);
      await consumer.consume(1);

      const about = warnings.filter((w) => w.includes('maxStalls'));
      expect(about).toHaveLength(1);
      expect(about[0]).toContain(`"${queue}"`);
      expect(about[0]).toContain('LocalClient');
      expect(about[0]).toContain('stallCount');
    });

    it('says nothing when maxStalls is left at its default', () => {
      const warnings = logged('warn');
      connected(() => ({}), { concurrency: 2 });
      expect(warnings.filter((w) => w.includes('maxStalls'))).toEqual([]);
    });

    it('says nothing on a backend that counts stalls', () => {
      const warnings = logged('warn');
      const backend = { name: 'Counting', capabilities: { leases: true, stallCount: true } } as unknown as JobBackend;
      new FnConsumer(queue, () => ({}), { maxStalls: 3 }).connect(new Orchestrator(backend));
      expect(warnings.filter((w) => w.includes('maxStalls'))).toEqual([]);
    });
  });
});

/**
 * A backend holding one job whose lease the broker has taken back: every extendLease fails with
 * LeaseLostError. It records every settle it is asked for.
 */
function lostLeaseBackend(queue: string) {
  const settles: string[] = [];
  const delivery: Delivery = {
    queue,
    token: 'stale',
    job: {
      id: 'job-1',
      name: queue,
      schemaName: queue,
      payload: { label: 'x' },
      createdAt: new Date().toISOString(),
      priority: 0,
      attempt: 1,
    },
  };
  let handedOut = false;
  const backend = {
    name: 'LostLeaseBackend',
    capabilities: { queueTypes: ['fifo'], leases: true, priorityRange: [0, 0], jobState: false, sharedJobState: false },
    async fetch(_queue: string, _max: number, options: { wait: boolean; signal?: AbortSignal }): Promise<Delivery[]> {
      if (!handedOut) {
        handedOut = true;
        return [delivery];
      }
      if (!options.wait || options.signal?.aborted) return [];
      await new Promise((resolve) => options.signal?.addEventListener('abort', resolve, { once: true }));
      return [];
    },
    async extendLease(d: Delivery): Promise<void> {
      throw new LeaseLostError(d.queue, d.job.id);
    },
    async complete(): Promise<void> {
      settles.push('complete');
    },
    async retry(_d: Delivery, _f: JobFailure, _delay: number): Promise<void> {
      settles.push('retry');
    },
    async deadLetter(): Promise<void> {
      settles.push('deadLetter');
    },
    async release(): Promise<void> {
      settles.push('release');
    },
  };
  return { backend: backend as unknown as JobBackend, settles, delivery };
}

describe('QueueWorker, when the lease of a running job is lost', () => {
  afterEach(() => jest.restoreAllMocks());

  it("aborts the run's signal with the LeaseLostError, settles nothing, and logs once", async () => {
    const warnings = logged('warn');
    const errors = logged('error');
    const { backend, settles } = lostLeaseBackend('leased');
    const reasons: unknown[] = [];
    const aborted = gate();
    const consumer = new FnConsumer(
      'leased',
      (_job, { signal }) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => {
            reasons.push(signal.reason);
            reject(new Error('stopped: lease lost'));
            aborted.open();
          }),
        ),
      { leaseMs: 30, attempts: 3 },
    );
    const types: string[] = [];
    for (const type of ['active', 'completed', 'failed', 'retrying', 'dead'] as const) consumer.on(type, () => void types.push(type));
    consumer.connect(new Orchestrator(backend));
    const consuming = consumer.consume(1);
    await aborted.promise;
    await consumer.stop();

    expect(await consuming).toBe(0);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(LeaseLostError);
    expect(settles).toEqual([]);
    expect(types).toEqual(['active']);
    const about = [...warnings, ...errors].filter((m) => m.includes('job-1'));
    expect(about).toHaveLength(1);
    expect(about[0]).toContain('aborted');
  });

  it('at shutdown, stops waiting for a lost run without giving its job back: the backend has it already', async () => {
    logged('warn');
    const errors = logged('error');
    const { backend, settles } = lostLeaseBackend('leased-3');
    const lost = gate();
    const never = gate();
    const options = resolveConsumerOptions('test', { leaseMs: 30 });
    const worker = new QueueWorker(
      new Orchestrator(backend),
      'leased-3',
      async (_job, { signal }) => {
        signal.addEventListener('abort', () => lost.open()); // and ignores it
        await never.promise;
      },
      options,
      new JobEvents(),
    );
    const consuming = worker.consume();
    await lost.promise;

    expect(await worker.shutdown(10)).toBe(false);
    expect(await consuming).toBe(0);
    expect(settles).toEqual([]);
    expect(errors).toEqual([]);
    never.open();
  });

  it('does not complete a run that ignores the abort and returns a result', async () => {
    logged('warn');
    const { backend, settles } = lostLeaseBackend('leased-2');
    const lost = gate();
    const consumer = new FnConsumer(
      'leased-2',
      async (_job, { signal }) => {
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        lost.open();
        return { ignored: true };
      },
      { leaseMs: 30 },
    );
    consumer.connect(new Orchestrator(backend));
    const consuming = consumer.consume(1);
    await lost.promise;
    await consumer.stop();

    expect(await consuming).toBe(0);
    expect(settles).toEqual([]);
  });
});

/** A LocalClient whose non-blocking fetch takes a round trip, as a fetch ahead does on Redis or RabbitMQ. */
class SlowPeekClient extends LocalClient {
  override fetch(queue: string, max: number, options: FetchOptions): Promise<Delivery[]> {
    if (options.wait) return super.fetch(queue, max, options);
    return sleep(40).then(() => super.fetch(queue, max, options));
  }
}

/** A LocalClient whose blocking fetch fails with a connection error when it is aborted (a broker dropping us at stop). */
class DroppingClient extends LocalClient {
  override fetch(queue: string, max: number, options: FetchOptions): Promise<Delivery[]> {
    if (!options.wait || !options.signal) return super.fetch(queue, max, options);
    const signal = options.signal;
    return new Promise((_, reject) =>
      signal.addEventListener('abort', () => reject(new TransientBackendError('connection closed')), { once: true }),
    );
  }
}

/** An orchestrator whose schema lookup fails for one queue: an error inside the run pipeline, outside any handler. */
class BrokenLookupOrchestrator extends Orchestrator {
  broken = '';
  override schemaFor(queue: string) {
    if (queue === this.broken) throw new Error('schema lookup exploded');
    return super.schemaFor(queue);
  }
}

/** Rejections nobody handled while the test ran. */
function unhandledRejections(): { seen: unknown[]; stop(): void } {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => void seen.push(reason);
  process.on('unhandledRejection', listener);
  return { seen, stop: () => void process.off('unhandledRejection', listener) };
}

/** Lets every pending callback run (not a wait for time to pass). */
const drained = () => new Promise((resolve) => setImmediate(resolve));

describe('QueueWorker, robustness', () => {
  let counter = 0;
  let orchestrator: Orchestrator;
  afterEach(async () => {
    await orchestrator?.close();
    jest.restoreAllMocks();
  });

  async function registered(client: LocalClient, make = (c: LocalClient) => new Orchestrator(c)): Promise<string> {
    orchestrator = make(client);
    const queue = `robust-${++counter}`;
    await orchestrator.register(new JobSchema({ name: queue, input: WorkInput }));
    return queue;
  }

  it('with a prefetch, a run ending while a fetch ahead is in flight still wakes the loop for the next job', async () => {
    const queue = await registered(new SlowPeekClient());
    const consumer = new FnConsumer(queue, () => ({}), { concurrency: 1, prefetch: 1 });
    consumer.connect(orchestrator);
    const completed: string[] = [];
    let next = gate();
    consumer.on('completed', (event) => {
      completed.push(event.job.id);
      next.open();
    });
    const consuming = consumer.consume();

    const first = await orchestrator.publish(queue, { label: 'a' });
    await next.promise;
    // The loop is now waiting on its fetch ahead, then on a wake-up; the second job must still run.
    await sleep(100);
    next = gate();
    const second = await orchestrator.publish(queue, { label: 'b' });
    const hang = sleep(5000).then(() => 'hung');
    expect(await Promise.race([next.promise.then(() => 'ran'), hang])).toBe('ran');
    expect(completed).toEqual([first, second]);
    await consumer.stop();
    expect(await consuming).toBe(2);
  });

  it('an error inside the run pipeline fails the attempt, is logged, raises nothing unhandled, and leaves the consumer usable', async () => {
    const errors = logged('error');
    const rejections = unhandledRejections();
    try {
      const queue = await registered(new LocalClient(), (client) => new BrokenLookupOrchestrator(client));
      (orchestrator as BrokenLookupOrchestrator).broken = queue;
      const consumer = new FnConsumer(queue, () => ({}), { attempts: 1 });
      consumer.connect(orchestrator);
      const id = await orchestrator.publish(queue, { label: 'a' });

      const hang = sleep(5000).then(() => 'hung');
      expect(await Promise.race([consumer.consume(1), hang])).toBe(1);
      expect((await orchestrator.getJob(id))?.status).toBe('dead');
      expect((await orchestrator.deadLetters(queue)).map((d) => d.error.message)).toEqual(['schema lookup exploded']);
      expect(errors.filter((e) => e.includes(id) && e.includes('schema lookup exploded'))).toHaveLength(1);

      (orchestrator as BrokenLookupOrchestrator).broken = '';
      const again = await orchestrator.publish(queue, { label: 'b' });
      expect(await consumer.consume(1)).toBe(1);
      expect((await orchestrator.getJob(again))?.status).toBe('completed');
      await drained();
      expect(rejections.seen).toEqual([]);
    } finally {
      rejections.stop();
    }
  });

  it('consume() does not count a job given back at shutdown as settled', async () => {
    logged('warn');
    const queue = await registered(new LocalClient());
    const started = gate();
    const options = resolveConsumerOptions('test', {});
    const worker = new QueueWorker(
      orchestrator,
      queue,
      (_job, { signal }) => {
        started.open();
        return new Promise((resolve) => signal.addEventListener('abort', () => resolve({}), { once: true }));
      },
      options,
      new JobEvents(),
    );
    const id = await orchestrator.publish(queue, { label: 'a' });
    const consuming = worker.consume();
    await started.promise;

    expect(await worker.shutdown(10)).toBe(false);
    expect(await consuming).toBe(0);
    expect((await orchestrator.getJob(id))?.status).toBe('waiting');
  });

  it('a fetch failing on the connection after stop() is not retried', async () => {
    const warnings = logged('warn');
    const queue = await registered(new DroppingClient());
    const consumer = new FnConsumer(queue, () => ({}));
    consumer.connect(orchestrator);
    const consuming = consumer.consume();
    await drained();

    await consumer.stop();
    expect(await consuming).toBe(0);
    expect(warnings.filter((w) => w.includes('retrying'))).toEqual([]);
  });
});
