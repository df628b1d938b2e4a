import type { JobFailure } from './job-state';

/** Captures a thrown value as the JSON-safe error record kept with the job. */
export function failureOf(error: unknown, attempt: number): JobFailure {
  const err = error instanceof Error ? error : new Error(typeof error === 'string' ? error : describe(error));
  return { name: err.name, message: err.message, stack: err.stack, attempt, failedAt: new Date().toISOString() };
}

/** Anything can be thrown; a circular object or a BigInt must still leave a readable message. */
function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
