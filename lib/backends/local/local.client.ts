import { Logger } from '../../logger/logger';
import type { BackendCapabilities, Delivery, FetchOptions, JobBackend, PublishItem } from '../../backend/job-backend.interface';
import type { DeadLetter, JobFailure, JobState, QueueStats } from '../../backend/job-state';
import { checkQueueName } from '../../backend/queue-name';
import { QUEUE_TYPES, type QueueType } from '../../backend/queue-type';
import { resolveRetention, type ResolvedRetention, type RetentionRule } from '../../backend/retention-options';
import { BackendClosedError, InvalidOptionError, JobNotFoundError, LeaseLostError, QueueNotDeclaredError, QueueTypeMismatchError } from '../../errors';
import type { LocalClientOptions } from './local-client.options';
import { snapshotOf, type LocalJob } from './local-job';
import { LocalQueue, type Waiter } from './local-queue';

/** setTimeout's ceiling; a later due time is reached in more than one hop. */
/** The longest delay setTimeout takes; longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The embedded backend: queues in this process's memory, nothing to install. Fast and exact, but its
 * jobs live and die with the process — use Redis or RabbitMQ when jobs must survive a restart or be
 * shared between processes.
 */
export class LocalClient implements JobBackend {
  readonly name = 'LocalClient';
  readonly capabilities: BackendCapabilities = {
    queueTypes: QUEUE_TYPES,
    leases: false,
    priorityRange: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    jobState: true,
    sharedJobState: false,
    uniqueJobIds: true,
    releaseKeepsOrder: true,
  };

  private readonly queues = new Map<string, LocalQueue>();
  private readonly jobs = new Map<string, LocalJob>();
  /** waitForFinished callers by job id; they get the final state, or the error that ended their wait. */
  private readonly finishListeners = new Map<string, Set<(outcome: JobState | Error) => void>>();
  private readonly retention: ResolvedRetention;
  private seq = 0;
  private tokens = 0;
  private closed = false;
  private delayTimer: NodeJS.Timeout | null = null;
  private delayTimerAt = Infinity;
  /**
   * One timer for the earliest moment a finished job outlives its `ageMs`, so an idle queue frees its
   * expired jobs too; reads prune on their own, so they never see one the timer has not reached yet.
   */
  private retentionTimer: NodeJS.Timeout | null = null;
  private retentionTimerAt = Infinity;
  private readonly logger = new Logger('LocalClient');

  constructor(options: LocalClientOptions = {}) {
    this.retention = resolveRetention('LocalClient', options.retention);
  }

  async declareQueue(queue: string, type: QueueType): Promise<void> {
    this.assertOpen();
    checkQueueName(`${this.name}.declareQueue`, queue);
    const existing = this.queues.get(queue);
    if (existing) {
      if (existing.type !== type) throw new QueueTypeMismatchError(queue, existing.type, type);
      return;
    }
    this.queues.set(queue, new LocalQueue(queue, type));
  }

  async queueType(queue: string): Promise<QueueType | null> {
    this.assertOpen();
    return this.queues.get(queue)?.type ?? null;
  }

  async deleteQueue(queue: string): Promise<void> {
    this.assertOpen();
    const q = this.queues.get(queue);
    if (!q) return;
    this.queues.delete(queue);
    for (const job of this.jobs.values()) if (job.queue === queue) this.forget(job);
    // Blocked consumers wake empty-handed; their next fetch reports the queue as undeclared.
    for (const waiter of q.waiters.splice(0)) waiter.resolve([]);
    this.armDelayTimer();
  }

  async cleanQueue(queue: string): Promise<number> {
    const q = this.queue(queue);
    const removed = [...q.waiting.drain()];
    for (let job = q.delayed.pop(); job; job = q.delayed.pop()) removed.push(job);
    for (const job of removed) this.forget(job);
    return removed.length;
  }

  async countWaiting(queue: string): Promise<number> {
    return this.queue(queue).waiting.size;
  }

