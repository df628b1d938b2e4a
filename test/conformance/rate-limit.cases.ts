import { RateLimitedError, UnsupportedCapabilityError } from '../../lib';
import { QUIET_FALLBACK_MS, QUIET_WINDOW_MS, callsWhileDrainWaits, watchFetches } from './backend-calls.fixtures';
import { itIf, type ConformanceContext } from './conformance-context';
import { taskSchema } from './conformance.fixtures';
import { connected, mostStartsInAnyWindow, rateLimited, registeredQueue, sleep } from './flow-control.fixtures';

/** A run's start, as the run saw it. */
interface Start {
  label: string;
  attempt: number;
  at: number;
}

/** Rate limits and holds (capability `rateLimit`): a window shared by every consumer; RateLimitedError holds the queue. */
export function rateLimitCases(ctx: ConformanceContext): void {
  const has = ctx.capabilities.rateLimit === true;
  const withLimits = itIf(has, 'the backend keeps no shared rate limit (capability rateLimit)');
  const LEASE_MS = 30_000;
  /** The scheduling delay between a job handed out and its run starting that a window check forgives. */
  const SLACK_MS = 60;

  itIf(!has, 'the backend keeps a shared rate limit (capability rateLimit)')(
    'a backend without rate limits refuses a rate-limited consumer with UnsupportedCapabilityError naming the option',
    async () => {
      const { queue, orchestrator } = await registeredQueue(ctx, 'no-limit');
      await orchestrator.publish(queue, { label: 'kept' });
      const consumer = connected(orchestrator, queue, () => undefined, rateLimited({ max: 5, intervalMs: 1000 }));
      const refused = await consumer.consume(1).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(UnsupportedCapabilityError);
      expect((refused as Error).message).toContain('rateLimit');
      expect(await orchestrator.countQueueMessages(queue)).toBe(1);
    },
  );

  itIf(!has, 'the backend keeps a shared rate limit (capability rateLimit)')(
    'without rate limits, RateLimitedError retries the job after the delay, counting the attempt',
    async () => {
      const { queue, orchestrator } = await registeredQueue(ctx, 'no-limit-retry');
      const starts: Start[] = [];
      const consumer = connected(
        orchestrator,
        queue,
        (job) => {
          starts.push({ label: job.payload.label, attempt: job.attempt, at: Date.now() });
          if (job.attempt === 1) throw new RateLimitedError(100);
        },
        { attempts: 2 },
      );
      await orchestrator.publish(queue, { label: 'r' });
      // consume(n) counts deliveries: the retried one and its retry.
      expect(await consumer.consume(2)).toBe(2);
      expect(starts.map(({ label, attempt }) => ({ label, attempt }))).toEqual([
        { label: 'r', attempt: 1 },
        { label: 'r', attempt: 2 },
      ]);
      expect(starts[1].at - starts[0].at).toBeGreaterThanOrEqual(100);
      expect(await orchestrator.deadLetters(queue)).toEqual([]);
    },
  );

  withLimits('a fetch under a limit takes no more than the window has left, counted across fetches', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'limit-fetch');
    for (let i = 0; i < 5; i++) await orchestrator.publish(queue, { label: `f${i}` });
    const limit = { max: 2, intervalMs: 3_600_000 };
    const backend = orchestrator.backend;
    const first = await backend.fetch(queue, 10, { wait: false, leaseMs: LEASE_MS, rateLimit: limit });
    expect(first.map((d) => d.job.payload.label)).toEqual(['f0', 'f1']);
    expect(await backend.fetch(queue, 10, { wait: false, leaseMs: LEASE_MS, rateLimit: limit })).toEqual([]);
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 3, active: 2 });
    for (const delivery of first) await backend.complete(delivery, null);
    // The window counts jobs handed out, not jobs running: finishing them frees nothing.
    expect(await backend.fetch(queue, 10, { wait: false, leaseMs: LEASE_MS, rateLimit: limit })).toEqual([]);
    expect(await orchestrator.countQueueMessages(queue)).toBe(3);
  });

  withLimits('fetches with different limits on one queue each hold to their own, counting what the others handed out', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'limit-mixed');
    for (let i = 0; i < 6; i++) await orchestrator.publish(queue, { label: `m${i}` });
    const backend = orchestrator.backend;
    const hourly = { max: 2, intervalMs: 3_600_000 };
    const brief = { max: 5, intervalMs: 50 };
    const take = (max: number, rateLimit: { max: number; intervalMs: number }) =>
      backend.fetch(queue, max, { wait: false, leaseMs: LEASE_MS, rateLimit });
    expect(await take(1, hourly)).toHaveLength(1);
    // Past the brief window: a brief fetch may take again, and must not forget what the hourly limit still counts.
    await sleep(2 * brief.intervalMs);
    expect(await take(1, brief)).toHaveLength(1);
    // Past the brief window again, so nothing but a window kept by the longest interval remembers either job.
    await sleep(2 * brief.intervalMs);
    expect(await take(10, hourly)).toEqual([]);
    expect(await take(10, brief)).toHaveLength(4);
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 6 });
  });

  withLimits('a rate-limited consumer starts at most max jobs in any window, and runs every job once', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'limit-run');
    const limit = { max: 3, intervalMs: 300 };
    const labels = Array.from({ length: 10 }, (_, i) => `r${i}`);
    for (const label of labels) await orchestrator.publish(queue, { label });
    const starts: Start[] = [];
    const consumer = connected(
      orchestrator,
      queue,
      (job) => void starts.push({ label: job.payload.label, attempt: job.attempt, at: Date.now() }),
      rateLimited(limit, { concurrency: 5 }),
    );
    expect(await consumer.consume(labels.length)).toBe(labels.length);
    expect(starts.map((s) => s.label).sort()).toEqual([...labels].sort());
    expect(starts.every((s) => s.attempt === 1)).toBe(true);
    expect(
      mostStartsInAnyWindow(
        starts.map((s) => s.at),
        limit.intervalMs - SLACK_MS,
      ),
    ).toBeLessThanOrEqual(limit.max);
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0 });
  });

  itIf(has && ctx.capabilities.sharedJobState, 'no limit shared between clients (capabilities rateLimit + sharedJobState)')(
    'consumers on two clients share one window',
    async () => {
      const { queue, orchestrator } = await registeredQueue(ctx, 'limit-shared');
      const other = await ctx.secondOrchestrator();
      await other.register(taskSchema(queue));
      const limit = { max: 2, intervalMs: 300 };
      const labels = Array.from({ length: 8 }, (_, i) => `s${i}`);
      for (const label of labels) await orchestrator.publish(queue, { label });
      const starts: Start[] = [];
      let allStarted!: () => void;
      const started = new Promise<void>((resolve) => (allStarted = resolve));
      const record = (job: { payload: { label: string }; attempt: number }): void => {
        starts.push({ label: job.payload.label, attempt: job.attempt, at: Date.now() });
        if (starts.length === labels.length) allStarted();
      };
      const consumers = [orchestrator, other].map((o) => connected(o, queue, record, rateLimited(limit, { concurrency: 3 })));
      const consuming = consumers.map((c) => c.consume());
      await started;
      await Promise.all(consumers.map((c) => c.stop()));
      const counts = await Promise.all(consuming);
      expect(counts[0] + counts[1]).toBe(labels.length);
      expect(starts.map((s) => s.label).sort()).toEqual([...labels].sort());
      expect(
        mostStartsInAnyWindow(
          starts.map((s) => s.at),
          limit.intervalMs - SLACK_MS,
        ),
      ).toBeLessThanOrEqual(limit.max);
    },
  );

  withLimits('RateLimitedError holds the queue for its delay; the job comes back with its attempt uncounted', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'limited-error');
    const HOLD_MS = 300;
    const starts: Start[] = [];
    let thrownAt = 0;
    const consumer = connected(orchestrator, queue, (job) => {
      starts.push({ label: job.payload.label, attempt: job.attempt, at: Date.now() });
      if (job.payload.label === 'a' && thrownAt === 0) {
        thrownAt = Date.now();
        throw new RateLimitedError(HOLD_MS);
      }
    });
    let completed = 0;
    let bothDone!: () => void;
    const done = new Promise<void>((resolve) => (bothDone = resolve));
    consumer.on('completed', () => void (++completed === 2 && bothDone()));
    const id = await orchestrator.publish(queue, { label: 'a' });
    await orchestrator.publish(queue, { label: 'b' });
    const consuming = consumer.consume();
    await done;
    await consumer.stop();
    await consuming;

    expect(starts.map(({ label, attempt }) => ({ label, attempt }))).toEqual(
      ctx.capabilities.releaseKeepsOrder
        ? [
            { label: 'a', attempt: 1 },
            { label: 'a', attempt: 1 },
            { label: 'b', attempt: 1 },
          ]
        : expect.arrayContaining([
            { label: 'a', attempt: 1 },
            { label: 'a', attempt: 1 },
            { label: 'b', attempt: 1 },
          ]),
    );
    expect(starts).toHaveLength(3);
    // Nothing started before the hold ran out: the hold begins after the throw, so this cannot excuse an early start.
    for (const start of starts.slice(1)) expect(start.at).toBeGreaterThanOrEqual(thrownAt + HOLD_MS);
    expect(await orchestrator.deadLetters(queue)).toEqual([]);
    if (ctx.capabilities.jobState) expect(await orchestrator.getJob(id)).toMatchObject({ status: 'completed', attempt: 1 });
  });

  withLimits('consumeUntilEmpty on a queue held by someone else waits for the hold to end, then drains it', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'hold-drain');
    for (const label of ['a', 'b']) await orchestrator.publish(queue, { label });
    // Held from outside the consumer (another process's RateLimitedError, an operator): it cannot know until when.
    await orchestrator.backend.holdQueue!(queue, Date.now() + 300);
    const consumer = connected(orchestrator, queue, () => undefined);
    expect(await consumer.consumeUntilEmpty()).toBe(2);
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0 });
  });

  withLimits('consumeUntilEmpty on a queue held by someone else asks the backend nothing until the hold ends', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'hold-drain-quiet');
    await orchestrator.publish(queue, { label: 'held' });
    // Held past the watched interval below, on a slow machine too; the drain then ends at the hold's end.
    await orchestrator.backend.holdQueue!(queue, Date.now() + QUIET_FALLBACK_MS + QUIET_WINDOW_MS + 1000);
    const calls = watchFetches(orchestrator.backend, queue);
    const consumer = connected(orchestrator, queue, () => undefined);
    try {
      const draining = consumer.consumeUntilEmpty();
      expect({ fetchesAndCountsWhileHeld: await callsWhileDrainWaits(calls) }).toEqual({ fetchesAndCountsWhileHeld: 0 });
      expect(await draining).toBe(1);
    } finally {
      calls.restore();
      await consumer.stop();
    }
  });

  withLimits('a held queue hands out nothing before the hold ends, with or without a limit', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'hold');
    await orchestrator.publish(queue, { label: 'h' });
    const backend = orchestrator.backend;
    await backend.holdQueue!(queue, Date.now() + 3_600_000);
    // An earlier hold leaves the later one in place (looked at once the earlier one would have ended).
    await backend.holdQueue!(queue, Date.now() + 10);
    await sleep(50);
    expect(await backend.fetch(queue, 1, { wait: false, leaseMs: LEASE_MS })).toEqual([]);
    expect(await backend.fetch(queue, 1, { wait: false, leaseMs: LEASE_MS, rateLimit: { max: 10, intervalMs: 1000 } })).toEqual([]);
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 1, active: 0 });
  });
}
