import type { JobBackend } from '../backend/job-backend.interface';
import type { RetentionOptions } from '../backend/retention-options';
import { LocalClient } from '../backends/local/local.client';
import { RabbitMQClient } from '../backends/rabbitmq/rabbitmq.client';
import { RedisClient } from '../backends/redis/redis.client';
import { RedisJobStateStore } from '../backends/redis/redis-job-state.store';
import { UsageError } from './usage.error';

/** The options and environment variables that name a backend, flag first. */
export interface BackendFlags {
  redis?: string;
  amqp?: string;
  local?: string;
  prefix?: string;
  'job-store'?: string;
}

/** Environment variables read when no flag names a backend. */
export const BACKEND_ENV = {
  redis: 'REDIS_URL',
  amqp: 'RABBITMQ_URL',
  local: 'MINDTRACE_JOBS_LOCAL',
  prefix: 'MINDTRACE_JOBS_PREFIX',
  'job-store': 'MINDTRACE_JOBS_STORE_URL',
} as const;

/**
 * Reads without deleting: the read scripts drop finished jobs past the client's retention age, so
 * the CLI's clients keep everything and leave retention to the app's own clients.
 */
const KEEP_ALL: RetentionOptions = { completed: { count: Infinity, ageMs: Infinity }, dead: { count: Infinity, ageMs: Infinity } };

/**
 * The backend the flags (or, without any, the environment) name: exactly one of --redis, --amqp and
 * --local. Several in the environment is refused rather than guessed.
 */
export function backendFrom(flags: BackendFlags, env: NodeJS.ProcessEnv): JobBackend {
  const named = (['redis', 'amqp', 'local'] as const).filter((kind) => flags[kind] !== undefined);
  if (named.length > 1) throw new UsageError(`name one backend, got ${named.map((kind) => `--${kind}`).join(' and ')}`);
  let kind = named[0];
  let target = kind && flags[kind];
  if (!kind) {
    const fromEnv = (['redis', 'amqp', 'local'] as const).filter((k) => env[BACKEND_ENV[k]]);
    if (fromEnv.length > 1) {
      throw new UsageError(
        `the environment names several backends (${fromEnv.map((k) => BACKEND_ENV[k]).join(', ')}) — pick one with --redis URL, --amqp URL or --local PATH`,
      );
    }
    kind = fromEnv[0];
    target = kind && env[BACKEND_ENV[kind]];
  }
  if (!kind || !target) {
    throw new UsageError(
      `no backend named — pass --redis URL, --amqp URL or --local PATH (or set ${BACKEND_ENV.redis}, ${BACKEND_ENV.amqp} or ${BACKEND_ENV.local})`,
    );
  }
  const prefix = flags.prefix ?? env[BACKEND_ENV.prefix];
  const storeUrl = flags['job-store'] ?? env[BACKEND_ENV['job-store']];
  if (storeUrl && kind !== 'amqp') throw new UsageError('--job-store is for RabbitMQ (--amqp): Redis and Local keep job states themselves');
  switch (kind) {
    case 'redis':
      return new RedisClient(target, { retention: KEEP_ALL, ...(prefix !== undefined && { prefix }) });
    case 'amqp':
      return new RabbitMQClient({
        url: target,
        ...(prefix !== undefined && { prefix }),
        // A short first connect: an operator waits for this answer.
        connectTimeout: 5_000,
        ...(storeUrl && { jobStore: new RedisJobStateStore(storeUrl, { retention: KEEP_ALL, ...(prefix !== undefined && { prefix }) }) }),
      });
    case 'local':
      if (prefix !== undefined) throw new UsageError('--prefix is for --redis and --amqp; a Local file holds one set of queues');
      return new LocalClient({ path: target, retention: KEEP_ALL });
  }
}
