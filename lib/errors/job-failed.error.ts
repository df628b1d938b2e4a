import { JobsError } from './jobs.error';
import type { JobFailure } from '../backend/job-state';

/** waitForResult on a job that ended in the dead-letter queue; `failure` is its last error. */
export class JobFailedError extends JobsError {
  constructor(
    readonly queue: string,
    readonly jobId: string,
    readonly failure: JobFailure | null,
  ) {
    super(
      `Job ${jobId} on queue "${queue}" failed after ${failure?.attempt ?? '?'} attempt(s): ${failure?.message ?? 'unknown error'} — ` +
        `it is in the dead-letter queue: orchestrator.deadLetters("${queue}") to look, redrive("${queue}") to run it again`,
    );
  }
}
