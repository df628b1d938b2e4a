import type { Delivery } from '../backend/job-backend.interface';

/**
 * Where a job a worker took stands. A job is *held* (the worker must settle it or give it back, and
 * consume()/stop() wait for it) from `running` to the end of `settling`; its *run* holds a concurrency
 * slot from `running` until the handler returns or is abandoned.
 *
 * - `prefetched`: taken ahead, waiting for a slot (not started; given back untouched at stop).
 * - `running`: input validation, the handler, output validation.
 * - `settling`: the run ended; the job is being completed, retried or dead-lettered.
 * - `overrun`: the run outlived its timeout: the job is failed at once, the run keeps its slot for
 *   up to `timeoutGrace` more.
 * - `lost`: the backend took the job back (lease lost): its run is aborted, its outcome never settled.
 * - `releasing`: shutdown gave up waiting: the job is being given back, the run aborted.
 * - `released`: no longer held (given back, or failed by its timeout), its run still going in its slot.
 * - `abandoned`: the run ignored its signal through `timeoutGrace`: slot given back, counted until it returns.
 * - `done`: nothing of it left in the worker.
 */
export type HeldJobState = 'prefetched' | 'running' | 'settling' | 'overrun' | 'lost' | 'releasing' | 'released' | 'abandoned' | 'done';

/** Every allowed move, in one place; any other is a bug in the worker and throws. */
export const TRANSITIONS: { readonly [S in HeldJobState]: readonly HeldJobState[] } = {
  // Started, given back at stop, or dropped when its lease was lost before it started.
  prefetched: ['running', 'done'],
  running: ['settling', 'overrun', 'lost', 'releasing', 'done'],
  settling: ['done'],
  // Its run returned within the grace, shutdown let it go once its job was failed, or the grace passed.
  overrun: ['done', 'released', 'abandoned'],
  // Its run returned, shutdown let it go, or it timed out and ignored its signal through the grace.
  lost: ['done', 'released', 'abandoned'],
  // Given back (or its lease lost meanwhile), its run returned first, or the grace passed first.
  releasing: ['released', 'lost', 'done', 'abandoned'],
  released: ['done', 'abandoned'],
  abandoned: ['done'],
  done: [],
};

/** The job is the worker's to settle, and consume()/stop() wait for it. */
export const HELD_STATES: readonly HeldJobState[] = ['running', 'settling', 'overrun', 'lost', 'releasing'];

/** Its run is going and counts against `concurrency`. */
export const RUN_STATES: readonly HeldJobState[] = ['running', 'overrun', 'lost', 'releasing', 'released'];

/** A run that outlived its timeout and had not returned then. */
export interface Overrun {
  readonly timedOutAt: number;
  /** Resolves when the handler returns or throws, whatever it gives. */
  readonly ended: Promise<void>;
  /** The handler has returned (or thrown). */
  returned: boolean;
  /** The failing of its job with JobTimeoutError, once begun (only when the job was still ours). */
  failing: Promise<void> | null;
}

/** One job a worker took, from the fetch that took it until nothing of it is left in the worker. */
export class HeldJob {
  state: HeldJobState = 'prefetched';
  /** Made on first use: most runs never read their signal, and an AbortController per job is costly. */
  private controller: AbortController | null = null;
  /** Set when the run outlived its timeout. */
  overrun: Overrun | null = null;
  /** Resolves when the job stops being held (see HELD_STATES); made when it starts. */
  settled: Promise<void> | null = null;
  private resolveSettled: (() => void) | null = null;
  private rejectSettled: ((error: unknown) => void) | null = null;

  constructor(readonly delivery: Delivery) {}

  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  abort(reason: unknown): void {
    (this.controller ??= new AbortController()).abort(reason);
  }

  /** Makes the promise consume()/stop() wait on while the job is held. */
  hold(): void {
    this.settled = new Promise<void>((resolve, reject) => {
      this.resolveSettled = resolve;
      this.rejectSettled = reject;
    });
  }

  /** The job is no longer held; `error` is a bug in the worker, surfaced to whoever waits for it. */
  letGo(error?: unknown): void {
    if (error === undefined) this.resolveSettled?.();
    else this.rejectSettled?.(error);
    this.resolveSettled = this.rejectSettled = null;
  }
}
