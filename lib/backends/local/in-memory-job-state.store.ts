import type { JobRecord } from '../../backend/job-record';
import type { JobFailure, JobState, JobStatus } from '../../backend/job-state';
import { resolveRetention, type ResolvedRetention, type RetentionOptions } from '../../backend/retention-options';
import { InvalidOptionError, JobNotFoundError } from '../../errors';
import { MAX_TIMER_MS } from './local.client';
import type { JobStateStore } from '../../backend/job-state-store.interface';

interface StoredJob {
  state: JobState;
  /** Epoch ms, for retention. */
  finishedAt: number | null;
}

/**
 * Job states in this process's memory: getJob and waitForResult see the jobs this process published
 * or ran, not those of other processes (`shared` is false). Finished jobs are kept as `retention` says.
 */
export class InMemoryJobStateStore implements JobStateStore {
  readonly shared = false;
  private readonly jobs = new Map<string, StoredJob>();
  /** Finished jobs per queue and status, oldest first, for retention and counts. */
  private readonly finished = new Map<string, { completed: Set<string>; dead: Set<string> }>();
  private readonly listeners = new Map<string, Set<(outcome: JobState | Error) => void>>();
  private readonly retention: ResolvedRetention;
  /** One timer for the earliest moment a finished job outlives its `ageMs`, so idle queues free memory too. */
  private retentionTimer: NodeJS.Timeout | null = null;
  private retentionTimerAt = Infinity;

  constructor(options: { retention?: RetentionOptions } = {}) {
    this.retention = resolveRetention('InMemoryJobStateStore', options.retention);
  }

  async published(queue: string, items: readonly { job: JobRecord; runAt: number | null }[]): Promise<void> {
    for (const { job, runAt } of items) {
      this.forgetOne(job.id);
      const stored = this.entry(queue, job);
      stored.state.status = runAt === null ? 'waiting' : 'delayed';
      stored.state.runAt = runAt === null ? null : new Date(runAt).toISOString();
    }
  }

  async unpublished(_queue: string, ids: readonly string[]): Promise<void> {
    for (const id of ids) this.forgetOne(id);
  }

  async started(queue: string, job: JobRecord): Promise<void> {
    const stored = this.entry(queue, job);
    this.unfinish(stored);
    Object.assign(stored.state, { status: 'active', attempt: job.attempt, startedAt: new Date().toISOString(), runAt: null, finishedAt: null });
  }

  async completed(queue: string, job: JobRecord, result: unknown): Promise<void> {
    const stored = this.entry(queue, job);
    Object.assign(stored.state, { status: 'completed', attempt: job.attempt, result });
    this.finish(stored, 'completed');
  }

  async failed(queue: string, job: JobRecord, failure: JobFailure, runAt: number | null): Promise<void> {
    const stored = this.entry(queue, job);
    Object.assign(stored.state, { status: 'failed', attempt: job.attempt, error: failure, runAt: runAt === null ? null : new Date(runAt).toISOString() });
  }

  async dead(queue: string, job: JobRecord, failure: JobFailure): Promise<void> {
    const stored = this.entry(queue, job);
    Object.assign(stored.state, { status: 'dead', attempt: job.attempt, error: failure });
    this.finish(stored, 'dead');
  }

  async released(queue: string, job: JobRecord): Promise<void> {
    const stored = this.entry(queue, job);
    Object.assign(stored.state, { status: stored.state.error ? 'failed' : 'waiting', attempt: job.attempt });
  }

  async redriven(queue: string, jobs: readonly JobRecord[]): Promise<void> {
    for (const job of jobs) {
      const stored = this.entry(queue, job);
      this.unfinish(stored);
      Object.assign(stored.state, { status: 'waiting', attempt: 0, error: null, result: null, startedAt: null, finishedAt: null, runAt: null });
    }
  }

  async forget(queue: string, statuses?: readonly JobStatus[]): Promise<void> {
    for (const [id, stored] of [...this.jobs]) {
      if (stored.state.queue === queue && (!statuses || statuses.includes(stored.state.status))) this.forgetOne(id);
    }
  }

  async completedCount(queue: string): Promise<number> {
    this.applyRetention(queue, Date.now());
    return this.finished.get(queue)?.completed.size ?? 0;
  }

