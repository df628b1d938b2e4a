import { join } from 'node:path';
import { Orchestrator, RedisClient, JobFailedError, UnrecoverableError } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { REDIS_URL, requireServer } from '../support/servers';
import { CuttingProxy } from './fixtures/cutting-proxy';
import { adminConnection, deleteKeysUnder, settleWithin, subscribed, uniquePrefix } from './fixtures/redis-test-kit';
import { spawnFixture, type FixtureProcess } from '../support/fixture-process';

/**
 * Several processes on one queue: each publishes and consumes at the same time; every job is run
 * exactly once, by one of them. Job state is shared: any client can look up and await any job.
 */
const prefix = uniquePrefix();
const PER_PROCESS = 500;
const admin = adminConnection();
const workers: FixtureProcess[] = [];
const orchestrators: Orchestrator[] = [];
/** How long a wait that should end may take before the test calls it hung: far beyond any loaded machine. */
const HANG_GUARD_MS = 15_000;

function orchestrator(): Orchestrator {
  const created = new Orchestrator(new RedisClient(REDIS_URL, { prefix, retention: { completed: { count: Infinity } } }));
  orchestrators.push(created);
  return created;
}

beforeAll(() => requireServer('redis'));

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.kill()));
  await Promise.all(orchestrators.map((o) => o.close()));
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

it('two processes publishing and consuming one queue run every job exactly once', async () => {
  const queue = 'shared';
  const observer = orchestrator();
  await observer.register(taskSchema(queue));
  for (const name of ['a', 'b']) {
    workers.push(
      spawnFixture(join(__dirname, 'fixtures', 'busy-worker.ts'), {
        REDIS_URL,
        MT_PREFIX: prefix,
        MT_QUEUE: queue,
        MT_NAME: name,
        MT_COUNT: String(PER_PROCESS),
      }),
    );
  }

  const published = (await Promise.all(workers.map((w) => w.next((m) => m.type === 'published', 'its published ids')))).flatMap(
    (m) => m.ids as string[],
  );
  expect(published).toHaveLength(2 * PER_PROCESS);
  expect(new Set(published).size).toBe(published.length);

  // This process published none of them, yet sees each one and its result.
  const sample = await observer.getJob(published[0]);
  expect(sample).toMatchObject({ id: published[0], queue, name: queue });
  const results = await Promise.all(published.map((id) => observer.waitForResult<{ echoed: string }>(id, { timeout: 15_000 })));
  expect(results.every((result) => /^[ab]-\d+$/.test(result.echoed))).toBe(true);

  for (const worker of workers) worker.child.stdin.write('stop\n');
  const stopped = await Promise.all(workers.map((w) => w.next((m) => m.type === 'stopped', 'it to stop')));
  expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);

  const runs = workers.flatMap((w) => w.messages.filter((m) => m.type === 'ran'));
  const ranIds = runs.map((m) => m.id as string);
  expect(ranIds).toHaveLength(published.length);
  expect(new Set(ranIds).size).toBe(ranIds.length);
  expect([...ranIds].sort()).toEqual([...published].sort());
  expect(runs.every((m) => m.attempt === 1)).toBe(true);
  // Each reported as many settled runs as it ran, and both did take part.
  for (const [i, worker] of workers.entries()) {
    const ran = worker.messages.filter((m) => m.type === 'ran').length;
    expect(stopped[i].ran).toBe(ran);
    expect(ran).toBeGreaterThan(0);
  }
  expect(await observer.queueStats(queue)).toEqual({
    waiting: 0,
    delayed: 0,
    active: 0,
    completed: 2 * PER_PROCESS,
    dead: 0,
    paused: false,
  });
}, 40_000);

