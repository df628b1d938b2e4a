import type { Delivery, JobBackend } from '../backend/job-backend.interface';
import type { ScheduleTick } from '../backend/job-record';
import type { Logger } from '../logger/logger';
import { advanceSchedule } from './schedule-advance';

/**
 * A consumer's part in keeping schedules going: when it takes a schedule's occurrence it moves the
 * schedule on, in the background so the job never waits for it. A failed move is logged and tried
 * once more after the job's run; `idle()` waits for moves under way, so stopping does not cut one off.
 */
export class ScheduleAdvancer {
  private readonly firstTries = new WeakMap<Delivery, Promise<boolean>>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly backend: JobBackend,
    private readonly queue: string,
    private readonly logger: Logger,
  ) {}

  /** A delivery of an occurrence was taken: move its schedule on now. */
  taken(delivery: Delivery): void {
    const tick = delivery.job.schedule as ScheduleTick;
    this.firstTries.set(delivery, this.track(this.attempt(tick, false)));
  }

  /** The run of an occurrence ended: if moving its schedule on failed, try once more. */
  afterRun(delivery: Delivery): void {
    const first = this.firstTries.get(delivery);
    if (!first) return;
    this.firstTries.delete(delivery);
    void this.track(first.then((moved) => (moved ? true : this.attempt(delivery.job.schedule as ScheduleTick, true))));
  }

  /** Resolves when no move is under way. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  /** Resolves false only when the move failed (an error), never rejects. */
  private async attempt(tick: ScheduleTick, last: boolean): Promise<boolean> {
    try {
      await advanceSchedule(this.backend, this.queue, tick);
      return true;
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      const at = new Date(tick.at).toISOString();
      if (last) {
        this.logger.error(
          `could not move schedule "${tick.key}" of queue "${this.queue}" past its tick ${at}: ${why} — ` +
            'it enqueues no further tick until orchestrator.schedule() is called for it again',
        );
      } else {
        this.logger.warn(
          `could not move schedule "${tick.key}" of queue "${this.queue}" past its tick ${at}: ${why}; trying again after the run`,
        );
      }
      return false;
    }
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
    return promise;
  }
}
