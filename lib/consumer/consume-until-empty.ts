import type { JobBackend } from '../backend/job-backend.interface';
import { TransientBackendError } from '../errors/transient-backend.error';
import type { Logger } from '../logger/logger';

/**
 * One pass of the worker in drain mode: takes without waiting (with `waitForWake`, its first fetch waits
 * until the backend wakes it), resolves with how many it settled once nothing runs.
 */
export type DrainPass = (waitForWake: boolean) => Promise<number>;

/**
 * consumeUntilEmpty: drains the queue in passes until one ends with no job waiting. A pass ends when a
 * fetch that does not wait finds nothing it may take; jobs still waiting then mean the queue is paused,
 * held or at a rate limit, perhaps by another process this consumer is not told about, not that it is
 * empty. So it says so once and runs the next pass behind a fetch that waits for the backend's wake — a
 * resume or publish (pushed), or a hold's or window's end (a known time) — and returns at the first one
 * (FetchOptions.returnOnWake), so the drain asks again and ends if others emptied the queue meanwhile.
 * Nothing is looked at on a clock of its own.
 */
export class ConsumeUntilEmpty {
  private stopped = false;

  constructor(
    private readonly backend: JobBackend,
    private readonly queue: string,
    private readonly logger: Logger,
  ) {}

  /** Runs passes until the queue has no waiting job or stop() was called; resolves with the jobs settled. */
  async run(pass: DrainPass): Promise<number> {
    let settled = 0;
    let waitForWake = false;
    for (;;) {
      settled += await pass(waitForWake);
      if (this.stopped) return settled;
      const waiting = await this.waitingAfterPass();
      if (waiting === 0 || this.stopped) return settled;
      if (!waitForWake) {
        waitForWake = true;
        this.logger.warn(
          `consumeUntilEmpty on "${this.queue}": ${waiting} job(s) wait but none can be taken — the queue is paused, ` +
            'held or at its rate limit (perhaps by another process); waiting until they can be, or until stop()',
        );
      }
    }
  }

  /**
   * Jobs still waiting after a pass that took none. The pass found nothing to take, so a backend that
   * cannot answer now counts as empty: the drain ends with what it settled, as it did before it asked,
   * rather than rejecting once its work is done.
   */
  private async waitingAfterPass(): Promise<number> {
    try {
      return await this.backend.countWaiting(this.queue);
    } catch (err) {
      if (!(err instanceof TransientBackendError)) throw err;
      this.logger.warn(`consumeUntilEmpty on "${this.queue}": could not count the jobs still waiting (${err.message}); ending the drain`);
      return 0;
    }
  }

  /** Ends the run after the pass under way (which the worker's own stop ends, its waiting fetch too). */
  stop(): void {
    this.stopped = true;
  }
}
