import { JobsError } from './jobs.error';

/** A batch had invalid items; the batch was rejected whole and nothing was published. */
export class JobBatchValidationError extends JobsError {
  constructor(
    readonly queue: string,
    readonly failures: { index: number; error: Error }[],
  ) {
    super(
      `Batch for queue "${queue}" rejected, nothing was published: ` +
        failures.map((f) => `invalid job at index ${f.index}: ${f.error.message}`).join(' | '),
    );
  }
}
