import { randomUUID } from 'node:crypto';
import { RedisClient } from '../../lib';
import type { PublishItem } from '../../lib/backend/job-backend.interface';
import type { JobRecord } from '../../lib/backend/job-record';
import { LeaseLostError, QueueNotDeclaredError } from '../../lib/errors';
import { REDIS_URL, requireServer } from '../support/servers';
import { adminConnection, deleteKeysUnder, eventually, isBlocked, keysUnder, settleWithin, uniquePrefix } from './fixtures/redis-test-kit';

/**
 * Pause, hold and rate limit as the Redis scripts keep them, between clients that share nothing but
 * the server: what one client sets, another's fetch obeys, and a fetch blocked on the queue's notify
 * list wakes when it may take again (pushed on resume, a timer for a hold or a full window).
 */
const prefix = uniquePrefix();
const redisUrl = new URL(REDIS_URL);
const admin = adminConnection();
const clients: RedisClient[] = [];

function client(connectionName?: string): RedisClient {
  const c = new RedisClient({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379), connectionName, prefix });
  clients.push(c);
  return c;
}

function item(label: string, runAt?: number): PublishItem {
  const job: JobRecord = {
    id: randomUUID(),
    name: 'task',
    schemaName: 'task',
    payload: { label },
    createdAt: new Date().toISOString(),
    priority: 0,
    attempt: 0,
  };
  return { job, runAt };
}

async function queueOn(c: RedisClient): Promise<string> {
  const queue = `flow-${randomUUID().slice(0, 8)}`;
  await c.declareQueue(queue, 'fifo');
  return queue;
}

const labels = (ds: { job: JobRecord }[]): unknown[] => ds.map((d) => d.job.payload.label);

beforeAll(() => requireServer('redis'));

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

it('a fetch blocked while the queue is paused stays blocked through a publish, and wakes when another client resumes', async () => {
  const name = `mt-paused-${randomUUID().slice(0, 8)}`;
  const consumerSide = client(name);
  const operator = client();
  const queue = await queueOn(operator);
  await operator.pauseQueue(queue);
  expect((await consumerSide.queueStats(queue)).paused).toBe(true);

  const fetching = consumerSide.fetch(queue, 5, { wait: true, leaseMs: 30_000 });
  await eventually('the consumer blocks in BLPOP', () => isBlocked(admin, name));
  await operator.publish(queue, [item('a'), item('b')]);
  // Still paused: the jobs wait, and the consumer is (again) blocked, holding nothing.
  expect(await settleWithin(fetching, 300)).toBe('hung');
  expect(await isBlocked(admin, name)).toBe(true);
  expect(await operator.queueStats(queue)).toMatchObject({ waiting: 2, active: 0, paused: true });

  await operator.resumeQueue(queue);
  // Well inside the 10 s a blocked consumer sleeps at most: only the resume's push can wake it in time.
  const woken = await settleWithin(fetching, 5_000);
  expect(woken !== 'hung' && woken.ok && labels(woken.value)).toEqual(['a', 'b']);
  const taken = woken !== 'hung' && woken.ok ? woken.value : [];
  expect((await operator.queueStats(queue)).paused).toBe(false);
  expect(await consumerSide.completeAndFetch(taken[0], null, { max: 1, leaseMs: 30_000 })).toEqual([]);
});

it('completeAndFetch takes no next job while the queue is paused; pausing an undeclared queue is refused', async () => {
  const c = client();
  const queue = await queueOn(c);
  await c.publish(queue, [item('first'), item('second')]);
  const [first] = await c.fetch(queue, 1, { wait: false, leaseMs: 30_000 });
  await c.pauseQueue(queue);
  expect(await c.completeAndFetch(first, null, { max: 1, leaseMs: 30_000 })).toEqual([]);
  expect(await c.fetch(queue, 1, { wait: false, leaseMs: 30_000 })).toEqual([]);
  await c.resumeQueue(queue);
  expect(labels(await c.fetch(queue, 1, { wait: false, leaseMs: 30_000 }))).toEqual(['second']);
  await expect(c.pauseQueue(`never-declared-${randomUUID()}`)).rejects.toBeInstanceOf(QueueNotDeclaredError);
});

