import type { RateLimit } from '../backend/flow-control';
import { checkOptionKeys, stripUndefined } from '../backend/option-keys';
import { InvalidOptionError } from '../errors';
import { DEFAULT_BACKOFF, type BackoffFunction, type BackoffOptions, type BackoffStrategy } from './backoff';

/** Options of a consumer: the second argument of `@Consumer(queue, options)` and of `new MyConsumer(queue, options)`. */
export interface ConsumerOptions {
  /** Jobs run at once by this consumer. Default 1. */
  concurrency?: number;
  /** Runs a job gets in all, the first included. Default 1 (no retry). */
  attempts?: number;
  /**
   * Wait before a retry. Default `{ type: 'exponential', delay: 1000, maxDelay: 300000 }`; a strategy
   * that leaves a field out takes that field from the default (so an exponential backoff stays capped).
   */
  backoff?: Partial<BackoffStrategy> | BackoffFunction;
  /**
   * Milliseconds a run may take before it is failed (JobTimeoutError, retried per `attempts`) and its
   * AbortSignal fires. Default: no limit — then stop() waits for a run however long it takes.
   */
  timeout?: number;
  /**
   * How long a run that timed out may go on ignoring its AbortSignal before it is abandoned: its
   * concurrency slot is given back (the next job starts), a warning names it, and whatever it returns
   * later is ignored. So a run that never returns holds a slot, and delays stop(), for at most
   * `timeout + timeoutGrace`. Default 5000 ms.
   */
  timeoutGrace?: number;
  /**
   * How many abandoned runs (see timeoutGrace) may still be going before this consumer stops taking
   * jobs: each holds memory and whatever it was waiting on, so a handler that hangs every time must
   * not pile them up without end. Taking resumes when one of them returns; the jobs wait in their
   * queue for other consumers meanwhile. Default 10.
   */
  maxAbandonedRuns?: number;
  /** How long a broker holds a taken job for this consumer; extended while the consumer holds it. Default 30000. */
  leaseMs?: number;
  /**
   * Jobs taken ahead, beyond those running, so the next one starts without waiting for a round trip.
   * They are held (under a lease) while they wait; at shutdown they go back untouched. A number is
   * that many (0: none). Default `'auto'`: while this consumer's recent runs are short (a mean under
   * 5 ms) it takes up to min(100, 10 × concurrency) ahead, else none — on a backend that counts no
   * stall for a job taken ahead and never started (`startTakenAhead`: Redis), and never with a
   * `rateLimit`; elsewhere `'auto'` is 0.
   */
  prefetch?: number | 'auto';
  /**
   * How often a job may stall — its worker died or lost its lease while holding it — and still run
   * again. Beyond that it is dead-lettered with JobStalledError, so a job that kills its worker is not
   * redelivered forever. Default 1. Needs a backend that counts stalls (`capabilities.stallCount`:
   * Redis); elsewhere it has no effect, and a consumer given it explicitly warns once.
   */
  maxStalls?: number;
  /**
   * At most `max` jobs of the queue started per `intervalMs`, counted across every consumer of the queue
   * that sets a limit, in every process (a sliding window kept by the backend). Needs a backend with
   * `capabilities.rateLimit` (Redis, Local); cannot be combined with a `prefetch` above 0, since a job
   * taken ahead would start outside the window it was counted in (`'auto'` then takes none ahead).
   * Default: no limit.
   */
  rateLimit?: RateLimit;
}

export type ResolvedConsumerOptions = Required<Omit<ConsumerOptions, 'timeout' | 'backoff' | 'rateLimit'>> & {
  timeout: number | undefined;
  backoff: BackoffOptions;
  rateLimit: RateLimit | undefined;
};

const DEFAULTS: ResolvedConsumerOptions = {
  concurrency: 1,
  attempts: 1,
  backoff: DEFAULT_BACKOFF,
  timeout: undefined,
  timeoutGrace: 5_000,
  maxAbandonedRuns: 10,
  leaseMs: 30_000,
  prefetch: 'auto',
  maxStalls: 1,
  rateLimit: undefined,
};

const KNOWN = new Set(Object.keys(DEFAULTS));

const BACKOFF_FIELDS = new Set(['type', 'delay', 'maxDelay', 'jitter']);

/** The options each resolved object was given explicitly, for warnings about options a backend cannot honour. */
const given = new WeakMap<ResolvedConsumerOptions, ReadonlySet<string>>();

/** Whether `option` was set by the user rather than filled in from the defaults. @internal */
export function wasGiven(options: ResolvedConsumerOptions, option: keyof ConsumerOptions): boolean {
  return given.get(options)?.has(option) ?? false;
}

