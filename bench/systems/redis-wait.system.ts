import Redis from 'ioredis';
import { RedisClient } from '../../lib';
import type { BenchContext, BenchSystem } from './bench-system.interface';
import { OrchestratorQueue } from './orchestrator-queue';
import { probeRedis, runPrefix } from './servers';

/** How long a publish waits for its replica before it rejects: a bench run has no excuse to reach it. */
const WAIT_TIMEOUT_MS = 5000;

/**
 * Our RedisClient with `replicas: { count: 1 }`: every publish waits (Redis WAIT) until a replica holds
 * it. What that costs, against `redis` on the same primary. Needs a Redis with a replica attached.
 */
export const redisWaitSystem: BenchSystem = {
  name: 'redis-wait',
  description: 'our RedisClient as `redis`, with replicas: { count: 1 }: each publish resolves once a replica holds it (WAIT)',
  notes: ['redis-wait: every publish waits for one replica (Redis WAIT); compare it with `redis` run against the same primary'],
  multiProcess: true,
  probe: async (context) => (await probeRedis(context.redisUrl)) ?? (await probeReplica(context.redisUrl)),
  open: (queue, context: BenchContext) =>
    OrchestratorQueue.open(
      new RedisClient(context.redisUrl, { prefix: runPrefix(context, 'mw'), replicas: { count: 1, timeoutMs: WAIT_TIMEOUT_MS } }),
      queue,
    ),
};

/** null if the primary has a replica online, else how to give it one. */
async function probeReplica(url: string): Promise<string | null> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 3000, retryStrategy: () => null });
  try {
    const info = await redis.info('replication');
    if (/^connected_slaves:[1-9]/m.test(info)) return null;
    return `Redis at ${url} has no replica, so WAIT could never be confirmed — attach one (redis-server --port 6380 --replicaof <host> <port>) or point --redis-url at a primary that has one`;
  } finally {
    redis.disconnect();
  }
}
