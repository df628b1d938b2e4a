import { NestingGuard, type PayloadKey, type PayloadRoot } from './nesting-guard';
import { PayloadViolation } from './payload-violation';

/** Returned for an undefined property: left out, as JSON.stringify leaves it out. */
const ABSENT = Symbol('absent');

/** A value in the form a broker carries, with what its JSON may weigh. */
export interface WireJson {
  value: unknown;
  /** An upper bound of its JSON's size in bytes, so that most payloads are never stringified to be measured. */
  sizeBound: number;
}

/** One walk: where it is, and what its JSON may weigh so far (one object, not a guard and a counter). */
class Walk extends NestingGuard {
  /** Grows with every value: at most 6 bytes per UTF-16 unit of a string (a \u escape), 24 per number. */
  bound = 0;
}

/**
 * `value` as exactly what a broker carries: a copy made only of plain objects, arrays, strings, finite
 * numbers, booleans and null — what JSON.parse(JSON.stringify(value)) gives, so every backend (the
 * Local one too) hands a run the same data. A Date (and anything else with toJSON) becomes its JSON
 * form; an undefined property is left out, and so is an own `__proto__` key (JSON.parse makes one),
 * which the copy could only take as its prototype. What JSON would change or lose is refused with a
 * PayloadViolation naming its path: BigInt, functions, symbols, NaN and ±Infinity, undefined in an
 * array, Map, Set, invalid Dates, circular references and nesting deeper than MAX_PAYLOAD_DEPTH.
 */
export function toWireJson(value: unknown, root: PayloadRoot): WireJson {
  // A run that returns nothing (most do), or a plain value: nothing to walk.
  if (value === undefined) return { value: null, sizeBound: 0 };
  if (typeof value === 'string') return { value, sizeBound: 6 * value.length + 2 };
  if (typeof value === 'boolean') return { value, sizeBound: 5 };
  if (value === null) return { value, sizeBound: 4 };
  const walk = new Walk(root);
  const wire = wireValue(value, undefined, walk, false, true);
  return { value: wire === ABSENT ? null : wire, sizeBound: walk.bound };
}

/**
 * Refuses a wire value whose JSON is over `maxBytes`, measured in UTF-8 bytes. Only a value whose
 * size bound is over the limit is stringified to be measured.
 */
export function checkWireSize(wire: WireJson, maxBytes: number, root: PayloadRoot): void {
  if (wire.sizeBound <= maxBytes) return;
  const bytes = Buffer.byteLength(JSON.stringify(wire.value), 'utf8');
  if (bytes <= maxBytes) return;
  throw new PayloadViolation({
    path: '',
    constraints: {
      maxPayloadBytes:
        `the ${root} is ${bytes} bytes as JSON, over the limit of ${maxBytes} (maxPayloadBytes) — put large data where the run can read it ` +
        '(object storage, a database) and send a reference, or raise maxPayloadBytes in the Orchestrator options',
    },
  });
}

function wireValue(value: unknown, key: PayloadKey | undefined, walk: Walk, inArray: boolean, convert: boolean): unknown {
  switch (typeof value) {
    case 'string':
      walk.bound += 6 * value.length + 2;
      return value;
    case 'number':
      if (!Number.isFinite(value))
        throw refuse(walk, key, `is ${value}, which JSON cannot carry (it would arrive as null) — send null, or a string`);
      walk.bound += 24;
      return value;
    case 'boolean':
      walk.bound += 5;
      return value;
    case 'undefined':
      if (!inArray) return ABSENT;
      throw refuse(walk, key, 'is undefined inside an array, which JSON turns into null — use null');
    case 'bigint':
      throw refuse(walk, key, 'is a BigInt, which JSON cannot carry — send it as a string (String(value)) and convert it back in the run');
    case 'function':
      throw refuse(walk, key, 'is a function, which JSON cannot carry — send data only');
    case 'symbol':
      throw refuse(walk, key, 'is a symbol, which JSON cannot carry — send a string');
  }
  if (value === null) {
    walk.bound += 4;
    return null;
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime()))
      throw refuse(walk, key, 'is an invalid Date, which JSON turns into null — send a valid Date or null');
    walk.bound += 26;
    return value.toISOString();
  }
  // As JSON.stringify: toJSON once, then its result as it is (a toJSON returning `this` must not loop).
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (convert && typeof toJSON === 'function')
    return wireValue(toJSON.call(value, key === undefined ? '' : String(key)), key, walk, inArray, false);
  if (value instanceof Map || value instanceof Set) {
    const kind = value instanceof Map ? 'a Map' : 'a Set';
    throw refuse(
      walk,
      key,
      `is ${kind}, which JSON cannot carry (it would arrive as {}) — send ${value instanceof Map ? 'a plain object or an array of entries' : 'an array'}`,
    );
  }
  walk.enter(value as object, key);
  let wire: unknown[] | Record<string, unknown>;
  if (Array.isArray(value)) {
    wire = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) wire[i] = wireValue(value[i], i, walk, true, true);
    walk.bound += 2 + value.length;
  } else {
    wire = {};
    // for-in with an own-property check visits what Object.keys lists, without allocating that array.
    for (const name in value) {
      // Assigning __proto__ would set the copy's prototype; any other key (constructor too) is plain data on it.
      if (!Object.prototype.hasOwnProperty.call(value, name) || name === '__proto__') continue;
      const item = wireValue((value as Record<string, unknown>)[name], name, walk, false, true);
      if (item === ABSENT) continue;
      wire[name] = item;
      walk.bound += 6 * name.length + 4;
    }
    walk.bound += 2;
  }
  walk.leave();
  return wire;
}

function refuse(walk: Walk, key: PayloadKey | undefined, problem: string): PayloadViolation {
  return walk.violation(key, 'jsonCompatible', problem);
}
