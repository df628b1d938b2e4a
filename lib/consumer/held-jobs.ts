import type { Delivery } from '../backend/job-backend.interface';
import { HELD_STATES, HeldJob, RUN_STATES, TRANSITIONS, type HeldJobState } from './held-job';

/**
 * The jobs one worker has taken, each in one state (see HeldJobState), and the counts the loop reads,
 * all derived from those states. Every change of state goes through `move`, which checks it against
 * TRANSITIONS and tells the worker (`onChange`) when a slot or a held job frees.
 */
export class HeldJobs {
  /** Taken ahead, oldest first: the next to start. */
  private readonly waiting: HeldJob[] = [];
  /** Started and not done. */
  private readonly started = new Set<HeldJob>();
  private readonly counts: Record<HeldJobState, number> = {
    prefetched: 0,
    running: 0,
    settling: 0,
    overrun: 0,
    lost: 0,
    releasing: 0,
    released: 0,
    abandoned: 0,
    done: 0,
  };

  constructor(
    /** Called when a run slot or a held job frees: the loop may take or start more. */
    private readonly onChange: () => void,
    /** Called when a job is no longer held: its lease is no longer ours to keep. */
    private readonly onLetGo: (delivery: Delivery) => void,
  ) {}

  /** Runs going: what `concurrency` bounds. */
  get runs(): number {
    const c = this.counts;
    return c.running + c.overrun + c.lost + c.releasing + c.released;
  }

  /** Started jobs the worker still has to settle or give back. */
  get held(): number {
    const c = this.counts;
    return c.running + c.settling + c.overrun + c.lost + c.releasing;
  }

  /** Jobs taken ahead and not started. */
  get prefetched(): number {
    return this.counts.prefetched;
  }

  /** Runs given up on after their timeout and grace that have not returned. */
  get abandoned(): number {
    return this.counts.abandoned;
  }

  /** Records newly taken deliveries, in the order they are to start. */
  take(deliveries: readonly Delivery[]): void {
    for (const delivery of deliveries) this.waiting.push(new HeldJob(delivery));
    this.counts.prefetched += deliveries.length;
  }

  /** The oldest prefetched job, now running. */
  startNext(): HeldJob {
    const job = this.waiting.shift()!;
    this.move(job, 'running');
    job.hold();
    this.started.add(job);
    return job;
  }

  /** Every prefetched job, now done (to be given back by the caller). */
  takeBackPrefetched(): HeldJob[] {
    const all = this.waiting.splice(0);
    for (const job of all) this.move(job, 'done');
    return all;
  }

  /** The job holding `delivery`, if it is prefetched or started. */
  find(delivery: Delivery): HeldJob | undefined {
    for (const job of this.waiting) if (job.delivery === delivery) return job;
    for (const job of this.started) if (job.delivery === delivery) return job;
    return undefined;
  }

  /** Started jobs in one of `states`. */
  inState(...states: HeldJobState[]): HeldJob[] {
    return [...this.started].filter((job) => states.includes(job.state));
  }

  /** Resolves when every job held now is no longer held; rejects if the worker failed one (a bug). */
  async allSettled(): Promise<void> {
    await Promise.all(this.inState(...HELD_STATES).map((job) => job.settled));
  }

  /** Moves `job` to `to` (see TRANSITIONS); a bug in the worker, `error`, lets it go with a rejection. */
  move(job: HeldJob, to: HeldJobState, error?: unknown): void {
    const from = job.state;
    if (!TRANSITIONS[from].includes(to)) {
      throw new Error(`@mindtrace/jobs bug: job ${job.delivery.job.id} on queue "${job.delivery.queue}" cannot go from ${from} to ${to}`);
    }
    job.state = to;
    this.counts[from]--;
    this.counts[to]++;
    if (from === 'prefetched' && to === 'done') {
      const at = this.waiting.indexOf(job);
      if (at >= 0) this.waiting.splice(at, 1);
    }
    if (to === 'done' && from !== 'prefetched') this.started.delete(job);
    const letGo = HELD_STATES.includes(from) && !HELD_STATES.includes(to);
    if (letGo) {
      job.letGo(error);
      this.onLetGo(job.delivery);
    }
    // An abandoned run returning is a slot of maxAbandonedRuns freeing.
    if (letGo || (RUN_STATES.includes(from) && !RUN_STATES.includes(to)) || from === 'abandoned') this.onChange();
  }
}
