import { randomUUID } from 'node:crypto';
import { LeaseLostError, type Delivery } from '../../lib';
import type { JobRecord } from '../../lib/backend/job-record';
import { RedisKeys } from '../../lib/backends/redis/redis-keys';
import type { StartMarks } from '../../lib/backends/redis/start-marks';
import { commandCalls, usePrivateRedis } from './fixtures/private-redis-server';
import { eventually } from './fixtures/redis-test-kit';

/**
 * The start marks of jobs taken ahead (startTakenAhead) asked for in one tick go to Redis as one
 * `start` script call per queue, not one per job, and a job whose lease was lost fails alone. Script
 * calls are counted with INFO commandstats on a private server, so no other test's traffic is in them.
 */
const prefix = 'marks';
const redis = usePrivateRedis(prefix);

async function scriptCalls(): Promise<number> {
  const calls = await commandCalls(redis.admin);
  return (calls.get('evalsha') ?? 0) + (calls.get('eval') ?? 0);
}

function job(): JobRecord {
  return { id: randomUUID(), name: 'task', schemaName: 'task', payload: {}, createdAt: new Date().toISOString(), priority: 0, attempt: 0 };
}

/** A queue with `count` jobs, all taken ahead (none started) under a long lease. */
async function takenAhead(queue: string, count: number): Promise<Delivery[]> {
  await redis.client.declareQueue(queue, 'fifo');
  await redis.client.publish(
    queue,
    Array.from({ length: count }, () => ({ job: job() })),
  );
  const taken = await redis.client.fetch(queue, count, { wait: false, leaseMs: 30_000, startNow: 0 });
  expect(taken.map((d) => d.takenAhead)).toEqual(Array(count).fill(true));
  return taken;
}

function aheadMarks(queue: string, deliveries: Delivery[]): Promise<(string | null)[]> {
  const jobPrefix = new RedisKeys(prefix).jobPrefix(queue);
  return Promise.all(deliveries.map((d) => redis.admin.hget(`${jobPrefix}${d.job.id}`, 'ahead')));
}

it('the start marks of jobs taken ahead asked for in one tick go as one script call', async () => {
  const queue = 'one-tick';
  const taken = await takenAhead(queue, 8);
  const before = await scriptCalls();
  for (const delivery of taken) redis.client.startTakenAhead(delivery);
  await eventually('every job is marked started', async () => (await aheadMarks(queue, taken)).every((mark) => mark === '0'));
  expect((await scriptCalls()) - before).toBe(1);
});

it('a job whose lease was lost fails alone in its batch: the others are marked started', async () => {
  const queue = 'one-lost';
  const taken = await takenAhead(queue, 3);
  // The middle job goes back to the queue: its token no longer holds it.
  await redis.client.release(taken[1]);
  const starts = (redis.client as unknown as { starts: StartMarks }).starts;
  const before = await scriptCalls();
  const outcomes = await Promise.allSettled(taken.map((delivery) => starts.start(delivery)));
  expect((await scriptCalls()) - before).toBe(1);
  expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  const lost = outcomes[1] as PromiseRejectedResult;
  expect(lost.reason).toBeInstanceOf(LeaseLostError);
  expect((lost.reason as Error).message).toContain(taken[1].job.id);
  const marks = await aheadMarks(queue, taken);
  expect([marks[0], marks[2]]).toEqual(['0', '0']);
});
