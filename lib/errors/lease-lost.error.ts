import { JobsError } from './jobs.error';

/**
 * A settle (ack, retry, dead-letter) came for a delivery this consumer no longer holds: its lease ran
 * out and the job went back to the queue, or its queue was deleted. The job is not lost — another
 * delivery owns it now.
 */
export class LeaseLostError extends JobsError {
  constructor(
    readonly queue: string,
    readonly jobId: string,
  ) {
    super(`Job ${jobId} on queue "${queue}" is no longer held by this consumer (lease expired or queue deleted)`);
  }
}
