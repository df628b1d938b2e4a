import { JobsError } from './jobs.error';

/**
 * A message on a queue could not be decoded into a job (its body is not JSON, is not a job record, or
 * is too deep or too large to read), typically written by a buggy producer outside this library. It is
 * dead-lettered once with this error, without a run, so it never holds up the jobs around it.
 */
export class MalformedJobError extends JobsError {
  constructor(
    readonly queue: string,
    /** The job id when the message carries one the backend can read, else the broker's own id for it. */
    readonly jobId: string,
    /** What was wrong with it, e.g. "its body is not JSON (Unexpected token o in JSON at position 1)". */
    readonly reason: string,
  ) {
    super(
      `Job ${jobId} on queue "${queue}" could not be decoded: ${reason} — it goes to the dead-letter queue without a run; ` +
        'fix the producer that wrote it (the wire format is in docs/api.md), then purge it, or redrive it once its body is fixed',
    );
  }
}
