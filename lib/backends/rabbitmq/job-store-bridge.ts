import type { Delivery, PublishItem } from '../../backend/job-backend.interface';
import type { JobRecord } from '../../backend/job-record';
import type { JobFailure, JobState, JobStatus } from '../../backend/job-state';
import type { JobStateStore, RedrivenJob } from '../../backend/job-state-store.interface';
import { BackendClosedError, BrokerUnavailableError, LeaseLostError } from '../../errors';
import type { Logger } from '../../logger/logger';
import { JobStoreUnavailableError } from './job-store-unavailable.error';
import { UnconfirmedPublishes, startedAlready, type RetriedJobs } from './unconfirmed-publishes';

/** What the bridge reads of a delivery the broker's client holds. */
export interface HeldDelivery {
  /** What the consumer was handed. */
  readonly delivery: Delivery;
  /** The record as delivered (attempt counts this delivery). */
  readonly job: JobRecord;
  /** `attempt` as the message body had it. */
  readonly bodyAttempt: number;
}

/** What the bridge asks of the broker's client about the deliveries it holds. */
export interface DeliveryHolder<H extends HeldDelivery> {
  /** Still held (not settled, its channel or connection not lost)? */
  isHeld(delivery: Delivery): boolean;
  /** A job's end could not be recorded: give the (claimed) delivery back, so the job runs again. */
  giveBack(hold: H): void;
  /** The runs' starts could not be recorded: give back every delivery still held, unrun (no attempt counted). */
  giveBackUnrun(deliveries: readonly Delivery[]): void;
  /** A second copy of a job that already started: settle it without a run. */
  dropCopy(hold: H): void;
}

/**
 * Between a broker that keeps messages, not job records, and the JobStateStore that keeps them for it
 * (the `jobStore` option): records each move of a job, and decides what a store that fails means. A
 * job's end (completed, dead) or start that cannot be recorded gives the delivery back and fails with
 * the transient JobStoreUnavailableError; any other move is already done on the broker, so its failure
 * is logged. Also remembers publishes that failed ambiguously, so their retry runs the job once.
 * Nothing here knows the broker: it sees deliveries through DeliveryHolder.
 */
export class JobStoreBridge<H extends HeldDelivery> {
  private readonly unconfirmed = new UnconfirmedPublishes();
  /** waitForFinished calls in progress, ended by endWaits(). */
  private readonly finishWaits = new Set<AbortController>();

  constructor(
    private readonly store: JobStateStore,
    private readonly holder: DeliveryHolder<H>,
    /** The backend's name, for BackendClosedError. */
    private readonly backend: string,
    private readonly logger: Logger,
  ) {}

  /** True once a publish failed ambiguously: a publish must then sort its jobs with `retried` first. */
  get hasUnconfirmed(): boolean {
    return this.unconfirmed.size > 0;
  }

  /** Which jobs of `items` were published before, ambiguously; see UnconfirmedPublishes.retried. */
  retried(queue: string, items: readonly PublishItem[]): Promise<RetriedJobs | null> {
    return this.unconfirmed.retried(this.store, queue, items);
  }

  /** Records the jobs as about to be published (before the broker has them: see JobStateStore). */
  published(queue: string, items: readonly PublishItem[], now: number): Promise<void> {
    return this.store.published(
      queue,
      items.map(({ job, runAt }) => ({ job, runAt: runAt !== undefined && runAt - now >= 1 ? runAt : null })),
    );
  }

  /**
   * The publish of `items` failed with `err`. Lost with the connection before every confirm came, the
   * broker may hold them (remembered for a retry); anything else enqueued none.
   */
  async unpublished(queue: string, items: readonly PublishItem[], err: unknown): Promise<void> {
    const ids = items.map(({ job }) => job.id);
    if (err instanceof BrokerUnavailableError) this.unconfirmed.add(queue, ids);
    await this.logged(() => this.store.unpublished(queue, ids));
  }

  /**
   * Records the runs as started; returns the deliveries to run. If the store cannot, the jobs are given
   * back unrun (their attempt not counted) and the fetch fails with the transient JobStoreUnavailableError:
   * a consumer then waits and fetches again, rather than run jobs whose outcome could not be recorded.
   * `resent` are the holds of copies published again after an ambiguous failure (RESENT_HEADER).
   */
  async started(queue: string, deliveries: Delivery[], resent: readonly H[]): Promise<Delivery[]> {
    const copies = resent.length === 0 ? null : new Set(resent.map((hold) => hold.delivery));
    const others = copies === null ? deliveries : deliveries.filter((delivery) => !copies.has(delivery));
    // Resent copies after the others: one delivered together with its first copy must see that copy started.
    let failed = await this.startAll(queue, others);
    if (!failed && copies !== null) failed = await this.startResent(queue, resent);
    if (!failed) return copies === null ? deliveries : deliveries.filter((delivery) => this.holder.isHeld(delivery));
    this.holder.giveBackUnrun(deliveries);
    throw new JobStoreUnavailableError(queue, deliveries[0].job.id, 'started', reasonOf(failed.reason));
  }

