import Redis from 'ioredis';
import { RedisClient } from '../../lib';
import { adminConnection, deleteKeysUnder, uniquePrefix } from '../redis/fixtures/redis-test-kit';
import { REDIS_URL, requireServer } from '../support/servers';
import { capabilitiesOf } from './conformance-context';
import { describeConformance } from './conformance';

beforeAll(() => requireServer('redis'));

// One prefix per run, so runs can never collide; its keys are deleted at the end.
const prefix = uniquePrefix();
afterAll(async () => {
  const admin = adminConnection();
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

// Read off a client over a connection that never connects (lazy), so defining the suite needs no server.
const unused = new Redis(REDIS_URL, { lazyConnect: true });
const capabilities = capabilitiesOf(new RedisClient(unused, { prefix }));
unused.disconnect();

describeConformance({
  name: 'RedisClient',
  capabilities,
  create: (settings = {}) => new RedisClient(REDIS_URL, { prefix, retention: settings.retention }),
});
