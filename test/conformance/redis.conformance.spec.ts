import { RedisClient } from '../../lib';
import { adminConnection, deleteKeysUnder, uniquePrefix } from '../redis/fixtures/redis-test-kit';
import { REDIS_URL, requireServer } from '../support/servers';
import { describeConformance } from './conformance';

beforeAll(() => requireServer('redis'));

// One prefix per run, so runs can never collide; its keys are deleted at the end.
const prefix = uniquePrefix();
afterAll(async () => {
  const admin = adminConnection();
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

describeConformance({ name: 'RedisClient', create: () => new RedisClient(REDIS_URL, { prefix }) });
