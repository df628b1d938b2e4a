import type { JobRecord } from '../../backend/job-record';
import type { JobFailure, JobProgress, JobState, JobStatus } from '../../backend/job-state';
import type { JobStateStore, RedrivenJob } from '../../backend/job-state-store.interface';
import { resolveRetention, type RetentionOptions } from '../../backend/retention-options';
import { BackendClosedError, JobNotFoundError } from '../../errors';
import { FinishedJobs } from './finished-jobs';

/**
 * Job states in this process's memory: getJob and waitForResult see the jobs this process published
 * or ran, not those of other processes (`shared` is false). Finished jobs are kept as `retention` says;
 * a dead job it drops is not warned of, since the dead letter itself is the broker's to keep.
 */
export class InMemoryJobStateStore implements JobStateStore {
  readonly shared = false;
  private readonly jobs = new Map<string, JobState>();
  /** Completed and dead jobs, oldest first, with their retention and those waiting for a job to finish. */
  private readonly finished: FinishedJobs<JobState>;

  constructor(options: { retention?: RetentionOptions } = {}) {
    this.finished = new FinishedJobs<JobState>({
      retention: resolveRetention('InMemoryJobStateStore', options.retention),
      snapshot: (state) => ({ ...state }),
      onDropped: (id) => this.jobs.delete(id),
    });
  }

  async published(queue: string, items: readonly { job: JobRecord; runAt: number | null }[]): Promise<void> {
    for (const { job, runAt } of items) {
      this.forgetOne(job.id);
      const state = this.entry(queue, job);
      state.status = runAt === null ? 'waiting' : 'delayed';
      state.runAt = runAt === null ? null : new Date(runAt).toISOString();
    }
  }

  async unpublished(_queue: string, ids: readonly string[]): Promise<void> {
    for (const id of ids) this.forgetOne(id);
  }

  async started(queue: string, job: JobRecord): Promise<void> {
    const state = this.entry(queue, job);
    this.finished.remove(job.id);
    Object.assign(state, { status: 'active', attempt: job.attempt, startedAt: new Date().toISOString(), runAt: null, finishedAt: null });
  }

  async completed(queue: string, job: JobRecord, result: unknown): Promise<void> {
    const state = this.entry(queue, job);
    Object.assign(state, { status: 'completed', attempt: job.attempt, result });
    this.finish(state, 'completed');
  }

  async failed(queue: string, job: JobRecord, failure: JobFailure, runAt: number | null): Promise<void> {
    const state = this.entry(queue, job);
    Object.assign(state, {
      status: 'failed',
      attempt: job.attempt,
      error: failure,
      runAt: runAt === null ? null : new Date(runAt).toISOString(),
    });
  }

  async dead(queue: string, job: JobRecord, failure: JobFailure): Promise<void> {
    const state = this.entry(queue, job);
    Object.assign(state, { status: 'dead', attempt: job.attempt, error: failure });
    this.finish(state, 'dead');
  }

  /** Kept across retries and releases, until the job is published again or forgotten. */
  async progressed(queue: string, job: JobRecord, progress: JobProgress): Promise<void> {
    // A copy: the run may go on changing the object it reported.
    this.entry(queue, job).progress = structuredClone(progress);
  }

  async released(queue: string, job: JobRecord): Promise<void> {
    const state = this.entry(queue, job);
    Object.assign(state, { status: state.error ? 'failed' : 'waiting', attempt: job.attempt });
  }

  /** Only jobs unknown or still dead of their dead letter's failure: one that moved on keeps its state (JobStateStore.redriven). */
  async redriven(queue: string, jobs: readonly RedrivenJob[]): Promise<void> {
    for (const { job, failedAt } of jobs) {
      const known = this.jobs.get(job.id);
      const deadLifeError = failedAt !== null && known?.error?.failedAt === failedAt;
      if (known && !(known.status === 'dead' && (failedAt === null || deadLifeError))) {
        if (deadLifeError) known.error = null;
        continue;
      }
      const state = this.entry(queue, job);
      this.finished.remove(job.id);
      Object.assign(state, { status: 'waiting', attempt: 0, error: null, result: null, startedAt: null, finishedAt: null, runAt: null });
    }
  }

  async forget(queue: string, statuses?: readonly JobStatus[]): Promise<void> {
    for (const [id, state] of [...this.jobs]) {
      if (state.queue === queue && (!statuses || statuses.includes(state.status))) this.forgetOne(id);
    }
  }

  async completedCount(queue: string): Promise<number> {
    return this.finished.count(queue, 'completed');
  }

  async get(id: string): Promise<JobState | null> {
    const state = this.current(id);
    return state ? { ...state } : null;
  }

  waitForFinished(id: string, signal: AbortSignal): Promise<JobState> {
    if (!this.current(id)) return Promise.reject(new JobNotFoundError(id));
    return this.finished.waitFor(id, signal);
  }

  /** Ends every wait with BackendClosedError; the store keeps no connection. */
  async close(): Promise<void> {
    this.finished.close(new BackendClosedError('InMemoryJobStateStore'));
  }

  /** The job's state, unless retention should have dropped it by now (then it is dropped). */
  private current(id: string): JobState | undefined {
    this.finished.refresh(id);
    return this.jobs.get(id);
  }

  /** The stored state, created from its record if this store has not seen the job yet. */
  private entry(queue: string, job: JobRecord): JobState {
    let state = this.jobs.get(job.id);
    if (!state) {
      state = {
        id: job.id,
        queue,
        name: job.name,
        status: 'waiting',
        attempt: job.attempt,
        priority: job.priority,
        payload: job.payload,
        result: null,
        error: null,
        createdAt: job.createdAt,
        startedAt: null,
        finishedAt: null,
        runAt: null,
        progress: null,
      };
      this.jobs.set(job.id, state);
    }
    return state;
  }

  private finish(state: JobState, kind: 'completed' | 'dead'): void {
    const now = Date.now();
    state.finishedAt = new Date(now).toISOString();
    state.runAt = null;
    this.finished.add(state.queue, kind, state.id, state, now);
  }

  private forgetOne(id: string): void {
    this.jobs.delete(id);
    this.finished.forget(id);
  }
}
