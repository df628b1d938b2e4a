import Redis, { type Cluster, type RedisOptions } from 'ioredis';
import { resolveRetention, type RetentionOptions, type RetentionRule } from '../../backend/retention-options';
import { InvalidOptionError } from '../../errors';

export interface RedisClientOptions extends RedisOptions {
  /** Namespaces every key this client writes. Default "mindtrace". */
  prefix?: string;
  /** How many finished jobs to keep for getJob / waitForResult. */
  retention?: RetentionOptions;
}

/** prefix and retention, for when the connection is given as a URL or an instance. */
export type RedisClientExtras = Pick<RedisClientOptions, 'prefix' | 'retention'>;

/** What `new RedisClient(…)` accepts: options, a redis:// URL, or an ioredis instance you own. */
export type RedisConnectionInput = RedisClientOptions | string | Redis | Cluster;

export interface ResolvedRedisConnection {
  redis: Redis | Cluster;
  /** False when the caller passed an instance: it is theirs to close. */
  owned: boolean;
  prefix: string;
  /** Retention rules as the scripts take them: [count, ageMs], -1 for no limit. */
  retention: Record<'completed' | 'dead', [count: number, ageMs: number]>;
}

/** Our own reconnect policy: keep trying with a capped backoff, never give up on a worker. */
const CONNECTION_DEFAULTS: RedisOptions = {
  lazyConnect: false,
  // Bounded: a publish during an outage waits through a few reconnect attempts, then fails.
  maxRetriesPerRequest: 3,
  retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
  // No auto-pipelining: with our sixteen scripts defined, ioredis builds a pipeline object per tick
  // that walks them all, and the benchmark drained 30-45% fewer jobs/s with it on.
  enableAutoPipelining: false,
};

/** Checks every option first, so a refused option never leaves a connection open. */
export function resolveRedisConnection(where: string, input: RedisConnectionInput = {}, extra: RedisClientExtras = {}): ResolvedRedisConnection {
  if (input instanceof Redis || isCluster(input)) return { redis: input, owned: false, ...checked(where, extra) };
  if (typeof input === 'string') {
    if (!/^rediss?:\/\//.test(input)) throw new InvalidOptionError(where, 'url', `must start with redis:// or rediss://, got "${input}"`);
    const settings = checked(where, extra);
    return { redis: new Redis(input, { ...CONNECTION_DEFAULTS }), owned: true, ...settings };
  }
  if (input === null || typeof input !== 'object') throw new InvalidOptionError(where, 'options', 'must be an object, a redis:// URL or an ioredis instance');
  const { prefix, retention, ...redisOptions } = input;
  const settings = checked(where, { prefix: prefix ?? extra.prefix, retention: retention ?? extra.retention });
  return { redis: new Redis({ ...CONNECTION_DEFAULTS, ...redisOptions }), owned: true, ...settings };
}

function checked(where: string, extra: RedisClientExtras): Pick<ResolvedRedisConnection, 'prefix' | 'retention'> {
  return {
    prefix: checkPrefix(where, extra.prefix ?? 'mindtrace'),
    retention: retentionArgs(where, extra.retention),
  };
}

function isCluster(input: unknown): input is Cluster {
  return typeof input === 'object' && input !== null && (input as { isCluster?: boolean }).isCluster === true;
}

function checkPrefix(where: string, prefix: unknown): string {
  if (typeof prefix !== 'string' || prefix.length === 0 || /[{}]/.test(prefix)) {
    throw new InvalidOptionError(where, 'prefix', `must be a non-empty string without braces, got ${JSON.stringify(prefix)}`);
  }
  return prefix;
}

/** Retention as the scripts take it: [count, ageMs] per kind, -1 for "no limit". */
function retentionArgs(where: string, retention: RetentionOptions | undefined): ResolvedRedisConnection['retention'] {
  const resolved = resolveRetention(where, retention);
  const args = (rule: Required<RetentionRule>): [number, number] => [Number.isFinite(rule.count) ? rule.count : -1, Number.isFinite(rule.ageMs) ? rule.ageMs : -1];
  return { completed: args(resolved.completed), dead: args(resolved.dead) };
}
