import { BinaryHeap } from './binary-heap';
import type { LocalJob } from './local-job';
import { QueueGate } from './queue-gate';
import { waitingListFor, type WaitingList } from './waiting-list';
import { WakeUpTimer } from './wake-up-timer';
import type { RateLimit } from '../../backend/flow-control';
import type { QueueType } from '../../backend/queue-type';
import type { ScheduleRecord } from '../../backend/schedule-record';

/** A consumer blocked in fetch, waiting for up to `max` jobs (no more than its rate limit lets out). */
export interface Waiter {
  max: number;
  rateLimit?: RateLimit;
  /** FetchOptions.returnOnWake: a dispatch that gives it nothing ends its wait with []. */
  returnOnWake?: boolean;
  resolve(jobs: LocalJob[]): void;
}

/** Who holds a deduplication key: the job that took it, when, and for how long. */
export interface DedupHolder {
  id: string;
  takenAt: number;
  /** Undefined: until the job finishes. */
  ttlMs?: number;
}

/** What the Local backend holds for one queue until its jobs finish (FinishedJobs keeps them then). */
export class LocalQueue {
  readonly waiting: WaitingList<LocalJob>;
  /** Delayed jobs and retries in backoff, earliest due first. */
  readonly delayed = new BinaryHeap<LocalJob>((a, b) =>
    (a.runAt ?? 0) !== (b.runAt ?? 0) ? (a.runAt ?? 0) < (b.runAt ?? 0) : a.seq < b.seq,
  );
  /** Jobs taken and not settled (the client finds them by id and token). */
  activeCount = 0;
  readonly waiters: Waiter[] = [];
  /** Pause, hold and rate window: how many jobs a fetch may take now. */
  readonly gate = new QueueGate();
  /** The queue's schedules by key; they go with the queue when it is deleted. */
  readonly schedules = new Map<string, ScheduleRecord>();
  /** Deduplication keys, checked lazily at publish: a holder that finished or went away frees its key. */
  readonly dedup = new Map<string, DedupHolder>();
  /** Set, while fetches wait on a held queue or a full rate window, for the moment one of them may take a job. */
  readonly gateTimer: WakeUpTimer;

  /** `onGateOpens` runs when the gate timer fires: the client hands jobs to the waiters it now lets through. */
  constructor(
    readonly name: string,
    readonly type: QueueType,
    onGateOpens: () => void,
  ) {
    this.waiting = waitingListFor<LocalJob>(type);
    this.gateTimer = new WakeUpTimer(onGateOpens);
  }
}
