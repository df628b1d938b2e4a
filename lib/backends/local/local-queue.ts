import { BinaryHeap } from './binary-heap';
import type { LocalJob } from './local-job';
import { waitingListFor, type WaitingList } from './waiting-list';
import type { QueueType } from '../../backend/queue-type';

/** A consumer blocked in fetch, waiting for up to `max` jobs. */
export interface Waiter {
  max: number;
  resolve(jobs: LocalJob[]): void;
}

/** What the Local backend holds for one queue until its jobs finish (FinishedJobs keeps them then). */
export class LocalQueue {
  readonly waiting: WaitingList<LocalJob>;
  /** Delayed jobs and retries in backoff, earliest due first. */
  readonly delayed = new BinaryHeap<LocalJob>((a, b) =>
    (a.runAt ?? 0) !== (b.runAt ?? 0) ? (a.runAt ?? 0) < (b.runAt ?? 0) : a.seq < b.seq,
  );
  readonly active = new Map<string, LocalJob>();
  readonly waiters: Waiter[] = [];

  constructor(
    readonly name: string,
    readonly type: QueueType,
  ) {
    this.waiting = waitingListFor<LocalJob>(type);
  }
}
