import { JobsError } from './jobs.error';

/**
 * Throw it from a run when the service the job calls says "back off" (an HTTP 429 with Retry-After,
 * say): the whole queue is held for `retryAfterMs` in every process (no consumer starts a job of it
 * until then), and this job goes back to its place in the queue without counting an attempt. On a
 * backend without the `rateLimit` capability the queue cannot be held: the job is retried after
 * `retryAfterMs` instead, counting the attempt.
 */
export class RateLimitedError extends JobsError {
  constructor(
    readonly retryAfterMs: number,
    message = `rate limited: back off for ${retryAfterMs} ms`,
  ) {
    super(message);
  }
}
