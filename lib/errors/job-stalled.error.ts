import { JobsError } from './jobs.error';

/**
 * A job was given out more than its consumer's `maxStalls` times without being settled: each time its
 * worker died (or lost its lease) while holding it — a job that crashes its worker would otherwise be
 * redelivered forever. It is dead-lettered with this error, without another run.
 */
export class JobStalledError extends JobsError {
  constructor(
    readonly queue: string,
    readonly jobId: string,
    readonly stalls: number,
    readonly maxStalls: number,
  ) {
    super(
      `Job ${jobId} on queue "${queue}" stalled ${stalls} times (its worker died or lost its lease while holding it), more than maxStalls (${maxStalls}); dead-lettered without another run`,
    );
  }
}
