import type { DeduplicatedPublish, DeduplicationOptions, RateLimit } from './flow-control';
import type { JobRecord } from './job-record';
import type { DeadLetter, JobFailure, JobProgress, JobState, JobStatus, QueueStats } from './job-state';
import type { ScheduleRecord } from './schedule-record';
import type { QueueType } from './queue-type';

/** A queue the backend knows, as `listQueues` reports it. */
export interface QueueSummary {
  name: string;
  type: QueueType;
}

/** Which jobs `listJobs` returns: those in one state, a page of them. */
export interface ListJobsOptions {
  state: JobStatus;
  /** Jobs to skip from the start of the state's order. */
  offset: number;
  /** At most this many jobs. */
  limit: number;
}

/** One page of a state's jobs; `total` counts the whole state, so a pager knows how many pages there are. */
export interface JobPage {
  total: number;
  jobs: JobState[];
}

/** One job to enqueue. */
export interface PublishItem {
  job: JobRecord;
  /** Epoch milliseconds at which the job becomes due; absent or in the past means now. */
  runAt?: number;
}

/**
 * A job handed to one consumer. The consumer must settle it exactly once, with `complete`, `retry`,
 * `deadLetter` or `release`. `job.attempt` already counts this delivery.
 */
export interface Delivery {
  queue: string;
  job: JobRecord;
  /** Opaque proof that this consumer holds the job; a settle with a stale token fails with LeaseLostError. */
  token: string;
  /**
   * Earlier deliveries of this job that ended unsettled because their holder died or lost its lease
   * (a backend with `stallCount`; absent means none known). Redrive starts it again from 0.
   */
  stalls?: number;
  /**
   * Taken ahead of a free run slot (FetchOptions.startNow): not started yet. Its consumer calls
   * `startTakenAhead` before running it; until then a lease that runs out is no stall and no attempt.
   */
  takenAhead?: boolean;
}

export interface FetchOptions {
  /** Wait for work when none is ready (blocking or push; never a polling loop). */
  wait: boolean;
  /** Aborting it ends a wait at once with an empty result; no job is taken by an aborted fetch. */
  signal?: AbortSignal;
  /**
   * With `wait`: the first wake-up that brings no job ends the wait with [] instead of waiting again (a
   * resume, a publish, the end of a hold or full window). consumeUntilEmpty waits on a paused or held
   * queue this way, and asks after each wake whether the queue still has jobs waiting — no periodic check.
   */
  returnOnWake?: boolean;
  /** How long the job is held before the backend may give it to someone else. */
  leaseMs: number;
  /**
   * Hand out no more than this (capability `rateLimit`), counting every job of the queue handed out by
   * any client with a limit (fetch and completeAndFetch alike) in a window shared by all processes. When
   * the window is full, a waiting fetch sleeps until a slot frees (a timer, not a poll) and a
   * non-waiting one returns [].
   */
  rateLimit?: RateLimit;
  /**
   * How many of the jobs taken start at once (the caller's free run slots); the rest are taken ahead
   * (`Delivery.takenAhead`). Absent: all start at once.
   */
  startNow?: number;
}

