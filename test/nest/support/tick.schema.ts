import { IsInt } from 'class-validator';
import { JobInput, JobSchema } from '../../../lib';

/** The smallest useful payload: a number that tells the jobs of a test apart. */
export class TickInput extends JobInput {
  @IsInt()
  n = 0;
}

/** A schema for `queue`, so tests can publish raw `{ n }` inputs to a queue of their own. */
export function tickSchema(queue: string): JobSchema<TickInput> {
  return new JobSchema({ name: queue, input: TickInput });
}
