import { randomUUID } from 'node:crypto';
import { Orchestrator, RedisClient } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { REDIS_URL, requireServer } from '../support/servers';
import { adminConnection, clientsNamed, deleteKeysUnder, eventually, isBlocked, sleep, uniquePrefix } from './fixtures/redis-test-kit';

/**
 * An idle consumer blocks instead of polling. The server's own view is the judge: CLIENT LIST gives
 * each connection's idle time (whole seconds since its last command), per connection, so other test
 * files sharing the server cannot disturb it. (MONITOR was tried first: with another heavy client on
 * the server, ioredis's monitor parser gave up with "Command queue state error".)
 */
const prefix = uniquePrefix();
const queue = 'idle';
const redisUrl = new URL(REDIS_URL);
const admin = adminConnection();
const orchestrators: Orchestrator[] = [];

beforeAll(() => requireServer('redis'));

afterAll(async () => {
  await Promise.all(orchestrators.map((o) => o.close()));
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

it('an idle consumer sends no command while it waits, even with a delayed job pending, and a publish wakes it', async () => {
  const name = `mt-idle-${randomUUID().slice(0, 8)}`;
  const consumerSide = new Orchestrator(
    new RedisClient({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379), connectionName: name, prefix }),
  );
  const publisher = new Orchestrator(new RedisClient(REDIS_URL, { prefix }));
  orchestrators.push(consumerSide, publisher);
  await consumerSide.register(taskSchema(queue));
  await publisher.register(taskSchema(queue));
  // Due long after this test: the consumer must sleep until then, not keep waking to check on it.
  await publisher.publish(queue, { label: 'much-later' }, { delay: 60_000 });

  const seen: string[] = [];
  const consumer = new FnConsumer(queue, (job) => void seen.push(job.payload.label));
  consumer.connect(consumerSide);
  const consuming = consumer.consume();
  await eventually('the consumer blocks in BLPOP', () => isBlocked(admin, name));

  await sleep(1500);
  const idle = await clientsNamed(admin, name);
  // Its command connection and its blocking connection, both silent for a second or more: a consumer
  // that polled (even every half second) would show idle=0 on one of them.
  expect(idle.length).toBeGreaterThanOrEqual(2);
  expect(idle.filter((client) => Number(client.idle) < 1)).toEqual([]);
  expect(idle.filter((client) => client.flags.includes('b')).map((client) => client.cmd)).toEqual(['blpop']);

  await publisher.publish(queue, { label: 'now' });
  await eventually('the consumer runs the published job', () => seen.includes('now'), 5000, 5);
  expect(seen).toEqual(['now']);

  await consumer.stop();
  expect(await consuming).toBe(1);
  expect(await publisher.queueStats(queue)).toEqual({ waiting: 0, delayed: 1, active: 0, completed: 1, dead: 0, paused: false });
});

// Regression (was in scripts/fetch.lua): publishes nobody was waiting for leave wake tokens in the
// notify list (up to 256). Once the queue drained, an idle consumer woke once per leftover token and
// made an empty fetch each time (65 measured) before it finally slept.
it('once the queue drains, a consumer sleeps at once: leftover wake tokens do not make it fetch again and again', async () => {
  const idleQueue = 'drained';
  const name = `mt-drained-${randomUUID().slice(0, 8)}`;
  const client = new RedisClient({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379), connectionName: name, prefix });
  const consumerSide = new Orchestrator(client);
  const publisher = new Orchestrator(new RedisClient(REDIS_URL, { prefix }));
  orchestrators.push(consumerSide, publisher);
  await publisher.register(taskSchema(idleQueue));
  await consumerSide.register(taskSchema(idleQueue));
  for (let i = 0; i < 50; i++) await publisher.publish(idleQueue, { label: `job-${i}` });
  const notify = `${prefix}:{${idleQueue}}:notify`;
  expect(await admin.llen(notify)).toBe(50);

  // Every fetch script call this client makes (its JobFetcher's), and when the last job completed.
  const fetches = jest.spyOn((client as unknown as { fetcher: { take: () => Promise<unknown> } }).fetcher, 'take');
  let fetchesAtLastJob = -1;
  const consumer = new FnConsumer(idleQueue, () => undefined);
  consumer.on('completed', () => {
    completed += 1;
    if (completed === 50) fetchesAtLastJob = fetches.mock.calls.length;
  });
  let completed = 0;
  consumer.connect(consumerSide);
  const consuming = consumer.consume();
  await eventually('all 50 jobs ran', () => completed === 50);
  await eventually('the consumer blocks in BLPOP', () => isBlocked(admin, name));

  // After the last job: the fetch that found nothing (and cleared the tokens), none per leftover token.
  expect(fetches.mock.calls.length - fetchesAtLastJob).toBeLessThanOrEqual(2);
  expect(await admin.llen(notify)).toBe(0);
  // And a publish still wakes it.
  await publisher.publish(idleQueue, { label: 'late' });
  await eventually('the late job ran', () => completed === 51, 5000, 5);
  await consumer.stop();
  expect(await consuming).toBe(51);
  fetches.mockRestore();
});