/** Checks every option and fills in defaults; `where` names the consumer in the error. */
export function resolveConsumerOptions(where: string, options: ConsumerOptions = {}): ResolvedConsumerOptions {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError(where, 'options', 'must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new InvalidOptionError(where, key, `is not a consumer option (known: ${[...KNOWN].join(', ')})`);
  }
  const explicit = stripUndefined(options);
  const resolved: ResolvedConsumerOptions = { ...DEFAULTS, ...explicit, backoff: backoffOf(where, options.backoff) };
  positiveInteger(where, 'concurrency', resolved.concurrency);
  positiveInteger(where, 'attempts', resolved.attempts);
  positiveInteger(where, 'leaseMs', resolved.leaseMs);
  if (resolved.prefetch !== 'auto') wholeNumber(where, 'prefetch', resolved.prefetch, "or 'auto'");
  wholeNumber(where, 'maxStalls', resolved.maxStalls);
  wholeNumber(where, 'timeoutGrace', resolved.timeoutGrace);
  positiveInteger(where, 'maxAbandonedRuns', resolved.maxAbandonedRuns);
  if (resolved.timeout !== undefined) positiveInteger(where, 'timeout', resolved.timeout);
  if (resolved.rateLimit !== undefined) resolved.rateLimit = rateLimitOf(where, resolved.rateLimit, resolved.prefetch);
  given.set(resolved, new Set(Object.keys(explicit)));
  return resolved;
}

/**
 * A function is used as it is; a strategy is merged field by field over the default, so that
 * `{ type: 'exponential', delay: 500 }` keeps the default ceiling instead of growing for weeks.
 */
function backoffOf(where: string, backoff: ConsumerOptions['backoff']): BackoffOptions {
  if (backoff === undefined) return DEFAULT_BACKOFF;
  if (typeof backoff === 'function') return backoff;
  if (backoff === null || typeof backoff !== 'object' || Array.isArray(backoff)) {
    throw new InvalidOptionError(
      where,
      'backoff',
      "must be { type?: 'fixed' | 'exponential', delay?, maxDelay?, jitter? } or a function (attempt, error) => ms",
    );
  }
  for (const key of Object.keys(backoff)) {
    if (!BACKOFF_FIELDS.has(key))
      throw new InvalidOptionError(where, `backoff.${key}`, `is not a backoff field (known: ${[...BACKOFF_FIELDS].join(', ')})`);
  }
  const merged: BackoffStrategy = { ...DEFAULT_BACKOFF, ...stripUndefined(backoff) };
  if (merged.type !== 'fixed' && merged.type !== 'exponential') {
    throw new InvalidOptionError(where, 'backoff.type', `must be 'fixed' or 'exponential', got ${String(merged.type)}`);
  }
  nonNegative(where, 'backoff.delay', merged.delay);
  nonNegative(where, 'backoff.maxDelay', merged.maxDelay);
  if (merged.jitter !== undefined && !(merged.jitter >= 0 && merged.jitter <= 1)) {
    throw new InvalidOptionError(where, 'backoff.jitter', `must be between 0 and 1, got ${String(merged.jitter)}`);
  }
  return merged;
}

/** A copy of the limit, checked; refused with a prefetch, whose jobs would start outside the window that counted them. */
function rateLimitOf(where: string, rateLimit: RateLimit, prefetch: number | 'auto'): RateLimit {
  checkOptionKeys(where, 'rateLimit', rateLimit, ['max', 'intervalMs']);
  positiveInteger(where, 'rateLimit.max', rateLimit.max);
  positiveInteger(where, 'rateLimit.intervalMs', rateLimit.intervalMs);
  if (prefetch !== 'auto' && prefetch > 0) {
    throw new InvalidOptionError(
      where,
      'prefetch',
      `cannot be used with rateLimit (got prefetch ${prefetch}): a job taken ahead would start outside the window it was counted in — leave prefetch out (or 0)`,
    );
  }
  return { max: rateLimit.max, intervalMs: rateLimit.intervalMs };
}

function positiveInteger(where: string, option: string, value: unknown): void {
  if (!(Number.isInteger(value) && (value as number) > 0)) {
    throw new InvalidOptionError(where, option, `must be a positive integer, got ${String(value)}`);
  }
}

function wholeNumber(where: string, option: string, value: unknown, orElse = ''): void {
  if (!(Number.isInteger(value) && (value as number) >= 0)) {
    throw new InvalidOptionError(where, option, `must be a whole number >= 0${orElse ? ` ${orElse}` : ''}, got ${String(value)}`);
  }
}

function nonNegative(where: string, option: string, value: unknown): void {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
    throw new InvalidOptionError(where, option, `must be a number of milliseconds >= 0, got ${String(value)}`);
  }
}
