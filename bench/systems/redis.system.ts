import { RedisClient } from '../../lib';
import type { BenchContext, BenchSystem } from './bench-system.interface';
import { OrchestratorQueue } from './orchestrator-queue';
import { probeRedis, runPrefix } from './servers';

/** Our Redis backend, through Orchestrator + Consumer with payload validation on, default options. */
export const redisSystem: BenchSystem = {
  name: 'redis',
  description: 'our RedisClient via Orchestrator + Consumer, payload validated on publish and before each run',
  notes: [],
  multiProcess: true,
  probe: (context) => probeRedis(context.redisUrl),
  open: (queue, context: BenchContext) =>
    OrchestratorQueue.open(new RedisClient(context.redisUrl, { prefix: runPrefix(context, 'mt') }), queue),
};

/** Jobs each consumer of `redis-prefetch` takes ahead of its free slots. */
export const BENCH_PREFETCH = 100;

/**
 * The same, with consumers that take jobs ahead (`prefetch`): the setting the README recommends for
 * short jobs. Concurrency (jobs running at once) and delivery guarantees are those of `redis`.
 */
export const redisPrefetchSystem: BenchSystem = {
  ...redisSystem,
  name: 'redis-prefetch',
  description: `our RedisClient as \`redis\`, with consumers' prefetch: ${BENCH_PREFETCH}`,
  notes: [
    `redis-prefetch: consumers take up to ${BENCH_PREFETCH} jobs ahead of their free slots (prefetch: ${BENCH_PREFETCH}); same concurrency and guarantees as redis`,
  ],
  open: (queue, context: BenchContext) =>
    OrchestratorQueue.open(new RedisClient(context.redisUrl, { prefix: runPrefix(context, 'mp') }), queue, { prefetch: BENCH_PREFETCH }),
};
