/**
 * A call failed for a reason that passes: the broker or store could not be reached, or its connection
 * dropped. The same call may succeed a moment later, so a consumer retries its fetch with backoff and
 * outlives a broker restart. Not a JobsError on purpose: a JobsError says the call itself was wrong
 * (and repeating it cannot help), so callers that stop on a JobsError must not stop on this.
 */
export class TransientBackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
