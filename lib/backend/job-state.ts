import type { JobRecord } from './job-record';

/**
 * Where a job is in its life:
 * waiting → active → completed, or active → failed (will retry: in backoff, then waiting again, still
 * `failed`) → active …, or → dead (in the dead-letter queue). `delayed` is only a job published with a
 * delay or runAt and not yet due. (queueStats counts a retry in backoff under `delayed`: it is not due.)
 */
export type JobStatus = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'dead';

/** The error a failed attempt left behind. */
export interface JobFailure {
  name: string;
  message: string;
  stack?: string;
  /** The attempt that failed (1-based). */
  attempt: number;
  /** ISO-8601 UTC. */
  failedAt: string;
}

/**
 * What a run reported with `context.progress(value)`: a number (a percentage, a count — yours to
 * define) or a small JSON object. The last report wins.
 */
export type JobProgress = number | Record<string, unknown>;

/** What `orchestrator.getJob(id)` returns. Times are ISO-8601 UTC strings, null until they happen. */
export interface JobState {
  id: string;
  queue: string;
  name: string;
  status: JobStatus;
  attempt: number;
  priority: number;
  payload: Record<string, unknown>;
  result: unknown;
  error: JobFailure | null;
  createdAt: string;
  /** When the current or last attempt started. */
  startedAt: string | null;
  /** When it completed or went to the dead-letter queue. */
  finishedAt: string | null;
  /** When a delayed job becomes due. */
  runAt: string | null;
  /** The last progress its current or last run reported, or null if none did (a new attempt keeps it until it reports). */
  progress: JobProgress | null;
}

/** A job in a queue's dead-letter queue, with the error that put it there. */
export interface DeadLetter {
  job: JobRecord;
  error: JobFailure;
}

/** Counts by status for one queue. `completed` and `dead` count what retention still keeps. */
export interface QueueStats {
  waiting: number;
  delayed: number;
  active: number;
  completed: number;
  dead: number;
  /** The queue is paused (`orchestrator.pause`): consumers take none of its jobs until it is resumed. */
  paused: boolean;
}
