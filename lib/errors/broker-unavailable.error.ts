import { TransientBackendError } from './transient-backend.error';

/**
 * The broker cannot be reached right now: the first connection failed, or the connection was lost and
 * the client is reconnecting. Transient — the same call may succeed a moment later.
 *
 * A TransientBackendError: a consumer retries a fetch that failed with it, with backoff, and so
 * outlives a broker restart.
 */
export class BrokerUnavailableError extends TransientBackendError {
  constructor(
    /** The broker's address, without credentials. */
    readonly address: string,
    /** What went wrong, e.g. the socket error or the broker's close reason. */
    readonly reason: string,
    /** True when the client is already reconnecting in the background. */
    readonly reconnecting: boolean,
  ) {
    super(
      reconnecting
        ? `RabbitMQ at ${address} is unavailable (${reason}) — the client is reconnecting in the background; retry shortly`
        : `Could not connect to RabbitMQ at ${address} (${reason}) — check that the broker is running and reachable; the next call tries again`,
    );
    this.name = 'BrokerUnavailableError';
  }
}
