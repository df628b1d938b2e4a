/** How long to wait before the next attempt, given the attempt that just failed (1-based) and its error. */
export type BackoffFunction = (attempt: number, error: unknown) => number;

export interface BackoffStrategy {
  /** `fixed`: always `delay`; `exponential`: delay · 2^(attempt−1). */
  type: 'fixed' | 'exponential';
  /** Milliseconds. */
  delay: number;
  /** Ceiling in milliseconds. */
  maxDelay?: number;
  /** 0..1: spread each delay randomly down by up to this fraction, so retries of a burst do not align. */
  jitter?: number;
}

export type BackoffOptions = BackoffStrategy | BackoffFunction;

/** The backoff of a consumer that sets none; a strategy that leaves a field out takes it from here. */
export const DEFAULT_BACKOFF: Readonly<Required<Omit<BackoffStrategy, 'jitter'>>> = Object.freeze({
  type: 'exponential',
  delay: 1000,
  maxDelay: 300_000,
});

/** The longest wait a timer can express (about 24.8 days); a longer backoff is cut to it. */
export const MAX_BACKOFF_MS = 2 ** 31 - 1;

export function backoffDelay(backoff: BackoffOptions, attempt: number, error: unknown): number {
  if (typeof backoff === 'function') return Math.min(Math.max(0, Number(backoff(attempt, error)) || 0), MAX_BACKOFF_MS);
  const base = backoff.type === 'fixed' ? backoff.delay : backoff.delay * 2 ** (attempt - 1);
  const capped = Math.min(base, backoff.maxDelay ?? Infinity, MAX_BACKOFF_MS);
  const jitter = backoff.jitter ?? 0;
  return Math.round(jitter > 0 ? capped * (1 - Math.random() * jitter) : capped);
}
