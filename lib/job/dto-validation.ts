import { instanceToPlain, plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { JobValidationError, type PropertyViolation } from '../errors';
import type { DtoClass } from './job-input';

/** Keys that could reach an object's prototype if a transformer assigned them. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Turns untrusted plain data into a validated DTO instance: unsafe keys are dropped before
 * class-transformer sees them, unknown properties are stripped, every violation is reported at once.
 */
export function toValidDto<T extends object>(
  dto: DtoClass<T>,
  data: unknown,
  schemaName: string,
  side: 'input' | 'output',
): T {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new JobValidationError(schemaName, side, [
      { path: '', constraints: { isObject: `${side} must be an object, got ${describe(data)}` } },
    ]);
  }
  const plain = data instanceof dto ? instanceToPlain(data) : withoutUnsafeKeys(data);
  const instance = plainToInstance(dto, plain) as T;
  const errors = validateSync(instance, { whitelist: true, forbidUnknownValues: true });
  if (errors.length > 0) throw new JobValidationError(schemaName, side, flatten(errors));
  return instance;
}

/** The JSON form of a validated DTO, as stored on the wire. */
export function dtoToPlain(instance: object): Record<string, unknown> {
  return instanceToPlain(instance) as Record<string, unknown>;
}

function withoutUnsafeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUnsafeKeys);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (!UNSAFE_KEYS.has(key)) copy[key] = withoutUnsafeKeys((value as Record<string, unknown>)[key]);
  }
  return copy;
}

function flatten(errors: ValidationError[], parent = ''): PropertyViolation[] {
  const out: PropertyViolation[] = [];
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    if (error.constraints) out.push({ path, constraints: error.constraints });
    if (error.children?.length) out.push(...flatten(error.children, path));
  }
  return out;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
