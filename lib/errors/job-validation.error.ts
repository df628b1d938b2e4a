import { JobsError } from './jobs.error';

/** One failing property: its dotted path and the class-validator constraints it broke. */
export interface PropertyViolation {
  path: string;
  constraints: Record<string, string>;
}

/** A payload (or a run's result) does not satisfy its DTO; nothing was enqueued. */
export class JobValidationError extends JobsError {
  constructor(
    readonly schemaName: string,
    readonly side: 'input' | 'output',
    readonly violations: PropertyViolation[],
    /** The queue it was published to or run from, when known (jobFromSchema has none yet). */
    readonly queue?: string,
  ) {
    super(
      `Invalid ${side} for schema "${schemaName}"${queue === undefined ? '' : ` on queue "${queue}"`}: ` +
        violations
          .map(
            (v) =>
              `${v.path || '(payload)'} ${Object.entries(v.constraints)
                .map(([k, m]) => `[${k}] ${m}`)
                .join('; ')}`,
          )
          .join(', '),
    );
  }

  /** The same violations, said to be on `queue`. */
  onQueue(queue: string): JobValidationError {
    return this.queue === queue ? this : new JobValidationError(this.schemaName, this.side, this.violations, queue);
  }
}
