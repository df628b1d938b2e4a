import type { RateLimit } from '../../../backend/flow-control';
import type { Delivery } from '../../../backend/job-backend.interface';

/** A completion waiting for its batch; `next` asks for more jobs in the same transaction (completeAndFetch). */
export interface PendingCompletion {
  delivery: Delivery;
  result: unknown;
  next: { max: number; leaseMs: number; rateLimit?: RateLimit } | null;
  settle(outcome: Delivery[] | Error): void;
}

/**
 * Completions made in the same tick (a consumer's runs finishing together) go to the file in one
 * transaction: a commit costs far more than the rows it writes, and one commit holds the other
 * processes' lock once instead of once per job. Each caller still hears only once its own completion
 * is committed.
 */
export class CompletionBatch {
  private pending: PendingCompletion[] = [];
  private scheduled = false;

  constructor(private readonly write: (batch: PendingCompletion[]) => void) {}

  add(delivery: Delivery, result: unknown, next: PendingCompletion['next']): Promise<Delivery[]> {
    const settled = new Promise<Delivery[]>((resolve, reject) =>
      this.pending.push({ delivery, result, next, settle: (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome)) }),
    );
    if (!this.scheduled) {
      this.scheduled = true;
      // After the microtasks queued now: the runs finishing in this tick join the batch.
      process.nextTick(() => this.flush());
    }
    return settled;
  }

  /** Writes what is pending now (also at close, so no completion is left behind). */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) this.write(batch);
  }
}
