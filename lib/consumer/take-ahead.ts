/** Runs shorter than this on average are short: the round trip a job taken ahead saves is a fair part of their cost. */
export const SHORT_RUN_MS = 5;
/** The moving mean weighs each new run 1/RUNS_MEANT; none are taken ahead before as many runs have ended. */
export const RUNS_MEANT = 10;
/** `'auto'` holds about this much work taken ahead: the longest a job taken ahead waits for a slot. */
export const AHEAD_WORK_MS = 20;
/** The most jobs `'auto'` takes ahead. */
export const AUTO_MOST = 100;
/**
 * `'auto'` takes ahead only for a consumer with at most this many slots. A job taken ahead costs Redis
 * its start mark (one call for the marks asked for together: StartMarks), which pays where slots would
 * otherwise wait a round trip per job; with more slots, completions come in batches that each bring
 * the next jobs in the same call, and taking ahead saves nothing. Measured on Redis, CPU per job client
 * + server, none → auto, median of paired runs: c=1 272 → 120 µs, c=5 104 → 86, c=10 66 → 61, c=15
 * 52 → 50; c=20 more in 7 pairs of 8 (+4 to +18), c=50 43 → 47.
 */
export const AUTO_MAX_CONCURRENCY = 15;

/**
 * How many jobs a worker takes ahead of its free run slots, read afresh on every pass of its loop.
 * A number is that many. `'auto'` follows the worker's recent runs: while their moving mean is short
 * (under SHORT_RUN_MS) it takes as many as its slots get through in AHEAD_WORK_MS, at most AUTO_MOST
 * — enough that the next job is there before a slot frees, few enough that none waits long hidden
 * from idle workers; once runs are long it takes none, as a job behind a long run would rather go to
 * an idle worker. It takes none until RUNS_MEANT runs have ended (a few runs say little), nor with more
 * than AUTO_MAX_CONCURRENCY slots. `allowed` false (a rate limit, or a backend that would count a stall
 * for a job taken ahead and never started) keeps `'auto'` at none.
 */
export class TakeAhead {
  /** Mean run length, ms, over about the last RUNS_MEANT runs; runs seen so far. */
  private meanMs = 0;
  private runs = 0;

  private readonly allowed: boolean;

  constructor(
    readonly setting: number | 'auto',
    private readonly concurrency: number,
    allowed: boolean,
  ) {
    this.allowed = allowed && concurrency <= AUTO_MAX_CONCURRENCY;
  }

  /** Whether run lengths change the size (they are worth timing). */
  get adaptive(): boolean {
    return this.setting === 'auto' && this.allowed;
  }

  /** Jobs to hold taken ahead now. */
  get size(): number {
    if (this.setting !== 'auto') return this.setting;
    if (!this.allowed || this.runs < RUNS_MEANT || this.meanMs >= SHORT_RUN_MS) return 0;
    // A mean of 0 (runs shorter than the clock's step) divides to Infinity: the ceiling then.
    return Math.min(AUTO_MOST, Math.floor((this.concurrency * AHEAD_WORK_MS) / this.meanMs));
  }

  /** A run ended after `ms` (or has gone on that long: see QueueWorker's watch on runs that hold every slot). */
  ran(ms: number): void {
    this.runs++;
    // A plain mean over the first runs, then an exponential one that weighs each new run 1/RUNS_MEANT.
    this.meanMs += (ms - this.meanMs) / Math.min(this.runs, RUNS_MEANT);
  }

  /** For the log line: the number given, `auto`, or `0` where `'auto'` takes none ahead. */
  describe(): string {
    return this.setting === 'auto' && this.allowed ? 'auto' : String(this.size);
  }
}