/** What a backend can and cannot do; the conformance suite reads this instead of the backend's name. */
export interface BackendCapabilities {
  queueTypes: readonly QueueType[];
  /** Deliveries expire and must be kept alive with extendLease while a run goes on. */
  leases: boolean;
  /** Lowest and highest priority the backend can order by (RabbitMQ: 0 to x-max-priority). */
  priorityRange: readonly [min: number, max: number];
  /**
   * The backend keeps each job's state and result: getJob, waitForResult and the completed count of
   * queueStats work. Without it they throw UnsupportedCapabilityError.
   */
  jobState: boolean;
  /** Job state is shared between processes (getJob in one process sees a job published by another). */
  sharedJobState: boolean;
  /** Deliveries say how often the job stalled (`Delivery.stalls`), so consumers can enforce `maxStalls`. */
  stallCount?: boolean;
  /**
   * Publishing a job whose id the backend still holds (in any place it keeps: waiting, delayed, active,
   * dead or retained as finished) is refused with InvalidOptionError naming `job.id`, whichever queue
   * it is in. A publish resent by the client library after a lost reply is not a duplicate. Without
   * this capability (RabbitMQ: the broker keeps no index of ids) a republished id is enqueued again.
   */
  uniqueJobIds?: boolean;
  /**
   * A job its caller publishes again after a publish of it failed ambiguously (the connection was lost
   * before the broker confirmed it: it may or may not be enqueued) runs once; the retry answers with
   * the same id. uniqueJobIds gives the same by refusing the retry. RabbitMQ has it with a `jobStore`
   * only; without one, such a retry may enqueue the job twice.
   */
  retriedPublishRunsOnce?: boolean;
  /**
   * A job given back with `release` (a stopped consumer's jobs taken ahead) returns to its old place:
   * the queue then delivers in the order it would have had the job never been fetched. Without it
   * the job comes back uncounted but maybe elsewhere (RabbitMQ requeues as the broker can).
   */
  releaseKeepsOrder?: boolean;
  /**
   * Absent or true: a job given back unrun (`release`: a stopped consumer's jobs taken ahead) does not
   * count an attempt when it is delivered again. False on RabbitMQ quorum queues: a delivery still on its
   * way when its consumer is cancelled (a stop, an idle give-back) is returned by the broker unseen, and
   * comes back counted once more (docs/rabbitmq.md, "Running at scale").
   */
  releaseUncounted?: boolean;
  /** `listQueues` works: the backend can name the queues it holds (not only those this process declared). */
  queueListing?: boolean;
  /** The states `listJobs` can list (absent or empty: none); another state throws UnsupportedCapabilityError. */
  jobListing?: readonly JobStatus[];
  /** Repeatable jobs: getSchedule, listSchedules, putSchedule and deleteSchedule work, shared by every process. */
  schedules?: boolean;
  /** pauseQueue / resumeQueue work for every process consuming the queue, and queueStats reports `paused`. */
  pause?: boolean;
  /** FetchOptions.rateLimit and holdQueue are enforced across every process consuming the queue. */
  rateLimit?: boolean;
  /** publishDeduplicated works: a deduplication key is checked and taken atomically, across processes. */
  deduplication?: boolean;
  /** reportProgress keeps the progress, and getJob returns it (needs `jobState`). */
  progress?: boolean;
}

/**
 * The one contract every backend implements. The guarantees each method must give:
 *
 * - **Atomic moves.** A job is at every instant in exactly one place: waiting, delayed, active, dead,
 *   or finished. Each method below moves it in one atomic step, so a crash between two calls can
 *   neither lose nor duplicate it.
 * - **At-least-once.** `fetch` hands out a job under a lease; the job leaves the backend only when its
 *   holder settles it. If the holder dies, a backend with `leases` gives the job out again once the lease
 *   runs out (with its attempt counted). A backend that lives in the consumer's process (Local) dies with it.
 * - **Order.** Within a queue, `fetch` returns jobs in the queue type's order; equal priorities in publish order.
 * - **No polling.** `fetch` with `wait` blocks on the broker (or in-process signal) and returns as soon as
 *   a job is published or a delayed job becomes due.
 * - **Errors.** Using an undeclared queue throws QueueNotDeclaredError; re-declaring with another type
 *   throws QueueTypeMismatchError; a settle for a delivery no longer held throws LeaseLostError.
 */
export interface JobBackend {
  /** A short name for messages and logs, e.g. "LocalClient". */
  readonly name: string;
  readonly capabilities: BackendCapabilities;

