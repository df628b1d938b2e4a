/** What it logs through: the worker's logger. */
interface RunLogger {
  warn(message: string): void;
  error(message: string): void;
}

/**
 * The runs a worker gave up on: they timed out, ignored their AbortSignal through the grace period,
 * and their slot was given back. They may still be going (JavaScript cannot stop a promise), so they
 * are counted until they return; at `max` the worker stops taking jobs, since each one still holds
 * memory and whatever it was waiting on.
 */
export class AbandonedRuns {
  private running = 0;
  /** Whether the worker was told (and logged) that it is full, so it says so once per episode. */
  private reportedFull = false;

  constructor(
    private readonly max: number,
    private readonly queue: string,
    private readonly logger: RunLogger,
    /** Called when an abandoned run returns: the worker may take jobs again. */
    private readonly onReturn: () => void,
  ) {}

  /** Abandoned runs that have not returned yet. */
  get count(): number {
    return this.running;
  }

  get isFull(): boolean {
    return this.running >= this.max;
  }

  /** Counts the run of `jobId` until `ended` resolves, and says what it means. */
  add(jobId: string, timeoutMs: number, graceMs: number, ended: Promise<void>, timedOutAt: number): void {
    this.running++;
    this.logger.warn(
      `the run of job ${jobId} on queue "${this.queue}" ignored its abort signal for ${graceMs} ms after its timeout of ${timeoutMs} ms: ` +
        `abandoned — its concurrency slot is given back and anything it returns is ignored (its job failed with JobTimeoutError); ` +
        `${this.running} abandoned run(s) still going — make run stop when context.signal aborts`,
    );
    void ended.then(() => {
      this.running--;
      this.logger.warn(`the abandoned run of job ${jobId} on queue "${this.queue}" returned ${Date.now() - timedOutAt} ms after its timeout; its outcome is ignored`);
      if (this.running < this.max) this.reportedFull = false;
      this.onReturn();
    });
  }

  /** Reports, once until it is no longer full, that the worker stops taking jobs. */
  reportFull(): void {
    if (this.reportedFull) return;
    this.reportedFull = true;
    this.logger.error(
      `${this.running} abandoned runs on queue "${this.queue}" are still going (maxAbandonedRuns: ${this.max}): this consumer takes no more jobs ` +
        'until one of them returns, so a handler that hangs cannot pile up runs without end; the jobs wait in the queue for other consumers',
    );
  }
}
