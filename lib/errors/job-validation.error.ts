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
  ) {
    super(
      `Invalid ${side} for schema "${schemaName}": ` +
        violations
          .map((v) => `${v.path || '(payload)'} ${Object.entries(v.constraints).map(([k, m]) => `[${k}] ${m}`).join('; ')}`)
          .join(', '),
    );
  }
}
