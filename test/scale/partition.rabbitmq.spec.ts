import { randomUUID } from 'node:crypto';
import { Orchestrator, RabbitMQClient, RedisJobStateStore } from '../../lib';
import { taskSchema } from '../conformance/conformance.fixtures';
import { startNetwork, startRabbitMQIn, startRedisIn, type NetnsNetwork, type NetnsServer } from '../support/netns-kit';
import {
  describeOutcome,
  expectPartitionOutcome,
  runPartitionScenario,
  startPartitionWorkers,
  type PartitionWorkers,
} from '../support/partition-scenario';

/** The value of a start that succeeded; a failed one throws its reason (afterAll still stops what did start). */
function fulfilled<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

/** Seconds: the broker drops a connection it heard nothing from for two of them, and requeues its deliveries. */
const HEARTBEAT_S = 1;

/**
 * RabbitMQ and the job store's Redis in host "broker", workers A and B in hosts of their own
 * (test/support/netns-kit.ts): the partition cuts A off from both. A's channel dies with its
 * connection, so its late completions are refused, and nothing of them may reach the job store.
 */
describe('RabbitMQ: a worker host cut off by a network partition, then restored', () => {
  const prefix = `mt-partition-${randomUUID().slice(0, 8)}`;
  let net: NetnsNetwork;
  let rabbit: NetnsServer;
  let redis: NetnsServer;
  let workers: PartitionWorkers | undefined;
  let orchestrator: Orchestrator;

  beforeAll(async () => {
    const began = Date.now();
    net = await startNetwork(['broker', 'a', 'b']);
    const { address } = net.hosts.broker;
    const [rabbitStarted, redisStarted, workersStarted] = await Promise.allSettled([
      startRabbitMQIn(net, 'broker'),
      startRedisIn(net, 'broker'),
      // Loading ts-node takes as long as booting RabbitMQ: side by side. The workers connect on their first command.
      startPartitionWorkers(net, {
        MT_BACKEND: 'rabbitmq',
        RABBITMQ_URL: `amqp://guest:guest@${address}:5672`,
        STORE_URL: `redis://${address}:6379`,
        MT_PREFIX: prefix,
        MT_HEARTBEAT: String(HEARTBEAT_S),
      }),
    ]);
    if (workersStarted.status === 'fulfilled') workers = workersStarted.value;
    [rabbit, redis] = [fulfilled(rabbitStarted), fulfilled(redisStarted)];
    fulfilled(workersStarted);
    process.stdout.write(`partition (RabbitMQ): brokers and workers started in ${Date.now() - began} ms\n`);
    orchestrator = new Orchestrator(
      new RabbitMQClient({ url: rabbit.url, prefix, jobStore: new RedisJobStateStore(redis.url, { prefix }) }),
    );
  }, 120_000);
  afterAll(async () => {
    await orchestrator?.close();
    await workers?.stop();
    await net?.stop();
  });

  it.each(['after-takeover', 'at-cut'] as const)(
    "A's runs ending %s: its jobs run on B once the broker drops A, its late completions are refused, the store records each job completed once, none is lost",
    async (finishA) => {
      const queue = `partitioned-${finishA}`;
      await orchestrator.register(taskSchema(queue));
      const outcome = await runPartitionScenario({ net, orchestrator, workers: workers!, queue, jobs: 24, afterRestore: 4, finishA });
      process.stdout.write(describeOutcome(`RabbitMQ, A's runs ending ${finishA}`, outcome));
      expectPartitionOutcome(outcome);
      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, completed: outcome.ids.length, dead: 0 });
    },
    60_000,
  );
});
