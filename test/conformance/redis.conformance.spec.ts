import { randomUUID } from 'node:crypto';
import { RedisClient } from '../../lib';
import { REDIS_URL, requireServer } from '../support/servers';
import { describeConformance } from './conformance';

beforeAll(() => requireServer('redis'));

// One prefix per run, so runs (and leftovers of killed runs) can never collide.
const prefix = `mt-test-${randomUUID().slice(0, 8)}`;
describeConformance({ name: 'RedisClient', create: () => new RedisClient(REDIS_URL, { prefix }) });
