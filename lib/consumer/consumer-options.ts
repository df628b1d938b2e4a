import { InvalidOptionError } from '../errors';
import type { BackoffOptions } from './backoff';

/** Options of a consumer: the second argument of `@Consumer(queue, options)` and of `new MyConsumer(queue, options)`. */
export interface ConsumerOptions {
  /** Jobs run at once by this consumer. Default 1. */
  concurrency?: number;
  /** Runs a job gets in all, the first included. Default 1 (no retry). */
  attempts?: number;
  /** Wait before a retry. Default `{ type: 'exponential', delay: 1000, maxDelay: 300000 }`. */
  backoff?: BackoffOptions;
  /** Milliseconds a run may take before it is failed and its AbortSignal fires. Default: no limit. */
  timeout?: number;
  /** How long a broker holds a taken job for this consumer; extended while the consumer holds it. Default 30000. */
  leaseMs?: number;
  /**
   * Jobs taken ahead, beyond those running, so the next one starts without waiting for a round trip.
   * They are held (under a lease) while they wait; at shutdown they go back untouched. Default 0.
   */
  prefetch?: number;
  /**
   * How often a job may stall — its worker died or lost its lease while holding it — and still run
   * again. Beyond that it is dead-lettered with JobStalledError, so a job that kills its worker is not
   * redelivered forever. Default 1. Needs a backend that counts stalls (Redis).
   */
  maxStalls?: number;
}

export type ResolvedConsumerOptions = Required<Omit<ConsumerOptions, 'timeout'>> & { timeout: number | undefined };

const DEFAULTS: ResolvedConsumerOptions = {
  concurrency: 1,
  attempts: 1,
  backoff: { type: 'exponential', delay: 1000, maxDelay: 300_000 },
  timeout: undefined,
  leaseMs: 30_000,
  prefetch: 0,
  maxStalls: 1,
};

const KNOWN = new Set(Object.keys(DEFAULTS));

/** Checks every option and fills in defaults; `where` names the consumer in the error. */
export function resolveConsumerOptions(where: string, options: ConsumerOptions = {}): ResolvedConsumerOptions {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError(where, 'options', 'must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new InvalidOptionError(where, key, `is not a consumer option (known: ${[...KNOWN].join(', ')})`);
  }
  const resolved = { ...DEFAULTS, ...stripUndefined(options) };
  positiveInteger(where, 'concurrency', resolved.concurrency);
  positiveInteger(where, 'attempts', resolved.attempts);
  positiveInteger(where, 'leaseMs', resolved.leaseMs);
  wholeNumber(where, 'prefetch', resolved.prefetch);
  wholeNumber(where, 'maxStalls', resolved.maxStalls);
  if (resolved.timeout !== undefined) positiveInteger(where, 'timeout', resolved.timeout);
  const backoff = resolved.backoff;
  if (typeof backoff !== 'function') {
    if (backoff === null || typeof backoff !== 'object' || (backoff.type !== 'fixed' && backoff.type !== 'exponential')) {
      throw new InvalidOptionError(where, 'backoff', "must be { type: 'fixed' | 'exponential', delay } or a function (attempt, error) => ms");
    }
    nonNegative(where, 'backoff.delay', backoff.delay);
    if (backoff.maxDelay !== undefined) nonNegative(where, 'backoff.maxDelay', backoff.maxDelay);
    if (backoff.jitter !== undefined && !(backoff.jitter >= 0 && backoff.jitter <= 1)) {
      throw new InvalidOptionError(where, 'backoff.jitter', `must be between 0 and 1, got ${String(backoff.jitter)}`);
    }
  }
  return resolved;
}

function stripUndefined(options: ConsumerOptions): ConsumerOptions {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

function positiveInteger(where: string, option: string, value: unknown): void {
  if (!(Number.isInteger(value) && (value as number) > 0)) {
    throw new InvalidOptionError(where, option, `must be a positive integer, got ${String(value)}`);
  }
}

function wholeNumber(where: string, option: string, value: unknown): void {
  if (!(Number.isInteger(value) && (value as number) >= 0)) {
    throw new InvalidOptionError(where, option, `must be a whole number >= 0, got ${String(value)}`);
  }
}

function nonNegative(where: string, option: string, value: unknown): void {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
    throw new InvalidOptionError(where, option, `must be a number of milliseconds >= 0, got ${String(value)}`);
  }
}
