/**
 * The fields of a job record a backend may read from the body rather than keep beside it: RabbitMQ
 * has only the body; Redis keeps a job's id, attempt and priority in its hash.
 */
export type CarriedField = 'id' | 'priority' | 'attempt';

/** A parsed body checked against the wire format (docs/api.md, "The wire format"). */
export interface JobRecordShape {
  /** Why it is not a job record, as MalformedJobError gives it after "its body is "; absent when it is one. */
  problem?: string;
  /** The fields that are wrong, in the order checked (empty when the body is not even an object). */
  wrong: string[];
}

/** What a field must be: a test, and the words for what passes it. */
interface FieldRule {
  holds: (value: unknown) => boolean;
  expected: string;
}

const isString = (value: unknown): boolean => typeof value === 'string';
const isWholeNumber = (value: unknown): boolean => Number.isInteger(value);

/** The fields every body carries, whatever the backend. */
export const BODY_FIELDS = ['name', 'schemaName', 'createdAt', 'payload'] as const;

const BODY_RULES: Record<(typeof BODY_FIELDS)[number], FieldRule> = {
  name: { holds: isString, expected: 'a string' },
  schemaName: { holds: isString, expected: 'a string' },
  createdAt: { holds: isString, expected: 'a string' },
  payload: { holds: isPlainObject, expected: 'an object' },
};

const CARRIED_RULES: Record<CarriedField, FieldRule> = {
  id: { holds: (value) => typeof value === 'string' && value.length > 0, expected: 'a non-empty string' },
  priority: { holds: isWholeNumber, expected: 'a whole number' },
  attempt: { holds: (value) => isWholeNumber(value) && (value as number) >= 0, expected: 'a whole number >= 0' },
};

/**
 * Checks a parsed body field by field, naming every wrong one, so every backend refuses a body alike
 * and in the same words. `carried`: the fields this backend reads from the body too.
 */
export function jobRecordShape(value: unknown, carried: readonly CarriedField[] = []): JobRecordShape {
  if (!isPlainObject(value)) return { problem: `not a job record: it is ${kindOf(value)}, not a JSON object`, wrong: [] };
  const rules: [string, FieldRule][] = [
    ...Object.entries(BODY_RULES),
    ...carried.map((field): [string, FieldRule] => [field, CARRIED_RULES[field]]),
  ];
  const problems: string[] = [];
  const wrong: string[] = [];
  for (const [field, rule] of rules) {
    if (rule.holds(value[field])) continue;
    wrong.push(field);
    problems.push(`"${field}" is ${kindOf(value[field])}, not ${rule.expected}`);
  }
  return problems.length === 0 ? { wrong } : { problem: `not a job record: ${problems.join('; ')}`, wrong };
}

/** An object that is not an array: what a body, and its payload, must be. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A value as a message names it: its kind, or itself for a number (a priority of 1.5 says more than "a number"). */
function kindOf(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return String(value);
  if (value === '') return 'an empty string';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
