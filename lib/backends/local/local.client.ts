import { Logger } from '../../logger/logger';
import type {
  BackendCapabilities,
  Delivery,
  FetchOptions,
  JobBackend,
  JobPage,
  ListJobsOptions,
  PublishItem,
  QueueSummary,
} from '../../backend/job-backend.interface';
import type { DeduplicatedPublish, DeduplicationOptions, RateLimit } from '../../backend/flow-control';
import type { DeadLetter, JobFailure, JobProgress, JobState, QueueStats } from '../../backend/job-state';
import { withdrawableOccurrenceIds, type ScheduleRecord } from '../../backend/schedule-record';
import {
  checkOpen,
  checkPriorityAllowed,
  deadLettersDroppedWarning,
  duplicateJobIdError,
  notDeadLettersError,
} from '../../backend/backend-rules';
import { checkQueueName } from '../../backend/queue-name';
import { QUEUE_TYPES, type QueueType } from '../../backend/queue-type';
import { resolveRetention } from '../../backend/retention-options';
import { BackendClosedError, JobNotFoundError, LeaseLostError, QueueNotDeclaredError, QueueTypeMismatchError } from '../../errors';
import { FinishedJobs } from './finished-jobs';
import { checkLocalClientOptions, type LocalClientOptions } from './local-client.options';
import { FileLocalEngine } from './file/file-local.engine';
import { snapshotOf, type LocalJob } from './local-job';
import { listLocalJobs } from './local-job-listing';
import { LocalQueue, type Waiter } from './local-queue';
import { WakeUpTimer } from './wake-up-timer';

