import type { Logger } from '../../logger/logger';
import type { IdIndex } from './id-index';
import { isCluster } from './redis-client.options';
import type { RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { PUBLISH_SCRIPTS, RedisScripts, type PublishScriptName } from './redis-scripts';

/** What a one-job script did to the id index's entries: the job it enqueued, the jobs it withdrew. */
export interface IndexChanges {
  enqueued?: string | null;
  withdrawn?: readonly (string | false | null)[];
}

/**
 * Runs the scripts that enqueue or withdraw one job beside a record of their own (put-schedule,
 * delete-schedule, publish-dedup). On a standalone server the script writes the id index itself (its
 * eighth key). On Redis Cluster the index is in another slot: the client indexes the job enqueued and
 * drops the ones withdrawn after the script (an id another queue holds is logged, not undone: these
 * ids are the library's own or checked by the script's queue).
 */
export class OneJobScripts {
  private readonly scripts: RedisScripts<PublishScriptName>;
  private readonly cluster: boolean;

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: RedisKeys,
    private readonly index: IdIndex,
    private readonly logger: Logger,
  ) {
    this.scripts = new RedisScripts(connection.redis, PUBLISH_SCRIPTS);
    this.cluster = isCluster(connection.redis);
  }

  /** Runs `name` with the queue's keys (and the index on a standalone server); `args` follow the job key prefix. */
  run<T>(operation: string, name: PublishScriptName, queue: string, args: (string | number)[]): Promise<T> {
    const keys = this.cluster ? this.keys.queue(queue) : [...this.keys.queue(queue), this.index.key];
    return this.connection.call(operation, queue, this.scripts.run<T>(name, keys, [this.keys.jobPrefix(queue), ...args]));
  }

  /** On Redis Cluster, brings the id index in line with what the script did (a standalone script did it already). */
  async reconcile(operation: string, queue: string, { enqueued, withdrawn = [] }: IndexChanges): Promise<void> {
    if (!this.cluster) return;
    const dropped = withdrawn.filter((id): id is string => typeof id === 'string' && id !== '');
    if (dropped.length > 0) await this.index.drop(operation, queue, dropped);
    if (typeof enqueued !== 'string' || enqueued === '') return;
    const { elsewhere } = await this.index.claim(operation, queue, [enqueued]);
    for (const other of elsewhere)
      this.logger.warn(`job ${other.id} was enqueued on "${queue}" by ${operation}, but its id is indexed under queue "${other.queue}"`);
  }
}
