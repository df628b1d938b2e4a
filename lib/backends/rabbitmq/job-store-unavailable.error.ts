import { TransientBackendError } from '../../errors/transient-backend.error';

/**
 * The client's `jobStore` could not record a move of a job (its Redis is down, say). The job is given
 * back to the broker, not acknowledged, so nothing is lost: it is delivered again once the store
 * answers. A TransientBackendError, like BrokerUnavailableError: a consumer retries its fetch with
 * backoff instead of stopping.
 */
export class JobStoreUnavailableError extends TransientBackendError {
  constructor(
    readonly queue: string,
    readonly jobId: string,
    /** The move that could not be recorded: started, completed, dead. */
    readonly step: string,
    readonly reason: string,
  ) {
    super(
      `The job store could not record job ${jobId} of "${queue}" as ${step} (${reason}) — the job was given back to RabbitMQ ` +
        'and runs again once the store answers; check the store (its Redis) if this goes on',
    );
    this.name = 'JobStoreUnavailableError';
  }
}
