import { InvalidOptionError } from '../errors';
import type { DtoClass, JobInput, JobOutput } from './job-input';
import { recordSchema } from './schema-registry';

export interface JobSchemaDefinition<I extends JobInput, O extends JobOutput> {
  /** The schema's name; `orchestrator.register` names the queue after it. */
  name: string;
  /** The input DTO class (an instance is accepted too; its class is used). */
  input: DtoClass<I> | I;
  /** The output DTO class, if run's result should be validated. */
  output?: DtoClass<O> | O;
}

/**
 * Names a kind of job and the DTOs its payload and result must satisfy. Every schema is also recorded
 * by name for the process (one definition per name), so a consumer finds it by the name its jobs carry.
 */
export class JobSchema<I extends JobInput = JobInput, O extends JobOutput = JobOutput> {
  readonly name: string;
  readonly input: DtoClass<I>;
  readonly output?: DtoClass<O>;

  constructor(definition: JobSchemaDefinition<I, O>) {
    if (typeof definition?.name !== 'string' || definition.name.length === 0) {
      throw new InvalidOptionError('JobSchema', 'name', 'must be a non-empty string');
    }
    this.name = definition.name;
    this.input = dtoClassOf(definition.input, definition.name, 'input');
    if (definition.output !== undefined) this.output = dtoClassOf(definition.output, definition.name, 'output');
    recordSchema(this as JobSchema<JobInput, JobOutput>);
  }
}

function dtoClassOf<T>(dto: DtoClass<T> | T, schema: string, field: string): DtoClass<T> {
  if (isClass(dto)) return dto as DtoClass<T>;
  if (dto !== null && typeof dto === 'object' && dto.constructor !== Object && isClass(dto.constructor))
    return dto.constructor as DtoClass<T>;
  throw new InvalidOptionError(`JobSchema "${schema}"`, field, 'must be a DTO class (or an instance of one)');
}

/** Arrow functions and prototype-less objects cannot be DTOs: class-transformer needs `new` and a prototype. */
function isClass(value: unknown): boolean {
  return typeof value === 'function' && typeof value.prototype === 'object' && value.prototype !== null;
}
