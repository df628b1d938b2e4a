import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../../logger/logger';
import { watchConnection, type ConnectionWatch } from './connection-watch';
import { duplicateConnection } from './duplicate-connection';
import { ReplicaAcknowledgement } from './replica-acknowledgement';
import { ReplicasNotConfirmedError } from './replicas-not-confirmed.error';
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
  /**
   * The connection publishes go over. With the `replicas` option it is one of their own: a WAIT
   * blocks its connection (settles and fetches must not wait behind it) and counts only its writes.
   */
  get writer(): Redis | Cluster {
    if (this.replicas === null) return this.redis;
    if (this.durable === null) {
      // Opened on first use: a job store given the same options never publishes.
      const writer = duplicateConnection(this.redis, {});
      this.durable = { writer, acknowledgement: new ReplicaAcknowledgement(writer, this.replicas) };
    }
    return this.durable.writer;
  }
  private readonly owned: boolean;
  private readonly watch: ConnectionWatch;
  private readonly replicas: ResolvedRedisConnection['replicas'];
  private durable: { writer: Redis | Cluster; acknowledgement: ReplicaAcknowledgement } | null = null;

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
    this.replicas = resolved.replicas;
  }

  /**
   * Sends a write over `writer` and, with the `replicas` option, resolves only once enough replicas
   * hold it (Redis WAIT); fewer in time is ReplicasNotConfirmedError, the write itself being done.
   */
  async replicated<T>(operation: string, queue: string, send: (writer: Redis | Cluster) => Promise<T>): Promise<T> {
    const result = await this.call(operation, queue, send(this.writer));
    const acknowledgement = this.durable?.acknowledgement;
    if (!acknowledgement) return result;
    const connection = acknowledgement.connection;
    const { count, timeoutMs } = acknowledgement.replicas;
    // WAIT itself may last timeoutMs: the bound on the call comes on top of it.
    const bound = this.commandTimeoutMs + timeoutMs;
    let confirmed: number;
    try {
      confirmed = await answered(`${operation} (WAIT for replicas)`, acknowledgement.confirmed(connection), bound);
    } catch (err) {
      if (err instanceof UnansweredCommandError) throw this.unavailable(err, queue);
      throw err;
    }
    if (confirmed < count) throw new ReplicasNotConfirmedError(operation, queue, this.address, count, confirmed, timeoutMs);
    return result;
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
    // The writer of the replicas option is a duplicate, ours even when the connection is not.
    if (this.durable !== null) {
      const { writer, acknowledgement } = this.durable;
      acknowledgement.stop();
      if (writer.status === 'ready') await answered('close', writer.quit(), this.commandTimeoutMs).catch(() => writer.disconnect());
      else writer.disconnect();
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
