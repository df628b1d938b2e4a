import type { JobRecord } from '../../backend/job-record';
// The same bound as RabbitMQ's, so a body is refused alike on both brokers.
import { MAX_BODY_NESTING } from '../../backend/json-nesting';
import { BODY_FIELDS, isPlainObject, jobRecordShape } from '../../backend/job-record-shape';

/** A job hash's `data` read back: the job record, and why it is not a sound one if it is not. */
export interface DecodedJob {
  /** For a malformed job, only what could be read (the id and attempt always; other fields when usable). */
  record: JobRecord;
  /** Set when `data` is missing, not JSON or not a job record: the reason MalformedJobError gives. */
  problem?: string;
}

/** How much of an unreadable body a message quotes. */
const QUOTED_CHARS = 60;

/**
 * Decodes one job's `data` on its own, never throwing: bytes that any producer (another language, a
 * bug, a hand edit) may have written must not fail the fetch or read they arrive with. `id` and
 * `attempt` come from the job's key and hash, not from `data`; `priority` from `data` when it has one.
 */
export function decodeJob(id: string, data: string | null | undefined, attempt: number, priority = 0): DecodedJob {
  const known: JobRecord = { id, name: '', schemaName: '', payload: {}, createdAt: '', priority, attempt };
  if (data === null || data === undefined)
    return { record: known, problem: 'it has no job record (its hash is missing, or has no "data" field)' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch (err) {
    return { record: known, problem: `its body is not JSON (${(err as Error).message}): ${quote(data)}` };
  }
  // JSON.parse reads any depth; the walks after it (validation, events, a listener's JSON.stringify) recurse.
  if (data.length > 2 * MAX_BODY_NESTING && nestsDeeperThan(parsed, MAX_BODY_NESTING)) {
    return { record: known, problem: `its body is nested deeper than ${MAX_BODY_NESTING} levels: ${quote(data)}` };
  }
  const shape = jobRecordShape(parsed);
  if (shape.problem === undefined) {
    const body = parsed as unknown as JobRecord;
    // Its own id and attempt never count: the hash's are the job's.
    return { record: { ...body, id, attempt, priority: typeof body.priority === 'number' ? body.priority : priority } };
  }
  // What can be known: the fields that are right, when the body is an object at all.
  const usable = isPlainObject(parsed)
    ? Object.fromEntries(BODY_FIELDS.filter((field) => !shape.wrong.includes(field)).map((field) => [field, parsed[field]]))
    : {};
  return { record: { ...known, ...usable }, problem: `its body is ${shape.problem}` };
}

/** A stored JSON value (a result, an error), or its raw text when it is not JSON. */
export function parseStored(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}

/**
 * Whether objects and arrays in a parsed value nest more than `max` levels (the value itself is level
 * 1), as the byte scan RabbitMQ uses (backend/json-nesting.ts) counts them. Walks containers only, without
 * recursion: a megabyte string costs nothing, where a scan of the text costs more than JSON.parse did.
 */
function nestsDeeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const containers: object[] = [value];
  const levels: number[] = [1];
  while (containers.length > 0) {
    const container = containers.pop() as Record<string, unknown>;
    const level = levels.pop()!;
    if (level > max) return true;
    // Indexed loops over the keys: a payload may hold tens of thousands of containers.
    const keys = Array.isArray(container) ? null : Object.keys(container);
    const size = keys === null ? (container as unknown as unknown[]).length : keys.length;
    for (let i = 0; i < size; i++) {
      const child = keys === null ? (container as unknown as unknown[])[i] : container[keys[i]];
      if (typeof child === 'object' && child !== null) {
        containers.push(child);
        levels.push(level + 1);
      }
    }
  }
  return false;
}

function quote(data: string): string {
  return JSON.stringify(data.length > QUOTED_CHARS ? `${data.slice(0, QUOTED_CHARS)}…` : data);
}
