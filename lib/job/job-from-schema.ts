import { Job } from './job';
import type { JobInput } from './job-input';
import type { JobSchema } from './job-schema';
import { dtoToWire, toValidDto } from './dto-validation';
import { isoNow } from './iso-now';
import { newJobId } from './job-id';
import { rememberValidated } from './validated-payloads';
import type { WireJson } from './wire-json';

/**
 * Validates `input` (a plain object or a DTO instance) against the schema's input DTO and wraps it in a
 * new Job with a fresh UUID. Throws JobValidationError naming every failing property, and naming the
 * path of data no backend could carry (nested too deep, circular, not JSON). The job's payload is
 * frozen: a job is a value, so change the input and make a new job instead. Its size is checked when
 * it is published, against the orchestrator's `maxPayloadBytes`.
 */
export function jobFromSchema<I extends JobInput>(schema: JobSchema<I, any>, input: Partial<I> | I): Job<I> {
  const payload = toValidDto(schema.input, input, schema.name, 'input');
  const job = new Job<I>(newJobId(), schema.name, schema.name, payload, isoNow());
  rememberValidated(job.payload, schema.input, dtoToWire(payload, schema.name, 'input', schema.input));
  return job;
}

/**
 * For publishing a raw input as a new job: the input validated against the schema's input DTO, in its
 * wire form. No Job is made, since only the record travels.
 */
export function validatedWireInput<I extends JobInput>(schema: JobSchema<I, any>, input: Partial<I> | I): WireJson {
  return dtoToWire(toValidDto(schema.input, input, schema.name, 'input'), schema.name, 'input', schema.input);
}
