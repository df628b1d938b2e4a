import type { Logger } from '../../logger/logger';
import type { Cluster, Redis } from 'ioredis';

/** What watchConnection keeps of a connection's health. */
export interface ConnectionWatch {
  /** Why the connection last failed, while it is not ready again; null when it is fine. */
  failure(): string | null;
  /** Stops listening. */
  stop(): void;
}

/**
 * Listens to a connection RedisClient uses, so that:
 * - ioredis never prints "[ioredis] Unhandled error event" (it does whenever 'error' has no listener):
 *   an outage is logged once when it starts and once when the connection is back, not per attempt;
 * - Redis set to evict keys under memory pressure is reported at connect: it would drop jobs silently;
 * - the connection's own failure (`connect ECONNREFUSED …`) is kept until it is ready again, as the
 *   cause an unanswered call names.
 */
export function watchConnection(redis: Redis | Cluster, address: string, logger: Logger): ConnectionWatch {
  let down = false;
  let failure: string | null = null;
  let policyChecked = false;
  const onError = (err: Error): void => {
    failure = err.message;
    if (down) return;
    down = true;
    logger.warn(`Redis at ${address} is unavailable (${err.message}); reconnecting in the background`);
  };
  const onReady = (): void => {
    if (down) logger.log(`Redis at ${address} is reachable again`);
    down = false;
    failure = null;
    if (policyChecked) return;
    policyChecked = true;
    void checkEvictionPolicy(redis, address, logger);
  };
  redis.on('error', onError);
  redis.on('ready', onReady);
  if (redis.status === 'ready') onReady();
  return {
    failure: () => failure,
    stop: () => {
      redis.off('error', onError);
      redis.off('ready', onReady);
    },
  };
}

/** Warns when Redis may evict keys: with any policy but noeviction, jobs can vanish under memory pressure. */
async function checkEvictionPolicy(redis: Redis | Cluster, address: string, logger: Logger): Promise<void> {
  let policy: string | undefined;
  try {
    const reply = (await (redis as Redis).config('GET', 'maxmemory-policy')) as string[];
    policy = reply[1];
  } catch {
    // CONFIG refused (ACL, managed Redis): nothing to say either way.
    return;
  }
  if (policy === undefined || policy === 'noeviction') return;
  logger.warn(
    `Redis at ${address} has maxmemory-policy "${policy}": when it reaches maxmemory it evicts keys, and jobs go with them ` +
      'without a trace — set maxmemory-policy noeviction for a Redis that holds queues (publishes then fail while it is full)',
  );
}
