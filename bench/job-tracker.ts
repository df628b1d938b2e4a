import { nowMs } from './clock';

/** A case lost jobs, ran one twice, ran one nobody published, or its system reported an error. */
export class JobAccountingError extends Error {
  override readonly name = 'JobAccountingError';
}

/** How many ids to name in a message before "…". */
const SHOWN_IDS = 10;

/**
 * Counts, per job id `n` (0…expected−1), how often the job's run started, and when. Every case of every
 * scenario checks it: any job never run (lost), run more than once (no crash happens in a benchmark, so
 * at-least-once delivery has no excuse for a duplicate), or unknown fails the case loudly.
 */
export class JobTracker {
  private readonly runs: Uint8Array;
  private readonly latency: Float64Array;
  private distinct = 0;
  private duplicates = 0;
  private readonly unknown: number[] = [];
  private failure: Error | null = null;
  private lastProgressAt = nowMs();
  private waiter: { count: number; resolve: () => void; reject: (error: Error) => void } | null = null;
  /** Clock of the first and the last run start seen. */
  firstRunAt = NaN;
  lastRunAt = NaN;

  constructor(readonly expected: number) {
    this.runs = new Uint8Array(expected);
    this.latency = new Float64Array(expected).fill(NaN);
  }

  /** Jobs whose run started at least once. */
  get ranCount(): number {
    return this.distinct;
  }

  /** A run of job `n` started at `at`; `latencyMs` from its publish, if measured. */
  ran(n: number, at: number, latencyMs?: number): void {
    if (!(Number.isInteger(n) && n >= 0 && n < this.expected)) {
      this.unknown.push(n);
      return;
    }
    const count = this.runs[n];
    if (count < 255) this.runs[n] = count + 1;
    if (count > 0) {
      this.duplicates++;
      return;
    }
    this.distinct++;
    if (latencyMs !== undefined) this.latency[n] = latencyMs;
    if (Number.isNaN(this.firstRunAt)) this.firstRunAt = at;
    this.lastRunAt = at;
    this.lastProgressAt = nowMs();
    if (this.waiter && this.distinct >= this.waiter.count) {
      const { resolve } = this.waiter;
      this.waiter = null;
      resolve();
    }
  }

  /** The system reported something that will lose or repeat a job: the wait in progress fails now. */
  fail(error: Error): void {
    this.failure ??= error;
    if (this.waiter) {
      const { reject } = this.waiter;
      this.waiter = null;
      reject(error);
    }
  }

  /**
   * Resolves once `count` distinct jobs have run. Rejects if nothing runs for `stallMs` (naming the jobs
   * still missing) or if the system reports an error. `onTick` is called a few times a second, for progress.
   */
  until(count: number, stallMs: number, onTick?: () => void): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.distinct >= count) return Promise.resolve();
    this.lastProgressAt = nowMs();
    return new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        onTick?.();
        if (nowMs() - this.lastProgressAt < stallMs) return;
        this.waiter = null;
        clearInterval(timer);
        reject(
          new JobAccountingError(
            `nothing ran for ${(stallMs / 1000).toFixed(stallMs < 10_000 ? 1 : 0)} s with ${this.expected - this.distinct} job(s) still to run — ${this.describeMissing()}`,
          ),
        );
      }, 200);
      const done = (): void => clearInterval(timer);
      this.waiter = {
        count,
        resolve: () => {
          done();
          resolve();
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
    });
  }

  untilAllRan(stallMs: number, onTick?: () => void): Promise<void> {
    return this.until(this.expected, stallMs, onTick);
  }

  /** Throws JobAccountingError unless every job ran exactly once and the system reported no error. */
  check(): void {
    const problems: string[] = [];
    if (this.failure) problems.push(`the system reported: ${this.failure.message}`);
    if (this.distinct < this.expected) problems.push(this.describeMissing());
    if (this.duplicates > 0) {
      const ids: number[] = [];
      for (let n = 0; n < this.expected && ids.length < SHOWN_IDS; n++) if (this.runs[n] > 1) ids.push(n);
      problems.push(`${this.duplicates} duplicate run(s): job(s) run twice or more, n = ${list(ids, this.duplicates)}`);
    }
    if (this.unknown.length > 0)
      problems.push(
        `${this.unknown.length} run(s) of jobs never published, n = ${list(this.unknown.slice(0, SHOWN_IDS), this.unknown.length)}`,
      );
    if (problems.length > 0) throw new JobAccountingError(problems.join('; '));
  }

  /** Latencies of the jobs n ≥ from that have one (warm-up jobs are left out by passing their count). */
  latencies(from = 0): number[] {
    const out: number[] = [];
    for (let n = from; n < this.expected; n++) if (!Number.isNaN(this.latency[n])) out.push(this.latency[n]);
    return out;
  }

  private describeMissing(): string {
    const missing = this.expected - this.distinct;
    const ids: number[] = [];
    for (let n = 0; n < this.expected && ids.length < SHOWN_IDS; n++) if (this.runs[n] === 0) ids.push(n);
    return `${missing} of ${this.expected} job(s) never ran (lost), n = ${list(ids, missing)}`;
  }
}

function list(ids: number[], total: number): string {
  return ids.join(', ') + (total > ids.length ? ', …' : '');
}
