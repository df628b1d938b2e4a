import { randomUUID } from 'node:crypto';
import type { Delivery } from '../../backend/job-backend.interface';
import type { RateLimit } from '../../backend/flow-control';
import { LeaseLostError } from '../../errors';
import type { FetchedJob } from './fetched-jobs';
import type { IdIndex } from './id-index';
import type { JobFetcher } from './job-fetcher';
import type { QueueScripts } from './queue-scripts';
import { RedisUnavailableError } from './redis-unavailable.error';
import { SettleBatcher } from './settle-batcher';
import type { UnansweredFetches } from './unanswered-fetches';

interface Completion {
  delivery: Delivery;
  resultJson: string;
  /** completeAndFetch: how many next jobs this completion asks for (0: none), leased for leaseMs. */
  fetchMax: number;
  leaseMs: number;
  /** The rate limit the next jobs are taken under, if any (batched apart per limit, like leaseMs). */
  rateLimit?: RateLimit;
}

/** What completeAndFetch takes next: up to `max` jobs, leased for `leaseMs`, under `rateLimit` if given. */
export interface NextJobs {
  max: number;
  leaseMs: number;
  rateLimit?: RateLimit;
}

/**
 * Completions go out in batches: one `complete` script call for every job of a queue finished since
 * the previous call left (SettleBatcher). Those that also ask for next jobs (completeAndFetch) are
 * batched apart per lease length, since the jobs the call takes are leased for that long; they are
 * shared out, in order, to the completions that asked for them.
 */
export class Completions {
  private readonly batches = new SettleBatcher<Completion, Delivery[]>((_key, batch) => this.send(batch));

  constructor(
    private readonly scripts: QueueScripts,
    /** Completed jobs' retention as the script takes it: [count, ageMs], -1 for no limit. */
    private readonly retention: [count: number, ageMs: number],
    private readonly fetcher: JobFetcher,
    private readonly unanswered: UnansweredFetches,
    private readonly index: IdIndex,
  ) {}

  async complete(delivery: Delivery, result: unknown): Promise<void> {
    await this.batches.add(delivery.queue, { delivery, resultJson: JSON.stringify(result ?? null), fetchMax: 0, leaseMs: 0 });
  }

  completeAndFetch(delivery: Delivery, result: unknown, next: NextJobs): Promise<Delivery[]> {
    const { rateLimit } = next;
    const completion = { delivery, resultJson: JSON.stringify(result ?? null), fetchMax: next.max, leaseMs: next.leaseMs, rateLimit };
    const limit = rateLimit === undefined ? '' : `\u0000${rateLimit.max}/${rateLimit.intervalMs}`;
    return this.batches.add(`${delivery.queue}\u0000${next.leaseMs}${limit}`, completion);
  }

  /** Resolves once every completion accepted so far has reached Redis (close() waits for it). */
  drain(): Promise<void> {
    return this.batches.drain();
  }

  /**
   * One `complete` script call for a batch (of one queue, and one lease length): a job whose lease was
   * lost fails alone, and the next jobs taken in the same call go to the completions that asked.
   */
  private async send(batch: Completion[]): Promise<(Delivery[] | Error)[]> {
    const { queue } = batch[0].delivery;
    const [count, age] = this.retention;
    const base = randomUUID();
    const limit = batch[0].rateLimit;
    const args: (string | number)[] = [count, age, this.scripts.keys.finished(queue), batch[0].leaseMs, base];
    args.push(limit?.max ?? 0, limit?.intervalMs ?? 0);
    for (const { delivery, resultJson, fetchMax } of batch) args.push(delivery.job.id, delivery.token, resultJson, fetchMax);
    let dropped: string[];
    let lost: number[];
    let jobs: FetchedJob[];
    try {
      [dropped, lost, jobs] = await this.scripts.run<[string[], number[], FetchedJob[]]>('complete', queue, args);
    } catch (err) {
      // It may have run and taken next jobs: the next fetch of the queue asks for them again.
      if (err instanceof RedisUnavailableError && batch.some((c) => c.fetchMax > 0)) this.unanswered.remember(queue, base);
      throw err;
    }
    this.index.dropRetired(dropped);
    const lostAt = new Set(lost.map((index) => index - 1));
    // The script took next jobs only for the completions that went through, in batch order.
    const taken = this.fetcher.deliveries(queue, jobs);
    return batch.map((c, i) => (lostAt.has(i) ? new LeaseLostError(queue, c.delivery.job.id) : taken.splice(0, c.fetchMax)));
  }
}
