import { JobValidationError, type PropertyViolation } from '../errors';

/**
 * A payload's shape is wrong (too deep, circular, not JSON, too large), found by a walk that does not
 * know the schema; whoever called the walk turns it into a JobValidationError naming the schema.
 */
export class PayloadViolation extends Error {
  constructor(readonly violation: PropertyViolation) {
    super(Object.values(violation.constraints).join('; '));
  }
}

/** `error` as the JobValidationError it stands for when it is a PayloadViolation, else unchanged. */
export function validationErrorOf(error: unknown, schemaName: string, side: 'input' | 'output'): unknown {
  return error instanceof PayloadViolation ? new JobValidationError(schemaName, side, [error.violation]) : error;
}
