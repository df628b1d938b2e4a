import type { Logger } from '../logger/logger';
import type { Delivery, JobBackend } from '../backend/job-backend.interface';
import { LeaseLostError } from '../errors';

/** Told when the backend says a held delivery is no longer ours: nothing done with it can be settled now. */
export type LeaseLostHandler = (delivery: Delivery, error: LeaseLostError) => void;

/**
 * Keeps the leases of every job a worker holds — prefetched, running or being settled — alive with
 * one timer for all of them, rather than a timer per job. A held job is extended at least every
 * `leaseMs / 3`, so it never comes near its deadline while its worker is alive. The timer runs only
 * while something is held.
 *
 * An extension refused with LeaseLostError (the lease ran out while the process was stalled, or the
 * job was taken from us) stops keeping that job and tells `onLost` once; any other error is a
 * connection problem, logged, and the next round tries again.
 */
export class LeaseKeeper {
  private readonly held = new Set<Delivery>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly backend: JobBackend,
    private readonly leaseMs: number,
    private readonly logger: Logger,
    private readonly onLost: LeaseLostHandler = () => {},
  ) {}

  hold(delivery: Delivery): void {
    if (!this.backend.capabilities.leases) return;
    this.held.add(delivery);
    if (!this.timer) {
      this.timer = setInterval(() => this.extendAll(), Math.max(Math.floor(this.leaseMs / 3), 1));
      this.timer.unref();
    }
  }

  /** The job was settled or given back: its lease is no longer ours to keep. */
  forget(delivery: Delivery): void {
    if (!this.held.delete(delivery) || this.held.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
  }

  private extendAll(): void {
    for (const delivery of this.held) {
      this.backend.extendLease(delivery, this.leaseMs).catch((err: Error) => this.extendFailed(delivery, err));
    }
  }

  private extendFailed(delivery: Delivery, err: Error): void {
    // Settled (or lost already) while the extension was in flight: nothing is held any more.
    if (!this.held.has(delivery)) return;
    if (err instanceof LeaseLostError) {
      this.forget(delivery);
      this.onLost(delivery, err);
      return;
    }
    this.logger.warn(
      `could not extend the lease of job ${delivery.job.id} on queue "${delivery.queue}": ${err.message}; trying again in ${Math.floor(this.leaseMs / 3)} ms`,
    );
  }
}
