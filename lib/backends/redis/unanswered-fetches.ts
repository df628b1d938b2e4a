import { randomUUID } from 'node:crypto';

/** Token bases a client keeps per queue; each consumer that keeps failing reuses one, so only a burst fills it. */
const REMEMBERED_PER_QUEUE = 64;

/**
 * Token bases of fetches (and completeAndFetch batches) that got no answer, per queue: the queue's
 * next fetch sends one again, and Redis hands back the jobs that call took if it ran (fetch is
 * idempotent by its token base, see fetch_record_key in _prelude.lua), instead of leaving them
 * leased to nobody until the lease runs out.
 */
export class UnansweredFetches {
  private readonly bases = new Map<string, string[]>();

  /** The token base for the queue's next fetch: one that got no answer first, else a new one. */
  nextBase(queue: string): string {
    const pending = this.bases.get(queue);
    const base = pending?.pop() ?? randomUUID();
    if (pending?.length === 0) this.bases.delete(queue);
    return base;
  }

  /** A call under `base` got no answer: it may have run and taken jobs. */
  remember(queue: string, base: string): void {
    const bases = this.bases.get(queue) ?? [];
    if (bases.length < REMEMBERED_PER_QUEUE) bases.push(base);
    this.bases.set(queue, bases);
  }
}
