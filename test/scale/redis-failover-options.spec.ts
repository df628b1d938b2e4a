import { Cluster } from 'ioredis';
import { InvalidOptionError, jobFromSchema, Orchestrator, RedisClient } from '../../lib';
import { ReplicasNotConfirmedError } from '../../lib/backends/redis';
import { taskSchema } from '../conformance/conformance.fixtures';
import { REDIS_URL, requireServer } from '../support/servers';
import { adminConnection, deleteKeysUnder, uniquePrefix } from '../redis/fixtures/redis-test-kit';

/**
 * The `replicas` option on its own: checked when the client is built, and what a publish does when
 * no replica confirms it — against the machine's Redis, which has none.
 */
const prefix = uniquePrefix();
const admin = adminConnection();
const closing: { close(): Promise<unknown> }[] = [];

beforeAll(() => requireServer('redis'));

afterAll(async () => {
  for (const item of closing.reverse()) await item.close().catch(() => undefined);
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

it.each([
  [{ count: 0, timeoutMs: 100 }, 'replicas.count'],
  [{ count: 1.5, timeoutMs: 100 }, 'replicas.count'],
  [{ count: 1 }, 'replicas.timeoutMs'],
  [{ count: 1, timeoutMs: 0 }, 'replicas.timeoutMs'],
  [{ count: 1, timeoutMs: 100, acks: 'all' }, 'replicas'],
  ['one', 'replicas'],
])('replicas %j is refused with InvalidOptionError naming %s', (replicas, option) => {
  const build = (): RedisClient => new RedisClient({ lazyConnect: true, replicas } as never);
  expect(build).toThrow(InvalidOptionError);
  expect(build).toThrow(expect.objectContaining({ option }));
});

it('replicas is refused beside a Redis Cluster: WAIT would not reach the node of the queue', () => {
  const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
  closing.push({ close: async () => cluster.disconnect() });
  const build = (): RedisClient => new RedisClient(cluster, { replicas: { count: 1, timeoutMs: 100 } });
  expect(build).toThrow(expect.objectContaining({ option: 'replicas', message: expect.stringContaining('Redis Cluster') }));
});

it('a publish no replica confirms rejects with ReplicasNotConfirmedError, its job enqueued once however often it is sent again', async () => {
  const queue = 'unconfirmed';
  const orchestrator = new Orchestrator(new RedisClient(REDIS_URL, { prefix, replicas: { count: 1, timeoutMs: 100 } }));
  closing.push(orchestrator);
  const schema = taskSchema(queue);
  await orchestrator.register(schema);
  const job = jobFromSchema(schema, { label: 'x' });
  for (let attempt = 0; attempt < 2; attempt++) {
    const error = await orchestrator.publish(queue, job).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ReplicasNotConfirmedError);
    expect(error).toMatchObject({ operation: 'publish', queue, required: 1, confirmed: 0, timeoutMs: 100 });
  }
  // Enqueued by the first call; the second, with the same id, was taken for the same publish, not a duplicate.
  expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 1 });
  expect((await orchestrator.getJob(job.id))?.status).toBe('waiting');
});