it('a job published through one client is found and awaited through another', async () => {
  const queue = 'cross-client';
  const producer = orchestrator();
  const other = orchestrator();
  const schema = taskSchema(queue);
  await producer.register(schema);

  const id = await producer.publish(queue, { label: 'shared', n: 7 });
  const doomed = await producer.publish(queue, { label: 'doomed' });
  expect(await other.getJob(id)).toMatchObject({
    id,
    queue,
    status: 'waiting',
    attempt: 0,
    payload: { label: 'shared', n: 7 },
    result: null,
  });
  const result = other.waitForResult(id, { timeout: 10_000 });
  const failure = other.waitForResult(doomed, { timeout: 10_000 });
  await subscribed(admin, `${prefix}:{${queue}}:finished`);

  // Consumed through the first client: the second learns of it over Redis alone.
  const consumer = new FnConsumer(queue, (job) => {
    if (job.payload.label === 'doomed') throw new UnrecoverableError('no way');
  });
  consumer.connect(producer);
  expect(await consumer.consume(2)).toBe(2);

  expect(await result).toEqual({ echoed: 'shared' });
  await expect(failure).rejects.toBeInstanceOf(JobFailedError);
  expect(await other.getJob(id)).toMatchObject({ status: 'completed', attempt: 1, result: { echoed: 'shared' } });
  expect(await other.getJob(doomed)).toMatchObject({ status: 'dead', error: { message: 'no way' } });
  expect(await other.getJob('00000000-0000-4000-8000-000000000000')).toBeNull();
});

// Regression (was a bug in lib/backends/redis/finish-watcher.ts watch): only the first waiter on a queue's channel awaits the
// SUBSCRIBE; a second one, started while that SUBSCRIBE is still on its way (the subscriber connection
// is opened lazily, so its first SUBSCRIBE waits for a connect), checks the job at once, finds it
// unfinished, and relies on a message the channel is not yet subscribed to receive — it then never
// resolves although the job completed. Every waiter should await the channel's pending SUBSCRIBE.
it(
  'waiters started together on one client all resolve when their jobs complete',
  async () => {
    const queue = 'waiters-together';
    const server = new URL(REDIS_URL);
    const gate = new CuttingProxy({ host: server.hostname, port: Number(server.port || 6379) });
    const port = await gate.listen();
    const waiterSide = new Orchestrator(new RedisClient({ host: '127.0.0.1', port, prefix }));
    try {
      const producer = orchestrator();
      await producer.register(taskSchema(queue));
      const [first, second] = [await producer.publish(queue, { label: 'first' }), await producer.publish(queue, { label: 'second' })];
      expect(await waiterSide.getJob(second)).toMatchObject({ status: 'waiting' });

      // The waiter side's subscriber connection (opened by the first wait) is held back while the jobs run.
      gate.holdNewConnections();
      const looks = jest.spyOn(waiterSide.backend, 'getJob');
      // 'hung' stands for "never": a waiter that missed its announcement waits for ever, a working one is
      // told as soon as the gate opens.
      const results = [
        settleWithin(waiterSide.waitForResult(first), HANG_GUARD_MS),
        settleWithin(waiterSide.waitForResult(second), HANG_GUARD_MS),
      ];
      // Both waits looked their job's queue up on the command connection; a command sent after them is
      // answered after them. Once it is, and pending callbacks have run, a waiter that looks without
      // awaiting the SUBSCRIBE has looked: let that look finish before the jobs run.
      await waiterSide.backend.countWaiting(queue);
      await new Promise((resolve) => setImmediate(resolve));
      await Promise.all(looks.mock.results.map((r) => r.value));
      const consumer = new FnConsumer(queue, () => undefined);
      consumer.connect(producer);
      expect(await consumer.consume(2)).toBe(2);
      gate.reopen();

      expect(await Promise.all(results)).toEqual([
        { ok: true, value: { echoed: 'first' } },
        { ok: true, value: { echoed: 'second' } },
      ]);
    } finally {
      await waiterSide.close();
      await gate.close();
    }
  },
  2 * HANG_GUARD_MS,
);
