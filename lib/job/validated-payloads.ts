import type { DtoClass } from './job-input';
import type { WireJson } from './wire-json';

interface Validated {
  dto: DtoClass;
  /** The payload's wire form, made once. */
  wire: WireJson;
}

/**
 * Payloads jobFromSchema validated, with their wire form. They are frozen, so they cannot have become
 * invalid since: publishing such a job to a queue of the same schema skips a second validation and
 * conversion, which are most of a publish's cost.
 */
const registry = new WeakMap<object, Validated>();

export function rememberValidated(payload: object, dto: DtoClass, wire: WireJson): void {
  deepFreeze(payload);
  deepFreeze(wire.value);
  registry.set(payload, { dto, wire });
}

/** The wire form of a payload validated against `dto` (or any DTO when `dto` is undefined), if it was. */
export function validatedWire(payload: unknown, dto: DtoClass | undefined): WireJson | undefined {
  if (payload === null || typeof payload !== 'object') return undefined;
  const validated = registry.get(payload);
  return validated && (dto === undefined || validated.dto === dto) ? validated.wire : undefined;
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
}
