import { BrokerUnavailableError } from '../../errors/broker-unavailable.error';

/**
 * A RedisClient call failed for connection reasons: Redis could not be reached, the connection was
 * lost and not back within the client's `commandTimeoutMs`, or Redis is still loading its data.
 * Transient, like every BrokerUnavailableError (a consumer retries its fetch with backoff). A call
 * that failed this way may still be carried out if Redis comes back before ioredis gives up on it:
 * settles and fetches are recognised when they arrive twice, and a publish sent again for a job that
 * did arrive is refused as a duplicate id, never enqueued twice.
 */
export class RedisUnavailableError extends BrokerUnavailableError {
  constructor(
    /** What was being done, e.g. `publish`. */
    readonly operation: string,
    /** The queue it was done on, or null for a call not about one queue (getJob). */
    readonly queue: string | null,
    address: string,
    reason: string,
    reconnecting: boolean,
  ) {
    super(address, reason, reconnecting);
    const target = queue === null ? operation : `${operation} on "${queue}"`;
    // The cause first: it is what an operator reads in a start-up failure.
    this.message =
      `${reason} — Redis at ${address} is unavailable, so ${target} failed; ` +
      (reconnecting ? 'the client is reconnecting in the background; ' : '') +
      'check that Redis is running and reachable, then call again' +
      (operation.endsWith('publish') ? ' (if Redis came back at once the publish may have been carried out: getJob(id) tells)' : '');
  }
}
