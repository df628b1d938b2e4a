import type { RateLimit } from '../../../backend/flow-control';
import type { Delivery } from '../../../backend/job-backend.interface';

/** A fetch of this process that found nothing and waits; it ends with deliveries, [] (aborted, closed) or an error. */
export interface FetchWaiter {
  queue: string;
  max: number;
  leaseMs: number;
  rateLimit: RateLimit | undefined;
  /** FetchOptions.returnOnWake: the first wake that gives it nothing ends its wait with []. */
  returnOnWake: boolean;
  settle(outcome: Delivery[] | Error): void;
}

/** The blocked fetches of one client, oldest first (the first to wait is the first served). */
export class FetchWaiters {
  private readonly waiters: FetchWaiter[] = [];

  get size(): number {
    return this.waiters.length;
  }

  /** Waits until `serve` settles it; an abort of `signal` ends it at once with []. */
  wait(
    queue: string,
    max: number,
    leaseMs: number,
    rateLimit: RateLimit | undefined,
    signal: AbortSignal | undefined,
    returnOnWake = false,
  ): Promise<Delivery[]> {
    return new Promise<Delivery[]>((resolve, reject) => {
      const onAbort = (): void => waiter.settle([]);
      const waiter: FetchWaiter = {
        queue,
        max,
        leaseMs,
        rateLimit,
        returnOnWake,
        settle: (outcome) => {
          this.remove(waiter);
          signal?.removeEventListener('abort', onAbort);
          if (outcome instanceof Error) reject(outcome);
          else resolve(outcome);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** A copy, oldest first, to serve while settling changes the list. */
  list(): FetchWaiter[] {
    return [...this.waiters];
  }

  has(waiter: FetchWaiter): boolean {
    return this.waiters.includes(waiter);
  }

  settleAll(outcome: Delivery[]): void {
    for (const waiter of this.list()) waiter.settle(outcome);
  }

  private remove(waiter: FetchWaiter): void {
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) this.waiters.splice(index, 1);
  }
}
