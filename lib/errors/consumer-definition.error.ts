import { JobsError } from './jobs.error';

/**
 * A consumer class is defined in a way that cannot work (no @Run() method, two of them, a queue that
 * disagrees with its super() call, an unknown @OnJobEvent type, a request-scoped provider…); thrown
 * at bootstrap, naming the class.
 */
export class ConsumerDefinitionError extends JobsError {
  constructor(
    /** The name of the consumer class at fault. */
    readonly consumer: string,
    message: string,
  ) {
    super(message);
  }
}
