import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { isCluster } from './redis-client.options';

/**
 * Another connection like `main` with some options changed. `Redis.duplicate(options)` takes them
 * directly; `Cluster.duplicate(startupNodes, options)` takes the startup nodes first and its nodes'
 * connection options under `redisOptions`, so passing options the Redis way would silently drop them.
 */
export function duplicateConnection(main: Redis | Cluster, overrides: Partial<RedisOptions>): Redis | Cluster {
  const copy = isCluster(main)
    ? main.duplicate([], { redisOptions: { ...main.options.redisOptions, ...overrides } })
    : main.duplicate(overrides);
  // duplicate() copies options, not listeners. Without one, ioredis prints "Unhandled error event" on
  // every failed reconnect; the main connection's watch (connection-watch.ts) already logs the outage.
  copy.on('error', () => undefined);
  return copy;
}
