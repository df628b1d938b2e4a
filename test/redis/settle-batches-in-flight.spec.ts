import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { RedisClient, type Delivery } from '../../lib';
import type { JobRecord } from '../../lib/backend/job-record';
import { startPrivateRedisServer, type PrivateRedisServer } from './fixtures/private-redis-server';

/**
 * While a batch of completions awaits its reply, the next one is sent (two in flight per queue), so a
 * busy consumer works on one reply while Redis runs the other batch; a third waits. Replies are held
 * back with CLIENT PAUSE WRITE, on a private server so no other test is paused.
 */
const prefix = 'in-flight';
let server: PrivateRedisServer;
let admin: Redis;
let client: RedisClient;

beforeAll(async () => {
  server = await startPrivateRedisServer();
  admin = server.admin;
  client = new RedisClient({ port: server.port, prefix });
});

afterAll(async () => {
  await admin?.client('UNPAUSE');
  await client?.close();
  server?.stop();
});

function job(): JobRecord {
  return { id: randomUUID(), name: 'task', schemaName: 'task', payload: {}, createdAt: new Date().toISOString(), priority: 0, attempt: 0 };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Counts the `complete` calls awaiting their reply, and the size of each call sent. */
function watchCompleteCalls(): { inFlightMost: () => number; sizes: number[] } {
  const completions = (client as unknown as { completions: { send(batch: unknown[]): Promise<unknown> } }).completions;
  const send = completions.send.bind(completions);
  let inFlight = 0;
  let most = 0;
  const sizes: number[] = [];
  completions.send = async (batch) => {
    inFlight += 1;
    most = Math.max(most, inFlight);
    sizes.push(batch.length);
    try {
      return await send(batch);
    } finally {
      inFlight -= 1;
    }
  };
  return { inFlightMost: () => most, sizes };
}

it('a completion made while a batch awaits its reply leaves at once; one more waits for a reply', async () => {
  const queue = 'two-in-flight';
  await client.declareQueue(queue, 'fifo');
  await client.publish(
    queue,
    Array.from({ length: 3 }, () => ({ job: job() })),
  );
  const taken: Delivery[] = await client.fetch(queue, 3, { wait: false, leaseMs: 30_000 });
  expect(taken).toHaveLength(3);
  const calls = watchCompleteCalls();

  await admin.client('PAUSE', 30_000, 'WRITE');
  const completed: Promise<void>[] = [];
  // One completion a turn: each leaves on its own tick if there is a place in flight for it.
  for (const delivery of taken) {
    completed.push(client.complete(delivery, { done: true }));
    await nextTurn();
  }
  const whilePaused = [...calls.sizes];
  await admin.client('UNPAUSE');
  await Promise.all(completed);

  expect(whilePaused).toEqual([1, 1]);
  expect(calls.inFlightMost()).toBe(2);
  expect(calls.sizes).toEqual([1, 1, 1]);
  expect((await client.queueStats(queue)).completed).toBe(3);
});

it('completions made in one turn with no batch in flight leave as two halves, so one half runs while Redis settles the other', async () => {
  const queue = 'two-halves';
  await client.declareQueue(queue, 'fifo');
  await client.publish(
    queue,
    Array.from({ length: 5 }, () => ({ job: job() })),
  );
  const taken: Delivery[] = await client.fetch(queue, 5, { wait: false, leaseMs: 30_000 });
  expect(taken).toHaveLength(5);
  const calls = watchCompleteCalls();

  await Promise.all(taken.map((delivery) => client.complete(delivery, { done: true })));

  expect(calls.sizes).toEqual([3, 2]);
  expect((await client.queueStats(queue)).completed).toBe(5);
});