  /** Creates the queue, or does nothing if it exists with the same type. */
  declareQueue(queue: string, type: QueueType): Promise<void>;
  /** The type of an existing queue, or null if it does not exist. */
  queueType(queue: string): Promise<QueueType | null>;
  /** Removes the queue with all its jobs, delayed jobs, dead letters and finished records. */
  deleteQueue(queue: string): Promise<void>;
  /** Drops the waiting and delayed jobs; returns how many. Active jobs and dead letters stay. */
  cleanQueue(queue: string): Promise<number>;
  /** Jobs waiting to be delivered now (not delayed, not active). */
  countWaiting(queue: string): Promise<number>;

  /**
   * Enqueues the items. Every item is checked before any is enqueued, so a bad item enqueues none;
   * Local and Redis enqueue a batch in one atomic step, while on RabbitMQ a connection lost half-way
   * through a batch can leave its confirmed part enqueued (the call then rejects).
   */
  publish(queue: string, items: PublishItem[]): Promise<void>;
  /** Takes up to `max` due jobs under a lease. Returns [] only if `wait` is false or the signal aborted. */
  fetch(queue: string, max: number, options: FetchOptions): Promise<Delivery[]>;
  /** Keeps a delivery held for another `leaseMs` from now. */
  extendLease(delivery: Delivery, leaseMs: number): Promise<void>;

  /** The job succeeded; keeps `result` for getJob subject to retention. */
  complete(delivery: Delivery, result: unknown): Promise<void>;
  /**
   * Optional: complete the job and take up to `next.max` more under a lease, in one atomic step and one
   * round trip (what a consumer does after every job). Backends without it are used through
   * complete + fetch.
   */
  completeAndFetch?(delivery: Delivery, result: unknown, next: { max: number; leaseMs: number }): Promise<Delivery[]>;
  /**
   * Optional, for a backend that counts stalls: a job taken ahead (`Delivery.takenAhead`) starts now.
   * Called right before its run; the backend sends the mark without waiting for an answer, but before
   * anything the run sends, so a holder that dies from here on counts a stall.
   */
  startTakenAhead?(delivery: Delivery): void;
  /** The attempt failed; the job becomes due again after `delayMs` (0: at once, at the back of the queue). */
  retry(delivery: Delivery, failure: JobFailure, delayMs: number): Promise<void>;
  /** The job failed for good; it moves to the queue's dead-letter queue with `failure`. */
  deadLetter(delivery: Delivery, failure: JobFailure): Promise<void>;
  /** Gives the job back untouched, as if never fetched (its attempt is not counted). Used at shutdown. */
  release(delivery: Delivery): Promise<void>;

  /**
   * The job's current state, or null if unknown (never published, or dropped by retention). Retention's
   * `ageMs` holds at the moment of the call, on an idle queue too: getJob, listDeadLetters and
   * queueStats never show a finished job older than its rule, even if nothing finished since.
   */
  getJob(id: string): Promise<JobState | null>;
  /** Resolves with the job's state once it is completed or dead (at once if it already is). */
  waitForFinished(id: string, signal: AbortSignal): Promise<JobState>;

  /** The oldest `limit` dead letters of the queue. */
  listDeadLetters(queue: string, limit: number): Promise<DeadLetter[]>;
  /**
   * Moves dead letters (all, or those with the given ids) back to waiting with attempt 0, in the order
   * they died (as listDeadLetters lists them); returns how many.
   */
  redrive(queue: string, ids?: readonly string[]): Promise<number>;
  /** Deletes every dead letter of the queue; returns how many. */
  purgeDeadLetters(queue: string): Promise<number>;
  queueStats(queue: string): Promise<QueueStats>;

