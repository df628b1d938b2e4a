import type { JobRecord } from '../../backend/job-record';
import type { JobFailure, JobState, JobStatus } from '../../backend/job-state';

/**
 * The hash a job is kept in, by RedisClient and by RedisJobStateStore alike: `data` (the wire JSON),
 * `status`, `attempt`, `priority`, `result` and `error` (JSON), and `startedAt` / `finishedAt` /
 * `runAt` as epoch milliseconds.
 */
export function jobStateOf(queue: string, fields: Record<string, string>): JobState {
  const record = JSON.parse(fields.data) as JobRecord;
  return {
    id: record.id,
    queue,
    name: record.name,
    status: fields.status as JobStatus,
    attempt: Number(fields.attempt),
    priority: Number(fields.priority ?? record.priority),
    payload: record.payload,
    result: fields.result === undefined ? null : JSON.parse(fields.result),
    error: fields.error ? (JSON.parse(fields.error) as JobFailure) : null,
    createdAt: record.createdAt,
    startedAt: iso(fields.startedAt),
    finishedAt: iso(fields.finishedAt),
    runAt: iso(fields.runAt),
  };
}

function iso(ms: string | undefined): string | null {
  return ms ? new Date(Number(ms)).toISOString() : null;
}
