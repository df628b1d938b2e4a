import type { DeduplicationOptions } from '../backend/flow-control';
import { checkOptionKeys } from '../backend/option-keys';
import { InvalidOptionError } from '../errors';

/** Options of one publish. */
export interface PublishOptions {
  /** On a priority queue: higher runs first. Overrides the job's own priority. */
  priority?: number;
  /** Deliver no sooner than this many milliseconds from now. */
  delay?: number;
  /** Deliver no sooner than this time. */
  runAt?: Date;
  /**
   * Publish only if no unfinished job of the queue holds `key` (within `ttlMs` of its publish, when
   * given); `replace: true` replaces a holder that has not started. publish then resolves with the id
   * of the job holding the key. Single publishes only; needs a backend with `deduplication`.
   */
  deduplication?: DeduplicationOptions;
}

const PUBLISH_OPTIONS = ['priority', 'delay', 'runAt', 'deduplication'] as const;

/** Where an option that is not a publish option belongs, for the error that refuses it. */
const CONSUMER_OPTION =
  'attempts and backoff are consumer options, set where jobs are run: new MyConsumer(queue, { attempts, backoff }) or @Consumer(queue, { attempts, backoff })';
const PUBLISH_HINTS: Record<string, string> = {
  attempts: CONSUMER_OPTION,
  backoff: CONSUMER_OPTION,
  timeout: 'a run timeout is a consumer option: new MyConsumer(queue, { timeout })',
  delayMs: 'did you mean delay (milliseconds)?',
  delayed: 'did you mean delay (milliseconds)?',
  runAfter: 'did you mean runAt (a Date)?',
  jobId: 'a job keeps the id jobFromSchema gave it; publish that Job',
  id: 'a job keeps the id jobFromSchema gave it; publish that Job',
};

/** Refuses publish options this library does not know, instead of silently publishing without them. */
export function checkPublishOptions(queue: string, options: PublishOptions): void {
  checkOptionKeys(`publish to "${queue}"`, '', options, PUBLISH_OPTIONS, PUBLISH_HINTS);
}

/** Checks a priority against what the backend can order by. */
export function checkPriority(queue: string, priority: number, [min, max]: readonly [number, number]): void {
  if (!(Number.isInteger(priority) && priority >= min && priority <= max)) {
    throw new InvalidOptionError(
      `publish to "${queue}"`,
      'priority',
      `must be a whole number from ${min} to ${max}, got ${String(priority)}`,
    );
  }
}

/** Checks delay / runAt and turns them into a due time (epoch ms, or undefined for now). */
export function dueTimeOf(queue: string, options: PublishOptions): number | undefined {
  const where = `publish to "${queue}"`;
  if (options.delay !== undefined && options.runAt !== undefined) {
    throw new InvalidOptionError(where, 'delay', 'and runAt cannot both be given — pick one');
  }
  if (options.delay !== undefined) {
    if (!(typeof options.delay === 'number' && Number.isFinite(options.delay) && options.delay >= 0)) {
      throw new InvalidOptionError(where, 'delay', `must be a number of milliseconds >= 0, got ${String(options.delay)}`);
    }
    return options.delay > 0 ? Date.now() + options.delay : undefined;
  }
  if (options.runAt !== undefined) {
    if (!(options.runAt instanceof Date) || Number.isNaN(options.runAt.getTime())) {
      throw new InvalidOptionError(where, 'runAt', `must be a valid Date, got ${String(options.runAt)}`);
    }
    return options.runAt.getTime();
  }
  return undefined;
}
