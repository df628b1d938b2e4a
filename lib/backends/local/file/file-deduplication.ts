import type { DeduplicatedPublish, DeduplicationOptions } from '../../../backend/flow-control';
import type { PublishItem } from '../../../backend/job-backend.interface';
import type { FileJobMoves } from './file-job-moves';
import type { JobPlace } from './file-job-row';
import type { MoveEffects } from './move-effects';
import type { StatementCache } from './statement-cache';

const UNFINISHED: readonly JobPlace[] = ['waiting', 'delayed', 'active'];

/**
 * Deduplication keys on the file: `dedup_keys` says which job took each (queue, key) and when its
 * window ends. Nothing is cleared when a job finishes: the holder is checked when the key is next
 * used, and a holder finished, dropped or deleted leaves the key free.
 */
export class FileDeduplication {
  constructor(
    private readonly statements: StatementCache,
    private readonly moves: FileJobMoves,
  ) {}

  /** JobBackend.publishDeduplicated, inside the caller's transaction. */
  publish(
    queue: string,
    item: PublishItem,
    { key, ttlMs, replace }: DeduplicationOptions,
    now: number,
    effects: MoveEffects,
  ): DeduplicatedPublish {
    const holder = this.holder(queue, key, now);
    if (holder && !replace) return { id: holder.id, duplicate: true };
    const replaced = holder && holder.unstarted && this.moves.withdraw(queue, holder.id, effects) ? holder.id : undefined;
    this.moves.enqueue(queue, [item], now, effects);
    this.statements
      .sql(
        `INSERT INTO dedup_keys (queue, key, job_id, taken_at, expires_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (queue, key) DO UPDATE SET job_id = excluded.job_id, taken_at = excluded.taken_at, expires_at = excluded.expires_at`,
      )
      .run(queue, key, item.job.id, now, ttlMs === undefined ? null : now + ttlMs);
    return replaced ? { id: item.job.id, duplicate: false, replaced } : { id: item.job.id, duplicate: false };
  }

  /** The job holding the key, if its window is open and it has not finished. */
  private holder(queue: string, key: string, now: number): { id: string; unstarted: boolean } | null {
    const taken = this.statements.sql('SELECT job_id, expires_at FROM dedup_keys WHERE queue = ? AND key = ?').get(queue, key) as
      { job_id: string; expires_at: number | null } | undefined;
    if (!taken || (taken.expires_at !== null && taken.expires_at <= now)) return null;
    const job = this.statements.sql('SELECT place, attempt FROM jobs WHERE id = ? AND queue = ?').get(taken.job_id, queue) as
      { place: JobPlace; attempt: number } | undefined;
    if (!job || !UNFINISHED.includes(job.place)) return null;
    return { id: taken.job_id, unstarted: job.place !== 'active' && job.attempt === 0 };
  }
}
