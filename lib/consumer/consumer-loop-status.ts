/**
 * Where a consumer's loop is: `running` (fetching or running jobs), `reconnecting` (its last fetch
 * failed on the connection and it is trying again), `stopped` (stop(), shutdown, or its consume() ended)
 * or `crashed` (its consume() ended with an error).
 */
export type ConsumerLoopState = 'running' | 'reconnecting' | 'stopped' | 'crashed';

/**
 * The facts health checks read about one consumer's loop, kept up to date by its QueueWorker: set on
 * state changes, and a count bumped when jobs are taken. Taking reads no clock: the health check
 * dates the count's changes itself, so keeping these costs the loop one increment per fetch.
 */
export class ConsumerLoopStatus {
  state: ConsumerLoopState = 'stopped';
  /** Epoch ms the loop entered its state. */
  since = Date.now();
  /** Fetches that took jobs, since the loop was made. */
  private takes = 0;
  /** The count as a health check last saw it, and when it saw it change (or the loop (re)started). */
  private seenTakes = 0;
  private seenTakingAt = Date.now();
  /** Why it is reconnecting or crashed. */
  lastError: string | null = null;

  constructor(
    readonly queue: string,
    /** The consumer's class name. */
    readonly consumer: string,
    readonly concurrency: number,
    /** Jobs it holds right now (prefetched, running or settling). */
    private readonly held: () => number,
    /** Runs abandoned after their timeout that have not returned yet, and the bound at which it takes no more jobs. */
    private readonly abandoned: () => number = () => 0,
    readonly maxAbandonedRuns = Infinity,
  ) {}

  get heldJobs(): number {
    return this.held();
  }

  get abandonedRuns(): number {
    return this.abandoned();
  }

  running(): void {
    if (this.state === 'running') return;
    const now = Date.now();
    // A restart starts the idle clock again.
    if (this.state !== 'reconnecting') this.seenTakingAt = now;
    this.enter('running', null, now);
  }

  reconnecting(error: unknown): void {
    this.enter('reconnecting', messageOf(error), Date.now());
  }

  took(): void {
    this.takes++;
  }

  /**
   * When the loop last took jobs, as health checks see it: the first check after a take (or the
   * loop's start). Precise to the interval between checks, which is all "has taken nothing for a
   * while" needs.
   */
  lastTakenAt(now: number): number {
    if (this.takes !== this.seenTakes) {
      this.seenTakes = this.takes;
      this.seenTakingAt = now;
    }
    return this.seenTakingAt;
  }

  ended(error?: unknown): void {
    this.enter(error === undefined ? 'stopped' : 'crashed', error === undefined ? null : messageOf(error), Date.now());
  }

  private enter(state: ConsumerLoopState, error: string | null, now: number): void {
    if (this.state !== state) this.since = now;
    this.state = state;
    this.lastError = error;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
