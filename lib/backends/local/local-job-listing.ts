import type { JobPage, ListJobsOptions } from '../../backend/job-backend.interface';
import type { QueueType } from '../../backend/queue-type';
import { snapshotOf, type LocalJob } from './local-job';

/** Where listJobs finds one queue's jobs in the Local backend. */
export interface LocalQueueJobs {
  type: QueueType;
  /** Every job of the queue not finished: waiting, delayed (or in backoff) and active. */
  unfinished: Iterable<LocalJob>;
  /** Active jobs in the order they were taken. */
  active: Iterable<LocalJob>;
  /** Completed jobs or dead letters, oldest first, as retention keeps them. */
  finished(kind: 'completed' | 'dead'): LocalJob[];
}

/**
 * A page of one state's jobs, in the contract's order. The waiting list and the delay heap keep no
 * browsable order, so the state's jobs are gathered and sorted: O(n log n) per page, for people
 * looking, never on the path a job takes.
 */
export function listLocalJobs(jobs: LocalQueueJobs, { state, offset, limit }: ListJobsOptions): JobPage {
  const all = jobsIn(jobs, state);
  return { total: all.length, jobs: all.slice(offset, offset + limit).map(snapshotOf) };
}

function jobsIn(jobs: LocalQueueJobs, state: ListJobsOptions['state']): LocalJob[] {
  switch (state) {
    case 'waiting':
      return waiting(jobs);
    case 'delayed':
      return delayed(jobs);
    case 'active':
      return [...jobs.active];
    case 'failed':
      return [...waiting(jobs), ...delayed(jobs)].filter((job) => job.status === 'failed');
    case 'completed':
    case 'dead':
      return jobs.finished(state);
  }
}

/** Due now (a retry due again too), in the order the queue's type delivers them. */
function waiting(jobs: LocalQueueJobs): LocalJob[] {
  const due = [...jobs.unfinished].filter((job) => (job.status === 'waiting' || job.status === 'failed') && job.runAt === null);
  return due.sort(deliveryOrder(jobs.type));
}

/** Not due yet (delayed publishes and retries in backoff), earliest due first. */
function delayed(jobs: LocalQueueJobs): LocalJob[] {
  const later = [...jobs.unfinished].filter((job) => (job.status === 'delayed' || job.status === 'failed') && job.runAt !== null);
  return later.sort((a, b) => (a.runAt as number) - (b.runAt as number) || a.seq - b.seq);
}

function deliveryOrder(type: QueueType): (a: LocalJob, b: LocalJob) => number {
  switch (type) {
    case 'fifo':
      return (a, b) => a.seq - b.seq;
    case 'stack':
      return (a, b) => b.seq - a.seq;
    case 'priority':
      return (a, b) => b.priority - a.priority || a.seq - b.seq;
  }
}
