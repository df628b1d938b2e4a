import Redis from 'ioredis';
import { InMemoryJobStateStore, RedisJobStateStore } from '../../lib';
import type { RetentionRule } from '../../lib/backend/retention-options';
import { RabbitMQTestClients, testPrefix } from '../rabbitmq/fixtures/rabbitmq-test-kit';
import { adminConnection, deleteKeysUnder } from '../redis/fixtures/redis-test-kit';
import { REDIS_URL, requireServer } from '../support/servers';
import { capabilitiesOf, type BackendSettings } from './conformance-context';
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

/** Dead letters live in the broker's dead queue, bounded by the client; completed jobs are the store's. */
function deadRetentionOf(settings: BackendSettings): { dead: RetentionRule } | undefined {
  return settings.retention?.dead === undefined ? undefined : { dead: settings.retention.dead };
}

// A RabbitMQ client connects on first use, so one that is never used tells its capabilities offline.
describeConformance({
  name: 'RabbitMQClient + InMemoryJobStateStore',
  capabilities: capabilitiesOf(clients.create({ jobStore: new InMemoryJobStateStore() })),
  create: (settings = {}) =>
    clients.create({ retention: deadRetentionOf(settings), jobStore: new InMemoryJobStateStore({ retention: settings.retention }) }),
});

const statePrefix = testPrefix('conf-state');
afterAll(async () => {
  const admin = adminConnection();
  await deleteKeysUnder(admin, statePrefix);
  admin.disconnect();
});
const unusedRedis = new Redis(REDIS_URL, { lazyConnect: true });
describeConformance({
  name: 'RabbitMQClient + RedisJobStateStore',
  capabilities: capabilitiesOf(clients.create({ jobStore: new RedisJobStateStore(unusedRedis, { prefix: statePrefix }) })),
  create: (settings = {}) =>
    clients.create({
      retention: deadRetentionOf(settings),
      jobStore: new RedisJobStateStore(REDIS_URL, { prefix: statePrefix, retention: settings.retention }),
    }),
});
unusedRedis.disconnect();
