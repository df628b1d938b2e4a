import { Orchestrator, RedisClient, type Delivery } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { REDIS_URL, requireServer } from '../support/servers';
import { adminConnection, deleteKeysUnder, uniquePrefix } from './fixtures/redis-test-kit';

/**
 * Jobs taken ahead of a free run slot (a consumer's prefetch; FetchOptions.startNow) are held but not
 * started: if their holder dies before it starts them, their lease running out is no stall and takes
 * back the attempt they never made. A job counts a stall only once its consumer marked it started,
 * which it does before the run begins.
 */
const prefix = uniquePrefix();
const admin = adminConnection();
const client = new RedisClient(REDIS_URL, { prefix });
const orchestrator = new Orchestrator(client);

beforeAll(() => requireServer('redis'));

afterAll(async () => {
  await orchestrator.close();
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

async function queueWithJobs(queue: string, count: number): Promise<string[]> {
  await orchestrator.register(taskSchema(queue));
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await orchestrator.publish(queue, { label: `job-${i}` }));
  return ids;
}

/** Lets 1 ms leases run out (a timer until a known time), then takes every job again. */
async function takenAgain(queue: string, count: number): Promise<Map<string, Delivery>> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  const again = await client.fetch(queue, count, { wait: false, leaseMs: 30_000 });
  return new Map(again.map((delivery) => [delivery.job.id, delivery]));
}

it('a lease that runs out counts a stall for the jobs started, none for those taken ahead and never started', async () => {
  const queue = 'ahead-stalls';
  const ids = await queueWithJobs(queue, 4);
  const taken = await client.fetch(queue, 4, { wait: false, leaseMs: 1, startNow: 1 });
  expect(taken.map((d) => [d.job.id, d.job.attempt, d.takenAhead ?? false])).toEqual([
    [ids[0], 1, false],
    [ids[1], 1, true],
    [ids[2], 1, true],
    [ids[3], 1, true],
  ]);
  // The consumer starts the second one; the third and fourth are never started (their holder "died").
  client.startTakenAhead(taken[1]);
  const again = await takenAgain(queue, 4);
  expect(ids.map((id) => [again.get(id)?.stalls, again.get(id)?.job.attempt])).toEqual([
    [1, 2],
    [1, 2],
    [0, 1],
    [0, 1],
  ]);
  // Taken this time with every job started at once: none is marked ahead any more.
  expect(ids.map((id) => again.get(id)?.takenAhead ?? false)).toEqual([false, false, false, false]);
});

it('a fetch without startNow starts every job it takes, as before', async () => {
  const queue = 'all-started';
  const ids = await queueWithJobs(queue, 2);
  const taken = await client.fetch(queue, 2, { wait: false, leaseMs: 1 });
  expect(taken.map((d) => d.takenAhead ?? false)).toEqual([false, false]);
  const again = await takenAgain(queue, 2);
  expect(ids.map((id) => again.get(id)?.stalls)).toEqual([1, 1]);
});

it('a consumer with a prefetch marks each job it took ahead as started before running it', async () => {
  const queue = 'consumer-ahead';
  const ids = await queueWithJobs(queue, 6);
  const marked: string[] = [];
  const startTakenAhead = client.startTakenAhead.bind(client);
  client.startTakenAhead = (delivery: Delivery) => {
    marked.push(delivery.job.id);
    startTakenAhead(delivery);
  };
  try {
    const consumer = new FnConsumer(queue, () => undefined, { concurrency: 1, prefetch: 5 });
    consumer.connect(orchestrator);
    expect(await consumer.consume(6)).toBe(6);
    await consumer.close();
  } finally {
    client.startTakenAhead = startTakenAhead;
  }
  // One fetch of six with one free slot: the first starts at once, the other five were taken ahead.
  expect(marked).toEqual(ids.slice(1));
  const flags = await Promise.all(ids.map((id) => admin.hget(`${prefix}:{${queue}}:job:${id}`, 'ahead')));
  expect(flags).toEqual(['0', '0', '0', '0', '0', '0']);
});