  async publish(queue: string, items: PublishItem[]): Promise<void> {
    const q = this.queue(queue);
    // Check the whole batch before touching anything, so a bad item leaves the queue as it was.
    const ids = new Set<string>();
    for (const { job } of items) {
      if (job.priority !== 0 && q.type !== 'priority') {
        throw new InvalidOptionError(`publish to "${queue}"`, 'priority', `is only meaningful on a priority queue; "${queue}" is ${q.type}`);
      }
      if (this.isKnown(job.id) || ids.has(job.id)) {
        throw new InvalidOptionError(`publish to "${queue}"`, 'job.id', `${job.id} is already known to this backend — publish a new job (jobFromSchema) instead of the same one twice`);
      }
      ids.add(job.id);
    }
    const now = Date.now();
    let delayed = false;
    for (const { job: record, runAt } of items) {
      const isDelayed = runAt !== undefined && runAt > now;
      const job: LocalJob = {
        record: { ...record },
        queue,
        status: isDelayed ? 'delayed' : 'waiting',
        seq: this.seq++,
        priority: record.priority,
        runAt: isDelayed ? runAt : null,
        result: null,
        error: null,
        startedAt: null,
        finishedAt: null,
        token: null,
      };
      this.jobs.set(record.id, job);
      if (isDelayed) {
        q.delayed.push(job);
        delayed = true;
      } else {
        q.waiting.push(job);
      }
    }
    if (delayed) this.armDelayTimer();
    this.dispatch(q);
  }

