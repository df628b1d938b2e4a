import { JobsError } from './jobs.error';

/**
 * The broker refused to take published messages (RabbitMQ answered `basic.nack`): the queue is at its
 * length limit with `overflow: reject-publish`, the broker could not store them (a full disk), or a
 * quorum queue had no leader at that moment (its node died; one is elected within seconds).
 * Nothing of what was refused is enqueued.
 */
export class PublishRejectedError extends JobsError {
  constructor(
    readonly queue: string,
    /** How many messages of the publish the broker refused. */
    readonly rejected: number,
    /** How many messages the publish sent. */
    readonly total: number,
  ) {
    super(
      `The broker refused ${rejected} of ${total} message(s) published for queue "${queue}" — ` +
        'check its length limit (x-max-length / max-length policy with overflow "reject-publish": consume or raise it) ' +
        "and the broker's free disk space, then publish again (on a quorum queue whose leader just died, publishing again is enough)",
    );
  }
}
