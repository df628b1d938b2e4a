import type { JobRecord } from './job-record';
import type { JobFailure, JobProgress, JobState, JobStatus } from './job-state';

/** A dead letter moved back to its work queue, as the job store is told of it. */
export interface RedrivenJob {
  /** Its record, attempt 0. */
  job: JobRecord;
  /** `failedAt` of the failure its dead letter carries (null: it carries none), which tells its dead life from a later one. */
  failedAt: string | null;
}

/**
 * Where a backend that is not a store itself (RabbitMQClient, `jobStore` option) keeps each job's
 * state and result for getJob / waitForResult. InMemoryJobStateStore keeps them in one process;
 * RedisJobStateStore shares them between processes. The client calls one method per move
 * of a job, with the job's wire record, so a store can create an entry it has not seen (a job published
 * by a process without a store) and a shared store can make each move one atomic step.
 *
 * The client calls a move after the broker has taken it (a publish only after the broker confirmed
 * it), except `published`, which comes first so that a fast consumer's `started` never precedes it.
 */
export interface JobStateStore {
  /** True when every process using the same store sees the same states (a store on a shared server). */
  readonly shared: boolean;

  /** The jobs are about to be enqueued: waiting, or delayed until `runAt` (epoch ms). */
  published(queue: string, items: readonly { job: JobRecord; runAt: number | null }[]): Promise<void>;
  /** A publish failed after `published`: forget these jobs. */
  unpublished(queue: string, ids: readonly string[]): Promise<void>;
  /** A run started; `job.attempt` counts it. */
  started(queue: string, job: JobRecord): Promise<void>;
  /**
   * The run of `job.attempt` ended. A store that can tells a late end from a run that lost its delivery
   * (a later attempt has started: the job was redelivered) by rejecting with LeaseLostError, writing nothing.
   */
  completed(queue: string, job: JobRecord, result: unknown): Promise<void>;
  /** The attempt failed; the job is due again at `runAt` (null: at once). */
  failed(queue: string, job: JobRecord, failure: JobFailure, runAt: number | null): Promise<void>;
  /** As completed: a late one may be refused with LeaseLostError. */
  dead(queue: string, job: JobRecord, failure: JobFailure): Promise<void>;
  /** A run reported progress (optional: a store without it keeps none, and getJob shows `progress: null`). */
  progressed?(queue: string, job: JobRecord, progress: JobProgress): Promise<void>;
  /** Given back unrun at shutdown: waiting again, with `job.attempt` as it was before the run. */
  released(queue: string, job: JobRecord): Promise<void>;
  /**
   * Dead letters moved back to waiting with attempt 0. The broker has them back first, so a consumer may
   * take and finish one before this call; the store checks, atomically per job, that the job has not
   * moved on: it applies the redrive only to a job it does not know or still shows dead of the failure
   * its dead letter carries (any dead, without one). A job that moved on keeps its newer state, losing
   * only that old failure as its error. (Recording first instead would leave jobs reading waiting when
   * the broker move then fails, with no dead state to return them to.)
   */
  redriven(queue: string, jobs: readonly RedrivenJob[]): Promise<void>;
  /** Forgets the queue's jobs in these states (cleanQueue, purgeDeadLetters), or all of them (deleteQueue). */
  forget(queue: string, statuses?: readonly JobStatus[]): Promise<void>;

  /** How many completed jobs of the queue the store still keeps. */
  completedCount(queue: string): Promise<number>;
  /** The job's state, or null if the store does not know it. */
  get(id: string): Promise<JobState | null>;
  /**
   * Resolves once the job is completed or dead (at once if it already is); rejects with
   * JobNotFoundError if the store does not know it, and with `signal.reason` when the signal aborts.
   */
  waitForFinished(id: string, signal: AbortSignal): Promise<JobState>;

  /** Releases what the store holds (connections); the backend that uses it calls this from its close(). */
  close?(): Promise<void>;
}
