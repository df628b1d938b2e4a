import { RedisClient } from '../../lib';
import { adminConnection, deleteKeysUnder, uniquePrefix } from '../redis/fixtures/redis-test-kit';
import { describeFlowControlProcesses } from '../support/flow-control-processes';
import { REDIS_URL, requireServer } from '../support/servers';

beforeAll(() => requireServer('redis'));

// One prefix per run, shared by the test and its worker processes; its keys are deleted at the end.
const prefix = uniquePrefix();
afterAll(async () => {
  const admin = adminConnection();
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

describeFlowControlProcesses({
  name: 'Redis',
  env: { MT_BACKEND: 'redis', REDIS_URL, MT_PREFIX: prefix },
  create: () => new RedisClient(REDIS_URL, { prefix }),
});
