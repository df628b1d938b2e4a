import type { JobFailure } from '../../backend/job-state';
import { failureOf } from '../../backend/job-failure';
import { LeaseLostError, MalformedJobError } from '../../errors';
import type { Logger } from '../../logger/logger';
import type { MalformedDelivery } from './fetched-jobs';

/** Moves a job its caller holds to the dead-letter queue (the dead-letter script). */
export type DeadLetterStep = (job: MalformedDelivery, failure: JobFailure) => Promise<void>;

/**
 * Dead-letters, once each and with MalformedJobError, the jobs a fetch took but could not decode. In
 * the background: the healthy jobs of the same fetch go to their consumer at once, whatever happens
 * here. If dead-lettering fails too, the job stays parked under the fetch's lease, unrun; when the
 * lease runs out it comes back and the next fetch tries again: one attempt per lease, never a loop.
 */
export class MalformedJobs {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly deadLetter: DeadLetterStep,
    private readonly logger: Logger,
  ) {}

  add(jobs: readonly MalformedDelivery[]): void {
    for (const job of jobs) {
      const done: Promise<void> = this.bury(job).finally(() => this.inFlight.delete(done));
      this.inFlight.add(done);
    }
  }

  /** Resolves once no dead-lettering is under way, counting those added while it waits (close() waits for it). */
  async drain(): Promise<void> {
    // bury() never rejects.
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async bury(job: MalformedDelivery): Promise<void> {
    const error = new MalformedJobError(job.queue, job.id, job.problem);
    try {
      await this.deadLetter(job, failureOf(error, job.attempt));
      // A buggy producer is somebody's to fix: never silent.
      this.logger.warn(error.message);
    } catch (err) {
      // Its lease ran out first: whoever fetches it next finds it malformed just the same.
      if (err instanceof LeaseLostError) return;
      this.logger.error(
        `job ${job.id} on queue "${job.queue}" could not be decoded (${job.problem}) nor dead-lettered (${(err as Error).message}): ` +
          'it stays parked under its lease, unrun and holding up no other job, and the fetch that takes it after the lease tries again',
      );
    }
  }
}
