import { instanceToPlain, plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { JobValidationError, type PropertyViolation } from '../errors';
import { hasTransformerDecorators } from './class-transformer-internals';
import { classValidatorInternals } from './class-validator-internals';
import type { DtoClass } from './job-input';
import { checkNesting, NestingGuard, type PayloadKey, type PayloadRoot } from './nesting-guard';
import { validationErrorOf } from './payload-violation';
import { isUnsafeKey, UNSAFE_KEYS } from './unsafe-keys';
import { passesPlannedChecks } from './validation-plan';
import { toWireJson, type WireJson } from './wire-json';

/**
 * Turns untrusted plain data into a validated DTO instance: unsafe keys are dropped before
 * class-transformer sees them, unknown properties are stripped, every violation is reported at once.
 * Data nested deeper than MAX_PAYLOAD_DEPTH, or circular, is refused before any recursive walk.
 */
export function toValidDto<T extends object>(dto: DtoClass<T>, data: unknown, schemaName: string, side: 'input' | 'output'): T {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new JobValidationError(schemaName, side, [
      { path: '', constraints: { isObject: `${side} must be an object, got ${describe(data)}` } },
    ]);
  }
  let instance: T;
  try {
    instance = toDto(dto, data, rootOf(side));
  } catch (error) {
    throw validationErrorOf(error, schemaName, side);
  }
  // The common case, valid, without validateSync's per-call set-up; anything else gets its full report.
  if (passesPlannedChecks(instance)) return instance;
  if (!declaresProperties(dto)) return emptyDto(dto, data, schemaName, side);
  const errors = validateSync(instance, { whitelist: true, forbidUnknownValues: true });
  if (errors.length > 0) throw new JobValidationError(schemaName, side, flatten(errors));
  return instance;
}

function toDto<T extends object>(dto: DtoClass<T>, data: object, root: PayloadRoot): T {
  if (isPlainDto(dto)) {
    // What class-transformer would do for a DTO without @Type/@Transform/@Expose/@Exclude, at a
    // fraction of the cost: a fresh instance (defaults from its initialisers) with a safe deep copy.
    const guard = new NestingGuard(root);
    guard.enter(data);
    return copySafeKeys(data, new dto(), guard);
  }
  if (data instanceof dto) {
    // class-transformer walks it without a depth limit: look first.
    checkNesting(data, root);
    return plainToInstance(dto, instanceToPlain(data)) as T;
  }
  return plainToInstance(dto, withoutUnsafeKeys(data, undefined, new NestingGuard(root))) as T;
}

/**
 * A consumed payload no schema validates: it still had to come through publish's limits, so one nested
 * too deep or circular (another producer wrote it) is refused before a run, or any walk over it, can
 * overflow the stack.
 */
export function unvalidatedPayload(payload: unknown, schemaName: string): unknown {
  try {
    checkNesting(payload, 'payload');
  } catch (error) {
    throw validationErrorOf(error, schemaName, 'input');
  }
  return payload;
}

/** Per class: whether any class-validator decorator declares a property of it or its ancestors. */
const declaring = new WeakMap<Function, boolean>();

function declaresProperties(dto: Function): boolean {
  let declares = declaring.get(dto);
  if (declares === undefined) {
    // Without class-validator's storage, say yes: validateSync then reports the data as unknown values.
    declares = (classValidatorInternals()?.metadataOf(dto).length ?? 1) > 0;
    declaring.set(dto, declares);
  }
  return declares;
}

/**
 * A DTO without a single class-validator decorator: validateSync would call any data "an unknown
 * value", and its whitelist would strip every property. So no data is accepted as what it is — an
 * empty DTO (an output that returns nothing) — while data is refused with a message that says what
 * to do, rather than silently dropped.
 */
