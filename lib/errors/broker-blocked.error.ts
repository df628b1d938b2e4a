import { JobsError } from './jobs.error';

/**
 * The broker has blocked publishing on this connection (`connection.blocked`: a memory or disk alarm)
 * and did not unblock within the client's `blockedTimeout`. Nothing of the publish was sent.
 */
export class BrokerBlockedError extends JobsError {
  constructor(
    readonly address: string,
    readonly queue: string,
    /** The broker's reason, e.g. "low on memory" or "low on disk". */
    readonly reason: string,
    readonly waitedMs: number,
  ) {
    super(
      `RabbitMQ at ${address} is blocking publishes (${reason}); publish to "${queue}" gave up after ${waitedMs} ms ` +
        '(blockedTimeout) — the broker unblocks once the alarm clears: free memory or disk on the broker, or let consumers drain, then publish again',
    );
  }
}
