/**
 * Where a consumer's loop is: `running` (fetching or running jobs), `reconnecting` (its last fetch
 * failed on the connection and it is trying again), `stopped` (stop(), shutdown, or its consume() ended)
 * or `crashed` (its consume() ended with an error).
 */
export type ConsumerLoopState = 'running' | 'reconnecting' | 'stopped' | 'crashed';

/**
 * The facts health checks read about one consumer's loop, kept up to date by its QueueWorker: set on
 * state changes and when jobs are taken, never per run, so keeping them costs the loop nothing.
 */
export class ConsumerLoopStatus {
  state: ConsumerLoopState = 'stopped';
  /** Epoch ms the loop entered its state. */
  since = Date.now();
  /** Epoch ms the loop last took jobs, or (re)started: what "has taken nothing for a while" measures from. */
  lastTakenAt = Date.now();
  /** Why it is reconnecting or crashed. */
  lastError: string | null = null;

  constructor(
    readonly queue: string,
    /** The consumer's class name. */
    readonly consumer: string,
    readonly concurrency: number,
    /** Jobs it holds right now (prefetched, running or settling). */
    private readonly held: () => number,
  ) {}

  get heldJobs(): number {
    return this.held();
  }

  running(): void {
    if (this.state === 'running') return;
    const now = Date.now();
    // A restart or a recovered connection starts the idle clock again.
    if (this.state !== 'reconnecting') this.lastTakenAt = now;
    this.enter('running', null, now);
  }

  reconnecting(error: unknown): void {
    this.enter('reconnecting', messageOf(error), Date.now());
  }

  took(): void {
    this.lastTakenAt = Date.now();
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
