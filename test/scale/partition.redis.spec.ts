import { randomUUID } from 'node:crypto';
import { Orchestrator, RedisClient } from '../../lib';
import { taskSchema } from '../conformance/conformance.fixtures';
import { startNetwork, startRedisIn, type NetnsNetwork, type NetnsServer } from '../support/netns-kit';
import {
  describeOutcome,
  expectPartitionOutcome,
  runPartitionScenario,
  startPartitionWorkers,
  type PartitionWorkers,
} from '../support/partition-scenario';

/** Short, so B takes A's jobs soon after the cut; A's keeper extends it every leaseMs / 3 while linked. */
const LEASE_MS = 1500;

/**
 * Redis in host "broker", workers A and B in hosts of their own (test/support/netns-kit.ts). A's
 * completions sent while it is cut off reach Redis once it is back and are refused: the lease is B's.
 */
describe('Redis: a worker host cut off by a network partition, then restored', () => {
  const prefix = `mt-partition-${randomUUID().slice(0, 8)}`;
  let net: NetnsNetwork;
  let redis: NetnsServer;
  let workers: PartitionWorkers | undefined;
  let orchestrator: Orchestrator;

  beforeAll(async () => {
    const began = Date.now();
    net = await startNetwork(['broker', 'a', 'b']);
    const [redisStarted, workersStarted] = await Promise.allSettled([
      startRedisIn(net, 'broker'),
      // The workers connect on their first command: their slow start (ts-node) need not wait for Redis.
      startPartitionWorkers(net, { MT_BACKEND: 'redis', REDIS_URL: `redis://${net.hosts.broker.address}:6379`, MT_PREFIX: prefix }),
    ]);
    if (workersStarted.status === 'fulfilled') workers = workersStarted.value;
    if (redisStarted.status === 'rejected') throw redisStarted.reason;
    if (workersStarted.status === 'rejected') throw workersStarted.reason;
    redis = redisStarted.value;
    process.stdout.write(`partition (Redis): broker and workers started in ${Date.now() - began} ms\n`);
    orchestrator = new Orchestrator(new RedisClient(redis.url, { prefix }));
  }, 90_000);
  afterAll(async () => {
    await orchestrator?.close();
    await workers?.stop();
    await net?.stop();
  });

  it.each(['after-takeover', 'at-cut'] as const)(
    "A's runs ending %s: its jobs run on B after their lease, its late completions are refused, each job completes once, none is lost",
    async (finishA) => {
      const queue = `partitioned-${finishA}`;
      await orchestrator.register(taskSchema(queue));
      const outcome = await runPartitionScenario({
        net,
        orchestrator,
        workers: workers!,
        queue,
        jobs: 24,
        afterRestore: 4,
        finishA,
        leaseMs: LEASE_MS,
      });
      process.stdout.write(describeOutcome(`Redis, A's runs ending ${finishA}`, outcome));
      expectPartitionOutcome(outcome);
      expect(await orchestrator.queueStats(queue)).toMatchObject({
        waiting: 0,
        active: 0,
        delayed: 0,
        completed: outcome.ids.length,
        dead: 0,
      });
    },
    60_000,
  );
});
