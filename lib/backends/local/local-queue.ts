import { BinaryHeap } from './binary-heap';
import type { LocalJob } from './local-job';
import { FifoList, waitingListFor, type WaitingList } from './waiting-list';
import type { QueueType } from '../../backend/queue-type';

/** A consumer blocked in fetch, waiting for up to `max` jobs. */
export interface Waiter {
  max: number;
  resolve(jobs: LocalJob[]): void;
}

/** Everything the Local backend holds for one queue. */
export class LocalQueue {
  readonly waiting: WaitingList<LocalJob>;
  /** Delayed jobs and retries in backoff, earliest due first. */
  readonly delayed = new BinaryHeap<LocalJob>((a, b) => ((a.runAt ?? 0) !== (b.runAt ?? 0) ? (a.runAt ?? 0) < (b.runAt ?? 0) : a.seq < b.seq));
  readonly active = new Map<string, LocalJob>();
  /** Insertion order is the order they died in: oldest first. */
  readonly dead = new Map<string, LocalJob>();
  /** Completed jobs still kept for getJob, oldest first. */
  readonly completed = new FifoList<LocalJob>();
  readonly waiters: Waiter[] = [];

  constructor(
    readonly name: string,
    readonly type: QueueType,
  ) {
    this.waiting = waitingListFor<LocalJob>(type);
  }
}
