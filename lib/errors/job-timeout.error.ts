import { JobsError } from './jobs.error';

/** A run took longer than its consumer's `timeout`; it counts as a failed attempt. */
export class JobTimeoutError extends JobsError {
  constructor(
    readonly queue: string,
    readonly jobId: string,
    readonly timeoutMs: number,
  ) {
    super(`Job ${jobId} on queue "${queue}" exceeded its timeout of ${timeoutMs} ms`);
  }
}
