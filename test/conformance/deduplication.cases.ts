import { InvalidOptionError, UnsupportedCapabilityError } from '../../lib';
import { itIf, type ConformanceContext } from './conformance-context';
import { taskSchema } from './conformance.fixtures';
import { connected, gate, registeredQueue, sleep } from './flow-control.fixtures';

/** Deduplicated publishes (capability `deduplication`): a key held by one unfinished job, a window, replace. */
export function deduplicationCases(ctx: ConformanceContext): void {
  const has = ctx.capabilities.deduplication === true;
  const withDedup = itIf(has, 'the backend keeps no deduplication keys (capability deduplication)');

  itIf(!has, 'the backend keeps deduplication keys (capability deduplication)')(
    'a backend without deduplication refuses a deduplicated publish with UnsupportedCapabilityError, enqueuing nothing',
    async () => {
      const { queue, orchestrator } = await registeredQueue(ctx, 'no-dedup');
      await expect(orchestrator.publish(queue, { label: 'a' }, { deduplication: { key: 'k' } })).rejects.toBeInstanceOf(
        UnsupportedCapabilityError,
      );
      expect(await orchestrator.countQueueMessages(queue)).toBe(0);
    },
  );

  withDedup('a duplicate publish returns the first job’s id and enqueues nothing', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'dup');
    const first = await orchestrator.publish(queue, { label: 'first' }, { deduplication: { key: 'k' } });
    expect(await orchestrator.publish(queue, { label: 'second' }, { deduplication: { key: 'k' } })).toBe(first);
    // Keys are per queue and per key.
    const otherKey = await orchestrator.publish(queue, { label: 'other-key' }, { deduplication: { key: 'k2' } });
    expect(otherKey).not.toBe(first);
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 2 });

    const seen: string[] = [];
    const consumer = connected(orchestrator, queue, (job) => void seen.push(job.payload.label));
    expect(await consumer.consumeUntilEmpty()).toBe(2);
    expect(seen.sort()).toEqual(['first', 'other-key']);
  });

  withDedup('publishes racing on one key enqueue one job, and every one returns its id', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'dup-race');
    const ids = await Promise.all(
      Array.from({ length: 10 }, (_, i) => orchestrator.publish(queue, { label: `r${i}` }, { deduplication: { key: 'k' } })),
    );
    expect(new Set(ids).size).toBe(1);
    expect(await orchestrator.countQueueMessages(queue)).toBe(1);
  });

  withDedup('the key is free again once its job finished', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'dup-finished');
    const first = await orchestrator.publish(queue, { label: 'first' }, { deduplication: { key: 'k' } });
    const consumer = connected(orchestrator, queue, () => undefined);
    expect(await consumer.consume(1)).toBe(1);
    const second = await orchestrator.publish(queue, { label: 'second' }, { deduplication: { key: 'k' } });
    expect(second).not.toBe(first);
    expect(await orchestrator.countQueueMessages(queue)).toBe(1);
  });

  withDedup('the key is free again once its ttl passed, though its job still waits', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'dup-ttl');
    const TTL_MS = 150;
    const first = await orchestrator.publish(queue, { label: 'first' }, { deduplication: { key: 'k', ttlMs: TTL_MS } });
    expect(await orchestrator.publish(queue, { label: 'dup' }, { deduplication: { key: 'k', ttlMs: TTL_MS } })).toBe(first);
    // A timer past the window; sleeping longer only makes the key freer.
    await sleep(TTL_MS + 50);
    const second = await orchestrator.publish(queue, { label: 'second' }, { deduplication: { key: 'k', ttlMs: TTL_MS } });
    expect(second).not.toBe(first);
    expect(await orchestrator.countQueueMessages(queue)).toBe(2);
  });

  withDedup('replace withdraws the waiting holder and enqueues the new job with the key', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'dup-replace');
    const old = await orchestrator.publish(queue, { label: 'old' }, { deduplication: { key: 'k', replace: true } });
    const replacing = await orchestrator.publish(queue, { label: 'new' }, { deduplication: { key: 'k', replace: true } });
    expect(replacing).not.toBe(old);
    expect(await orchestrator.countQueueMessages(queue)).toBe(1);
    if (ctx.capabilities.jobState) expect(['waiting', 'delayed']).not.toContain((await orchestrator.getJob(old))?.status);
    // The new job holds the key now.
    expect(await orchestrator.publish(queue, { label: 'dup' }, { deduplication: { key: 'k' } })).toBe(replacing);

    const seen: string[] = [];
    const consumer = connected(orchestrator, queue, (job) => void seen.push(job.payload.label));
    expect(await consumer.consumeUntilEmpty()).toBe(1);
    expect(seen).toEqual(['new']);
  });

  withDedup('replace when the holder has started enqueues the new job beside it', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'dup-replace-started');
    const running = gate();
    const seen: string[] = [];
    const consumer = connected(orchestrator, queue, async (job) => {
      seen.push(job.payload.label);
      if (job.payload.label === 'started') {
        running.arrive();
        await running.wait;
      }
    });
    const consuming = consumer.consume(2);
    const started = await orchestrator.publish(queue, { label: 'started' }, { deduplication: { key: 'k', replace: true } });
    await running.reached;
    const next = await orchestrator.publish(queue, { label: 'next' }, { deduplication: { key: 'k', replace: true } });
    expect(next).not.toBe(started);
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 1, active: 1 });
    running.open();
    expect(await consuming).toBe(2);
    expect(seen).toEqual(['started', 'next']);
  });

  itIf(has && ctx.capabilities.sharedJobState, 'no keys shared between clients (capabilities deduplication + sharedJobState)')(
    'two clients racing on one key enqueue one job',
    async () => {
      const { queue, orchestrator } = await registeredQueue(ctx, 'dup-clients');
      const other = await ctx.secondOrchestrator();
      await other.register(taskSchema(queue));
      const ids = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? other : orchestrator).publish(queue, { label: `c${i}` }, { deduplication: { key: 'k' } }),
        ),
      );
      expect(new Set(ids).size).toBe(1);
      expect(await orchestrator.countQueueMessages(queue)).toBe(1);
    },
  );

  withDedup('a bad deduplication option, or one given to publishBatch, is refused with InvalidOptionError', async () => {
    const { queue, orchestrator } = await registeredQueue(ctx, 'dup-bad');
    const bad = [{ key: '' }, { key: 'x'.repeat(513) }, { key: 'k', ttlMs: 0 }, { key: 'k', ttlMs: 1.5 }, { key: 'k', replace: 'yes' }];
    for (const deduplication of bad) {
      await expect(orchestrator.publish(queue, { label: 'x' }, { deduplication: deduplication as { key: string } })).rejects.toBeInstanceOf(
        InvalidOptionError,
      );
    }
    await expect(orchestrator.publishBatch(queue, [{ label: 'x' }], { deduplication: { key: 'k' } })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    expect(await orchestrator.countQueueMessages(queue)).toBe(0);
  });
}