  fetch(queue: string, max: number, options: FetchOptions): Promise<Delivery[]> {
    const q = this.queue(queue);
    // No lease runs out in-process: a taken job is settled by this process or dies with it.
    const ready = this.take(q, max);
    if (ready.length > 0 || !options.wait || options.signal?.aborted) return Promise.resolve(ready.map((job) => this.deliveryOf(job)));
    return new Promise<Delivery[]>((resolve) => {
      const onAbort = (): void => {
        const index = q.waiters.indexOf(waiter);
        if (index >= 0) q.waiters.splice(index, 1);
        waiter.resolve([]);
      };
      const waiter: Waiter = {
        max,
        resolve: (jobs) => {
          options.signal?.removeEventListener('abort', onAbort);
          resolve(jobs.map((job) => this.deliveryOf(job)));
        },
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      // No timer holds the process for a waiting consumer: only this process can publish to it, so
      // with nothing else alive (a server, a timer) no job could ever come, and the process may exit.
      q.waiters.push(waiter);
    });
  }

  async extendLease(delivery: Delivery): Promise<void> {
    this.held(delivery);
  }

  async complete(delivery: Delivery, result: unknown): Promise<void> {
    const { q, job } = this.held(delivery);
    q.active.delete(job.record.id);
    job.token = null;
    job.status = 'completed';
    job.result = result === undefined ? null : result;
    job.finishedAt = Date.now();
    q.completed.push(job);
    this.applyRetention(q, job.finishedAt);
    this.expireAt(job.finishedAt + this.retention.completed.ageMs);
    this.notifyFinished(job);
  }

  async retry(delivery: Delivery, failure: JobFailure, delayMs: number): Promise<void> {
    const { q, job } = this.held(delivery);
    q.active.delete(job.record.id);
    job.token = null;
    job.status = 'failed';
    job.error = failure;
    job.seq = this.seq++;
    if (delayMs > 0) {
      job.runAt = Date.now() + delayMs;
      q.delayed.push(job);
      this.armDelayTimer();
    } else {
      q.waiting.push(job);
      this.dispatch(q);
    }
  }

  async deadLetter(delivery: Delivery, failure: JobFailure): Promise<void> {
    const { q, job } = this.held(delivery);
    q.active.delete(job.record.id);
    job.token = null;
    job.status = 'dead';
    job.error = failure;
    job.finishedAt = Date.now();
    q.dead.set(job.record.id, job);
    this.applyRetention(q, job.finishedAt);
    this.expireAt(job.finishedAt + this.retention.dead.ageMs);
    this.notifyFinished(job);
  }

  async release(delivery: Delivery): Promise<void> {
    const { q, job } = this.held(delivery);
    q.active.delete(job.record.id);
    job.token = null;
    job.record.attempt--;
    job.status = job.error ? 'failed' : 'waiting';
    q.waiting.putBack(job);
    this.dispatch(q);
  }

  async getJob(id: string): Promise<JobState | null> {
    this.assertOpen();
    const job = this.current(id);
    return job ? snapshotOf(job) : null;
  }

  waitForFinished(id: string, signal: AbortSignal): Promise<JobState> {
    this.assertOpen();
    const job = this.current(id);
    if (!job) return Promise.reject(new JobNotFoundError(id));
    if (job.status === 'completed' || job.status === 'dead') return Promise.resolve(snapshotOf(job));
    return new Promise<JobState>((resolve, reject) => {
      const listeners = this.finishListeners.get(id) ?? new Set();
      this.finishListeners.set(id, listeners);
      const done = (outcome: JobState | Error): void => {
        listeners.delete(done);
        if (listeners.size === 0) this.finishListeners.delete(id);
        signal.removeEventListener('abort', onAbort);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const onAbort = (): void => {
        listeners.delete(done);
        if (listeners.size === 0) this.finishListeners.delete(id);
        reject(signal.reason);
      };
      listeners.add(done);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async listDeadLetters(queue: string, limit: number): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    const q = this.queue(queue);
    this.applyRetention(q, Date.now());
    for (const job of q.dead.values()) {
      if (out.length >= limit) break;
      out.push({ job: { ...job.record }, error: job.error as JobFailure });
    }
    return out;
  }

  async redrive(queue: string, ids?: readonly string[]): Promise<number> {
    const q = this.queue(queue);
    const chosen = [...new Set(ids ?? q.dead.keys())];
    const missing = chosen.filter((id) => !q.dead.has(id));
    if (missing.length > 0) {
      throw new InvalidOptionError(`redrive on "${queue}"`, 'ids', `names jobs that are not in its dead-letter queue: ${missing.join(', ')}`);
    }
    for (const id of chosen) {
      const job = q.dead.get(id) as LocalJob;
      q.dead.delete(id);
      job.record.attempt = 0;
      job.status = 'waiting';
      job.error = null;
      job.result = null;
      job.startedAt = null;
      job.finishedAt = null;
      job.seq = this.seq++;
      q.waiting.push(job);
    }
    this.dispatch(q);
    return chosen.length;
  }

  async purgeDeadLetters(queue: string): Promise<number> {
    const q = this.queue(queue);
    const count = q.dead.size;
    for (const job of [...q.dead.values()]) this.forget(job);
    return count;
  }

  async queueStats(queue: string): Promise<QueueStats> {
    const q = this.queue(queue);
    this.applyRetention(q, Date.now());
    return { waiting: q.waiting.size, delayed: q.delayed.size, active: q.active.size, completed: q.completed.size, dead: q.dead.size };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const q of this.queues.values()) for (const waiter of q.waiters.splice(0)) waiter.resolve([]);
    if (this.delayTimer) clearTimeout(this.delayTimer);
    this.delayTimer = null;
    if (this.retentionTimer) clearTimeout(this.retentionTimer);
    this.retentionTimer = null;
    for (const listeners of [...this.finishListeners.values()]) for (const listener of [...listeners]) listener(new BackendClosedError(this.name));
  }

  private queue(name: string): LocalQueue {
    this.assertOpen();
    const q = this.queues.get(name);
    if (!q) throw new QueueNotDeclaredError(name);
    return q;
  }

  private assertOpen(): void {
    if (this.closed) throw new BackendClosedError(this.name);
  }

  private take(q: LocalQueue, max: number): LocalJob[] {
    const out: LocalJob[] = [];
    const now = Date.now();
    while (out.length < max) {
      const job = q.waiting.take();
      if (!job) break;
      job.status = 'active';
      job.record.attempt++;
      job.startedAt = now;
      // Unique per delivery, which is all a token must be: held() finds the job by id and compares.
      job.token = String(++this.tokens);
      q.active.set(job.record.id, job);
      out.push(job);
    }
    return out;
  }

  private deliveryOf(job: LocalJob): Delivery {
    return { queue: job.queue, job: { ...job.record }, token: job.token as string };
  }

  /** Hands waiting jobs to blocked consumers, oldest waiter first. */
  private dispatch(q: LocalQueue): void {
    while (q.waiters.length > 0 && q.waiting.size > 0) {
      const waiter = q.waiters.shift() as Waiter;
      waiter.resolve(this.take(q, waiter.max));
    }
  }

  private held(delivery: Delivery): { q: LocalQueue; job: LocalJob } {
    this.assertOpen();
    const q = this.queues.get(delivery.queue);
    const job = q?.active.get(delivery.job.id);
    if (!q || !job || job.token !== delivery.token) throw new LeaseLostError(delivery.queue, delivery.job.id);
    return { q, job };
  }

  /** Drops a job from the store and tells anyone waiting for it that it is gone. */
  private forget(job: LocalJob): void {
    this.jobs.delete(job.record.id);
    this.queues.get(job.queue)?.dead.delete(job.record.id);
    const listeners = this.finishListeners.get(job.record.id);
    if (listeners) for (const listener of [...listeners]) listener(new JobNotFoundError(job.record.id));
  }

  private notifyFinished(job: LocalJob): void {
    const listeners = this.finishListeners.get(job.record.id);
    if (!listeners) return;
    const state = snapshotOf(job);
    for (const listener of [...listeners]) listener(state);
  }

  /** The job with this id, unless retention should have dropped it by now (then it is dropped). */
  private current(id: string): LocalJob | undefined {
    const job = this.jobs.get(id);
    if (job && (job.status === 'completed' || job.status === 'dead')) {
      const q = this.queues.get(job.queue);
      if (q) this.applyRetention(q, Date.now());
      return this.jobs.get(id);
    }
    return job;
  }

  private isKnown(id: string): boolean {
    return this.current(id) !== undefined;
  }

  /** Drops the finished jobs of `q` that the retention rules no longer keep at `now`, oldest first. */
  private applyRetention(q: LocalQueue, now: number): void {
    const { completed, dead } = this.retention;
    for (;;) {
      const oldest = q.completed.peek();
      if (!oldest || (q.completed.size <= completed.count && now - (oldest.finishedAt as number) <= completed.ageMs)) break;
      q.completed.take();
      if (this.jobs.get(oldest.record.id) === oldest) this.forget(oldest);
    }
    if (q.dead.size === 0) return;
    const evicted: string[] = [];
    for (const oldest of q.dead.values()) {
      if (q.dead.size <= dead.count && now - (oldest.finishedAt as number) <= dead.ageMs) break;
      evicted.push(oldest.record.id);
      this.forget(oldest);
    }
    // A dead letter is a job that never completed: dropping one must not go unnoticed.
    if (evicted.length > 0) {
      this.logger.warn(
        `Retention dropped ${evicted.length} dead letter(s) of queue "${q.name}" (retention.dead keeps ${ruleText(dead)}): ` +
          `${evicted.slice(0, 3).join(', ')}${evicted.length > 3 ? ', …' : ''} — raise retention.dead, or redrive or purge dead letters sooner`,
      );
    }
  }

  /** Makes sure the retention timer fires by `expiry` (epoch ms) to drop what expires then. */
  private expireAt(expiry: number): void {
    if (expiry >= this.retentionTimerAt || expiry === Infinity || this.closed) return;
    if (this.retentionTimer) clearTimeout(this.retentionTimer);
    this.retentionTimerAt = expiry;
    // +1: a job is kept while `now - finishedAt <= ageMs`, so it is gone one millisecond later.
    this.retentionTimer = setTimeout(() => this.expireDue(), Math.min(Math.max(expiry - Date.now() + 1, 0), MAX_TIMER_MS));
    this.retentionTimer.unref();
  }

  private expireDue(): void {
    this.retentionTimer = null;
    this.retentionTimerAt = Infinity;
    const now = Date.now();
    const { completed, dead } = this.retention;
    let next = Infinity;
    for (const q of this.queues.values()) {
      this.applyRetention(q, now);
      const oldestCompleted = q.completed.peek()?.finishedAt;
      if (oldestCompleted != null) next = Math.min(next, oldestCompleted + completed.ageMs);
      const oldestDead = q.dead.values().next().value?.finishedAt;
      if (oldestDead != null) next = Math.min(next, oldestDead + dead.ageMs);
    }
    this.expireAt(next);
  }

  /** One timer for the earliest due delayed job across all queues; it sleeps until then. */
  private armDelayTimer(): void {
    let earliest = Infinity;
    for (const q of this.queues.values()) earliest = Math.min(earliest, q.delayed.peek()?.runAt ?? Infinity);
    if (earliest === this.delayTimerAt && this.delayTimer) return;
    if (this.delayTimer) clearTimeout(this.delayTimer);
    this.delayTimer = null;
    this.delayTimerAt = earliest;
    if (earliest === Infinity || this.closed) return;
    this.delayTimer = setTimeout(() => this.promoteDue(), Math.min(Math.max(earliest - Date.now(), 0), MAX_TIMER_MS));
    this.delayTimer.unref();
  }

  private promoteDue(): void {
    this.delayTimer = null;
    this.delayTimerAt = Infinity;
    const now = Date.now();
    for (const q of this.queues.values()) {
      let promoted = false;
      for (let next = q.delayed.peek(); next && (next.runAt as number) <= now; next = q.delayed.peek()) {
        q.delayed.pop();
        next.runAt = null;
        if (next.status === 'delayed') next.status = 'waiting';
        next.seq = this.seq++;
        q.waiting.push(next);
        promoted = true;
      }
      if (promoted) this.dispatch(q);
    }
    this.armDelayTimer();
  }
}

/** A retention rule in words, for the warning that a dead letter was dropped. */
function ruleText({ count, ageMs }: Required<RetentionRule>): string {
  const parts = [Number.isFinite(count) ? `the newest ${count}` : 'any number', Number.isFinite(ageMs) ? `for ${ageMs} ms` : 'for ever'];
  return parts.join(' ');
}
