import { JobsError } from './jobs.error';

/**
 * A settle (ack, retry, dead-letter) came for a delivery this consumer no longer holds: its lease ran
 * out, its broker connection or channel was lost (the broker then redelivers it), or its queue was
 * deleted. The job is not lost — another delivery owns it now.
 */
export class LeaseLostError extends JobsError {
  constructor(
    readonly queue: string,
    readonly jobId: string,
  ) {
    super(`Job ${jobId} on queue "${queue}" is no longer held by this consumer (lease expired, broker connection lost, or queue deleted)`);
  }
}
