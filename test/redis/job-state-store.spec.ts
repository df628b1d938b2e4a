import { randomUUID } from 'node:crypto';
import { Logger } from '../../lib/logger/logger';
import { BrokerUnavailableError, JobsError, RedisJobStateStore } from '../../lib';
import type { JobRecord } from '../../lib/backend/job-record';
import type { JobFailure } from '../../lib/backend/job-state';
import type { RetentionOptions } from '../../lib/backend/retention-options';
import { REDIS_URL, requireServer } from '../support/servers';
import { adminConnection, closedPort, deleteKeysUnder, eventually, settleWithin, sleep, uniquePrefix } from './fixtures/redis-test-kit';

/**
 * RedisJobStateStore on its own (the store RabbitMQClient uses for job states): retention by age holds
 * on a queue where nothing else finishes, and every call is bounded by `commandTimeoutMs`.
 */
const prefix = uniquePrefix();
const admin = adminConnection();
const stores: RedisJobStateStore[] = [];
const failure: JobFailure = { message: 'fails on purpose', name: 'Error', attempt: 1, failedAt: new Date().toISOString() };

beforeAll(() => requireServer('redis'));

afterAll(async () => {
  for (const store of stores) await store.close().catch(() => undefined);
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

function storeWith(retention: RetentionOptions): RedisJobStateStore {
  const store = new RedisJobStateStore(REDIS_URL, { prefix, retention });
  stores.push(store);
  return store;
}

function job(): JobRecord {
  return { id: randomUUID(), name: 'task', schemaName: 'task', payload: {}, createdAt: new Date().toISOString(), priority: 0, attempt: 0 };
}

/** Publishes and runs a job, then completes it (or lets it die). */
async function finish(store: RedisJobStateStore, queue: string, record: JobRecord, how: 'completed' | 'dead'): Promise<void> {
  await store.published(queue, [{ job: record, runAt: null }]);
  await store.started(queue, { ...record, attempt: 1 });
  if (how === 'completed') await store.completed(queue, { ...record, attempt: 1 }, { ok: true });
  else await store.dead(queue, { ...record, attempt: 1 }, failure);
}

const jobKey = (queue: string, id: string) => `${prefix}:state:{${queue}}:job:${id}`;
const idsKey = (queue: string) => `${prefix}:state:{${queue}}:ids`;
const indexKey = `${prefix}:state:index`;

/** Comfortably past every `ageMs` below; the assertions are about state, not time. */
const PAST_AGE = 300;

describe('retention by age on an idle queue', () => {
  let warn: jest.SpyInstance;
  beforeEach(() => (warn = jest.spyOn(Logger.prototype, 'warn')));
  afterEach(() => warn.mockRestore());
  const deadWarnings = () => warn.mock.calls.map((call) => String(call[0])).filter((message) => message.startsWith('Retention dropped'));

  it('forgets an expired completed job and an expired dead one though nothing else finishes, and warns about the dead one naming its queue', async () => {
    const queue = `idle-${randomUUID().slice(0, 8)}`;
    const store = storeWith({ completed: { ageMs: 100 }, dead: { ageMs: 100 } });
    const [done, died, waiting] = [job(), job(), job()];
    await finish(store, queue, done, 'completed');
    await finish(store, queue, died, 'dead');
    await store.published(queue, [{ job: waiting, runAt: null }]);
    // A finished job's hash expires by itself with its age; one that is not finished does not.
    expect(await admin.pttl(jobKey(queue, done.id))).toBeGreaterThan(0);
    expect(await admin.pttl(jobKey(queue, died.id))).toBeGreaterThan(0);
    expect(await admin.pttl(jobKey(queue, waiting.id))).toBe(-1);
    expect(await store.completedCount(queue)).toBe(1);

    await sleep(PAST_AGE);

    // Nothing finished since: the reads alone must drop what is past its age.
    expect(await store.completedCount(queue)).toBe(0);
    expect(await store.get(done.id)).toBeNull();
    expect(await store.get(died.id)).toBeNull();
    expect((await store.get(waiting.id))?.status).toBe('waiting');
    expect(await admin.smembers(idsKey(queue))).toEqual([waiting.id]);
    await eventually('the dropped ids leave the index', async () =>
      (await admin.hmget(indexKey, done.id, died.id)).every((queueName) => queueName === null),
    );
    expect(await admin.hget(indexKey, waiting.id)).toBe(queue);
    expect(deadWarnings()).toEqual([
      expect.stringContaining(`1 dead letter(s) of queue "${queue}" (retention.dead keeps the newest 10000 for 100 ms): ${died.id}`),
    ]);
  });

  it('a job that leaves its finished state (redriven, or run again) no longer expires with its age', async () => {
    const queue = `again-${randomUUID().slice(0, 8)}`;
    const store = storeWith({ completed: { ageMs: 100 }, dead: { ageMs: 100 } });
    const [redriven, rerun] = [job(), job()];
    await finish(store, queue, redriven, 'dead');
    await store.redriven(queue, [{ job: redriven, failedAt: failure.failedAt }]);
    await finish(store, queue, rerun, 'completed');
    await store.started(queue, { ...rerun, attempt: 2 });

    await sleep(PAST_AGE);

    expect((await store.get(redriven.id))?.status).toBe('waiting');
    expect((await store.get(rerun.id))?.status).toBe('active');
    expect(await store.completedCount(queue)).toBe(0);
    expect(deadWarnings()).toEqual([]);
  });

  it('a dead job dropped by count when another dies is warned about, naming its queue', async () => {
    const queue = `count-${randomUUID().slice(0, 8)}`;
    const store = storeWith({ dead: { count: 1 } });
    const [first, second] = [job(), job()];
    await finish(store, queue, first, 'dead');
    await finish(store, queue, second, 'dead');

    expect(await store.get(first.id)).toBeNull();
    expect((await store.get(second.id))?.status).toBe('dead');
    expect(deadWarnings()).toEqual([
      expect.stringContaining(`1 dead letter(s) of queue "${queue}" (retention.dead keeps the newest 1 for ever): ${first.id}`),
    ]);
  });
});

it('against a port where nothing listens, every call rejects with BrokerUnavailableError naming call, queue and server — none hangs', async () => {
  const port = await closedPort();
  const address = `127.0.0.1:${port}`;
  const consoleError = jest.spyOn(console, 'error');
  // maxRetriesPerRequest: null — ioredis alone would queue these for ever; commandTimeoutMs bounds them.
  const store = new RedisJobStateStore({ host: '127.0.0.1', port, prefix, commandTimeoutMs: 300, maxRetriesPerRequest: null });
  try {
    const record = job();
    const calls: [string, string | null, () => Promise<unknown>][] = [
      ['published', 'orders', () => store.published('orders', [{ job: record, runAt: null }])],
      ['started', 'orders', () => store.started('orders', record)],
      ['completed', 'orders', () => store.completed('orders', record, null)],
      ['dead', 'orders', () => store.dead('orders', record, failure)],
      ['forget', 'orders', () => store.forget('orders')],
      ['read', 'orders', () => store.completedCount('orders')],
      ['get', null, () => store.get(record.id)],
    ];
    for (const [operation, queue, call] of calls) {
      // The bound is only there so a hang fails this test instead of jest's own timeout.
      const outcome = await settleWithin(call(), 10_000);
      expect(outcome).not.toBe('hung');
      const error = outcome !== 'hung' && !outcome.ok ? outcome.error : null;
      expect(error).toBeInstanceOf(BrokerUnavailableError);
      // Not a JobsError: RabbitMQClient treats it as transient (the job is given back, not lost).
      expect(error).not.toBeInstanceOf(JobsError);
      expect(error).toMatchObject({ operation: `job store ${operation}`, queue, address });
      expect(error?.message).toContain(queue === null ? `job store ${operation} failed` : `job store ${operation} on "${queue}" failed`);
      expect(error?.message).toContain(`Redis at ${address}`);
    }
    expect(await settleWithin(store.close(), 10_000)).toEqual({ ok: true, value: undefined });
    expect(consoleError.mock.calls.filter((call) => String(call[0]).includes('Unhandled error event'))).toEqual([]);
  } finally {
    consoleError.mockRestore();
    await store.close().catch(() => undefined);
  }
});

describe('a record another producer wrote', () => {
  it('whose data is not a job record is read without throwing: what can be known, with MalformedJobError as its error', async () => {
    const queue = `foreign-${randomUUID().slice(0, 8)}`;
    const store = storeWith({});
    const record = job();
    await store.published(queue, [{ job: record, runAt: null }]);
    await admin.hset(jobKey(queue, record.id), 'data', '{"payload": tru');
    const state = await store.get(record.id);
    expect(state).toMatchObject({ id: record.id, queue, status: 'waiting', error: { name: 'MalformedJobError' } });
    expect(state!.error!.message).toContain('not JSON');
  });
});

describe('redriven', () => {
  it("records a job it does not know or still dead of its dead letter's failure as waiting with attempt 0, and leaves jobs that moved on as they are, without that old failure", async () => {
    const queue = `redriven-${randomUUID().slice(0, 8)}`;
    const store = storeWith({});
    const [dead, unknown, withoutFailure, rerun, completed, deadAgain] = [job(), job(), job(), job(), job(), job()];
    for (const record of [dead, withoutFailure, rerun, completed, deadAgain]) await finish(store, queue, record, 'dead');
    // Taken by a consumer after the broker move, before the store hears of the redrive.
    await store.started(queue, { ...rerun, attempt: 1 });
    await store.started(queue, { ...completed, attempt: 1 });
    await store.completed(queue, { ...completed, attempt: 1 }, { ok: 'second life' });
    const newer: JobFailure = { ...failure, message: 'fails again', failedAt: new Date(Date.parse(failure.failedAt) + 1000).toISOString() };
    await store.started(queue, { ...deadAgain, attempt: 1 });
    await store.dead(queue, { ...deadAgain, attempt: 1 }, newer);

    await store.redriven(queue, [
      ...[dead, unknown, rerun, completed, deadAgain].map((record) => ({ job: { ...record, attempt: 0 }, failedAt: failure.failedAt })),
      { job: { ...withoutFailure, attempt: 0 }, failedAt: null },
    ]);

    expect(await store.get(dead.id)).toMatchObject({ status: 'waiting', attempt: 0, error: null, finishedAt: null });
    expect(await store.get(unknown.id)).toMatchObject({ queue, status: 'waiting', attempt: 0 });
    expect(await store.get(withoutFailure.id)).toMatchObject({ status: 'waiting', attempt: 0, error: null });
    expect(await store.get(rerun.id)).toMatchObject({ status: 'active', attempt: 1, error: null });
    expect(await store.get(completed.id)).toMatchObject({ status: 'completed', attempt: 1, result: { ok: 'second life' }, error: null });
    expect(await store.get(deadAgain.id)).toMatchObject({ status: 'dead', attempt: 1, error: { message: 'fails again' } });
    expect(await store.completedCount(queue)).toBe(1);
  });
});
