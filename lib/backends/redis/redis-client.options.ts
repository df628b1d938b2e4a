import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { resolveRetention, type ResolvedRetention, type RetentionOptions, type RetentionRule } from '../../backend/retention-options';
import { InvalidOptionError } from '../../errors';
import { loadIoredis } from './ioredis-package';

export interface RedisClientOptions extends RedisOptions {
  /** Namespaces every key this client writes. Default "mindtrace". */
  prefix?: string;
  /** How many finished jobs to keep for getJob / waitForResult. */
  retention?: RetentionOptions;
  /**
   * The longest a call (publish, a settle, getJob, stats…) waits for Redis, in ms, reconnects
   * included; then it rejects with BrokerUnavailableError. Default 5000; `Infinity` waits as long as
   * ioredis does. A consumer's blocking wait for work is not bounded by it.
   */
  commandTimeoutMs?: number;
  /**
   * Durability across a failover: after each publish, wait (Redis `WAIT`) until this many replicas
   * hold it, and reject with ReplicasNotConfirmedError if fewer did within `timeoutMs`. Unset: a
   * publish resolves once the primary has it, and a failover may lose the last ones (docs/redis.md).
   */
  replicas?: ReplicaOptions;
}

/** How many replicas must acknowledge a publish, and how long to wait for them. */
export interface ReplicaOptions {
  /** Replicas that must hold the write before publish resolves (≥ 1). */
  count: number;
  /** The longest the WAIT lasts, in ms (> 0); then the publish rejects. */
  timeoutMs: number;
}

/** This library's own options: what may accompany an ioredis instance you pass in. */
export type RedisClientExtras = Pick<RedisClientOptions, 'prefix' | 'retention' | 'commandTimeoutMs' | 'replicas'>;

/** What `new RedisClient(…)` accepts: options, a redis:// URL, or an ioredis instance you own. */
export type RedisConnectionInput = RedisClientOptions | string | Redis | Cluster;

