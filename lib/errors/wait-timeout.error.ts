import { JobsError } from './jobs.error';

/** waitForResult gave up; the job itself goes on and may still finish. */
export class WaitTimeoutError extends JobsError {
  constructor(
    readonly queue: string,
    readonly jobId: string,
    readonly timeoutMs: number,
    readonly lastStatus: string,
  ) {
    super(
      `Gave up waiting for job ${jobId} on queue "${queue}" after ${timeoutMs} ms; it is still ${lastStatus} — ` +
        `is a consumer running for "${queue}"? Wait longer (timeout) or look it up later with getJob`,
    );
  }
}
