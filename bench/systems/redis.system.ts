import { RedisClient } from '../../lib';
import type { BenchContext, BenchSystem } from './bench-system.interface';
import { OrchestratorQueue } from './orchestrator-queue';
import { probeRedis, runPrefix } from './servers';

/** Our Redis backend, through Orchestrator + Consumer with payload validation on. */
export const redisSystem: BenchSystem = {
  name: 'redis',
  description: 'our RedisClient via Orchestrator + Consumer, payload validated on publish and before each run',
  notes: [],
  multiProcess: true,
  probe: (context) => probeRedis(context.redisUrl),
  open: (queue, context: BenchContext) => OrchestratorQueue.open(new RedisClient(context.redisUrl, { prefix: runPrefix(context, 'mt') }), queue),
};