  /**
   * Records the job's end. If the store fails, the delivery is given back (nack with requeue) instead of
   * acknowledged, so the job runs again once the store answers rather than staying `active` for ever.
   */
  async completedOrGiveBack(hold: H, result: unknown): Promise<void> {
    try {
      await this.store.completed(hold.delivery.queue, hold.job, result === undefined ? null : result);
    } catch (err) {
      throw this.givenBack(hold, 'completed', err);
    }
  }

  /** As completedOrGiveBack; a job given back runs and is dead-lettered again (its dead letter may then be there twice). */
  async deadOrGiveBack(hold: H, failure: JobFailure): Promise<void> {
    try {
      await this.store.dead(hold.delivery.queue, hold.job, failure);
    } catch (err) {
      throw this.givenBack(hold, 'dead', err);
    }
  }

  /** The moves below are done on the broker already: a store that fails must not undo them, so its error is logged. */
  failed(queue: string, job: JobRecord, failure: JobFailure, runAt: number | null): Promise<void> {
    return this.logged(() => this.store.failed(queue, job, failure, runAt));
  }

  dead(queue: string, job: JobRecord, failure: JobFailure): Promise<void> {
    return this.logged(() => this.store.dead(queue, job, failure));
  }

  released(queue: string, job: JobRecord): Promise<void> {
    return this.logged(() => this.store.released(queue, job));
  }

  redriven(queue: string, jobs: readonly RedrivenJob[]): Promise<void> {
    return this.logged(() => this.store.redriven(queue, jobs));
  }

  forget(queue: string, statuses?: readonly JobStatus[]): Promise<void> {
    return this.logged(() => this.store.forget(queue, statuses));
  }

  completedCount(queue: string): Promise<number> {
    return this.store.completedCount(queue);
  }

  get(id: string): Promise<JobState | null> {
    return this.store.get(id);
  }

  /** The store's waitForFinished, ended with BackendClosedError by endWaits(). */
  waitForFinished(id: string, signal: AbortSignal): Promise<JobState> {
    const controller = new AbortController();
    const forward = (): void => controller.abort(signal.reason);
    if (signal.aborted) forward();
    else signal.addEventListener('abort', forward, { once: true });
    this.finishWaits.add(controller);
    return this.store.waitForFinished(id, controller.signal).finally(() => {
      signal.removeEventListener('abort', forward);
      this.finishWaits.delete(controller);
    });
  }

  /** The backend is closing: every waitForFinished in progress fails with BackendClosedError. */
  endWaits(): void {
    for (const controller of this.finishWaits) controller.abort(new BackendClosedError(this.backend));
  }

  /** The store was made for this backend (its option), so it closes with it. */
  async close(): Promise<void> {
    await this.store.close?.();
  }

  /**
   * Gives the delivery back after its end could not be recorded; the error its settle fails with. A
   * store that refused a late end (LeaseLostError: a later attempt started) has it with its error.
   */
  private givenBack(hold: H, step: string, err: unknown): JobStoreUnavailableError | LeaseLostError {
    this.holder.giveBack(hold);
    if (err instanceof LeaseLostError) return err;
    return new JobStoreUnavailableError(hold.delivery.queue, hold.job.id, step, reasonOf(err));
  }

  /** Records the starts in parallel; the first failure, if any. */
  private async startAll(queue: string, deliveries: readonly Delivery[]): Promise<PromiseRejectedResult | null> {
    const outcomes = await Promise.allSettled(deliveries.map((delivery) => this.store.started(queue, delivery.job)));
    return outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected') ?? null;
  }

  /**
   * Resent copies are run only if the store has not seen their job start: one it has is a second copy
   * of a job whose first publish did arrive, and is acknowledged without a run.
   */
  private async startResent(queue: string, resent: readonly H[]): Promise<PromiseRejectedResult | null> {
    for (const hold of resent) {
      const { delivery } = hold;
      // Lost with its channel meanwhile: the broker delivers it again, and it is sorted out then.
      if (!this.holder.isHeld(delivery)) continue;
      try {
        const state = await this.store.get(delivery.job.id);
        if (startedAlready(state, hold.bodyAttempt)) {
          this.holder.dropCopy(hold);
          this.logger.warn(
            `job ${delivery.job.id} on "${queue}" arrived twice (published again after a publish whose confirm was lost with the connection); ` +
              `the job is ${state?.status} already, so this copy is dropped unrun`,
          );
          continue;
        }
        await this.store.started(queue, delivery.job);
      } catch (err) {
        return { status: 'rejected', reason: err };
      }
    }
    return null;
  }

  /** Runs a store update for a move the broker has made already: a failure is logged, since undoing the move would be worse. */
  private async logged(update: () => Promise<void>): Promise<void> {
    try {
      await update();
    } catch (err) {
      this.logger.error(`the job store failed: ${(err as Error).message}`);
    }
  }
}

function reasonOf(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}