it('a rate limit is one window shared by two clients: together they take no more than max, fetch and completeAndFetch alike', async () => {
  const a = client();
  const b = client();
  const queue = await queueOn(a);
  await a.publish(
    queue,
    ['1', '2', '3', '4', '5', '6'].map((label) => item(label)),
  );
  const rateLimit = { max: 3, intervalMs: 60_000 };
  const fromA = await a.fetch(queue, 2, { wait: false, leaseMs: 30_000, rateLimit });
  const fromB = await b.fetch(queue, 5, { wait: false, leaseMs: 30_000, rateLimit });
  expect([fromA.length, fromB.length]).toEqual([2, 1]);
  expect(await b.completeAndFetch(fromB[0], null, { max: 2, leaseMs: 30_000, rateLimit })).toEqual([]);
  expect(await a.fetch(queue, 1, { wait: false, leaseMs: 30_000, rateLimit })).toEqual([]);
  // A fetch without a limit is not counted against, nor held back by, the window.
  expect(labels(await b.fetch(queue, 1, { wait: false, leaseMs: 30_000 }))).toEqual(['4']);
  expect(await a.queueStats(queue)).toMatchObject({ waiting: 2, active: 3, completed: 1 });
});

it('a waiting fetch under a full window sleeps until the oldest slot frees, then takes the job, with no publish to wake it', async () => {
  const c = client();
  const queue = await queueOn(c);
  await c.publish(queue, [item('now'), item('next')]);
  const rateLimit = { max: 1, intervalMs: 700 };
  expect(labels(await c.fetch(queue, 1, { wait: true, leaseMs: 30_000, rateLimit }))).toEqual(['now']);
  const next = await settleWithin(c.fetch(queue, 1, { wait: true, leaseMs: 30_000, rateLimit }), 8_000);
  expect(next !== 'hung' && next.ok && labels(next.value)).toEqual(['next']);
});

it('holdQueue holds every fetcher, limited or not, until then; a later hold extends it, and the waiting fetch wakes at its end', async () => {
  const c = client();
  const other = client();
  const queue = await queueOn(c);
  await c.publish(queue, [item('held')]);
  await other.holdQueue(queue, Date.now() + 60_000);
  await other.holdQueue(queue, Date.now() + 1_000); // earlier: changes nothing
  expect(await c.fetch(queue, 1, { wait: false, leaseMs: 30_000 })).toEqual([]);
  expect(await c.fetch(queue, 1, { wait: false, leaseMs: 30_000, rateLimit: { max: 10, intervalMs: 1000 } })).toEqual([]);

  const short = await queueOn(c);
  await c.publish(short, [item('after-hold')]);
  await other.holdQueue(short, Date.now() + 600);
  const taken = await settleWithin(c.fetch(short, 1, { wait: true, leaseMs: 30_000 }), 8_000);
  expect(taken !== 'hung' && taken.ok && labels(taken.value)).toEqual(['after-hold']);
});

it('progress is kept on the job, across a retry, and refused once the lease is gone', async () => {
  const c = client();
  const queue = await queueOn(c);
  const published = item('p');
  await c.publish(queue, [published]);
  const { id } = published.job;
  expect((await c.getJob(id))?.progress).toBeNull();
  const [first] = await c.fetch(queue, 1, { wait: false, leaseMs: 30_000 });
  await c.reportProgress(first, 40);
  await c.reportProgress(first, { stage: 'upload', done: 3 });
  expect((await c.getJob(id))?.progress).toEqual({ stage: 'upload', done: 3 });
  await c.retry(first, { name: 'Error', message: 'again', attempt: 1, failedAt: new Date().toISOString() }, 0);
  expect((await c.getJob(id))?.progress).toEqual({ stage: 'upload', done: 3 });
  await expect(c.reportProgress(first, 50)).rejects.toBeInstanceOf(LeaseLostError);
  const [second] = await c.fetch(queue, 1, { wait: false, leaseMs: 30_000 });
  await c.reportProgress(second, 90);
  await c.complete(second, null);
  expect(await c.getJob(id)).toMatchObject({ status: 'completed', progress: 90 });
});

