import type { ListJobsOptions } from '../backend/job-backend.interface';
import type { JobStatus } from '../backend/job-state';
import { checkOptionKeys } from '../backend/option-keys';
import { InvalidOptionError } from '../errors';

/** What `orchestrator.listJobs(queue, options)` takes: a state, and a page of it (default the first 50). */
export interface ListJobsQuery {
  state: JobStatus;
  /** Jobs to skip; default 0. */
  offset?: number;
  /** Jobs per page; default 50, at most 1000. */
  limit?: number;
}

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 1000;

export const JOB_STATUSES: readonly JobStatus[] = ['waiting', 'delayed', 'active', 'failed', 'completed', 'dead'];

/** Checks a listJobs query strictly (unknown keys, a state that is not one, a page out of range) and fills in defaults. */
export function resolveListJobsOptions(queue: string, options: ListJobsQuery): ListJobsOptions {
  const where = `listJobs("${queue}")`;
  checkOptionKeys(where, '', options, ['state', 'offset', 'limit']);
  const { state, offset = 0, limit = DEFAULT_LIST_LIMIT } = options;
  if (!JOB_STATUSES.includes(state)) {
    throw new InvalidOptionError(where, 'state', `must be one of ${JOB_STATUSES.join(', ')}, got ${JSON.stringify(state)}`);
  }
  if (!(Number.isInteger(offset) && offset >= 0)) {
    throw new InvalidOptionError(where, 'offset', `must be a whole number >= 0, got ${String(offset)}`);
  }
  if (!(Number.isInteger(limit) && limit > 0 && limit <= MAX_LIST_LIMIT)) {
    throw new InvalidOptionError(
      where,
      'limit',
      `must be a whole number from 1 to ${MAX_LIST_LIMIT}, got ${String(limit)} — page with offset for more`,
    );
  }
  return { state, offset, limit };
}
