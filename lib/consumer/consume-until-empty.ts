import type { JobBackend } from '../backend/job-backend.interface';
import type { Logger } from '../logger/logger';

/** The first and the longest wait before looking again at a queue whose waiting jobs cannot be taken. */
const FIRST_LOOK_MS = 50;
const LONGEST_LOOK_MS = 1000;

/** One pass of the worker in drain mode: takes without waiting, resolves with how many it settled once nothing runs. */
export type DrainPass = () => Promise<number>;

/**
 * consumeUntilEmpty: drains the queue in passes until one ends with no job waiting. A pass ends when a
 * fetch that does not wait finds nothing it may take; jobs still waiting then mean the queue is paused,
 * held or at a rate limit, perhaps by another process this consumer is not told about, not that it is
 * empty. So it says so once and looks again (soon, then at most every second) until the jobs can be
 * taken, others took them, or stop() is called. Waiting here is a drain helper's look, not the consume
 * path: consume() itself still blocks without polling.
 */
export class ConsumeUntilEmpty {
  private stopped = false;
  private readonly stopping = new AbortController();

  constructor(
    private readonly backend: JobBackend,
    private readonly queue: string,
    private readonly logger: Logger,
  ) {}

  /** Runs passes until the queue has no waiting job or stop() was called; resolves with the jobs settled. */
  async run(pass: DrainPass): Promise<number> {
    let settled = 0;
    let look = FIRST_LOOK_MS;
    let told = false;
    for (;;) {
      const took = await pass();
      settled += took;
      if (this.stopped) return settled;
      const waiting = await this.backend.countWaiting(this.queue);
      if (waiting === 0 || this.stopped) return settled;
      if (!told) {
        told = true;
        this.logger.warn(
          `consumeUntilEmpty on "${this.queue}": ${waiting} job(s) wait but none can be taken — the queue is paused, ` +
            'held or at its rate limit (perhaps by another process); waiting until they can be, or until stop()',
        );
      }
      look = took > 0 ? FIRST_LOOK_MS : look;
      await sleep(look, this.stopping.signal);
      look = Math.min(look * 2, LONGEST_LOOK_MS);
    }
  }

  /** Ends the run after the pass under way (which the worker's own stop ends). */
  stop(): void {
    this.stopped = true;
    this.stopping.abort();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
