import type { Delivery, JobBackend } from '../backend/job-backend.interface';
import { LeaseLostError } from '../errors';
import type { Logger } from '../logger/logger';
import type { JobEventMap, JobEvents, JobEventType } from '../orchestrator/job-events';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import type { HeldJob } from './held-job';
import { failureOf } from '../backend/job-failure';

/**
 * Tells the backend what became of a job — failed (retried after its backoff, or dead-lettered) or
 * given back — and emits the matching events. A settle the backend refuses is logged, never thrown:
 * the backend hands the job out again.
 */
export class JobSettler {
  constructor(
    private readonly backend: JobBackend,
    private readonly queue: string,
    private readonly options: { readonly attempts: number; readonly backoff: BackoffOptions },
    private readonly logger: Logger,
    /** The consumer's own events, then the orchestrator's. */
    private readonly events: readonly [JobEvents, JobEvents],
  ) {}

  /**
   * Fails the attempt: dead-letters the job when it is `unrecoverable` or out of attempts, else retries
   * it after its backoff, or after `delayMs` when given (a RateLimitedError's wait).
   */
  async fail(job: HeldJob, error: unknown, unrecoverable: boolean, delayMs?: number): Promise<void> {
    const { delivery } = job;
    const failure = failureOf(error, delivery.job.attempt);
    this.emit('failed', { queue: this.queue, job: delivery.job, error: failure });
    if (unrecoverable || delivery.job.attempt >= this.options.attempts) {
      if (await this.settle(job, () => this.backend.deadLetter(delivery, failure))) {
        this.emit('dead', { queue: this.queue, job: delivery.job, error: failure });
      }
      return;
    }
    const wait = delayMs ?? this.retryDelay(delivery, error);
    if (await this.settle(job, () => this.backend.retry(delivery, failure, wait))) {
      this.emit('retrying', { queue: this.queue, job: delivery.job, error: failure, delayMs: wait });
    }
  }

  /** Gives the job back to its queue untouched (its attempt not counted). */
  async release(job: HeldJob): Promise<void> {
    await this.settle(job, () => this.backend.release(job.delivery));
  }

  /** A settle the backend refused: it will hand the job out again. */
  settleFailed(job: HeldJob, err: unknown): void {
    // Reported when the lease was lost.
    if (job.state === 'lost') return;
    const { delivery } = job;
    if (err instanceof LeaseLostError) {
      this.logger.error(`${err.message} — it will be delivered again`);
      return;
    }
    this.logger.error(
      `could not settle job ${delivery.job.id} on queue "${this.queue}": ${(err as Error).message} — it will be delivered again`,
    );
  }

  /** Whether the consumer's or the orchestrator's events have a listener for `type`. */
  listened(type: JobEventType): boolean {
    return this.events[0].has(type) || this.events[1].has(type);
  }

  emit<K extends JobEventType>(type: K, event: JobEventMap[K]): void {
    this.events[0].emit(type, event);
    this.events[1].emit(type, event);
  }

  private async settle(job: HeldJob, step: () => Promise<void>): Promise<boolean> {
    try {
      await step();
      return true;
    } catch (err) {
      this.settleFailed(job, err);
      return false;
    }
  }

  /**
   * The wait before a retry. A backoff function that throws is a bug in the consumer, not in the job:
   * like Sidekiq's `retry_in`, the job keeps its remaining attempts under the default backoff, and
   * the error is logged — it must never leave the job unsettled.
   */
  private retryDelay(delivery: Delivery, error: unknown): number {
    const attempt = delivery.job.attempt;
    try {
      return backoffDelay(this.options.backoff, attempt, error);
    } catch (thrown) {
      const delayMs = backoffDelay(DEFAULT_BACKOFF, attempt, error);
      const why = thrown instanceof Error ? thrown.message : String(thrown);
      this.logger.error(
        `the backoff function of the consumer of queue "${this.queue}" threw for job ${delivery.job.id} (attempt ${attempt}): ${why}; ` +
          `retrying the job after the default backoff (${delayMs} ms) instead — fix the backoff function`,
      );
      return delayMs;
    }
  }
}
