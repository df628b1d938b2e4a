import type { Logger } from '../logger/logger';
import type { HeldJob, Overrun } from './held-job';
import type { HeldJobs } from './held-jobs';

/**
 * The runs a worker gave up on: they timed out, ignored their AbortSignal through the grace period,
 * and their slot was given back. They may still be going (JavaScript cannot stop a promise), so their
 * jobs stay `abandoned` until they return; at `max` the worker stops taking jobs, since each one still
 * holds memory and whatever it was waiting on.
 */
export class AbandonedRuns {
  /** Whether the worker was told (and logged) that it is full, so it says so once per episode. */
  private reportedFull = false;

  constructor(
    private readonly max: number,
    private readonly queue: string,
    private readonly logger: Pick<Logger, 'warn' | 'error'>,
    private readonly jobs: HeldJobs,
  ) {}

  /** Abandoned runs that have not returned yet. */
  get count(): number {
    return this.jobs.abandoned;
  }

  get isFull(): boolean {
    return this.count >= this.max;
  }

  /** Gives up on the run of `job` until it returns, and says what that means. */
  abandon(job: HeldJob, overrun: Overrun, timeoutMs: number, graceMs: number): void {
    const jobId = job.delivery.job.id;
    this.jobs.move(job, 'abandoned');
    this.logger.warn(
      `the run of job ${jobId} on queue "${this.queue}" ignored its abort signal for ${graceMs} ms after its timeout of ${timeoutMs} ms: ` +
        `abandoned — its concurrency slot is given back and anything it returns is ignored (its job failed with JobTimeoutError); ` +
        `${this.count} abandoned run(s) still going — make run stop when context.signal aborts`,
    );
    void overrun.ended.then(() => {
      this.jobs.move(job, 'done');
      this.logger.warn(
        `the abandoned run of job ${jobId} on queue "${this.queue}" returned ${Date.now() - overrun.timedOutAt} ms after its timeout; its outcome is ignored`,
      );
      if (!this.isFull) this.reportedFull = false;
    });
  }

  /** Reports, once until it is no longer full, that the worker stops taking jobs. */
  reportFull(): void {
    if (this.reportedFull) return;
    this.reportedFull = true;
    this.logger.error(
      `${this.count} abandoned runs on queue "${this.queue}" are still going (maxAbandonedRuns: ${this.max}): this consumer takes no more jobs ` +
        'until one of them returns, so a handler that hangs cannot pile up runs without end; the jobs wait in the queue for other consumers',
    );
  }
}
