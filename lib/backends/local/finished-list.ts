import { FifoList } from './waiting-list';

/**
 * A job on a FinishedList; `removed` once it leaves the list from anywhere but the head, while it is
 * still there (cleared when the list lets go of it, so a job that finishes again is listed once).
 */
export interface ListedJob {
  removed: boolean;
}

/**
 * Finished jobs of one queue and kind, oldest first. Retention reads and drops the head at every
 * finish, so the head must be O(1): a ring buffer, not a Map (whose iteration from the front crosses
 * every deleted entry until it rehashes). A job leaving from elsewhere (redriven, run again) is only
 * marked removed, skipped at the head and compacted away once marked ones outnumber the rest.
 */
export class FinishedList<T extends ListedJob> {
  private readonly fifo = new FifoList<T>();
  private live = 0;

  /** How many jobs are on the list (marked ones not counted). */
  get size(): number {
    return this.live;
  }

  push(job: T): void {
    this.fifo.push(job);
    this.live++;
  }

  /** The oldest job on the list. */
  oldest(): T | undefined {
    for (let head = this.fifo.peek(); head?.removed; head = this.fifo.peek()) this.fifo.take()!.removed = false;
    return this.fifo.peek();
  }

  /** Takes the job oldest() returned off the list. */
  dropOldest(): void {
    const job = this.fifo.take();
    if (job && !job.removed) this.live--;
  }

  /** Takes `job`, which must be on the list, off it. */
  remove(job: T): void {
    job.removed = true;
    this.live--;
    if (this.fifo.size > 2 * this.live + 64) this.compact();
  }

  /** Lets go of the jobs marked removed. */
  compact(): void {
    this.fifo.retain((listed) => {
      if (!listed.removed) return true;
      listed.removed = false;
      return false;
    });
  }

  /** The jobs on the list, oldest first. */
  toArray(): T[] {
    return this.fifo.toArray().filter((job) => !job.removed);
  }
}
