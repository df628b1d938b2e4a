import { JobsError } from './jobs.error';

/**
 * The broker returned published messages as unroutable even after the backend declared their
 * destination again: something keeps removing or unbinding it (another process deleting the queue, a
 * policy). Nothing of what was returned is enqueued.
 */
export class MessageUnroutableError extends JobsError {
  constructor(
    readonly queue: string,
    /** What was being published: "delayed job", "dead letter" … */
    readonly what: string,
    /** The broker name of the queue or exchange it was published to. */
    readonly target: string,
    readonly count: number,
  ) {
    super(
      `RabbitMQ did not route ${count} ${what}(s) of queue "${queue}" to "${target}", even after declaring it again — ` +
        'check that nothing else deletes or unbinds it (another app with the same prefix, a policy), then try again',
    );
  }
}
