import { InMemoryJobStateStore, RedisJobStateStore } from '../../lib';
import { RabbitMQTestClients, testPrefix } from '../rabbitmq/fixtures/rabbitmq-test-kit';
import { adminConnection, deleteKeysUnder } from '../redis/fixtures/redis-test-kit';
import { REDIS_URL, requireServer } from '../support/servers';
import { describeConformance } from './conformance';

beforeAll(async () => {
  await requireServer('rabbitmq');
  await requireServer('redis');
});

// One prefix per run, so runs (and leftovers of killed runs) can never collide; every queue a case
// declares is deleted again at the end. RabbitMQ keeps no job states, so the suite runs once with each
// job store: in memory (one process) and in Redis (shared between processes).
const clients = new RabbitMQTestClients({ prefix: testPrefix('conf') });
afterAll(() => clients.deleteDeclaredQueues());

describeConformance({ name: 'RabbitMQClient + InMemoryJobStateStore', create: () => clients.create({ jobStore: new InMemoryJobStateStore() }) });

const statePrefix = testPrefix('conf-state');
afterAll(async () => {
  const admin = adminConnection();
  await deleteKeysUnder(admin, statePrefix);
  admin.disconnect();
});
describeConformance({
  name: 'RabbitMQClient + RedisJobStateStore',
  create: () => clients.create({ jobStore: new RedisJobStateStore(REDIS_URL, { prefix: statePrefix }) }),
});