it('deduplication: a second publish is a duplicate while the holder is unfinished, replace withdraws a waiting holder, a finished one frees the key', async () => {
  const a = client();
  const b = client();
  const queue = await queueOn(a);
  const first = item('first');
  expect(await a.publishDeduplicated(queue, first, { key: 'doc-7' })).toEqual({ id: first.job.id, duplicate: false });
  expect(await b.publishDeduplicated(queue, item('again'), { key: 'doc-7' })).toEqual({ id: first.job.id, duplicate: true });
  const replacing = item('replacing');
  expect(await b.publishDeduplicated(queue, replacing, { key: 'doc-7', replace: true })).toEqual({
    id: replacing.job.id,
    duplicate: false,
    replaced: first.job.id,
  });
  expect(await a.getJob(first.job.id)).toBeNull();
  expect(await a.countWaiting(queue)).toBe(1);
  const [held] = await a.fetch(queue, 1, { wait: false, leaseMs: 30_000 });
  // The holder started: replace enqueues the new job beside it and hands it the key.
  const beside = item('beside');
  expect(await a.publishDeduplicated(queue, beside, { key: 'doc-7', replace: true })).toEqual({ id: beside.job.id, duplicate: false });
  await a.complete(held, null);
  const [besideTaken] = await a.fetch(queue, 1, { wait: false, leaseMs: 30_000 });
  await a.complete(besideTaken, null);
  const free = item('free');
  expect(await b.publishDeduplicated(queue, free, { key: 'doc-7' })).toEqual({ id: free.job.id, duplicate: false });
});

it('schedules: put is a compare-and-set that enqueues the occurrence once; delete withdraws it; deleteQueue leaves no key behind', async () => {
  const a = client();
  const b = client();
  const queue = await queueOn(a);
  const at = Date.now() + 60_000;
  const record = {
    queue,
    key: 'nightly',
    spec: { every: 60_000 },
    template: { name: 'task', schemaName: 'task', payload: { label: 'tick' }, priority: 0 },
    nextRunAt: at,
    updatedAt: new Date().toISOString(),
  };
  const occurrence = (tick: number): PublishItem => ({
    job: {
      ...record.template,
      id: `schedule:${queue}:nightly:${tick}`,
      createdAt: new Date().toISOString(),
      attempt: 0,
      schedule: { key: 'nightly', at: tick },
    },
    runAt: tick,
  });
  expect(await a.putSchedule(record, occurrence(at), null, true)).toBe(true);
  expect(await b.putSchedule(record, occurrence(at), null, true)).toBe(false);
  expect(await b.getSchedule(queue, 'nightly')).toEqual(record);
  expect(await a.queueStats(queue)).toMatchObject({ waiting: 0, delayed: 1 });

  // Moved on by one process, the other's compare-and-set on the old tick fails.
  const moved = { ...record, nextRunAt: at + 60_000 };
  expect(await a.putSchedule(moved, occurrence(at + 60_000), at, true)).toBe(true);
  expect(await b.putSchedule({ ...record, nextRunAt: at + 120_000 }, occurrence(at + 120_000), at, true)).toBe(false);
  expect(await a.getJob(`schedule:${queue}:nightly:${at}`)).toBeNull();
  expect((await a.getJob(`schedule:${queue}:nightly:${at + 60_000}`))?.status).toBe('delayed');
  expect((await b.listSchedules(queue)).map((s) => s.nextRunAt)).toEqual([at + 60_000]);
  expect((await b.listSchedules()).filter((s) => s.queue === queue)).toHaveLength(1);

  // A new template for the same tick replaces the occurrence that has not started.
  const changed = { ...moved, template: { ...record.template, payload: { label: 'changed' } } };
  const changedOccurrence = occurrence(at + 60_000);
  changedOccurrence.job.payload = { label: 'changed' };
  expect(await b.putSchedule(changed, changedOccurrence, at + 60_000, true)).toBe(true);
  expect((await a.getJob(`schedule:${queue}:nightly:${at + 60_000}`))?.payload).toEqual({ label: 'changed' });
  expect(await a.queueStats(queue)).toMatchObject({ waiting: 0, delayed: 1 });

  expect(await b.deleteSchedule(queue, 'nightly')).toBe(true);
  expect(await b.deleteSchedule(queue, 'nightly')).toBe(false);
  expect(await a.queueStats(queue)).toMatchObject({ waiting: 0, delayed: 0 });

  await a.putSchedule(record, occurrence(at), null, true);
  await a.publishDeduplicated(queue, item('d'), { key: 'k', ttlMs: 60_000 });
  await a.pauseQueue(queue);
  await a.publish(queue, [item('x')]);
  await a.resumeQueue(queue);
  await a.fetch(queue, 5, { wait: false, leaseMs: 30_000, rateLimit: { max: 5, intervalMs: 60_000 } });
  await a.deleteQueue(queue);
  expect(await keysUnder(admin, `${prefix}:{${queue}}`)).toEqual([]);
  expect(await a.listSchedules(queue)).toEqual([]);
});
