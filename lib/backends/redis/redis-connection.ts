import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../../logger/logger';
import { watchConnection, type ConnectionWatch } from './connection-watch';
import { UnansweredCommandError, answered } from './redis-call';
import type { ResolvedRedisConnection } from './redis-client.options';
import { RedisUnavailableError } from './redis-unavailable.error';
import { refusalOf } from './script-errors';

/**
 * The connection a RedisClient or a RedisJobStateStore talks over. Every call through `call` waits
 * at most `commandTimeoutMs`, and comes back in the words of the contract: a script's refusal as its
 * typed error (script-errors.ts), a command that got no answer as RedisUnavailableError naming the
 * server. Closed, when it is ours, without waiting on a server that is gone.
 */
export class RedisConnection {
  readonly redis: Redis | Cluster;
  /** host:port (never credentials), for messages. */
  readonly address: string;
  readonly commandTimeoutMs: number;
  private readonly owned: boolean;
  private readonly watch: ConnectionWatch;

  constructor(
    resolved: ResolvedRedisConnection,
    logger: Logger,
    /** Put before each operation's name in RedisUnavailableError, e.g. "job store ". */
    private readonly operationPrefix = '',
  ) {
    this.redis = resolved.redis;
    this.owned = resolved.owned;
    this.address = resolved.address;
    this.commandTimeoutMs = resolved.commandTimeoutMs;
    // Logs an outage once (and keeps ioredis from printing "Unhandled error event" on every attempt).
    this.watch = watchConnection(this.redis, this.address, logger);
  }

  /**
   * Waits for a sent command (a script, a pipeline, a plain command); `queue` is the one it is about,
   * null for none (getJob). Errors Redis answered with other than a refusal pass through as they are.
   */
  async call<T>(operation: string, queue: string | null, sent: Promise<T>): Promise<T> {
    try {
      return await answered(operation, sent, this.commandTimeoutMs);
    } catch (err) {
      if (err instanceof UnansweredCommandError) throw this.unavailable(err, queue);
      throw (queue !== null && refusalOf(err, queue)) || err;
    }
  }

  /** Closes the connection if it is ours (an ioredis instance passed in is the caller's to close). */
  async close(): Promise<void> {
    if (this.owned) {
      // QUIT waits for its reply; without a connection it would wait for Redis to come back.
      if (this.redis.status === 'ready')
        await answered('close', this.redis.quit(), this.commandTimeoutMs).catch(() => this.redis.disconnect());
      else this.redis.disconnect();
    }
    this.watch.stop();
  }

  private unavailable(err: UnansweredCommandError, queue: string | null): RedisUnavailableError {
    const reconnecting = ['connecting', 'reconnecting', 'connect'].includes(this.redis.status);
    // The connection's own failure is the cause; "no reply within …" is only how long we waited for it.
    const failure = reconnecting ? this.watch.failure() : null;
    const reason = failure === null ? err.reason : `${failure}; ${err.reason}`;
    return new RedisUnavailableError(`${this.operationPrefix}${err.operation}`, queue, this.address, reason, reconnecting);
  }
}