export interface ResolvedRedisConnection {
  redis: Redis | Cluster;
  /** False when the caller passed an instance: it is theirs to close. */
  owned: boolean;
  prefix: string;
  /** Retention rules as the scripts take them: [count, ageMs], -1 for no limit. */
  retention: Record<'completed' | 'dead', [count: number, ageMs: number]>;
  /** The same rules as the user gave them (resolved), for messages. */
  retentionRules: ResolvedRetention;
  commandTimeoutMs: number;
  /** Replicas each publish waits for, or null (the default: the primary's reply is enough). */
  replicas: Required<ReplicaOptions> | null;
  /** host:port (or socket path, or the cluster's startup nodes), for messages; never credentials. */
  address: string;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 5000;

/** Our own reconnect policy: keep trying with a capped backoff, never give up on a worker. */
const CONNECTION_DEFAULTS: RedisOptions = {
  lazyConnect: false,
  // ioredis fails a command queued through this many failed reconnects; commandTimeoutMs bounds the rest.
  maxRetriesPerRequest: 3,
  retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
  // No auto-pipelining: with our sixteen scripts defined, ioredis builds a pipeline object per tick
  // that walks them all, and the benchmark drained 30-45% fewer jobs/s with it on.
  enableAutoPipelining: false,
};

const OWN_OPTIONS = ['prefix', 'retention', 'commandTimeoutMs', 'replicas'] as const;

/**
 * `new RedisClient(url, options)` and `new RedisClient(options)` take every ioredis option besides our
 * own; an instance you pass in brings its own, so only ours may come with it. Checks every option
 * first, so a refused option never leaves a connection open.
 */
export function resolveRedisConnection(
  where: string,
  input: RedisConnectionInput = {},
  extra: RedisClientOptions = {},
): ResolvedRedisConnection {
  const { Redis } = loadIoredis(where);
  if (input instanceof Redis || isCluster(input)) {
    const foreign = Object.keys(extra ?? {}).filter((key) => !(OWN_OPTIONS as readonly string[]).includes(key));
    if (foreign.length > 0) {
      throw new InvalidOptionError(
        where,
        foreign[0],
        `is an ioredis option, and an ioredis instance was passed in: set it on that instance (only ${OWN_OPTIONS.join(', ')} may accompany one)`,
      );
    }
    refuseKeyPrefix(where, instanceKeyPrefix(input));
    // WAIT is keyless: on a Cluster it would go to any node, not the one that holds the queue.
    if (isCluster(input) && extra?.replicas !== undefined)
      throw new InvalidOptionError(where, 'replicas', 'is not supported on Redis Cluster (WAIT would not reach the node of the queue)');
    return { redis: input, owned: false, ...checked(where, extra ?? {}), address: addressOf(input) };
  }
  if (typeof input === 'string') {
    if (!/^rediss?:\/\//.test(input)) throw new InvalidOptionError(where, 'url', `must start with redis:// or rediss://, got "${input}"`);
    const { prefix, retention, commandTimeoutMs, replicas, ...redisOptions } = extra ?? {};
    refuseKeyPrefix(where, redisOptions.keyPrefix);
    const settings = checked(where, { prefix, retention, commandTimeoutMs, replicas });
    // ioredis: options given beside the URL complete it (a URL's password, db or username win over them).
    const redis = new Redis(input, { ...CONNECTION_DEFAULTS, ...redisOptions });
    return { redis, owned: true, ...settings, address: addressOf(redis) };
  }
  if (input === null || typeof input !== 'object')
    throw new InvalidOptionError(where, 'options', 'must be an object, a redis:// URL or an ioredis instance');
  const { prefix, retention, commandTimeoutMs, replicas, ...redisOptions } = input;
  refuseKeyPrefix(where, redisOptions.keyPrefix);
  const settings = checked(where, {
    prefix: prefix ?? extra?.prefix,
    retention: retention ?? extra?.retention,
    commandTimeoutMs: commandTimeoutMs ?? extra?.commandTimeoutMs,
    replicas: replicas ?? extra?.replicas,
  });
  const redis = new Redis({ ...CONNECTION_DEFAULTS, ...redisOptions });
  return { redis, owned: true, ...settings, address: addressOf(redis) };
}

function checked(
  where: string,
  extra: RedisClientExtras,
): Pick<ResolvedRedisConnection, 'prefix' | 'retention' | 'retentionRules' | 'commandTimeoutMs' | 'replicas'> {
  const retentionRules = resolveRetention(where, extra.retention);
  return {
    prefix: checkPrefix(where, extra.prefix ?? 'mindtrace'),
    retention: { completed: scriptArgs(retentionRules.completed), dead: scriptArgs(retentionRules.dead) },
    retentionRules,
    commandTimeoutMs: checkCommandTimeout(where, extra.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS),
    replicas: checkReplicas(where, extra.replicas),
  };
}

function checkReplicas(where: string, replicas: unknown): Required<ReplicaOptions> | null {
  if (replicas === undefined) return null;
  const { count, timeoutMs, ...rest } = (replicas ?? {}) as Partial<ReplicaOptions>;
  if (typeof replicas !== 'object' || replicas === null || Object.keys(rest).length > 0)
    throw new InvalidOptionError(where, 'replicas', `must be { count, timeoutMs }, got ${JSON.stringify(replicas)}`);
  if (!Number.isInteger(count) || (count as number) < 1)
    throw new InvalidOptionError(where, 'replicas.count', `must be an integer ≥ 1, got ${String(count)}`);
  if (!Number.isInteger(timeoutMs) || (timeoutMs as number) < 1)
    throw new InvalidOptionError(where, 'replicas.timeoutMs', `must be a whole number of milliseconds ≥ 1, got ${String(timeoutMs)}`);
  return { count: count as number, timeoutMs: timeoutMs as number };
}

/**
 * ioredis prefixes the keys a command declares but not its arguments, and our scripts build job keys
 * from their arguments: with a keyPrefix those keys would land outside the namespace.
 */
function refuseKeyPrefix(where: string, keyPrefix: unknown): void {
  if (keyPrefix === undefined || keyPrefix === '') return;
  throw new InvalidOptionError(
    where,
    'keyPrefix',
    `(the ioredis option, ${JSON.stringify(keyPrefix)}) is not supported: ioredis would prefix only some of the keys the scripts use — use the "prefix" option instead, which namespaces every key`,
  );
}

function instanceKeyPrefix(input: Redis | Cluster): unknown {
  if (isCluster(input)) return input.options.keyPrefix ?? input.options.redisOptions?.keyPrefix;
  return input.options.keyPrefix;
}

function checkCommandTimeout(where: string, ms: unknown): number {
  if (typeof ms !== 'number' || !(ms > 0)) {
    throw new InvalidOptionError(where, 'commandTimeoutMs', `must be a number of milliseconds > 0 (or Infinity), got ${String(ms)}`);
  }
  return ms;
}

/** Where the client connects, for error messages: never the credentials. */
export function addressOf(redis: Redis | Cluster): string {
  if (isCluster(redis)) {
    const nodes = clusterNodesOf(redis);
    return nodes.length > 0 ? `cluster ${nodes.join(', ')}` : 'cluster (no node known yet)';
  }
  const { path, host, port, sentinels, name } = redis.options;
  if (sentinels && sentinels.length > 0)
    return `the primary "${name ?? 'mymaster'}" of sentinels ${sentinels.map((s) => `${s.host ?? '127.0.0.1'}:${s.port ?? 26379}`).join(', ')}`;
  return path ? path : `${host ?? '127.0.0.1'}:${port ?? 6379}`;
}

/**
 * The one reach into ioredis's internals here: a Cluster not yet connected (as when a client is built)
 * knows its nodes only in its private `startupNodes`. The public `nodes()` comes first; if the private
 * field moves, the address reads "no node known yet" (test/redis/cluster.spec.ts checks it names nodes).
 */
function clusterNodesOf(cluster: Cluster): string[] {
  const connected = cluster.nodes('all').map((node) => `${node.options.host ?? '127.0.0.1'}:${node.options.port ?? 6379}`);
  if (connected.length > 0) return connected;
  const startup: unknown = (cluster as unknown as { startupNodes?: unknown }).startupNodes;
  if (!Array.isArray(startup)) return [];
  return startup.map((node: unknown) =>
    typeof node === 'object' && node !== null
      ? `${(node as { host?: string }).host ?? '127.0.0.1'}:${(node as { port?: number }).port ?? 6379}`
      : String(node),
  );
}

/** An ioredis `Cluster` (checked by its flag, so a Cluster from another copy of ioredis counts too). */
export function isCluster(input: unknown): input is Cluster {
  return typeof input === 'object' && input !== null && (input as { isCluster?: boolean }).isCluster === true;
}

function checkPrefix(where: string, prefix: unknown): string {
  if (typeof prefix !== 'string' || prefix.length === 0 || /[{}]/.test(prefix)) {
    throw new InvalidOptionError(where, 'prefix', `must be a non-empty string without braces, got ${JSON.stringify(prefix)}`);
  }
  return prefix;
}

/** A retention rule as the scripts take it: [count, ageMs], -1 for "no limit". */
function scriptArgs(rule: Required<RetentionRule>): [count: number, ageMs: number] {
  return [Number.isFinite(rule.count) ? rule.count : -1, Number.isFinite(rule.ageMs) ? rule.ageMs : -1];
}
