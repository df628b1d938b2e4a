import { randomUUID } from 'node:crypto';
import { LeaseLostError, RedisJobStateStore } from '../../lib';
import type { JobRecord } from '../../lib/backend/job-record';
import type { JobFailure } from '../../lib/backend/job-state';
import { REDIS_URL, requireServer } from '../support/servers';
import { adminConnection, deleteKeysUnder, uniquePrefix } from './fixtures/redis-test-kit';

/**
 * A run that lost its delivery (its worker cut off, the job redelivered elsewhere) may still send its
 * end to the store, late: test/scale/partition.rabbitmq.spec.ts shows such a write landing once the
 * worker's link is back. The store refuses an end from an attempt older than the one that started last.
 */
const prefix = uniquePrefix();
const admin = adminConnection();
const store = new RedisJobStateStore(REDIS_URL, { prefix });
const failure: JobFailure = { message: 'fails on purpose', name: 'Error', attempt: 1, failedAt: new Date().toISOString() };

beforeAll(() => requireServer('redis'));
afterAll(async () => {
  await store.close();
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

function job(): JobRecord {
  return { id: randomUUID(), name: 'task', schemaName: 'task', payload: {}, createdAt: new Date().toISOString(), priority: 0, attempt: 0 };
}

/** Published, run by attempt 1, then redelivered: attempt 2 started. */
async function redelivered(queue: string): Promise<JobRecord> {
  const record = job();
  await store.published(queue, [{ job: record, runAt: null }]);
  await store.started(queue, { ...record, attempt: 1 });
  await store.started(queue, { ...record, attempt: 2 });
  return record;
}

it("refuses attempt 1's completion after attempt 2 completed, keeping attempt 2's result and one completion", async () => {
  const queue = `late-${randomUUID().slice(0, 8)}`;
  const record = await redelivered(queue);
  await store.completed(queue, { ...record, attempt: 2 }, { by: 'second' });

  await expect(store.completed(queue, { ...record, attempt: 1 }, { by: 'first' })).rejects.toBeInstanceOf(LeaseLostError);
  await expect(store.dead(queue, { ...record, attempt: 1 }, failure)).rejects.toBeInstanceOf(LeaseLostError);
  expect(await store.get(record.id)).toMatchObject({ status: 'completed', attempt: 2, result: { by: 'second' }, error: null });
  expect(await store.completedCount(queue)).toBe(1);
});

it("refuses attempt 1's completion while attempt 2 still runs: the job stays active, then attempt 2 completes it", async () => {
  const queue = `late-${randomUUID().slice(0, 8)}`;
  const record = await redelivered(queue);

  await expect(store.completed(queue, { ...record, attempt: 1 }, { by: 'first' })).rejects.toBeInstanceOf(LeaseLostError);
  expect(await store.get(record.id)).toMatchObject({ status: 'active', attempt: 2, result: null });
  expect(await store.completedCount(queue)).toBe(0);
  await store.completed(queue, { ...record, attempt: 2 }, { by: 'second' });
  expect(await store.get(record.id)).toMatchObject({ status: 'completed', attempt: 2, result: { by: 'second' } });
});
