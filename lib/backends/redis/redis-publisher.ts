import { randomUUID } from 'node:crypto';
import type { PublishItem } from '../../backend/job-backend.interface';
import { JobsError } from '../../errors';
import type { Logger } from '../../logger/logger';
import type { IdIndex } from './id-index';
import { isCluster } from './redis-client.options';
import type { RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { PUBLISH_SCRIPTS, RedisScripts, type PublishScriptName } from './redis-scripts';
import { scriptError } from './script-errors';
import { UnansweredPublishes } from './unanswered-publishes';

/**
 * Publishes a batch of jobs in one round trip, all or none. On a standalone server it is one script,
 * which also checks and writes the id index; on Redis Cluster the index is in another slot, so its
 * claim travels in parallel with the queue's script, and a publish refused by either is undone in
 * the other (onCluster).
 */
export class RedisPublisher {
  private readonly scripts: RedisScripts<PublishScriptName>;
  /** On Redis Cluster the id index is in a slot of its own, so publish cannot write it in its script. */
  private readonly cluster: boolean;
  private readonly unanswered = new UnansweredPublishes();

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: RedisKeys,
    private readonly index: IdIndex,
    private readonly logger: Logger,
  ) {
    // On the writer: with the replicas option, a publish and its WAIT share a connection of their own.
    this.scripts = new RedisScripts(connection.writer, PUBLISH_SCRIPTS);
    this.cluster = isCluster(connection.redis);
  }

  async publish(queue: string, items: PublishItem[]): Promise<void> {
    if (items.length === 0) return;
    // The call's nonce, stored with its jobs: a resend of this call by ioredis is told apart from a
    // second publish of the same job. A job published again after a call that got no answer goes
    // with that call's nonce instead (UnansweredPublishes).
    const nonce = randomUUID();
    const ids = items.map(({ job }) => job.id);
    const nonces = this.unanswered.noncesFor(ids, nonce);
    const args: (string | number)[] = [this.keys.jobPrefix(queue), queue, nonce, items.length];
    const now = Date.now();
    for (const { job, runAt } of items) {
      // Sent as a delay, not a time: the script adds it to the Redis clock, so client clocks may drift.
      args.push(job.id, JSON.stringify(job), job.priority, runAt === undefined ? 0 : Math.max(0, Math.ceil(runAt - now)));
    }
    nonces.forEach((own, i) => own !== nonce && args.push(i, own));
    try {
      if (this.cluster) await this.onCluster(queue, ids, nonces, args);
      else await this.run('publish', queue, [...this.keys.queue(queue), this.index.key], args);
    } catch (err) {
      // Refused (a JobsError) is an answer; anything else leaves it unknown whether the jobs are in.
      this.unanswered.settled(ids, nonces, err instanceof JobsError);
      throw err;
    }
    this.unanswered.settled(ids, nonces, true);
  }

  /**
   * The queue's script and the index claim go out together. If the script refuses the jobs, the
   * index entries the claim made are dropped again; if the claim finds an id that belongs to another
   * queue, the jobs the script enqueued are withdrawn. Between the two a consumer of this queue may
   * take such a job: it then runs here as well (logged), the one window the two slots leave open.
   */
  private async onCluster(queue: string, ids: string[], nonces: string[], args: (string | number)[]): Promise<void> {
    const [claimed, published] = await Promise.allSettled([
      this.index.claim('publish', queue, ids),
      this.run('publish', queue, this.keys.queue(queue), args),
    ]);
    if (published.status === 'rejected') {
      if (claimed.status === 'fulfilled') await this.index.drop('publish', queue, claimed.value.created);
      throw published.reason;
    }
    // The jobs are enqueued, but whether their ids are indexed is unknown: the caller must hear of it.
    if (claimed.status === 'rejected') throw claimed.reason;
    const { created, elsewhere } = claimed.value;
    if (elsewhere.length === 0) return;
    const taken = await this.run<string[]>('withdraw', queue, this.keys.queue(queue), [
      this.keys.jobPrefix(queue),
      ...ids.flatMap((id, i) => [id, nonces[i]]),
    ]);
    await this.index.drop(
      'publish',
      queue,
      created.filter((id) => !taken.includes(id)),
    );
    if (taken.length > 0)
      this.logger.warn(
        `publish to "${queue}" was refused, but a consumer took job(s) ${taken.join(', ')} before it could be withdrawn: they run in "${queue}" too`,
      );
    const [first] = elsewhere;
    throw scriptError('MINDTRACE_ELSEWHERE', queue, [first.id, first.queue]);
  }

  private run<T>(name: PublishScriptName, queue: string, keys: string[], args: (string | number)[]): Promise<T> {
    return this.connection.replicated(name, queue, () => this.scripts.run<T>(name, keys, args));
  }
}
