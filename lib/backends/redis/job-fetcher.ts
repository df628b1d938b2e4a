import type { Delivery, FetchOptions } from '../../backend/job-backend.interface';
import type { BlockingConnections } from './blocking-connections';
import { sortFetched, type FetchedJob } from './fetched-jobs';
import type { MalformedJobs } from './malformed-jobs';
import type { QueueScripts } from './queue-scripts';
import { RedisUnavailableError } from './redis-unavailable.error';
import type { UnansweredFetches } from './unanswered-fetches';

/** What one fetch script call took: the jobs it delivers, how many it took (malformed ones too), when the next falls due. */
interface Taken {
  deliveries: Delivery[];
  count: number;
  wakeInMs: number;
}

/** A consumer with nothing to do still wakes this often, so a deleted or redeclared queue is noticed. */
const MAX_BLOCK_MS = 10_000;

/**
 * Takes jobs under a lease for a RedisClient's consumers: one fetch script call when jobs are ready;
 * otherwise a blocking wait on the queue's wake list (BLPOP, no polling) until a publish wakes it or
 * the next delayed job or lease deadline falls due. A fetch that got no answer is sent again by the
 * queue's next one (UnansweredFetches), so the jobs it may have taken come back.
 */
export class JobFetcher {
  /** The blocking waits under way, per queue: ended at close() or when their queue is deleted here. */
  private readonly waits = new Map<string, Set<AbortController>>();
  /** The fetch script calls under way (close() waits for them). */
  private readonly calls = new Set<Promise<Taken>>();
  private closed = false;

  constructor(
    private readonly scripts: QueueScripts,
    private readonly blocking: BlockingConnections,
    private readonly unanswered: UnansweredFetches,
    private readonly malformed: MalformedJobs,
  ) {}

  async fetch(queue: string, max: number, options: FetchOptions): Promise<Delivery[]> {
    // The common case, jobs ready, costs one script call and nothing else.
    const first = await this.takeDeliverable(queue, max, options, options.wait, options.signal);
    if (first.deliveries.length > 0 || !options.wait || options.signal?.aborted || this.closed) return first.deliveries;
    // Nothing ready: wait on the wake list, interruptible by the caller's signal, close() or deleteQueue().
    const wait = new AbortController();
    const onAbort = (): void => wait.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const waits = this.waits.get(queue) ?? new Set();
    this.waits.set(queue, waits.add(wait));
    try {
      let wakeInMs = first.wakeInMs;
      for (;;) {
        // Sleep until a publish or a resume wakes us, or until the next delayed job / lease deadline is
        // due or a held or rate-limited queue may hand out again (the script's wakeInMs).
        await this.blocking.waitFor(
          this.scripts.keys.notify(queue),
          wakeInMs >= 0 ? Math.min(wakeInMs + 1, MAX_BLOCK_MS) : MAX_BLOCK_MS,
          wait.signal,
        );
        if (wait.signal.aborted) return [];
        const next = await this.takeDeliverable(queue, max, options, true, wait.signal);
        if (next.deliveries.length > 0 || wait.signal.aborted || options.returnOnWake) return next.deliveries;
        wakeInMs = next.wakeInMs;
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      waits.delete(wait);
      if (waits.size === 0) this.waits.delete(queue);
    }
  }

  /** Ends the blocking waits of one queue's consumers (it was deleted here). */
  abortWaits(queue: string): void {
    for (const wait of this.waits.get(queue) ?? []) wait.abort();
  }

  /**
   * Ends every blocking wait, and resolves once the fetch calls under way have answered, so the
   * malformed jobs they took are handed to MalformedJobs before the connection closes.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const set of this.waits.values()) for (const wait of set) wait.abort();
    await Promise.allSettled([...this.calls]);
  }

  /**
   * The fetched jobs that decode, as deliveries. Each of the others is dead-lettered (MalformedJobError)
   * apart from them, in the background.
   */
  deliveries(queue: string, jobs: FetchedJob[]): Delivery[] {
    const { deliveries, malformed } = sortFetched(queue, jobs);
    if (malformed.length > 0) this.malformed.add(malformed);
    return deliveries;
  }

  /**
   * Takes until a call delivers a job or takes none. A call whose jobs were all malformed took no wake
   * token, and the jobs behind them may be ready: blocking then could sleep up to MAX_BLOCK_MS for nothing.
   */
  private async takeDeliverable(
    queue: string,
    max: number,
    options: FetchOptions,
    willWait: boolean,
    signal?: AbortSignal,
  ): Promise<Taken> {
    for (;;) {
      const taken = await this.take(queue, max, options, willWait);
      if (taken.deliveries.length > 0 || taken.count === 0 || signal?.aborted || this.closed) return taken;
    }
  }

  /**
   * One fetch script call: up to `max` jobs under a lease, and when the next one falls due. A caller
   * about to block (`willWait`) lets the script clear leftover wake tokens when nothing is ready.
   */
  private async take(queue: string, max: number, options: FetchOptions, willWait: boolean): Promise<Taken> {
    const call = this.callFetch(queue, max, options, willWait);
    // close() waits for it: the malformed jobs it takes must reach MalformedJobs while Redis is still open.
    this.calls.add(call);
    try {
      return await call;
    } finally {
      this.calls.delete(call);
    }
  }

  private async callFetch(queue: string, max: number, { leaseMs, rateLimit, startNow }: FetchOptions, willWait: boolean): Promise<Taken> {
    // A fetch that got no answer goes first, under its own token base: if it ran, its jobs come back.
    const base = this.unanswered.nextBase(queue);
    // Only a fetch under a limit sends one ('' otherwise): the script then counts it in the queue's window.
    const args: (string | number)[] = [max, leaseMs, base, willWait ? 1 : 0, rateLimit?.max ?? '', rateLimit?.intervalMs ?? ''];
    // Jobs past the caller's free run slots are taken ahead: no stall if their lease runs out unstarted.
    if (startNow !== undefined && startNow < max) args.push(Math.max(0, startNow));
    try {
      const [jobs, wakeInMs] = await this.scripts.run<[FetchedJob[], number]>('fetch', queue, args);
      return { deliveries: this.deliveries(queue, jobs), count: jobs.length, wakeInMs };
    } catch (err) {
      if (err instanceof RedisUnavailableError) this.unanswered.remember(queue, base);
      throw err;
    }
  }
}
