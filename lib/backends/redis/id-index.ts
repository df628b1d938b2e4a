import type { ChainableCommander } from 'ioredis';
import type { Logger } from '../../logger/logger';
import type { RedisConnection } from './redis-connection';
import { RedisScripts, type ScriptSet } from './redis-scripts';

/** Ids per HDEL when dropping many ids at once. */
const CHUNK = 1000;

/** scripts/index/: steps on the index alone (Redis Cluster, where it is in a slot of its own). */
const INDEX_SCRIPTS = {
  folder: 'scripts/index',
  names: ['claim'],
  keys: 1,
} as const satisfies ScriptSet<string>;

/** What a claim did: the ids it indexed, and the ids already indexed under another queue. */
export interface IndexClaim {
  created: string[];
  elsewhere: { id: string; queue: string }[];
}

/**
 * A hash from job id to queue name, so a job can be found by its id alone, and an id is never a job
 * of two queues. On a standalone server the publish script checks and writes it (it is that script's
 * eighth key); on Redis Cluster it lives in another slot than any queue, and publish claims its ids
 * here, in parallel with the queue's script. Entries are dropped whenever their jobs are.
 *
 * Every call is bounded by the connection's `commandTimeoutMs` and named by the operation it serves,
 * so an outage fails it with RedisUnavailableError like any other call.
 */
export class IdIndex {
  private readonly scripts: RedisScripts<'claim'>;

  constructor(
    private readonly connection: RedisConnection,
    readonly key: string,
    private readonly logger: Logger,
  ) {
    this.scripts = new RedisScripts(connection.redis, INDEX_SCRIPTS);
  }

  /** Points the ids not indexed yet to `queue`; reports those that belong to another queue. */
  async claim(operation: string, queue: string, ids: readonly string[]): Promise<IndexClaim> {
    const [created, flat] = await this.connection.call(
      operation,
      queue,
      this.scripts.run<[string[], string[]]>('claim', [this.key], [queue, ...ids]),
    );
    const elsewhere: IndexClaim['elsewhere'] = [];
    for (let i = 0; i < flat.length; i += 2) elsewhere.push({ id: flat[i], queue: flat[i + 1] });
    return { created, elsewhere };
  }

  /**
   * Adds `ids → queue` to a pipeline that is about to write those jobs (RedisJobStateStore, whose
   * records follow what the RabbitMQ backend already accepted).
   */
  add(pipeline: ChainableCommander, queue: string, ids: readonly string[]): void {
    if (ids.length === 0) return;
    pipeline.hset(this.key, ...ids.flatMap((id) => [id, queue]));
  }

  /** Indexes one id under `queue` unless it is indexed already (a job its producer wrote by hand). */
  async adopt(operation: string, queue: string, id: string): Promise<void> {
    await this.connection.call(operation, queue, this.connection.redis.hsetnx(this.key, id, queue));
  }

  queueOf(operation: string, id: string): Promise<string | null> {
    return this.connection.call(operation, null, this.connection.redis.hget(this.key, id));
  }

  async drop(operation: string, queue: string | null, ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += CHUNK)
      await this.connection.call(operation, queue, this.connection.redis.hdel(this.key, ...ids.slice(i, i + CHUNK)));
  }

  /**
   * Drops the entries of jobs retention dropped, in the background: a settle does not hold its
   * consumer's slot for another round trip, and a stale entry is harmless (the job reads as gone).
   */
  dropRetired(ids: readonly string[]): void {
    if (ids.length === 0) return;
    this.drop('dropFromIndex', null, ids).catch((err: Error) =>
      this.logger.warn(`could not drop ${ids.length} retired job id(s) from the index: ${err.message}`),
    );
  }
}
