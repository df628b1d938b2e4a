import type { JobFailure } from '../backend/job-state';

/** Captures a thrown value as the JSON-safe error record kept with the job. */
export function failureOf(error: unknown, attempt: number): JobFailure {
  const err = error instanceof Error ? error : new Error(typeof error === 'string' ? error : JSON.stringify(error) ?? String(error));
  return { name: err.name, message: err.message, stack: err.stack, attempt, failedAt: new Date().toISOString() };
}
