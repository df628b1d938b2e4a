import { JobTimeoutError } from '../errors';
import type { HeldJob, Overrun } from './held-job';

/**
 * The run's outcome, or JobTimeoutError once `timeout` passes: then the run's signal aborts and
 * `job.overrun` tracks the run until it returns (its late outcome is ignored).
 */
export function withinTimeout(queue: string, job: HeldJob, run: PromiseLike<unknown>, timeout: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let overrunEnded = noop;
    const timer = setTimeout(() => {
      let end = noop;
      const overrun: Overrun = { timedOutAt: Date.now(), ended: new Promise<void>((r) => (end = r)), returned: false, failing: null };
      overrunEnded = () => {
        overrun.returned = true;
        end();
      };
      job.overrun = overrun;
      const error = new JobTimeoutError(queue, job.delivery.job.id, timeout);
      job.abort(error);
      reject(error);
    }, timeout);
    const ended = (outcome: () => void): void => {
      clearTimeout(timer);
      if (job.overrun) overrunEnded();
      else outcome();
    };
    run.then(
      (value) => ended(() => resolve(value)),
      (err: unknown) => ended(() => reject(err)),
    );
  });
}

/** Whether `ended` resolves within `ms` (at once if it already has, or when `ms` is not positive). */
export function endsWithin(ended: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(ms, 0));
    // Bounded by timeoutGrace; must not keep a process that has nothing else to do alive.
    timer.unref();
    void ended.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function noop(): void {}
