import { randomUUID } from 'node:crypto';
import type { DeduplicatedPublish, DeduplicationOptions } from '../../backend/flow-control';
import type { PublishItem } from '../../backend/job-backend.interface';
import type { OneJobScripts } from './one-job-scripts';

/**
 * Publishes a job unless another job of its queue holds its deduplication key: publish-dedup checks
 * the holder (lazily: its window, and whether it is still unfinished), withdraws it for `replace`,
 * takes the key and enqueues the job in one script (KEYS.md, `P:{Q}:dedup`).
 */
export class DeduplicatedPublisher {
  constructor(private readonly scripts: OneJobScripts) {}

  async publish(queue: string, { job, runAt }: PublishItem, { key, ttlMs, replace }: DeduplicationOptions): Promise<DeduplicatedPublish> {
    // Sent as a delay, not a time: the script adds it to the Redis clock, as publish does.
    const delayMs = runAt === undefined ? 0 : Math.max(0, Math.ceil(runAt - Date.now()));
    const [id, duplicate, replaced] = await this.scripts.run<[string, number, string | null]>('publish', 'publish-dedup', queue, [
      queue,
      randomUUID(),
      key,
      ttlMs ?? 0,
      replace === true ? 1 : 0,
      job.id,
      JSON.stringify(job),
      job.priority,
      delayMs,
    ]);
    if (duplicate === 1) return { id, duplicate: true };
    await this.scripts.reconcile('publish', queue, { enqueued: id, withdrawn: [replaced] });
    return typeof replaced === 'string' ? { id, duplicate: false, replaced } : { id, duplicate: false };
  }
}
