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
 *
 * A new stage (a paused job, a job waiting for a rate limit) is one more name here, its moves in
 * TRANSITIONS, and whether it is held or runs (HELD_STATES, RUN_STATES); the counts follow.
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

/**
 * A state as the ledger checks it, worked out once from the tables above: names are for reading,
 * bit masks for the per-job path (a lookup in those tables on every move cost ~200 ns a job).
 */
export class StateRule {
  readonly bit: number;
  /** 1 when a job in this state is held (HELD_STATES), else 0; likewise for a run going (RUN_STATES). */
  readonly held: 0 | 1;
  readonly runs: 0 | 1;
  /** The bits of the states it may move to. */
  next = 0;

  constructor(
    readonly name: HeldJobState,
    readonly index: number,
  ) {
    this.bit = 1 << index;
    this.held = HELD_STATES.includes(name) ? 1 : 0;
    this.runs = RUN_STATES.includes(name) ? 1 : 0;
  }
}

export const STATE_RULES = rulesOf(TRANSITIONS);

function rulesOf(transitions: typeof TRANSITIONS): { readonly [S in HeldJobState]: StateRule } {
  const names = Object.keys(transitions) as HeldJobState[];
  const rules = Object.fromEntries(names.map((name, index) => [name, new StateRule(name, index)])) as { [S in HeldJobState]: StateRule };
  for (const name of names) for (const to of transitions[name]) rules[name].next |= rules[to].bit;
  return rules;
}

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
  /** Its state; only HeldJobs.move changes it. */
  rule: StateRule = STATE_RULES.prefetched;
  /** Made on first use: most runs never read their signal, and an AbortController per job is costly. */
  private controller: AbortController | null = null;
  /** Set when the run outlived its timeout. */
  overrun: Overrun | null = null;
  /** When its run started (performance.now()), when the worker times runs (prefetch 'auto'). */
  startedAt = 0;
  /** Whether the job is held now (see HELD_STATES): from its start until it is let go. */
  private holding = false;
  /** Made only when someone waits for the job (stop, shutdown): most jobs end with nobody waiting. */
  private settledPromise: Promise<void> | null = null;
  private resolveSettled: (() => void) | null = null;
  /** Its neighbours on HeldJobs' list of started jobs; only HeldJobs sets them. */
  prevStarted: HeldJob | null = null;
  nextStarted: HeldJob | null = null;

  constructor(readonly delivery: Delivery) {}

  get state(): HeldJobState {
    return this.rule.name;
  }

  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  abort(reason: unknown): void {
    (this.controller ??= new AbortController()).abort(reason);
  }

  /** Resolves when the job stops being held (see HELD_STATES), at once if it is not held. Never rejects. */
  get settled(): Promise<void> {
    if (!this.holding) return Promise.resolve();
    return (this.settledPromise ??= new Promise<void>((resolve) => (this.resolveSettled = resolve)));
  }

  /** The job is held from now on: consume()/stop() wait for it. */
  hold(): void {
    this.holding = true;
  }

  /** The job is no longer held. */
  letGo(): void {
    this.holding = false;
    this.resolveSettled?.();
    this.resolveSettled = null;
  }
}
