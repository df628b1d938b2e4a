import type { Logger } from '@nestjs/common';
import type { Delivery, JobBackend } from '../backend/job-backend.interface';

/**
 * Keeps the leases of every job a worker holds — prefetched, running or being settled — alive with
 * one timer for all of them, rather than a timer per job. A held job is extended at least every
 * `leaseMs / 3`, so it never comes near its deadline while its worker is alive. The timer runs only
 * while something is held.
 */
export class LeaseKeeper {
  private readonly held = new Set<Delivery>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly backend: JobBackend,
    private readonly leaseMs: number,
    private readonly logger: Logger,
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
      this.backend.extendLease(delivery, this.leaseMs).catch((err: Error) => this.logger.warn(`could not extend the lease of job ${delivery.job.id}: ${err.message}`));
    }
  }
}