function emptyDto<T extends object>(dto: DtoClass<T>, data: object, schemaName: string, side: 'input' | 'output'): T {
  const keys = Object.keys(data).filter((key) => !UNSAFE_KEYS.has(key));
  if (keys.length > 0) {
    const message = `${dto.name} declares no validated property (no class-validator decorator), so ${keys.join(', ')} would be dropped: decorate its properties (e.g. @IsString(), or @Allow() to take any value)`;
    throw new JobValidationError(schemaName, side, [{ path: '', constraints: { undeclaredProperties: message } }]);
  }
  // Initialisers of undecorated fields go too, as the whitelist would take them.
  const instance = new dto() as Record<string, unknown>;
  for (const key of Object.keys(instance)) delete instance[key];
  return instance as T;
}

/**
 * The JSON form of a validated DTO, as every backend carries it (see toWireJson): a value JSON cannot
 * carry is refused with a JobValidationError naming its path. `dtoClass` is the instance's class when the
 * caller knows it (toValidDto made the instance): looking it up is a runtime call on every publish.
 */
export function dtoToWire(instance: object, schemaName: string, side: 'input' | 'output', dtoClass?: DtoClass): WireJson {
  try {
    // Else its class from the prototype: an unvalidated payload may hold a "constructor" key, or have no prototype.
    const dto: unknown = dtoClass ?? Object.getPrototypeOf(instance)?.constructor;
    return toWireJson(typeof dto !== 'function' || isPlainDto(dto) ? instance : instanceToPlain(instance), rootOf(side));
  } catch (error) {
    throw validationErrorOf(error, schemaName, side);
  }
}

function rootOf(side: 'input' | 'output'): PayloadRoot {
  return side === 'input' ? 'payload' : 'result';
}

/** Per class: true when no class-transformer decorator touches it or its ancestors. */
const plainDtos = new WeakMap<Function, boolean>();
/** The class asked about last and the answer: a queue's jobs are all of one class, so most calls skip the WeakMap. */
let lastDto: Function | null = null;
let lastPlain = false;

function isPlainDto(dto: Function): boolean {
  if (dto === lastDto) return lastPlain;
  let plain = plainDtos.get(dto);
  if (plain === undefined) {
    // Unknown (class-transformer's storage out of reach) counts as decorated: the full path is always right.
    plain = hasTransformerDecorators(dto) === false;
    plainDtos.set(dto, plain);
  }
  lastDto = dto;
  lastPlain = plain;
  return plain;
}

/** A deep copy of `value` without unsafe keys; `guard` has entered the container holding it, at `key`. */
function withoutUnsafeKeys(value: unknown, key: PayloadKey | undefined, guard: NestingGuard): unknown {
  if (value === null || typeof value !== 'object' || keptForValidation(value)) return value;
  guard.enter(value, key);
  let copy: unknown;
  if (Array.isArray(value)) {
    const items = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) items[i] = withoutUnsafeKeys(value[i], i, guard);
    copy = items;
  } else {
    copy = copySafeKeys(value, {}, guard);
  }
  guard.leave();
  return copy;
}

/**
 * Kept as they are, for validation to see what was given (a Date for @IsDate): toWireJson then sends
 * what has toJSON as its JSON form, as JSON.stringify would, and refuses a Map or a Set. JSON.parse
 * never makes a toJSON function, so untrusted JSON is still copied.
 */
function keptForValidation(value: object): boolean {
  return (
    value instanceof Date || value instanceof Map || value instanceof Set || typeof (value as { toJSON?: unknown }).toJSON === 'function'
  );
}

/**
 * Copies `from`'s own enumerable properties (deeply, unsafe keys dropped) onto `to`, as Object.assign
 * would; `guard` has entered `from`.
 */
function copySafeKeys<T extends object>(from: object, to: T, guard: NestingGuard): T {
  // for-in with an own-property check visits what Object.keys lists, without allocating that array.
  for (const key in from) {
    if (Object.prototype.hasOwnProperty.call(from, key) && !isUnsafeKey(key)) {
      (to as Record<string, unknown>)[key] = withoutUnsafeKeys((from as Record<string, unknown>)[key], key, guard);
    }
  }
  return to;
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
