import { BackendClosedError, InvalidOptionError } from '../errors';
import type { QueueType } from './queue-type';
import type { RetentionRule } from './retention-options';

/*
 * Rules every backend keeps, whatever it stores jobs in: each backend checks them where it can check
 * them atomically (in memory, in a Redis script, against the broker), and says so with these errors
 * and messages, so a user reads the same words whichever backend refused.
 */

/** After close(), every call fails the same way. */
export function checkOpen(backend: string, closed: boolean): void {
  if (closed) throw new BackendClosedError(backend);
}

/** A priority other than 0 orders nothing on a fifo or stack queue, so it is refused rather than ignored. */
export function checkPriorityAllowed(queue: string, type: QueueType, priority: number): void {
  if (priority !== 0 && type !== 'priority') throw priorityNotAllowedError(queue, type);
}

/** The refusal of a priority on a queue of another type (for a backend that found it out elsewhere, in a script). */
export function priorityNotAllowedError(queue: string, type: string): InvalidOptionError {
  return new InvalidOptionError(`publish to "${queue}"`, 'priority', `is only meaningful on a priority queue; "${queue}" is ${type}`);
}

/**
 * The refusal of a job id the backend still holds (uniqueJobIds). `holder` says where it is held;
 * `advice` comes before the usual way out, for a backend that knows more about why it may happen.
 */
export function duplicateJobIdError(
  queue: string,
  id: string,
  holder = 'is already known to this backend',
  advice = '',
): InvalidOptionError {
  return new InvalidOptionError(
    `publish to "${queue}"`,
    'job.id',
    `${id} ${holder} — ${advice}publish a new job (jobFromSchema) instead of the same one twice`,
  );
}

/** Redrive moves dead letters only: ids that are not (or no longer) dead letters of the queue refuse the whole call. */
export function notDeadLettersError(queue: string, ids: readonly string[]): InvalidOptionError {
  return new InvalidOptionError(`redrive on "${queue}"`, 'ids', `names jobs that are not in its dead-letter queue: ${ids.join(', ')}`);
}

/**
 * A dead letter is a job that never completed, so retention dropping one is said aloud: the warning
 * names the queue, the rule and the first few ids.
 */
export function deadLettersDroppedWarning(queue: string, ids: readonly string[], rule: Required<RetentionRule>): string {
  const shown = `${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ', …' : ''}`;
  return (
    `Retention dropped ${ids.length} dead letter(s) of queue "${queue}" (retention.dead keeps ${retentionRuleText(rule)}): ${shown} — ` +
    'raise retention.dead, or redrive or purge dead letters sooner'
  );
}

/** A retention rule in words: "the newest 100 for 60000 ms", "any number for ever". */
export function retentionRuleText({ count, ageMs }: Required<RetentionRule>): string {
  return `${Number.isFinite(count) ? `the newest ${count}` : 'any number'} ${Number.isFinite(ageMs) ? `for ${ageMs} ms` : 'for ever'}`;
}
