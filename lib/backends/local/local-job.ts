import type { JobRecord } from '../../backend/job-record';
import type { JobFailure, JobProgress, JobState, JobStatus } from '../../backend/job-state';

/** A job as the Local backend keeps it: its wire record plus where it is and what happened to it. */
export interface LocalJob {
  record: JobRecord;
  queue: string;
  status: JobStatus;
  /** Ordering key for ties; renewed whenever the job re-enters the waiting list. */
  seq: number;
  priority: number;
  runAt: number | null;
  result: unknown;
  error: JobFailure | null;
  /** Epoch ms, like finishedAt: turned into ISO strings only when someone looks (getJob). */
  startedAt: number | null;
  finishedAt: number | null;
  /** The lease token of the delivery that holds it, while active. */
  token: string | null;
  /** The last progress a run reported; retries and redrives keep it. */
  progress: JobProgress | null;
  /** Its mark on a finished list it left (see FinishedList): the job is its own FinishedJobs entry. */
  removed: boolean;
}

export function snapshotOf(job: LocalJob): JobState {
  return {
    id: job.record.id,
    queue: job.queue,
    name: job.record.name,
    status: job.status,
    attempt: job.record.attempt,
    priority: job.record.priority,
    payload: job.record.payload,
    result: job.result,
    error: job.error,
    createdAt: job.record.createdAt,
    startedAt: job.startedAt === null ? null : new Date(job.startedAt).toISOString(),
    finishedAt: job.finishedAt === null ? null : new Date(job.finishedAt).toISOString(),
    runAt: job.runAt === null ? null : new Date(job.runAt).toISOString(),
    progress: job.progress,
  };
}
