import { Orchestrator, RedisClient, BrokerUnavailableError } from '../../lib';
import { taskSchema } from '../conformance/conformance.fixtures';
import { REDIS_URL, requireServer } from '../support/servers';
import { CuttingProxy } from './fixtures/cutting-proxy';
import { adminConnection, deleteKeysUnder, uniquePrefix } from './fixtures/redis-test-kit';

/**
 * A fetch whose reply is lost after Redis ran it must not leave the jobs it took leased to nobody
 * (they would come back only when the lease runs out, as a stall). Fetch is idempotent by its token
 * base: sent again — by ioredis after a reconnect, or by the client after a call that got no
 * answer — it gets the jobs the first call took, and takes no more.
 */
const prefix = uniquePrefix();
const redisUrl = new URL(REDIS_URL);
const server = { host: redisUrl.hostname, port: Number(redisUrl.port || 6379) };
const admin = adminConnection();
const direct = new Orchestrator(new RedisClient(REDIS_URL, { prefix }));
const closing: (Orchestrator | CuttingProxy)[] = [direct];
const leaseMs = 60_000;

beforeAll(() => requireServer('redis'));

afterAll(async () => {
  for (const item of closing.reverse()) await item.close();
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

/** A client connected through a proxy that can cut its connection at an exact point. */
async function throughProxy(commandTimeoutMs?: number): Promise<{ client: RedisClient; proxy: CuttingProxy }> {
  const proxy = new CuttingProxy(server);
  const port = await proxy.listen();
  const client = new RedisClient({ host: '127.0.0.1', port, prefix, commandTimeoutMs });
  closing.push(proxy, new Orchestrator(client));
  return { client, proxy };
}

async function queueWith(queue: string, count: number): Promise<string[]> {
  await direct.register(taskSchema(queue));
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await direct.publish(queue, { label: `job-${i}` }));
  return ids;
}

it('a fetch resent by ioredis after its reply was lost returns the jobs it took, and takes no more', async () => {
  const queue = 'fetch-resent';
  const ids = await queueWith(queue, 3);
  const { client, proxy } = await throughProxy();
  await client.queueType(queue); // connected and ready

  proxy.cutOnNextReply();
  const deliveries = await client.fetch(queue, 2, { wait: false, leaseMs });

  expect(deliveries.map((d) => d.job.id)).toEqual(ids.slice(0, 2));
  expect(deliveries.map((d) => d.job.attempt)).toEqual([1, 1]);
  expect(await direct.queueStats(queue)).toMatchObject({ waiting: 1, active: 2 });
  // They are held by this delivery: its settles go through.
  for (const delivery of deliveries) await client.complete(delivery, { echoed: delivery.job.id });
  expect(await direct.queueStats(queue)).toMatchObject({ waiting: 1, active: 0, completed: 2 });
  // No record of the fetch is left once its jobs are settled.
  expect(await admin.keys(`${prefix}:{${queue}}:fetch:*`)).toEqual([]);
});

it('a fetch that got no answer is asked again by the next fetch, which gets its jobs (the surplus goes back untried)', async () => {
  const queue = 'fetch-unanswered';
  const ids = await queueWith(queue, 3);
  const { client, proxy } = await throughProxy(300);
  await client.queueType(queue);

  // Redis runs the fetch; its reply is cut, and the reconnect is held until the call has given up.
  proxy.cutOnNextReply();
  proxy.holdNewConnections();
  const error = await client.fetch(queue, 2, { wait: false, leaseMs }).catch((err: Error) => err);
  expect(error).toBeInstanceOf(BrokerUnavailableError);
  expect(await direct.queueStats(queue)).toMatchObject({ waiting: 1, active: 2 });

  proxy.reopen();
  // This caller wants one job now: it gets the first the lost fetch took; the other goes back in its
  // place, its attempt not counted and no stall recorded. Nothing new was taken.
  const [again, ...more] = await client.fetch(queue, 1, { wait: false, leaseMs });
  expect(more).toEqual([]);
  expect(again.job.id).toBe(ids[0]);
  expect(again.stalls).toBe(0);
  expect(await direct.queueStats(queue)).toMatchObject({ waiting: 2, active: 1 });
  await client.complete(again, { echoed: 'x' });

  const rest = await client.fetch(queue, 5, { wait: false, leaseMs });
  expect(rest.map((d) => [d.job.id, d.job.attempt, d.stalls])).toEqual([
    [ids[1], 1, 0],
    [ids[2], 1, 0],
  ]);
});

it('a completeAndFetch resent after its reply was lost completes once and hands over the same next job', async () => {
  const queue = 'complete-and-fetch-resent';
  const ids = await queueWith(queue, 3);
  const { client, proxy } = await throughProxy();
  const [first] = await client.fetch(queue, 1, { wait: false, leaseMs });

  proxy.cutOnNextReply();
  const next = await client.completeAndFetch(first, { echoed: 'first' }, { max: 1, leaseMs });

  expect(next.map((d) => d.job.id)).toEqual([ids[1]]);
  expect(await direct.queueStats(queue)).toMatchObject({ waiting: 1, active: 1, completed: 1 });
  await client.complete(next[0], { echoed: 'second' });
  expect(await direct.getJob(ids[1])).toMatchObject({ status: 'completed', attempt: 1 });
});
