import { QueueNotDeclaredError, UnsupportedCapabilityError } from '../../lib';
import { callsWhileDrainWaits, watchFetches } from './backend-calls.fixtures';
import { itIf, type ConformanceContext } from './conformance-context';
import { taskSchema } from './conformance.fixtures';
import { connected, gate, registeredQueue, sleep } from './flow-control.fixtures';

/** Pause and resume (capability `pause`): nothing handed out while paused, publishing goes on, resume wakes consumers. */
export function pauseCases(ctx: ConformanceContext): void {
  const has = ctx.capabilities.pause === true;
  const withPause = itIf(has, 'the backend cannot pause a queue (capability pause)');
  /**
   * How long a case watches a paused queue for a job handed out by mistake. Nothing can be told to a
   * test that nothing happened, so this is a window; a consumer that ignores the pause takes the job at once.
   */
  const WATCH_MS = 300;
  const LEASE_MS = 30_000;

  itIf(!has, 'the backend can pause a queue (capability pause)')(
    'a backend without pause refuses pause and resume with UnsupportedCapabilityError',
    async () => {
      const { queue, orchestrator } = await registeredQueue(ctx, 'no-pause');
      await expect(orchestrator.pause(queue)).rejects.toBeInstanceOf(UnsupportedCapabilityError);
      await expect(orchestrator.resume(queue)).rejects.toBeInstanceOf(UnsupportedCapabilityError);
    },
  );

  withPause('a paused queue hands out nothing while publishing goes on; resume wakes the waiting consumer at once', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'pause');
    expect((await orchestrator.queueStats(queue)).paused).toBe(false);
    await orchestrator.pause(queue);
    await orchestrator.pause(queue);
    expect((await orchestrator.queueStats(queue)).paused).toBe(true);

    const seen: string[] = [];
    const consumer = connected(orchestrator, queue, (job) => void seen.push(job.payload.label), { concurrency: 2 });
    const consuming = consumer.consume(3);
    for (const label of ['a', 'b', 'c']) await orchestrator.publish(queue, { label });
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 3, active: 0, paused: true });
    expect(await orchestrator.backend.fetch(queue, 10, { wait: false, leaseMs: LEASE_MS })).toEqual([]);
    await sleep(WATCH_MS);
    expect(seen).toEqual([]);
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 3, active: 0 });

    await orchestrator.resume(queue);
    expect(await consuming).toBe(3);
    expect([...seen].sort()).toEqual(['a', 'b', 'c']);
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, paused: false });
    await orchestrator.resume(queue);
  });

  withPause('a job running when its queue is paused finishes, and the next waits for resume', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'pause-running');
    const first = gate();
    const seen: string[] = [];
    const consumer = connected(orchestrator, queue, async (job) => {
      seen.push(job.payload.label);
      if (job.payload.label === 'running') {
        first.arrive();
        await first.wait;
      }
    });
    let completed!: () => void;
    const firstCompleted = new Promise<void>((resolve) => (completed = resolve));
    consumer.on('completed', () => completed());
    const consuming = consumer.consume(2);
    const id = await orchestrator.publish(queue, { label: 'running' });
    await first.reached;
    await orchestrator.pause(queue);
    await orchestrator.publish(queue, { label: 'next' });
    first.open();
    await firstCompleted;
    await sleep(WATCH_MS);
    expect(seen).toEqual(['running']);
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 1, active: 0, paused: true });
    if (ctx.capabilities.jobState) expect((await orchestrator.getJob(id))?.status).toBe('completed');

    await orchestrator.resume(queue);
    expect(await consuming).toBe(2);
    expect(seen).toEqual(['running', 'next']);
  });

  withPause('consumeUntilEmpty on a paused queue waits for the resume, then drains it', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'pause-drain');
    for (const label of ['a', 'b']) await orchestrator.publish(queue, { label });
    await orchestrator.pause(queue);
    const seen: string[] = [];
    const consumer = connected(orchestrator, queue, (job) => void seen.push(job.payload.label));
    let ended = false;
    const draining = consumer.consumeUntilEmpty().finally(() => (ended = true));
    await sleep(WATCH_MS);
    // Paused is not empty: the jobs are still there to drain.
    expect(ended).toBe(false);
    expect(seen).toEqual([]);
    await orchestrator.resume(queue);
    expect(await draining).toBe(2);
    expect([...seen].sort()).toEqual(['a', 'b']);
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0 });
  });

  withPause('stop() ends a consumeUntilEmpty that waits on a paused queue', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'pause-drain-stop');
    await orchestrator.publish(queue, { label: 'kept' });
    await orchestrator.pause(queue);
    const consumer = connected(orchestrator, queue, () => undefined);
    let ended = false;
    const draining = consumer.consumeUntilEmpty().finally(() => (ended = true));
    await sleep(WATCH_MS);
    expect(ended).toBe(false);
    await consumer.stop();
    expect(await draining).toBe(0);
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 1, paused: true });
    await orchestrator.resume(queue);
  });

  withPause('consumeUntilEmpty on a paused queue waits for a push, asking the backend nothing until one comes', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'pause-drain-quiet');
    await orchestrator.publish(queue, { label: 'kept' });
    await orchestrator.pause(queue);
    const calls = watchFetches(orchestrator.backend, queue);
    const consumer = connected(orchestrator, queue, () => undefined);
    try {
      const draining = consumer.consumeUntilEmpty();
      // From its waiting fetch on, nothing but a resume (or stop) makes it ask again.
      expect({ fetchesAndCountsWhilePaused: await callsWhileDrainWaits(calls) }).toEqual({ fetchesAndCountsWhilePaused: 0 });
      await orchestrator.resume(queue);
      expect(await draining).toBe(1);
    } finally {
      calls.restore();
      await consumer.stop();
    }
  });

  withPause('consumers draining a paused queue all end after the resume, whichever took the jobs', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'pause-drain-many');
    await orchestrator.publish(queue, { label: 'one' });
    await orchestrator.pause(queue);
    const consumers = [1, 2, 3].map(() => connected(orchestrator, queue, () => undefined));
    const draining = consumers.map((consumer) => consumer.consumeUntilEmpty());
    await sleep(WATCH_MS);
    await orchestrator.resume(queue);
    // The two that got nothing end too: the resume woke them and the queue was empty when they asked.
    const settled = await Promise.all(draining);
    expect(settled.reduce((sum, n) => sum + n, 0)).toBe(1);
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0 });
  });

  withPause('pausing or resuming a queue that was never declared throws QueueNotDeclaredError', async () => {
    const orchestrator = ctx.orchestrator();
    const queue = ctx.queueName('undeclared');
    await expect(orchestrator.pause(queue)).rejects.toBeInstanceOf(QueueNotDeclaredError);
    await expect(orchestrator.resume(queue)).rejects.toBeInstanceOf(QueueNotDeclaredError);
  });

  // A second client of a backend without shared state holds queues of its own.
  itIf(has && ctx.capabilities.sharedJobState, 'no state shared between clients (capabilities pause + sharedJobState)')(
    'a pause made by one client stops the consumers of another, and its resume restarts them',
    async () => {
      const { queue, orchestrator } = await registeredQueue(ctx, 'pause-shared');
      const other = await ctx.secondOrchestrator();
      await other.register(taskSchema(queue));
      await orchestrator.pause(queue);
      expect((await other.queueStats(queue)).paused).toBe(true);

      const seen: string[] = [];
      const consumer = connected(other, queue, (job) => void seen.push(job.payload.label));
      const consuming = consumer.consume(2);
      await orchestrator.publish(queue, { label: 'x' });
      await other.publish(queue, { label: 'y' });
      expect(await other.backend.fetch(queue, 10, { wait: false, leaseMs: LEASE_MS })).toEqual([]);
      await sleep(WATCH_MS);
      expect(seen).toEqual([]);
      expect(await other.queueStats(queue)).toMatchObject({ waiting: 2, paused: true });

      await orchestrator.resume(queue);
      expect(await consuming).toBe(2);
      expect([...seen].sort()).toEqual(['x', 'y']);
      expect((await other.queueStats(queue)).paused).toBe(false);
    },
  );

  itIf(has && ctx.capabilities.sharedJobState, 'no state shared between clients (capabilities pause + sharedJobState)')(
    'a client created after the pause sees it',
    async () => {
      const { queue, orchestrator } = await registeredQueue(ctx, 'pause-later');
      await orchestrator.publish(queue, { label: 'held' });
      await orchestrator.pause(queue);
      const later = await ctx.secondOrchestrator();
      await later.register(taskSchema(queue));
      expect(await later.queueStats(queue)).toMatchObject({ waiting: 1, paused: true });
      expect(await later.backend.fetch(queue, 1, { wait: false, leaseMs: LEASE_MS })).toEqual([]);
      await orchestrator.resume(queue);
      // A waiting fetch: a broker may deliver a moment after the resume reached this client. The signal is a hang guard.
      const [delivery] = await later.backend.fetch(queue, 1, { wait: true, leaseMs: LEASE_MS, signal: AbortSignal.timeout(10_000) });
      expect(delivery?.job.payload).toEqual({ label: 'held' });
      await later.backend.complete(delivery, null);
    },
  );
}
