import { jobFromSchema, type JobRecord } from '../../lib';
import { itIf, type ConformanceContext } from './conformance-context';
import { FnConsumer, recordingConsumer, taskSchema } from './conformance.fixtures';

/** Standalone consumers over the backend: counts, draining, stopping, failures, concurrency. */
export function consumerCases(ctx: ConformanceContext): void {
  /** For cases that check which jobs ran, not in what order (see releaseKeepsOrder). */
  const sortedByLabel = <T extends { label: string }>(runs: T[]): T[] => [...runs].sort((a, b) => a.label.localeCompare(b.label));

  async function registeredQueue(label = 'c') {
    const queue = ctx.queueName(label);
    const schema = taskSchema(queue);
    await ctx.orchestrator().register(schema);
    return { queue, schema, orchestrator: ctx.orchestrator() };
  }

  it('consume(n) processes exactly n and returns n, leaving the rest', async () => {
    const { queue, orchestrator } = await registeredQueue();
    for (let i = 0; i < 5; i++) await orchestrator.publish(queue, { label: `j${i}` });
    const { consumer, seen } = recordingConsumer(queue, { concurrency: 2 });
    consumer.connect(orchestrator);
    expect(await consumer.consume(3)).toBe(3);
    expect(seen).toHaveLength(3);
    expect(await orchestrator.countQueueMessages(queue)).toBe(2);
  });

  it('consume(n) waits for jobs published after it started', async () => {
    const { queue, orchestrator } = await registeredQueue();
    const { consumer, seen } = recordingConsumer(queue);
    consumer.connect(orchestrator);
    const consuming = consumer.consume(2);
    await orchestrator.publish(queue, { label: 'late-1' });
    await orchestrator.publish(queue, { label: 'late-2' });
    expect(await consuming).toBe(2);
    expect(seen).toEqual(['late-1', 'late-2']);
  });

  it('consumeUntilEmpty drains the queue and returns how many it processed', async () => {
    const { queue, orchestrator } = await registeredQueue();
    for (let i = 0; i < 7; i++) await orchestrator.publish(queue, { label: `j${i}` });
    const { consumer, seen } = recordingConsumer(queue, { concurrency: 3 });
    consumer.connect(orchestrator);
    expect(await consumer.consumeUntilEmpty()).toBe(7);
    expect([...seen].sort()).toEqual(['j0', 'j1', 'j2', 'j3', 'j4', 'j5', 'j6']);
    expect(await orchestrator.countQueueMessages(queue)).toBe(0);
    expect(await consumer.consumeUntilEmpty()).toBe(0);
  });

  it('stop() ends an endless consume after the running job settles', async () => {
    const { queue, orchestrator } = await registeredQueue();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const consumer = new FnConsumer(queue, async () => {
      started();
      await gate;
    });
    consumer.connect(orchestrator);
    const consuming = consumer.consume();
    const id = await orchestrator.publish(queue, { label: 'only' });
    await running;
    const stopped = consumer.stop();
    release();
    await stopped;
    expect(await consuming).toBe(1);
    if (ctx.capabilities.jobState) expect((await orchestrator.getJob(id))?.status).toBe('completed');
    await orchestrator.publish(queue, { label: 'after-stop' });
    expect(await orchestrator.countQueueMessages(queue)).toBe(1);
  });

  itIf(ctx.capabilities.releaseUncounted !== false, 'a job given back unrun may count an attempt (capability releaseUncounted)')(
    'stop() leaves no job taken but not run: the rest wait, their attempts uncounted',
    async () => {
      const { queue, orchestrator } = await registeredQueue();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await orchestrator.publish(queue, { label: `s${i}` }));
      let stopped: Promise<void> | undefined;
      const consumer = new FnConsumer(queue, () => undefined);
      // Stop right after the first job completed: a backend may have handed over the next job in the
      // same round trip as that completion; it must go back unrun.
      consumer.on('completed', () => void (stopped ??= consumer.stop()));
      consumer.connect(orchestrator);
      expect(await consumer.consume()).toBe(1);
      await stopped;
      expect(await orchestrator.countQueueMessages(queue)).toBe(2);
      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 2, active: 0 });
      if (ctx.capabilities.jobState) {
        for (const id of ids.slice(1)) expect(await orchestrator.getJob(id)).toMatchObject({ status: 'waiting', attempt: 0 });
      }
      // Recorded here, asserted below: an expect inside a run would only fail (and dead-letter) that job.
      const runs: { label: string; attempt: number }[] = [];
      const again = new FnConsumer(queue, (job) => void runs.push({ label: job.payload.label, attempt: job.attempt }));
      again.connect(orchestrator);
      expect(await again.consume(2)).toBe(2);
      expect(sortedByLabel(runs)).toEqual([
        { label: 's1', attempt: 1 },
        { label: 's2', attempt: 1 },
      ]);
      expect(await orchestrator.deadLetters(queue)).toEqual([]);
    },
  );

  describe('prefetch', () => {
    /** A consumer whose first run waits for `release()`; records labels and the most runs at once. */
    function gatedConsumer(queue: string, options: { concurrency: number; prefetch: number }) {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let firstStarted!: () => void;
      const started = new Promise<void>((resolve) => (firstStarted = resolve));
      const seen: { label: string; attempt: number }[] = [];
      let runningNow = 0;
      let mostAtOnce = 0;
      const consumer = new FnConsumer(
        queue,
        async (job) => {
          seen.push({ label: job.payload.label, attempt: job.attempt });
          mostAtOnce = Math.max(mostAtOnce, ++runningNow);
          if (seen.length === 1) {
            firstStarted();
            await gate;
          }
          runningNow--;
        },
        options,
      );
      return { consumer, release, started, seen, mostAtOnce: () => mostAtOnce };
    }

    it('jobs taken ahead still run one slot at a time, in order, each once', async () => {
      const { queue, orchestrator } = await registeredQueue('prefetch');
      const labels = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'];
      for (const label of labels) await orchestrator.publish(queue, { label });
      const { consumer, release, started, seen, mostAtOnce } = gatedConsumer(queue, { concurrency: 1, prefetch: 3 });
      consumer.connect(orchestrator);
      const consuming = consumer.consume(labels.length);
      await started;
      // One running, three taken ahead: four held, four still waiting for anyone.
      expect(await orchestrator.countQueueMessages(queue)).toBe(4);
      release();
      expect(await consuming).toBe(labels.length);
      expect(seen.map((s) => s.label)).toEqual(labels);
      expect(mostAtOnce()).toBe(1);
      expect(await orchestrator.queueStats(queue)).toMatchObject({
        waiting: 0,
        active: 0,
        ...(ctx.capabilities.jobState ? { completed: labels.length } : {}),
      });
    });

    it('consume(n) takes no more than n jobs, however large the prefetch', async () => {
      const { queue, orchestrator } = await registeredQueue('prefetch-n');
      for (let i = 0; i < 5; i++) await orchestrator.publish(queue, { label: `n${i}` });
      const { consumer, seen } = recordingConsumer(queue, { concurrency: 1, prefetch: 10 });
      consumer.connect(orchestrator);
      expect(await consumer.consume(2)).toBe(2);
      expect(seen).toEqual(['n0', 'n1']);
      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 3, active: 0 });
    });

    /**
     * Eight jobs; a consumer (concurrency 1, prefetch 5) runs s0 holding s1–s5 taken ahead, and stops:
     * s1–s5 go back unrun, s6 and s7 never left. Returns what a second consumer then runs, in order.
     */
    async function runAfterStopWithJobsTakenAhead(label: string) {
      const { queue, orchestrator } = await registeredQueue(label);
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) ids.push(await orchestrator.publish(queue, { label: `s${i}` }));
      const { consumer, release, started, seen } = gatedConsumer(queue, { concurrency: 1, prefetch: 5 });
      consumer.connect(orchestrator);
      const consuming = consumer.consume();
      await started;
      const stopped = consumer.stop();
      release();
      await stopped;
      expect(await consuming).toBe(1);
      expect(seen.map((s) => s.label)).toEqual(['s0']);
      expect(await orchestrator.queueStats(queue)).toMatchObject({
        waiting: 7,
        active: 0,
        ...(ctx.capabilities.jobState ? { completed: 1 } : {}),
      });
      if (ctx.capabilities.jobState) {
        for (const id of ids.slice(1)) expect(await orchestrator.getJob(id)).toMatchObject({ status: 'waiting', attempt: 0 });
      }
      const rest: { label: string; attempt: number }[] = [];
      const again = new FnConsumer(queue, (job) => void rest.push({ label: job.payload.label, attempt: job.attempt }));
      again.connect(orchestrator);
      expect(await again.consume(7)).toBe(7);
      return rest;
    }

    const notYetRun = ['s1', 's2', 's3', 's4', 's5', 's6', 's7'].map((label) => ({ label, attempt: 1 }));

    itIf(ctx.capabilities.releaseUncounted !== false, 'a job given back unrun may count an attempt (capability releaseUncounted)')(
      'stop() gives jobs taken ahead back unrun, their attempts uncounted',
      async () => {
        const rest = await runAfterStopWithJobsTakenAhead('prefetch-stop');
        expect(sortedByLabel(rest)).toEqual(notYetRun);
      },
    );

    itIf(ctx.capabilities.releaseKeepsOrder === true, 'given-back jobs may come back in another order (no capability releaseKeepsOrder)')(
      'jobs a stopped consumer took ahead come back in their old places, ahead of the jobs behind them',
      async () => {
        const rest = await runAfterStopWithJobsTakenAhead('prefetch-stop-order');
        expect(rest).toEqual(notYetRun);
      },
    );
  });

  describe('stalled jobs (maxStalls)', () => {
    /** Publishes one job and lets `stalls` holders take it and "die": their leases run out unsettled. */
    async function stalledJob(label: string, stalls: number) {
      const { queue, orchestrator } = await registeredQueue(label);
      const id = await orchestrator.publish(queue, { label });
      const backend = orchestrator.backend;
      for (let i = 0; i < stalls; i++) {
        const [held] = await backend.fetch(queue, 1, { wait: false, leaseMs: 1 });
        expect(held.job.id).toBe(id);
        expect(held.stalls).toBe(i);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return { queue, orchestrator, id };
    }

    const countsStalls = ctx.capabilities.leases && ctx.capabilities.stallCount === true;

    itIf(!countsStalls, 'the backend counts stalls (capabilities leases + stallCount)')(
      'a backend that does not count stalls reports none',
      async () => {
        const { queue, orchestrator } = await registeredQueue('no-stalls');
        await orchestrator.publish(queue, { label: 'once' });
        const [delivery] = await orchestrator.backend.fetch(queue, 1, { wait: false, leaseMs: 30_000 });
        expect(delivery.stalls ?? 0).toBe(0);
        await orchestrator.backend.release(delivery);
      },
    );

    itIf(countsStalls, 'no stall count (capabilities leases + stallCount)')(
      'a job that stalled more than maxStalls times is dead-lettered with JobStalledError, without a run',
      async () => {
        const { queue, orchestrator, id } = await stalledJob('stalled', 2);
        const runs: string[] = [];
        const consumer = new FnConsumer(queue, (job) => void runs.push(job.id), { maxStalls: 1 });
        const dead: string[] = [];
        consumer.on('dead', ({ job, error }) => dead.push(`${job.id} ${error.name}`));
        consumer.connect(orchestrator);
        expect(await consumer.consume(1)).toBe(1);
        expect(runs).toEqual([]);
        expect(dead).toEqual([`${id} JobStalledError`]);
        const letters = await orchestrator.deadLetters(queue);
        expect(letters.map((d) => d.job.id)).toEqual([id]);
        expect(letters[0].error).toMatchObject({ name: 'JobStalledError', attempt: 3 });
        expect(letters[0].error.message).toContain('stalled 2 times');
      },
    );

    itIf(countsStalls, 'no stall count (capabilities leases + stallCount)')(
      'a job that stalled no more than maxStalls times runs again, and redrive forgets its stalls',
      async () => {
        const { queue, orchestrator, id } = await stalledJob('stalled-ok', 2);
        const runs: number[] = [];
        const consumer = new FnConsumer(queue, (job) => void runs.push(job.attempt), { maxStalls: 2 });
        consumer.connect(orchestrator);
        expect(await consumer.consume(1)).toBe(1);
        expect(runs).toEqual([3]);
        expect((await orchestrator.getJob(id))?.status).toBe('completed');

        const { queue: other, orchestrator: same, id: died } = await stalledJob('stalled-redrive', 2);
        const strict = new FnConsumer(other, () => undefined, { maxStalls: 0 });
        strict.connect(same);
        expect(await strict.consume(1)).toBe(1);
        expect(await same.redrive(other)).toBe(1);
        const [fresh] = await same.backend.fetch(other, 1, { wait: false, leaseMs: 30_000 });
        expect(fresh).toMatchObject({ job: { id: died, attempt: 1 }, stalls: 0 });
        await same.backend.complete(fresh, { echoed: 'after redrive' });
      },
    );
  });

  it('stop() on an idle consumer returns at once with nothing taken', async () => {
    const { queue, orchestrator } = await registeredQueue();
    const { consumer } = recordingConsumer(queue);
    consumer.connect(orchestrator);
    const consuming = consumer.consume();
    await consumer.stop();
    expect(await consuming).toBe(0);
  });

  it('a run that throws sends the job to the dead-letter queue with its error', async () => {
    const { queue, orchestrator } = await registeredQueue();
    const id = await orchestrator.publish(queue, { label: 'boom' });
    const consumer = new FnConsumer(queue, () => {
      throw new Error('detector exploded');
    });
    consumer.connect(orchestrator);
    expect(await consumer.consume(1)).toBe(1);
    const dead = await orchestrator.deadLetters(queue);
    expect(dead).toHaveLength(1);
    expect(dead[0].job.id).toBe(id);
    expect(dead[0].error).toMatchObject({ message: 'detector exploded', attempt: 1 });
    expect(await orchestrator.countQueueMessages(queue)).toBe(0);
  });

  it('a poison payload never reaches run and lands in the dead-letter queue', async () => {
    const { queue, orchestrator } = await registeredQueue();
    const poison: JobRecord = {
      id: '00000000-0000-4000-8000-000000000001',
      name: queue,
      schemaName: queue,
      payload: { label: 12345 },
      createdAt: new Date().toISOString(),
      priority: 0,
      attempt: 0,
    };
    await orchestrator.backend.publish(queue, [{ job: poison }]);
    const good = await orchestrator.publish(queue, { label: 'fine' });
    const { consumer, seen } = recordingConsumer(queue);
    consumer.connect(orchestrator);
    expect(await consumer.consume(2)).toBe(2);
    expect(seen).toEqual(['fine']);
    const dead = await orchestrator.deadLetters(queue);
    expect(dead.map((d) => d.job.id)).toEqual([poison.id]);
    expect(dead[0].error.name).toBe('JobValidationError');
    expect(dead[0].error.message).toMatch(/label/);
    if (ctx.capabilities.jobState) expect((await orchestrator.getJob(good))?.status).toBe('completed');
  });

  it('unknown properties are stripped before run sees the payload', async () => {
    const { queue, schema, orchestrator } = await registeredQueue();
    await orchestrator.publish(queue, jobFromSchema(schema, { label: 'x', sneaky: true } as never));
    let payload: object | undefined;
    const consumer = new FnConsumer(queue, (job) => void (payload = job.payload));
    consumer.connect(orchestrator);
    await consumer.consume(1);
    expect(payload).toEqual(expect.objectContaining({ label: 'x' }));
    expect(payload).not.toHaveProperty('sneaky');
  });

  it('concurrency N runs N jobs at once, and never more', async () => {
    const { queue, orchestrator } = await registeredQueue('concurrency');
    const n = 4;
    for (let i = 0; i < 3 * n; i++) await orchestrator.publish(queue, { label: `c${i}` });
    // A latch: runs hold until N of them are running together; the case hangs (and fails) if they never are.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let full!: () => void;
    const allRunning = new Promise<void>((resolve) => (full = resolve));
    let running = 0;
    let most = 0;
    const consumer = new FnConsumer(
      queue,
      async () => {
        most = Math.max(most, ++running);
        if (running === n) full();
        await gate;
        running--;
      },
      { concurrency: n },
    );
    consumer.connect(orchestrator);
    const consuming = consumer.consume(3 * n);
    await allRunning;
    const atOnce = running;
    release();
    expect(await consuming).toBe(3 * n);
    expect(atOnce).toBe(n);
    expect(most).toBe(n);
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0 });
  });

  it('one consumer of concurrency 1 runs a backlog in order, each job once', async () => {
    const { queue, schema, orchestrator } = await registeredQueue('serial');
    const jobs = Array.from({ length: 200 }, (_, i) => jobFromSchema(schema, { label: `serial-${i}` }));
    await orchestrator.publishBatch(queue, jobs);
    const { consumer, seen } = recordingConsumer(queue);
    consumer.connect(orchestrator);
    expect(await consumer.consumeUntilEmpty()).toBe(200);
    expect(seen).toEqual(jobs.map((j) => j.payload.label));
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0 });
  });

  it('nothing lost and nothing duplicated: 3000 jobs, two consumers of concurrency 8', async () => {
    const { queue, schema, orchestrator } = await registeredQueue('bulk');
    const total = 3000;
    const jobs = Array.from({ length: total }, (_, i) => jobFromSchema(schema, { label: `bulk-${i}` }));
    for (let i = 0; i < total; i += 500) await orchestrator.publishBatch(queue, jobs.slice(i, i + 500));
    const runs = new Map<string, number>();
    const count = (job: { id: string }) => void runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
    const first = new FnConsumer(
      queue,
      async (job) => {
        count(job);
        await Promise.resolve();
      },
      { concurrency: 8 },
    );
    const second = new FnConsumer(
      queue,
      async (job) => {
        count(job);
        await new Promise((resolve) => setImmediate(resolve));
      },
      { concurrency: 8 },
    );
    first.connect(orchestrator);
    second.connect(orchestrator);
    const [a, b] = await Promise.all([first.consumeUntilEmpty(), second.consumeUntilEmpty()]);
    expect(a + b).toBe(total);
    expect(runs.size).toBe(total);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(jobs.map((j) => j.id))).toEqual(new Set(runs.keys()));
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, dead: 0 });
  });

  it('without register(), a job made by jobFromSchema is validated by the JobSchema it names: run gets the input DTO, an invalid payload is dead-lettered', async () => {
    const orchestrator = ctx.orchestrator();
    const queue = ctx.queueName('unregistered');
    // Made in this process, never registered: the queue is not named after it, so the job's schemaName finds it.
    const schema = taskSchema(`${queue}.task`);
    await orchestrator.declareQueue(queue);
    const payloads: unknown[] = [];
    const consumer = new FnConsumer(queue, (job) => void payloads.push(job.payload), { attempts: 3 });
    consumer.connect(orchestrator);
    const good = jobFromSchema(schema, { label: 'ok' });
    await orchestrator.publish(queue, good);
    // Straight to the backend, as a producer that validates nothing would.
    const template = jobFromSchema(schema, { label: 'poison' });
    const poison: JobRecord = {
      id: template.id,
      name: schema.name,
      schemaName: schema.name,
      payload: { label: 42 },
      createdAt: template.createdAt,
      priority: 0,
      attempt: 0,
    };
    await orchestrator.backend.publish(queue, [{ job: poison }]);

    expect(await consumer.consume(2)).toBe(2);
    expect(payloads).toHaveLength(1);
    expect(payloads[0]).toBeInstanceOf(schema.input);
    expect(payloads[0]).toMatchObject({ label: 'ok' });
    const dead = await orchestrator.deadLetters(queue);
    expect(dead.map((d) => [d.job.id, d.error.name, d.error.attempt])).toEqual([[poison.id, 'JobValidationError', 1]]);
    expect(dead[0].error.message).toContain('label');
  });
}
