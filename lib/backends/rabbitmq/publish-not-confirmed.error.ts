import { BrokerUnavailableError } from '../../errors/broker-unavailable.error';

/**
 * The broker neither confirmed nor refused a publish within `publishTimeoutMs`: a quorum queue with no
 * leader yet, a broker too busy to answer, a network that went silent. The jobs may or may not be
 * enqueued, as when the connection goes before the confirms: a BrokerUnavailableError, so it is
 * retried like one (and, with a `jobStore`, a job published again is recognised — see UnconfirmedPublishes).
 */
export class PublishNotConfirmedError extends BrokerUnavailableError {
  constructor(
    address: string,
    readonly queue: string,
    /** How many messages of the publish were still unconfirmed. */
    readonly unconfirmed: number,
    readonly waitedMs: number,
  ) {
    super(address, `no confirm within ${waitedMs} ms`, false);
    this.name = 'PublishNotConfirmedError';
    this.message =
      `RabbitMQ at ${address} did not confirm ${unconfirmed} message(s) published for queue "${queue}" within ${waitedMs} ms ` +
      '(publishTimeoutMs) — they may or may not be enqueued (delivery is at least once: publishing them again can run a job ' +
      'twice); the client publishes the next ones through a new channel. If this goes on, check the queue on the broker ' +
      '(a quorum queue needs a majority of its nodes) and the network to it';
  }
}
