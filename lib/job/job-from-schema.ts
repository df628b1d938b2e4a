import { randomUUID } from 'node:crypto';
import { Job } from './job';
import type { JobInput } from './job-input';
import type { JobSchema } from './job-schema';
import { dtoToPlain, toValidDto } from './dto-validation';
import { rememberValidated } from './validated-payloads';

/**
 * Validates `input` (a plain object or a DTO instance) against the schema's input DTO and wraps it in a
 * new Job with a fresh UUID. Throws JobValidationError naming every failing property. The job's payload
 * is frozen: a job is a value, so change the input and make a new job instead.
 */
export function jobFromSchema<I extends JobInput>(schema: JobSchema<I, any>, input: Partial<I> | I): Job<I> {
  const { job, plain } = validatedJob(schema, input);
  rememberValidated(job.payload, schema.input, plain);
  return job;
}

/** jobFromSchema for internal use: the job and its payload's wire form, neither frozen nor remembered. */
export function validatedJob<I extends JobInput>(schema: JobSchema<I, any>, input: Partial<I> | I): { job: Job<I>; plain: Record<string, unknown> } {
  const payload = toValidDto(schema.input, input, schema.name, 'input');
  const job = new Job<I>(randomUUID(), schema.name, schema.name, payload, new Date().toISOString());
  return { job, plain: dtoToPlain(payload) };
}
