import type { JobFailure, JobState, JobStatus } from '../../backend/job-state';
import { failureOf } from '../../backend/job-failure';
import { MalformedJobError } from '../../errors';
import { decodeJob, parseStored } from './job-record-decoding';

/**
 * The hash a job is kept in, by RedisClient and by RedisJobStateStore alike: `data` (the wire JSON),
 * `status`, `attempt`, `priority`, `result`, `error` and `progress` (JSON), and `startedAt` / `finishedAt` /
 * `runAt` as epoch milliseconds. Read without throwing: a job whose `data` is not a job record (a
 * foreign producer's bytes) is shown with what can be known, and MalformedJobError as its error until
 * it has one of its own.
 */
export function jobStateOf(queue: string, id: string, fields: Record<string, string>): JobState {
  const attempt = Number(fields.attempt ?? 0);
  const decoded = decodeJob(id, fields.data, attempt, fields.priority === undefined ? undefined : Number(fields.priority));
  const { record } = decoded;
  // get-job's word for a key that is not a hash at all.
  const problem = fields.problem ?? decoded.problem;
  const malformed = problem === undefined ? null : failureOf(new MalformedJobError(queue, id, problem), attempt);
  return {
    id,
    queue,
    name: record.name,
    status: (fields.status as JobStatus | undefined) ?? 'waiting',
    attempt,
    priority: Number(fields.priority ?? record.priority),
    payload: record.payload,
    result: fields.result === undefined ? null : parseStored(fields.result),
    error: fields.error ? errorOf(fields.error, attempt) : malformed,
    createdAt: record.createdAt,
    startedAt: iso(fields.startedAt),
    finishedAt: iso(fields.finishedAt),
    runAt: iso(fields.runAt),
    progress: fields.progress === undefined ? null : (parseStored(fields.progress) as JobState['progress']),
  };
}

/** A stored error; text that is not one (written by hand) is shown as its message. */
export function errorOf(json: string, attempt: number): JobFailure {
  const stored = parseStored(json);
  if (stored !== null && typeof stored === 'object' && typeof (stored as JobFailure).name === 'string') return stored as JobFailure;
  return { name: 'Error', message: typeof stored === 'string' ? stored : json, attempt, failedAt: '' };
}

function iso(ms: string | undefined): string | null {
  return ms ? new Date(Number(ms)).toISOString() : null;
}
