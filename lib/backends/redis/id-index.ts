import type { ChainableCommander, Cluster, Redis } from 'ioredis';

/** Ids per HDEL when dropping many ids at once. */
const CHUNK = 1000;

/**
 * A hash from job id to queue name, so a job can be found by its id alone. It is written in the
 * same pipeline as the job itself, and its entries are dropped whenever their jobs are.
 */
export class IdIndex {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly key: string,
  ) {}

  /** Adds `ids → queue` to a pipeline that is about to write those jobs. */
  add(pipeline: ChainableCommander, queue: string, ids: readonly string[]): void {
    if (ids.length === 0) return;
    pipeline.hset(this.key, ...ids.flatMap((id) => [id, queue]));
  }

  queueOf(id: string): Promise<string | null> {
    return this.redis.hget(this.key, id);
  }

  async drop(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += CHUNK) await this.redis.hdel(this.key, ...ids.slice(i, i + CHUNK));
  }
}