/**
 * The embedded backend, nothing to run beside the app. By default its queues live in this process's
 * memory and die with it; with `path` they live in a SQLite file (file/FileLocalEngine): durable, and
 * shared by the processes of one host. Use Redis or RabbitMQ to share queues between hosts.
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
    queueListing: true,
    jobListing: ['waiting', 'delayed', 'active', 'failed', 'completed', 'dead'],
    schedules: true,
    pause: true,
    rateLimit: true,
    deduplication: true,
    progress: true,
  };

  private readonly queues = new Map<string, LocalQueue>();
  /** Every job this client holds, in whatever place; finished ones until retention drops them. */
  private readonly jobs = new Map<string, LocalJob>();
  /** Completed jobs and dead letters, oldest first, with their retention and those waiting for a job to finish. */
  private readonly finished: FinishedJobs<LocalJob, LocalJob>;
  private seq = 0;
  private tokens = 0;
  private closed = false;
  /** Set for the earliest due delayed job across all queues. */
  private readonly delayTimer = new WakeUpTimer(() => this.promoteDue());
  private readonly logger = new Logger('LocalClient');

  /** With `path`, the queues live in that SQLite file and every call goes to this engine instead. */
  private readonly file: FileLocalEngine | null = null;
  /** The file engine's one-transaction complete + fetch; in memory a consumer's complete and fetch are as cheap. */
  readonly completeAndFetch?: JobBackend['completeAndFetch'];

  constructor(options: LocalClientOptions = {}) {
    checkLocalClientOptions(options);
    const retention = resolveRetention('LocalClient', options.retention);
    if (options.path !== undefined) {
      this.file = new FileLocalEngine({
        path: options.path,
        durability: options.durability ?? 'normal',
        driver: options.driver,
        retention,
      });
      this.capabilities = this.file.capabilities;
      this.completeAndFetch = (delivery, result, next) => (this.file as FileLocalEngine).completeAndFetch(delivery, result, next);
    }
    this.finished = new FinishedJobs<LocalJob, LocalJob>({
      retention,
      snapshot: snapshotOf,
      onDropped: (id) => this.jobs.delete(id),
      onDeadDropped: (queue, ids) => this.logger.warn(deadLettersDroppedWarning(queue, ids, retention.dead)),
      // Each job is its own entry, found through `jobs`: no map nor object of FinishedJobs' own per job.
      index: {
        find: (id) => {
          const job = this.jobs.get(id);
          return job !== undefined && (job.status === 'completed' || job.status === 'dead') ? job : undefined;
        },
        enter: (_id, _queue, _kind, job) => job,
        leave: () => undefined,
        idOf: (job) => job.record.id,
        itemOf: (job) => job,
      },
    });
  }

  async declareQueue(queue: string, type: QueueType): Promise<void> {
    if (this.file) return this.file.declareQueue(queue, type);
    this.assertOpen();
    checkQueueName(`${this.name}.declareQueue`, queue);
    const existing = this.queues.get(queue);
    if (existing) {
      if (existing.type !== type) throw new QueueTypeMismatchError(queue, existing.type, type);
      return;
    }
    const q: LocalQueue = new LocalQueue(queue, type, () => this.dispatch(q));
    this.queues.set(queue, q);
  }

  async queueType(queue: string): Promise<QueueType | null> {
    if (this.file) return this.file.queueType(queue);
    this.assertOpen();
    return this.queues.get(queue)?.type ?? null;
  }

  async deleteQueue(queue: string): Promise<void> {
    if (this.file) return this.file.deleteQueue(queue);
    this.assertOpen();
    const q = this.queues.get(queue);
    if (!q) return;
    this.queues.delete(queue);
    q.gateTimer.clear();
    // Its schedules and deduplication keys live on the queue and go with it.
    for (const job of this.jobs.values()) if (job.queue === queue) this.forget(job);
    // Blocked consumers wake empty-handed; their next fetch reports the queue as undeclared.
    for (const waiter of q.waiters.splice(0)) waiter.resolve([]);
    this.armDelayTimer();
  }

  async cleanQueue(queue: string): Promise<number> {
    if (this.file) return this.file.cleanQueue(queue);
    const q = this.queue(queue);
    const removed = [...q.waiting.drain()];
    for (let job = q.delayed.pop(); job; job = q.delayed.pop()) removed.push(job);
    for (const job of removed) this.forget(job);
    // A drain waiting on the paused queue (returnOnWake) hears that it emptied.
    this.dispatch(q);
    return removed.length;
  }

  async countWaiting(queue: string): Promise<number> {
    if (this.file) return this.file.countWaiting(queue);
    return this.queue(queue).waiting.size;
  }

  async publish(queue: string, items: PublishItem[]): Promise<void> {
    if (this.file) return this.file.publish(queue, items);
    const q = this.queue(queue);
    this.enqueue(q, this.admit(q, items));
  }

  /**
   * The batch's jobs, checked and known to the client by id, though in no list yet. Checking and
   * registering each id in one pass finds a duplicate in the batch too, with no set of its own; a bad
   * item unregisters those before it, so the client is left as it was.
   */
  private admit(q: LocalQueue, items: PublishItem[]): LocalJob[] {
    const jobs: LocalJob[] = new Array(items.length);
    const now = Date.now();
    let i = 0;
    try {
      for (; i < items.length; i++) {
        const { job: record, runAt } = items[i];
        checkPriorityAllowed(q.name, q.type, record.priority);
        if (this.current(record.id)) throw duplicateJobIdError(q.name, record.id);
        const isDelayed = runAt !== undefined && runAt > now;
        const job: LocalJob = {
          record: { ...record },
          queue: q.name,
          status: isDelayed ? 'delayed' : 'waiting',
          seq: 0,
          priority: record.priority,
          runAt: isDelayed ? runAt : null,
          result: null,
          error: null,
          startedAt: null,
          finishedAt: null,
          token: null,
          progress: null,
          removed: false,
        };
        this.jobs.set(record.id, job);
        jobs[i] = job;
      }
    } catch (error) {
      while (i-- > 0) this.jobs.delete(jobs[i].record.id);
      throw error;
    }
    return jobs;
  }

  /** Puts admitted jobs in their queue's lists, in the batch's order. */
  private enqueue(q: LocalQueue, jobs: LocalJob[]): void {
    let delayed = false;
    for (const job of jobs) {
      job.seq = this.seq++;
      if (job.runAt !== null) {
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
    if (this.file) return this.file.fetch(queue, max, options);
    const q = this.queue(queue);
    // No lease runs out in-process: a taken job is settled by this process or dies with it.
    const ready = this.take(q, max, options.rateLimit);
    if (ready.length > 0 || !options.wait || options.signal?.aborted) return Promise.resolve(ready.map((job) => this.deliveryOf(job)));
    return new Promise<Delivery[]>((resolve) => {
      const onAbort = (): void => {
        const index = q.waiters.indexOf(waiter);
        if (index >= 0) q.waiters.splice(index, 1);
        waiter.resolve([]);
      };
      const waiter: Waiter = {
        max,
        rateLimit: options.rateLimit,
        returnOnWake: options.returnOnWake,
        resolve: (jobs) => {
          options.signal?.removeEventListener('abort', onAbort);
          resolve(jobs.map((job) => this.deliveryOf(job)));
        },
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      // No timer holds the process for a waiting consumer: only this process can publish to it, so
      // with nothing else alive (a server, a timer) no job could ever come, and the process may exit.
      q.waiters.push(waiter);
      // Jobs may be waiting behind a hold or a full window: the gate timer wakes the waiter when it opens.
      this.armGateTimer(q);
    });
  }

  async extendLease(delivery: Delivery, leaseMs: number): Promise<void> {
    if (this.file) return this.file.extendLease(delivery, leaseMs);
    this.held(delivery);
  }

  async complete(delivery: Delivery, result: unknown): Promise<void> {
    if (this.file) return this.file.complete(delivery, result);
    const { q, job } = this.held(delivery);
    q.activeCount--;
    job.token = null;
    job.status = 'completed';
    job.result = result === undefined ? null : result;
    job.finishedAt = Date.now();
    this.finished.add(q.name, 'completed', job.record.id, job, job.finishedAt);
  }

  async retry(delivery: Delivery, failure: JobFailure, delayMs: number): Promise<void> {
    if (this.file) return this.file.retry(delivery, failure, delayMs);
    const { q, job } = this.held(delivery);
    q.activeCount--;
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
    if (this.file) return this.file.deadLetter(delivery, failure);
    const { q, job } = this.held(delivery);
    q.activeCount--;
    job.token = null;
    job.status = 'dead';
    job.error = failure;
    job.finishedAt = Date.now();
    this.finished.add(q.name, 'dead', job.record.id, job, job.finishedAt);
  }

  async release(delivery: Delivery): Promise<void> {
    if (this.file) return this.file.release(delivery);
    const { q, job } = this.held(delivery);
    q.activeCount--;
    job.token = null;
    job.record.attempt--;
    job.status = job.error ? 'failed' : 'waiting';
    q.waiting.putBack(job);
    this.dispatch(q);
  }

  async getJob(id: string): Promise<JobState | null> {
    if (this.file) return this.file.getJob(id);
    this.assertOpen();
    const job = this.current(id);
    return job ? snapshotOf(job) : null;
  }

  waitForFinished(id: string, signal: AbortSignal): Promise<JobState> {
    if (this.file) return this.file.waitForFinished(id, signal);
    this.assertOpen();
    if (!this.current(id)) return Promise.reject(new JobNotFoundError(id));
    return this.finished.waitFor(id, signal);
  }

  async listDeadLetters(queue: string, limit: number): Promise<DeadLetter[]> {
    if (this.file) return this.file.listDeadLetters(queue, limit);
    this.queue(queue);
    return this.finished
      .list(queue, 'dead')
      .slice(0, limit)
      .map((job) => ({ job: { ...job.record }, error: job.error as JobFailure }));
  }

  async redrive(queue: string, ids?: readonly string[]): Promise<number> {
    if (this.file) return this.file.redrive(queue, ids);
    const q = this.queue(queue);
    // In the order they died, as listDeadLetters lists them.
    const dead = this.finished.list(queue, 'dead');
    let chosen = dead;
    if (ids) {
      const wanted = new Set(ids);
      const missing = [...wanted].filter((id) => !this.finished.has(queue, 'dead', id));
      if (missing.length > 0) throw notDeadLettersError(queue, missing);
      chosen = dead.filter((job) => wanted.has(job.record.id));
    }
    for (const job of chosen) {
      this.finished.remove(job.record.id);
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
    if (this.file) return this.file.purgeDeadLetters(queue);
    this.queue(queue);
    const dead = this.finished.list(queue, 'dead');
    for (const job of dead) this.forget(job);
    return dead.length;
  }

  async queueStats(queue: string): Promise<QueueStats> {
    if (this.file) return this.file.queueStats(queue);
    const q = this.queue(queue);
    const now = Date.now();
    const [completed, dead] = [this.finished.count(queue, 'completed', now), this.finished.count(queue, 'dead', now)];
    return { waiting: q.waiting.size, delayed: q.delayed.size, active: q.activeCount, completed, dead, paused: q.gate.paused };
  }

  async listQueues(): Promise<QueueSummary[]> {
    if (this.file) return this.file.listQueues();
    this.assertOpen();
    return [...this.queues.values()]
      .map(({ name, type }) => ({ name, type }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async listJobs(queue: string, options: ListJobsOptions): Promise<JobPage> {
    if (this.file) return this.file.listJobs(queue, options);
    const q = this.queue(queue);
    const unfinished = [...this.jobs.values()].filter((job) => job.queue === queue && job.status !== 'completed' && job.status !== 'dead');
    // Tokens count up with every take, so theirs is the order the active jobs were taken in.
    const active = unfinished.filter((job) => job.status === 'active').sort((a, b) => Number(a.token) - Number(b.token));
    return listLocalJobs({ type: q.type, unfinished, active, finished: (kind) => this.finished.list(queue, kind) }, options);
  }

  async pauseQueue(queue: string): Promise<void> {
    if (this.file) return this.file.pauseQueue(queue);
    this.queue(queue).gate.paused = true;
  }

  async resumeQueue(queue: string): Promise<void> {
    if (this.file) return this.file.resumeQueue(queue);
    const q = this.queue(queue);
    if (!q.gate.paused) return;
    q.gate.paused = false;
    this.dispatch(q);
  }

  async holdQueue(queue: string, until: number): Promise<void> {
    if (this.file) return this.file.holdQueue(queue, until);
    const q = this.queue(queue);
    q.gate.holdUntil = Math.max(q.gate.holdUntil, until);
    // Waiters now sleep until the later of the hold and their window.
    this.armGateTimer(q);
  }

  async reportProgress(delivery: Delivery, progress: JobProgress): Promise<void> {
    if (this.file) return this.file.reportProgress(delivery, progress);
    const { job } = this.held(delivery);
    // A copy, so the run changing its object afterwards does not change what was reported.
    job.progress = typeof progress === 'number' ? progress : structuredClone(progress);
  }

  async publishDeduplicated(queue: string, item: PublishItem, deduplication: DeduplicationOptions): Promise<DeduplicatedPublish> {
    if (this.file) return this.file.publishDeduplicated(queue, item, deduplication);
    const q = this.queue(queue);
    const { key, ttlMs, replace } = deduplication;
    const now = Date.now();
    const holder = this.dedupHolder(q, key, now);
    if (holder && !replace) return { id: holder.record.id, duplicate: true };
    const admitted = this.admit(q, [item]);
    const replaced = holder && this.withdraw(q, holder.record.id) ? holder.record.id : undefined;
    this.enqueue(q, admitted);
    q.dedup.set(key, { id: item.job.id, takenAt: now, ttlMs });
    return replaced === undefined ? { id: item.job.id, duplicate: false } : { id: item.job.id, duplicate: false, replaced };
  }

  async getSchedule(queue: string, key: string): Promise<ScheduleRecord | null> {
    if (this.file) return this.file.getSchedule(queue, key);
    const record = this.queue(queue).schedules.get(key);
    return record ? structuredClone(record) : null;
  }

  async listSchedules(queue?: string): Promise<ScheduleRecord[]> {
    if (this.file) return this.file.listSchedules(queue);
    this.assertOpen();
    const queues = queue === undefined ? [...this.queues.values()] : [this.queue(queue)];
    return queues
      .flatMap((q) => [...q.schedules.values()])
      .sort((a, b) => byText(a.queue, b.queue) || byText(a.key, b.key))
      .map((record) => structuredClone(record));
  }

  async putSchedule(record: ScheduleRecord, occurrence: PublishItem, expect: number | null, withdrawPrevious: boolean): Promise<boolean> {
    if (this.file) return this.file.putSchedule(record, occurrence, expect, withdrawPrevious);
    const q = this.queue(record.queue);
    const stored = q.schedules.get(record.key);
    if (expect === null ? stored !== undefined : stored?.nextRunAt !== expect) return false;
    // The one check publish could fail on comes first, so a refusal changes nothing.
    checkPriorityAllowed(q.name, q.type, occurrence.job.priority);
    // Withdrawn before the id is looked up: a changed template for the same tick replaces that tick's job.
    if (withdrawPrevious && stored) for (const id of withdrawableOccurrenceIds(stored)) this.withdraw(q, id);
    q.schedules.set(record.key, structuredClone(record));
    // A job with the occurrence's id still held in any state (a redelivered tick, a retained result) is that tick's run.
    if (!this.current(occurrence.job.id)) this.enqueue(q, this.admit(q, [occurrence]));
    return true;
  }

  async deleteSchedule(queue: string, key: string): Promise<boolean> {
    if (this.file) return this.file.deleteSchedule(queue, key);
    const q = this.queue(queue);
    const stored = q.schedules.get(key);
    if (!stored) return false;
    q.schedules.delete(key);
    for (const id of withdrawableOccurrenceIds(stored)) this.withdraw(q, id);
    return true;
  }

  async close(): Promise<void> {
    if (this.file) return this.file.close();
    if (this.closed) return;
    this.closed = true;
    for (const q of this.queues.values()) {
      q.gateTimer.clear();
      for (const waiter of q.waiters.splice(0)) waiter.resolve([]);
    }
    this.delayTimer.clear();
    this.finished.close(new BackendClosedError(this.name));
  }

  private queue(name: string): LocalQueue {
    this.assertOpen();
    const q = this.queues.get(name);
    if (!q) throw new QueueNotDeclaredError(name);
    return q;
  }

  private assertOpen(): void {
    checkOpen(this.name, this.closed);
  }

  /** Takes up to `max` waiting jobs, as many as the queue's pause, hold and (with `rateLimit`) window let out. */
  private take(q: LocalQueue, max: number, rateLimit?: RateLimit): LocalJob[] {
    const out: LocalJob[] = [];
    const now = Date.now();
    const allowed = q.gate.allowance(max, rateLimit, now);
    while (out.length < allowed) {
      const job = q.waiting.take();
      if (!job) break;
      job.status = 'active';
      job.record.attempt++;
      job.startedAt = now;
      // Unique per delivery, which is all a token must be: held() finds the job by id and compares.
      job.token = String(++this.tokens);
      q.activeCount++;
      out.push(job);
    }
    q.gate.took(out.length, rateLimit, now);
    return out;
  }

  private deliveryOf(job: LocalJob): Delivery {
    return { queue: job.queue, job: { ...job.record }, token: job.token as string };
  }

  /**
   * Hands waiting jobs to blocked consumers, oldest waiter first. One whose rate window is full keeps
   * waiting without holding up those behind it (another limit, or none); the gate timer then wakes it.
   */
  private dispatch(q: LocalQueue): void {
    if (this.closed) return;
    const now = Date.now();
    for (let i = 0; i < q.waiters.length && q.waiting.size > 0;) {
      const waiter = q.waiters[i];
      if (q.gate.allowance(waiter.max, waiter.rateLimit, now) === 0) {
        i++;
        continue;
      }
      q.waiters.splice(i, 1);
      waiter.resolve(this.take(q, waiter.max, waiter.rateLimit));
    }
    // Woken with nothing for them: those who asked to hear of any wake (returnOnWake) stop waiting.
    for (let i = 0; i < q.waiters.length;) {
      const waiter = q.waiters[i];
      if (!waiter.returnOnWake) {
        i++;
        continue;
      }
      q.waiters.splice(i, 1);
      waiter.resolve([]);
    }
    this.armGateTimer(q);
  }

  /** Sets the queue's gate timer for the first moment a waiting fetch may take one of its waiting jobs. */
  private armGateTimer(q: LocalQueue): void {
    let at = Infinity;
    if (q.waiting.size > 0 && !this.closed) {
      const now = Date.now();
      for (const waiter of q.waiters) at = Math.min(at, q.gate.opensAt(waiter.rateLimit, now));
    }
    // Publish, release and resume dispatch on their own, so with nothing waiting there is nothing to time.
    q.gateTimer.set(at);
  }

  private held(delivery: Delivery): { q: LocalQueue; job: LocalJob } {
    this.assertOpen();
    const job = this.jobs.get(delivery.job.id);
    // A token is held by one delivery of one job, and only while that job is active.
    const q = job !== undefined && job.token === delivery.token && job.queue === delivery.queue ? this.queues.get(job.queue) : undefined;
    if (q === undefined || job === undefined) throw new LeaseLostError(delivery.queue, delivery.job.id);
    return { q, job };
  }

  /**
   * The unfinished job of this queue holding the deduplication key, if its window is still open. A
   * holder that finished, was dropped or deleted frees the key: checked here, not when it happens.
   */
  private dedupHolder(q: LocalQueue, key: string, now: number): LocalJob | undefined {
    const taken = q.dedup.get(key);
    if (!taken) return undefined;
    const job = taken.ttlMs === undefined || now - taken.takenAt < taken.ttlMs ? this.current(taken.id) : undefined;
    if (job && job.queue === q.name && job.status !== 'completed' && job.status !== 'dead') return job;
    q.dedup.delete(key);
    return undefined;
  }

  /**
   * Takes a job that has not started (waiting or delayed, attempt 0) out of the queue, as if never
   * published: a replaced deduplication holder, a schedule's superseded occurrence. False if it has started or is gone.
   */
  private withdraw(q: LocalQueue, id: string): boolean {
    const job = this.current(id);
    if (!job || job.queue !== q.name || job.record.attempt !== 0) return false;
    if (job.status === 'delayed') {
      if (!q.delayed.remove(job)) return false;
      this.armDelayTimer();
    } else if (job.status !== 'waiting' || !q.waiting.remove(job)) {
      return false;
    }
    this.forget(job);
    return true;
  }

  /** Drops a job from the client and tells anyone waiting for it that it is gone. */
  private forget(job: LocalJob): void {
    // FinishedJobs finds the job through `jobs`: it lets go of it first.
    this.finished.forget(job.record.id);
    this.jobs.delete(job.record.id);
  }

  /** The job with this id, unless retention should have dropped it by now (then it is dropped). */
  private current(id: string): LocalJob | undefined {
    const job = this.jobs.get(id);
    // Only a finished job can have outlived its retention (a new id, most often, is not held at all).
    if (job === undefined || (job.status !== 'completed' && job.status !== 'dead')) return job;
    this.finished.refresh(id);
    return this.jobs.get(id);
  }

  /** Sets the delay timer for the earliest due delayed job across all queues; it sleeps until then. */
  private armDelayTimer(): void {
    let earliest = Infinity;
    for (const q of this.queues.values()) earliest = Math.min(earliest, q.delayed.peek()?.runAt ?? Infinity);
    this.delayTimer.set(earliest);
  }

  private promoteDue(): void {
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

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
