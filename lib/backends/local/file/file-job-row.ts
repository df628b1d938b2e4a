import type { Delivery } from '../../../backend/job-backend.interface';
import type { JobRecord } from '../../../backend/job-record';
import type { JobFailure, JobProgress, JobState, JobStatus } from '../../../backend/job-state';

/** A row of the `jobs` table as the engine reads it (see file-schema.ts). */
export interface FileJobRow {
  id: string;
  queue: string;
  place: JobPlace;
  status: JobStatus;
  seq: number;
  due_at: number | null;
  record: string;
  attempt: number;
  stalls: number;
  token: string | null;
  result: string | null;
  error: string | null;
  started_at: number | null;
  finished_at: number | null;
  run_at: number | null;
  /** The last progress reported (JSON), kept across retries; null until one is. */
  progress: string | null;
}

export type JobPlace = 'waiting' | 'delayed' | 'active' | 'completed' | 'dead';

/** The record is stored without its attempt, which lives in its own column and changes on every run. */
export function storedRecord(job: JobRecord): string {
  const { attempt: _attempt, ...rest } = job;
  return JSON.stringify(rest);
}

export function recordOf(row: FileJobRow): JobRecord {
  return { ...(JSON.parse(row.record) as Omit<JobRecord, 'attempt'>), attempt: row.attempt };
}

export function deliveryOf(row: FileJobRow): Delivery {
  return { queue: row.queue, job: recordOf(row), token: row.token as string, stalls: row.stalls };
}

export function failureOf(row: FileJobRow): JobFailure | null {
  return row.error === null ? null : (JSON.parse(row.error) as JobFailure);
}

export function stateOf(row: FileJobRow): JobState {
  const record = recordOf(row);
  return {
    id: row.id,
    queue: row.queue,
    name: record.name,
    status: row.status,
    attempt: row.attempt,
    priority: record.priority,
    payload: record.payload,
    result: row.result === null ? null : JSON.parse(row.result),
    error: failureOf(row),
    createdAt: record.createdAt,
    startedAt: isoOrNull(row.started_at),
    finishedAt: isoOrNull(row.finished_at),
    runAt: isoOrNull(row.run_at),
    progress: row.progress === null || row.progress === undefined ? null : (JSON.parse(row.progress) as JobProgress),
  };
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
