import Redis from 'ioredis';
import { Orchestrator, RedisJobStateStore } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { CuttingProxy } from '../redis/fixtures/cutting-proxy';
import { adminConnection, deleteKeysUnder } from '../redis/fixtures/redis-test-kit';
import { REDIS_URL, requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix, until } from './fixtures/rabbitmq-test-kit';

/**
 * The job store's Redis goes away (a proxy in front of it cuts every connection and holds the
 * reconnects) just as a run ends. The completion cannot be recorded, so the job is given back to
 * RabbitMQ rather than acknowledged; once the store is back it runs again and ends up completed —
 * never lost, never `active` for ever.
 */
const clients = new RabbitMQTestClients({ prefix: testPrefix('store-outage') });
const statePrefix = testPrefix('store-outage-state');
const redisUrl = new URL(REDIS_URL);
const proxy = new CuttingProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
let storeRedis: Redis;
let orchestrator: Orchestrator;

beforeAll(async () => {
  await requireServer('rabbitmq');
  await requireServer('redis');
  const port = await proxy.listen();
  // commandTimeout: a command sent on a held connection fails instead of waiting for ever.
  storeRedis = new Redis({ host: '127.0.0.1', port, commandTimeout: 300, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
});

afterAll(async () => {
  await orchestrator?.close();
  storeRedis?.disconnect();
  await proxy.close();
  await clients.deleteDeclaredQueues();
  const admin = adminConnection();
  await deleteKeysUnder(admin, statePrefix);
  admin.disconnect();
});

it('a completion the store cannot record is not acknowledged, a start it cannot record is not run: the job runs again once the store is back and ends completed', async () => {
  const queue = 'outage';
  const store = new RedisJobStateStore(storeRedis, { prefix: statePrefix });
  let completionFailures = 0;
  let startFailures = 0;
  const completed = store.completed.bind(store);
  store.completed = (...args) =>
    completed(...args).catch((err: unknown) => {
      completionFailures++;
      throw err;
    });
  const started = store.started.bind(store);
  store.started = (...args) =>
    started(...args).catch((err: unknown) => {
      startFailures++;
      throw err;
    });
  orchestrator = new Orchestrator(clients.create({ jobStore: store }));
  await orchestrator.register(taskSchema(queue));
  const id = await orchestrator.publish(queue, { label: 'result-matters' });

  const runs: number[] = [];
  const consumer = new FnConsumer(queue, (job) => {
    runs.push(job.attempt);
    // The store's Redis goes away as the first run ends, before its completion is recorded.
    if (runs.length === 1) proxy.cutAllAndHold();
    return { echoed: `run ${runs.length}` };
  });
  consumer.connect(orchestrator);
  const consuming = consumer.consume();

  await until(() => completionFailures > 0);
  // Given back, not acknowledged: it comes straight back, and while the store cannot record its start it
  // is given back again unrun, the consumer backing off, instead of running with its outcome unrecordable.
  await until(() => startFailures > 0);
  expect(runs).toEqual([1]);
  proxy.reopen();

  // The store reconnects on its own schedule, and a call before that fails (transient): wait for the second
  // run's end. (The first run's timed-out completion may still land once the store is back — a write that
  // failed is not one that was not made — so `completed` alone could be the first run's.)
  await until(async () => (await orchestrator.getJob(id).catch(() => null))?.attempt === 2 && runs.length === 2);
  expect(await orchestrator.waitForResult(id)).toEqual({ echoed: 'run 2' });
  expect(runs).toEqual([1, 2]);
  expect(await orchestrator.getJob(id)).toMatchObject({ status: 'completed', attempt: 2 });
  await consumer.stop();
  await consuming;
  expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, dead: 0, completed: 1 });
});
