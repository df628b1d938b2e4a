import { LeaseLostError, Orchestrator, RedisClient } from '../../lib';
import { taskSchema } from '../conformance/conformance.fixtures';
import { REDIS_URL, requireServer } from '../support/servers';
import { adminConnection, deleteKeysUnder, uniquePrefix } from './fixtures/redis-test-kit';

/**
 * Settles sent twice: after a dropped connection ioredis resends a command whose reply was lost, so a
 * settle that already happened must be answered as done — and one from a lost lease still refused.
 */
const prefix = uniquePrefix();
const admin = adminConnection();
const client = new RedisClient(REDIS_URL, { prefix });
const orchestrator = new Orchestrator(client);
const failure = { name: 'Error', message: 'failed on purpose', attempt: 1, failedAt: new Date().toISOString() };

beforeAll(() => requireServer('redis'));

afterAll(async () => {
  await orchestrator.close();
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

async function queueWithJobs(queue: string, count: number) {
  await orchestrator.register(taskSchema(queue));
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await orchestrator.publish(queue, { label: `job-${i}` }));
  return ids;
}

/** One job on `queue`, taken under a 1 ms lease that then runs out (`stale`) and taken again (`current`). */
async function staleAndCurrent(queue: string) {
  const [id] = await queueWithJobs(queue, 1);
  const [stale] = await client.fetch(queue, 1, { wait: false, leaseMs: 1 });
  await new Promise((resolve) => setTimeout(resolve, 20));
  const [current] = await client.fetch(queue, 1, { wait: false, leaseMs: 30_000 });
  expect(current.job.id).toBe(id);
  return { id, stale, current };
}

it('complete, retry and dead-letter sent twice with the same lease token are each done once', async () => {
  const queue = 'resent-settles';
  await queueWithJobs(queue, 3);
  const [toComplete, toRetry, toKill] = await client.fetch(queue, 3, { wait: false, leaseMs: 30_000 });

  await Promise.all([client.complete(toComplete, { echoed: 'once' }), client.complete(toComplete, { echoed: 'twice' })]);
  await client.retry(toRetry, failure, 60_000);
  await client.retry(toRetry, failure, 60_000);
  await client.deadLetter(toKill, failure);
  await client.deadLetter(toKill, failure);

  expect(await orchestrator.getJob(toComplete.job.id)).toMatchObject({ status: 'completed', result: { echoed: 'once' } });
  expect(await orchestrator.queueStats(queue)).toEqual({ waiting: 0, delayed: 1, active: 0, completed: 1, dead: 1, paused: false });
  expect((await orchestrator.deadLetters(queue)).map((d) => d.job.id)).toEqual([toKill.job.id]);
});

it('a settle from a lease that ran out is still refused, and the new holder settles the job', async () => {
  const queue = 'stale-settle';
  const { id, stale, current } = await staleAndCurrent(queue);

  await expect(client.complete(stale, { echoed: 'stale' })).rejects.toBeInstanceOf(LeaseLostError);
  await expect(client.deadLetter(stale, failure)).rejects.toBeInstanceOf(LeaseLostError);
  await client.complete(current, { echoed: 'current' });
  expect(await orchestrator.getJob(id)).toMatchObject({ status: 'completed', attempt: 2, result: { echoed: 'current' } });
});

it('a lost lease is reported with the job id by extend, retry, dead-letter and release alike', async () => {
  const queue = 'lost-lease-names-job';
  const { id, stale, current } = await staleAndCurrent(queue);

  const attempts = [
    () => client.extendLease(stale, 30_000),
    () => client.retry(stale, failure, 0),
    () => client.deadLetter(stale, failure),
    () => client.release(stale),
    () => client.complete(stale, { echoed: 'stale' }),
  ];
  for (const attempt of attempts) {
    const error = await attempt().catch((err: Error) => err);
    expect(error).toBeInstanceOf(LeaseLostError);
    expect(error).toMatchObject({ jobId: id, queue });
    expect((error as Error).message).toContain(`Job ${id} on queue "${queue}"`);
  }
  await client.complete(current, { echoed: 'current' });
});