  /** Optional (capability `queueListing`): every declared queue, sorted by name. */
  listQueues?(): Promise<QueueSummary[]>;
  /**
   * Optional (capability `jobListing` names the states): a page of the queue's jobs in one state, in the
   * order the state keeps them, oldest first, so pages stay put while new jobs arrive: `waiting` in the
   * order they will be delivered, `delayed` by due time, `active` by lease (Local: in the order taken,
   * Redis: by when the lease runs out), `completed` and `dead` in the order they finished. A state is a
   * place, as queueStats counts it, and `total` equals that count: a retry in backoff is `delayed`, one
   * due again `waiting`, its status `failed` either way. `failed` lists those retries, waiting and
   * delayed alike, in the order they will run (on Redis a scan of both: see its KEYS.md before polling it).
   */
  listJobs?(queue: string, options: ListJobsOptions): Promise<JobPage>;

  // ---- Flow control and schedules: optional, each behind the capability named. ----

  /**
   * (capability `pause`) From now on no client hands out jobs of this queue: fetch and completeAndFetch
   * return none (a waiting fetch keeps waiting), in every process. Publishing goes on; jobs already
   * handed out finish as usual. Pausing a paused queue does nothing. The pause is kept by the backend
   * (a client or process started later sees it) until resumeQueue.
   */
  pauseQueue?(queue: string): Promise<void>;
  /** (capability `pause`) Ends a pause; fetches waiting in any process wake at once (pushed, not polled). */
  resumeQueue?(queue: string): Promise<void>;
  /**
   * (capability `rateLimit`) No client hands out jobs of this queue before `until` (epoch ms), whether
   * or not it fetches with a rateLimit: the queue is held, in every process. A later `until` extends the
   * hold, an earlier one leaves it as it is. Waiting fetches sleep until then (a timer, not a poll).
   */
  holdQueue?(queue: string, until: number): Promise<void>;

  /**
   * (capability `progress`) Records what a run reported. Throws LeaseLostError if the delivery is no
   * longer held. getJob shows the last value until the job is removed; a retry keeps it.
   */
  reportProgress?(delivery: Delivery, progress: JobProgress): Promise<void>;

  /**
   * (capability `deduplication`) Publishes `item` unless another job of the queue holds
   * `deduplication.key` (see DeduplicationOptions for the window and `replace`), checking and taking the
   * key in one atomic step with the enqueue, so two processes publishing the same key at once enqueue
   * one job. A key whose holder is gone (finished, dropped by retention, cleaned, deleted) is free.
   */
  publishDeduplicated?(queue: string, item: PublishItem, deduplication: DeduplicationOptions): Promise<DeduplicatedPublish>;

  /** (capability `schedules`) The queue's schedule with this key, or null. */
  getSchedule?(queue: string, key: string): Promise<ScheduleRecord | null>;
  /** (capability `schedules`) Every schedule (of one queue when given), sorted by queue then key. */
  listSchedules?(queue?: string): Promise<ScheduleRecord[]>;
  /**
   * (capability `schedules`) In one atomic step, only if the stored schedule's `nextRunAt` equals `expect`
   * (null: only if no schedule with this queue and key is stored); otherwise changes nothing and resolves false:
   * 1. with `withdrawPrevious`, withdraws the stored schedule's occurrences (job ids
   *    `withdrawableOccurrenceIds(stored)`: of its nextRunAt and takenTicks) that wait unrun (waiting or
   *    delayed, attempt 0);
   * 2. stores `record`;
   * 3. publishes `occurrence` (its job id is `scheduleOccurrenceId(queue, key, record.nextRunAt)`, its
   *    runAt `record.nextRunAt`) unless a job with that id is still held by the backend in any state.
   * Resolves true.
   */
  putSchedule?(record: ScheduleRecord, occurrence: PublishItem, expect: number | null, withdrawPrevious: boolean): Promise<boolean>;
  /**
   * (capability `schedules`) Removes the schedule and withdraws its occurrences that wait unrun
   * (`withdrawableOccurrenceIds`, as putSchedule); resolves whether it existed. deleteQueue removes the
   * queue's schedules too.
   */
  deleteSchedule?(queue: string, key: string): Promise<boolean>;

  /** Ends every wait and releases connections. Further calls throw BackendClosedError. */
  close(): Promise<void>;
}
