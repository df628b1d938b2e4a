import amqp from 'amqplib';
import Redis from 'ioredis';
import type { BenchContext } from './bench-system.interface';

/** Every Redis key this run writes starts with `bench-<runId>-`, so cleanup can find them all (never FLUSHALL). */
export function runPrefix(context: BenchContext, system: string): string {
  return `bench-${context.runId}-${system}`;
}

/** One short-lived connection that fails fast, for probes and cleanup. */
export function quickRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 3000, retryStrategy: () => null, lazyConnect: true });
}

/** null if Redis answers PING, else why not. */
export async function probeRedis(url: string): Promise<string | null> {
  const redis = quickRedis(url);
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (err) {
    return `Redis at ${url} does not answer (${(err as Error).message})`;
  } finally {
    redis.disconnect();
  }
}

/** null if RabbitMQ accepts a connection, else why not. */
export async function probeAmqp(url: string): Promise<string | null> {
  try {
    const connection = await amqp.connect(url, { timeout: 3000 });
    await connection.close();
    return null;
  } catch (err) {
    return `RabbitMQ at ${redactUrl(url)} does not answer (${(err as Error).message})`;
  }
}

/** Deletes every key starting with `prefix` (SCAN + UNLINK in chunks); returns how many. */
export async function deleteKeysByPrefix(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${globEscape(prefix)}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@');
}

function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
