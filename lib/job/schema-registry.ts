import { InvalidOptionError } from '../errors';
import type { JobInput, JobOutput } from './job-input';
import type { JobSchema } from './job-schema';

/**
 * Every JobSchema made in this process, by name. A consumer whose orchestrator never registered a
 * schema for its queue (`JobsModule.forRoot(backend)` without `schemas`) still validates and converts
 * its payloads through the schema the jobs name. A name is a payload format: two different
 * definitions under one name would make the choice depend on import order, so the second is refused.
 */
const byName = new Map<string, JobSchema<JobInput, JobOutput>>();

/** Records a new schema; the same name with the same DTO classes again is fine (modules loaded twice, tests). */
export function recordSchema(schema: JobSchema<JobInput, JobOutput>): void {
  const known = byName.get(schema.name);
  if (!known) {
    byName.set(schema.name, schema);
    return;
  }
  if (known.input === schema.input && known.output === schema.output) return;
  throw new InvalidOptionError(
    `JobSchema "${schema.name}"`,
    'name',
    `is already defined in this process with input ${known.input.name}${known.output ? ` and output ${known.output.name}` : ' and no output'} — ` +
      'a schema name identifies one payload format: reuse that JobSchema instance, or give this one another name',
  );
}

/** The schema made under this name in this process, if any. */
export function schemaNamed(name: string): JobSchema<JobInput, JobOutput> | undefined {
  return byName.get(name);
}