  async get(id: string): Promise<JobState | null> {
    const stored = this.jobs.get(id);
    if (stored?.state.status === 'completed' || stored?.state.status === 'dead') this.applyRetention(stored.state.queue, Date.now());
    const state = this.jobs.get(id)?.state;
    return state ? { ...state } : null;
  }

  waitForFinished(id: string, signal: AbortSignal): Promise<JobState> {
    const stored = this.jobs.get(id);
    if (!stored) return Promise.reject(new JobNotFoundError(id));
    if (stored.state.status === 'completed' || stored.state.status === 'dead') return Promise.resolve({ ...stored.state });
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<JobState>((resolve, reject) => {
      const listeners = this.listeners.get(id) ?? new Set();
      this.listeners.set(id, listeners);
      const stop = (): void => {
        listeners.delete(done);
        if (listeners.size === 0) this.listeners.delete(id);
        signal.removeEventListener('abort', onAbort);
      };
      const done = (outcome: JobState | Error): void => {
        stop();
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const onAbort = (): void => {
        stop();
        reject(signal.reason);
      };
      listeners.add(done);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async close(): Promise<void> {
    if (this.retentionTimer) clearTimeout(this.retentionTimer);
    this.retentionTimer = null;
    this.retentionTimerAt = Infinity;
  }

  /** The stored job, created from its record if this store has not seen it yet. */
  private entry(queue: string, job: JobRecord): StoredJob {
    let stored = this.jobs.get(job.id);
    if (!stored) {
      stored = {
        state: {
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
        },
        finishedAt: null,
      };
      this.jobs.set(job.id, stored);
    }
    return stored;
  }

  private finish(stored: StoredJob, status: 'completed' | 'dead'): void {
    this.unfinish(stored);
    const now = Date.now();
    stored.finishedAt = now;
    stored.state.finishedAt = new Date(now).toISOString();
    stored.state.runAt = null;
    const lists = this.finished.get(stored.state.queue) ?? { completed: new Set<string>(), dead: new Set<string>() };
    this.finished.set(stored.state.queue, lists);
    lists[status].add(stored.state.id);
    const listeners = this.listeners.get(stored.state.id);
    if (listeners) for (const listener of [...listeners]) listener({ ...stored.state });
    this.applyRetention(stored.state.queue, now);
    this.expireAt(now + this.retention[status].ageMs);
  }

  private unfinish(stored: StoredJob): void {
    const lists = this.finished.get(stored.state.queue);
    lists?.completed.delete(stored.state.id);
    lists?.dead.delete(stored.state.id);
    stored.finishedAt = null;
  }

  private forgetOne(id: string): void {
    const stored = this.jobs.get(id);
    if (!stored) return;
    this.unfinish(stored);
    this.jobs.delete(id);
    const listeners = this.listeners.get(id);
    if (listeners) for (const listener of [...listeners]) listener(new JobNotFoundError(id));
  }

  private applyRetention(queue: string, now: number): void {
    const lists = this.finished.get(queue);
    if (!lists) return;
    for (const kind of ['completed', 'dead'] as const) {
      const rule = this.retention[kind];
      for (const id of lists[kind]) {
        const finishedAt = this.jobs.get(id)?.finishedAt ?? now;
        if (lists[kind].size <= rule.count && now - finishedAt <= rule.ageMs) break;
        this.forgetOne(id);
      }
    }
  }

  /** Makes sure the retention timer fires by `expiry` (epoch ms). */
  private expireAt(expiry: number): void {
    if (expiry >= this.retentionTimerAt || expiry === Infinity) return;
    if (this.retentionTimer) clearTimeout(this.retentionTimer);
    this.retentionTimerAt = expiry;
    // +1: a job is kept while `now - finishedAt <= ageMs`.
    this.retentionTimer = setTimeout(() => this.expireDue(), Math.min(Math.max(expiry - Date.now() + 1, 0), MAX_TIMER_MS));
    this.retentionTimer.unref();
  }

  private expireDue(): void {
    this.retentionTimer = null;
    this.retentionTimerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [queue, lists] of this.finished) {
      this.applyRetention(queue, now);
      for (const kind of ['completed', 'dead'] as const) {
        const oldest = lists[kind].values().next().value;
        const finishedAt = oldest === undefined ? null : this.jobs.get(oldest)?.finishedAt;
        if (finishedAt != null) next = Math.min(next, finishedAt + this.retention[kind].ageMs);
      }
    }
    this.expireAt(next);
  }
}
