import type { Delivery } from '../backend/job-backend.interface';
import { HELD_STATES, HeldJob, STATE_RULES, type HeldJobState } from './held-job';

const { prefetched: PREFETCHED, abandoned: ABANDONED, done: DONE } = STATE_RULES;

/**
 * The jobs one worker has taken, each in one state (see HeldJobState), and the counts the loop reads,
 * all derived from those states. Every change of state goes through `move`, which checks it against
 * TRANSITIONS and tells the worker (`onChange`) when a slot or a held job frees.
 */
export class HeldJobs {
  /**
   * Taken ahead, oldest first: `waiting[waitingHead]` is the next to start. A head index, not shift(),
   * which moves every later entry on each start; compacted once the head passes half the array.
   */
  private readonly waiting: HeldJob[] = [];
  private waitingHead = 0;
  /**
   * Started and not done, oldest first: a list linked through the jobs themselves, so starting and
   * ending a job allocate and hash nothing (a Set's add and delete cost ~1.5k instructions a job).
   */
  private firstStarted: HeldJob | null = null;
  private lastStarted: HeldJob | null = null;
  /** Jobs in each state, by StateRule.index. */
  private readonly counts: number[] = Object.keys(STATE_RULES).map(() => 0);
  /** Jobs in a RUN_STATES state, and in a HELD_STATES state. */
  private running = 0;
  private holding = 0;
  /** The first bug in the worker a move reported and allSettled() has not raised yet. */
  private bug: { error: unknown } | null = null;

  constructor(
    /** Called when a run slot or a held job frees: the loop may take or start more. */
    private readonly onChange: () => void,
    /** Called when a job is no longer held: its lease is no longer ours to keep. */
    private readonly onLetGo: (delivery: Delivery) => void,
    /** Called with how long each run held its slot, in ms; null: runs are not timed (nothing reads it). */
    private readonly onRunEnded: ((ms: number) => void) | null = null,
  ) {}

  /** Runs going (jobs in a RUN_STATES state): what `concurrency` bounds. */
  get runs(): number {
    return this.running;
  }

  /** Started jobs the worker still has to settle or give back (in a HELD_STATES state). */
  get held(): number {
    return this.holding;
  }

  /** Jobs taken ahead and not started. */
  get prefetched(): number {
    return this.counts[PREFETCHED.index];
  }

  /** Runs given up on after their timeout and grace that have not returned. */
  get abandoned(): number {
    return this.counts[ABANDONED.index];
  }

  /** Records newly taken deliveries, in the order they are to start. */
  take(deliveries: readonly Delivery[]): void {
    for (const delivery of deliveries) this.waiting.push(new HeldJob(delivery));
    this.counts[PREFETCHED.index] += deliveries.length;
  }

  /** The oldest prefetched job, now running. */
  startNext(): HeldJob {
    const job = this.waiting[this.waitingHead];
    this.waiting[this.waitingHead++] = undefined!;
    if (this.waitingHead === this.waiting.length) {
      this.waiting.length = 0;
      this.waitingHead = 0;
    } else if (this.waitingHead > 32 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting.splice(0, this.waitingHead);
      this.waitingHead = 0;
    }
    if (this.onRunEnded) job.startedAt = performance.now();
    this.move(job, 'running');
    job.hold();
    this.linkStarted(job);
    return job;
  }

  /** The started jobs, oldest first. */
  private *started(): Generator<HeldJob> {
    for (let job = this.firstStarted; job; job = job.nextStarted) yield job;
  }

  private linkStarted(job: HeldJob): void {
    job.prevStarted = this.lastStarted;
    job.nextStarted = null;
    if (this.lastStarted) this.lastStarted.nextStarted = job;
    else this.firstStarted = job;
    this.lastStarted = job;
  }

  private unlinkStarted(job: HeldJob): void {
    const { prevStarted: prev, nextStarted: next } = job;
    if (prev) prev.nextStarted = next;
    else this.firstStarted = next;
    if (next) next.prevStarted = prev;
    else this.lastStarted = prev;
    job.prevStarted = job.nextStarted = null;
  }

  /** When the latest run still holding a slot started (performance.now(), if runs are timed); -Infinity: none. */
  latestRunStart(): number {
    let latest = -Infinity;
    for (let job = this.firstStarted; job; job = job.nextStarted) if (job.rule.runs === 1 && job.startedAt > latest) latest = job.startedAt;
    return latest;
  }

  /** Every prefetched job, now done (to be given back by the caller). */
  takeBackPrefetched(): HeldJob[] {
    const all = this.waiting.splice(this.waitingHead);
    this.waiting.length = 0;
    this.waitingHead = 0;
    for (const job of all) this.move(job, 'done');
    return all;
  }

  /** The job holding `delivery`, if it is prefetched or started. */
  find(delivery: Delivery): HeldJob | undefined {
    for (let at = this.waitingHead; at < this.waiting.length; at++) if (this.waiting[at].delivery === delivery) return this.waiting[at];
    for (let job = this.firstStarted; job; job = job.nextStarted) if (job.delivery === delivery) return job;
    return undefined;
  }

  /** Started jobs in one of `states`. */
  inState(...states: HeldJobState[]): HeldJob[] {
    return [...this.started()].filter((job) => states.includes(job.state));
  }

  /** Resolves when every job held now is no longer held; never rejects. */
  async noneHeld(): Promise<void> {
    await Promise.all(this.inState(...HELD_STATES).map((job) => job.settled));
  }

  /** Like noneHeld(), then rejects with the worker's bug if a move reported one (each is raised once). */
  async allSettled(): Promise<void> {
    await this.noneHeld();
    const bug = this.bug;
    this.bug = null;
    if (bug) throw bug.error;
  }

  /**
   * Moves `job` to `state` (see TRANSITIONS). `error` is a bug in the worker that left the job where it
   * could not be settled: kept for allSettled() to raise, as nothing awaits the job itself.
   */
  move(job: HeldJob, state: HeldJobState, error?: unknown): void {
    const from = job.rule;
    const to = STATE_RULES[state];
    if ((from.next & to.bit) === 0) {
      throw new Error(
        `@mindtrace/jobs bug: job ${job.delivery.job.id} on queue "${job.delivery.queue}" cannot go from ${from.name} to ${to.name}`,
      );
    }
    job.rule = to;
    this.counts[from.index]--;
    this.counts[to.index]++;
    this.running += to.runs - from.runs;
    this.holding += to.held - from.held;
    if (to === DONE) {
      if (from === PREFETCHED) {
        const at = this.waiting.indexOf(job, this.waitingHead);
        if (at >= 0) this.waiting.splice(at, 1);
      } else {
        this.unlinkStarted(job);
      }
    }
    if (error !== undefined) this.bug ??= { error };
    if (from.runs > to.runs && this.onRunEnded) this.onRunEnded(performance.now() - job.startedAt);
    if (from.held > to.held) {
      job.letGo();
      this.onLetGo(job.delivery);
    }
    // A slot or a held job freed; an abandoned run returning frees a place under maxAbandonedRuns.
    if (from.held > to.held || from.runs > to.runs || from === ABANDONED) this.onChange();
  }
}
