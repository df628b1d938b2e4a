import type { JobProgress } from '../backend/job-state';
import { InvalidOptionError } from '../errors';
import { PayloadViolation } from '../job/payload-violation';
import { toWireJson } from '../job/wire-json';

/** The most a progress report may weigh as JSON: it is stored with the job and sent on every report. */
export const MAX_PROGRESS_BYTES = 64 * 1024;

/**
 * `value` as a run may report it: a finite number, or a plain object JSON carries as it is, at most
 * 64 KiB as JSON. Returns the number, or a detached JSON copy of the object; else InvalidOptionError.
 */
export function checkProgress(queue: string, value: unknown): JobProgress {
  const where = `context.progress on "${queue}"`;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    throw new InvalidOptionError(where, 'value', `must be a finite number or a plain object, got ${value}`);
  }
  if (!isPlainObject(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw new InvalidOptionError(
      where,
      'value',
      `must be a finite number or a plain object such as { stage: 'upload', done: 3 }, got ${got}`,
    );
  }
  let wire;
  try {
    wire = toWireJson(value, 'payload');
  } catch (error) {
    if (error instanceof PayloadViolation) {
      const path = error.violation.path ? ` at ${error.violation.path}` : '';
      throw new InvalidOptionError(where, 'value', `cannot be carried as JSON${path}: ${error.message}`);
    }
    throw error;
  }
  if (wire.sizeBound > MAX_PROGRESS_BYTES) {
    const bytes = Buffer.byteLength(JSON.stringify(wire.value), 'utf8');
    if (bytes > MAX_PROGRESS_BYTES) {
      throw new InvalidOptionError(
        where,
        'value',
        `is ${bytes} bytes as JSON, over the limit of ${MAX_PROGRESS_BYTES} (64 KiB) — report a summary, and keep large data elsewhere`,
      );
    }
  }
  return wire.value as Record<string, unknown>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
