import { randomUUID } from 'node:crypto';
import { Job } from './job';
import type { JobInput } from './job-input';
import type { JobSchema } from './job-schema';
import { toValidDto } from './dto-validation';

/**
 * Validates `input` (a plain object or a DTO instance) against the schema's input DTO and wraps it in a
 * new Job with a fresh UUID. Throws JobValidationError naming every failing property.
 */
export function jobFromSchema<I extends JobInput>(schema: JobSchema<I, any>, input: Partial<I> | I): Job<I> {
  const payload = toValidDto(schema.input, input, schema.name, 'input');
  return new Job<I>(randomUUID(), schema.name, schema.name, payload, new Date().toISOString());
}
