import type { JobState } from '../../backend/job-state';
import { JobNotFoundError } from '../../errors';

type Settle = (outcome: JobState | Error) => void;

/** The callers of waitForFinished, by job id: each gets the job's final state, or the error that ended its wait. */
export class FinishWaiters {
  private readonly byId = new Map<string, Set<Settle>>();

  has(id: string): boolean {
    // Nobody waits, most often: no hashing of the id then.
    return this.byId.size > 0 && this.byId.has(id);
  }

  /** Resolves when `finished(id, …)` is called; rejects on `gone(id)`, `closeAll` or when `signal` aborts. */
  wait(id: string, signal: AbortSignal): Promise<JobState> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<JobState>((resolve, reject) => {
      const waiters = this.byId.get(id) ?? new Set<Settle>();
      this.byId.set(id, waiters);
      const stop = (): void => {
        waiters.delete(settle);
        if (waiters.size === 0 && this.byId.get(id) === waiters) this.byId.delete(id);
        signal.removeEventListener('abort', onAbort);
      };
      const settle: Settle = (outcome) => {
        stop();
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const onAbort = (): void => {
        stop();
        reject(signal.reason);
      };
      waiters.add(settle);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Each waiter for `id` gets its own copy of `state`. */
  finished(id: string, state: () => JobState): void {
    const waiters = this.byId.get(id);
    if (waiters) for (const settle of [...waiters]) settle(state());
  }

  /** The job was forgotten before it finished: its waiters could never be answered. */
  gone(id: string): void {
    if (this.byId.size === 0) return;
    const waiters = this.byId.get(id);
    if (waiters) for (const settle of [...waiters]) settle(new JobNotFoundError(id));
  }

  closeAll(reason: Error): void {
    for (const waiters of [...this.byId.values()]) for (const settle of [...waiters]) settle(reason);
  }
}
