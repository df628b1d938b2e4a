import { randomUUID } from 'node:crypto';
import { RedisClient } from '../../lib';
import type { JobRecord } from '../../lib/backend/job-record';
import { commandCalls, usePrivateRedis } from './fixtures/private-redis-server';
import { eventually } from './fixtures/redis-test-kit';

/**
 * Flow control must not tax the common path: a queue that is not paused, held or limited costs the
 * same Redis commands per job as before pause, hold and rate limits existed (the flags ride in the
 * HMGET of meta every fetch and publish makes anyway). Counted with INFO commandstats on a private
 * server, so no other test's traffic is in the numbers: the commands a script runs are counted there
 * one by one.
 */
const redis = usePrivateRedis('hot');

/** Commands Redis ran (inside scripts too), and script calls, so far. */
async function counts(): Promise<{ commands: number; scripts: number }> {
  let commands = 0;
  let scripts = 0;
  for (const [name, calls] of await commandCalls(redis.admin)) {
    if (name === 'evalsha' || name === 'eval') scripts += calls;
    else if (!['info', 'script', 'ping', 'client', 'hello', 'select'].includes(name)) commands += calls;
  }
  return { commands, scripts };
}

function job(label: string): JobRecord {
  return {
    id: randomUUID(),
    name: 'task',
    schemaName: 'task',
    payload: { label },
    createdAt: new Date().toISOString(),
    priority: 0,
    attempt: 0,
  };
}

/** Commands per publish, per fetch and per complete of one job at a time, over `n` jobs. */
async function perJob(queue: string, n: number): Promise<{ publish: number; fetch: number; complete: number }> {
  const step = async (action: () => Promise<unknown>): Promise<number> => {
    const before = await counts();
    for (let i = 0; i < n; i++) await action();
    const after = await counts();
    expect(after.scripts - before.scripts).toBe(n);
    return (after.commands - before.commands) / n;
  };
  const publish = await step(() => redis.client.publish(queue, [{ job: job('j') }]));
  const taken: Awaited<ReturnType<RedisClient['fetch']>> = [];
  const fetch = await step(async () => taken.push(...(await redis.client.fetch(queue, 1, { wait: false, leaseMs: 30_000 }))));
  expect(taken).toHaveLength(n);
  const complete = await step(() => redis.client.complete(taken.shift()!, null));
  return { publish, fetch, complete };
}

it('publish, fetch and complete of a queue never paused, held or limited cost the commands they cost before flow control', async () => {
  await redis.client.declareQueue('plain', 'fifo');
  // Before pause, hold and rate limit were added: 8, 12 and 11 commands. Since then publish claims its
  // index entry with one HSETNX (was HGET + HSET) and a fetch that takes jobs skips the two head reads
  // that only a caller about to sleep needs.
  expect(await perJob('plain', 50)).toEqual({ publish: 7, fetch: 10, complete: 11 });
});

it('a queue paused and resumed, and held until a time now past, costs the same per job as one never paused', async () => {
  await redis.client.declareQueue('was-paused', 'fifo');
  await redis.client.pauseQueue('was-paused');
  await redis.client.resumeQueue('was-paused');
  await redis.client.holdQueue('was-paused', Date.now() + 20);
  // The hold ends by the Redis clock: wait until a fetch is no longer refused by it.
  await redis.client.publish('was-paused', [{ job: job('probe') }]);
  let probe: Awaited<ReturnType<RedisClient['fetch']>> = [];
  await eventually(
    'the hold is over',
    async () => (probe = await redis.client.fetch('was-paused', 1, { wait: false, leaseMs: 30_000 })).length > 0,
  );
  await redis.client.complete(probe[0], null);
  expect(await perJob('was-paused', 50)).toEqual(await perJob('plain', 50));
});
