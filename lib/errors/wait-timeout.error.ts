import { JobsError } from './jobs.error';

/** waitForResult gave up; the job itself goes on and may still finish. */
export class WaitTimeoutError extends JobsError {
  constructor(
    readonly jobId: string,
    readonly timeoutMs: number,
    readonly lastStatus: string,
  ) {
    super(`Gave up waiting for job ${jobId} after ${timeoutMs} ms; it is still ${lastStatus}`);
  }
}
