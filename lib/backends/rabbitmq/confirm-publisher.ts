import type { Channel, ChannelModel, ConfirmChannel, Message } from 'amqplib';
import { ConfirmBatch, type PublishOutcome } from './confirm-batch';
import type { OutgoingMessage } from './rabbitmq.message';

/**
 * One confirm channel and the batches published on it and not yet confirmed. The client has two: one
 * for jobs (default exchange, which never refuses a publish) and one for dead letters (their exchange
 * may have been deleted, and a publish to a missing exchange closes its channel with 404 — which must
 * not fail the job publishes in flight on the other).
 */
export class ConfirmPublisher {
  private channel: Promise<ConfirmChannel> | null = null;
  /** `channel` once it is open: a publish then writes at once, without awaiting a promise (a tick per publish). */
  private ready: ConfirmChannel | null = null;
  /** Batches published and not fully confirmed: a returned (unroutable) message is matched against them. */
  private readonly inFlight = new Set<ConfirmBatch>();

  constructor(
    private readonly open: () => Promise<ChannelModel>,
    /** Called when a channel of this publisher closes. */
    private readonly onChannelClosed: (channel: Channel) => void,
  ) {}

  /**
   * Publishes every message, mandatory, and resolves once the broker confirmed all of them (one wait for
   * the whole batch): each outcome says whether the message was routed. Rejects with `explain(err)` if
   * the channel closes first (a channel-level refusal such as 404 is passed with its code), and with
   * `rejected(count)` if the broker nacks some.
   */
  publish(
    messages: readonly OutgoingMessage[],
    explain: (err: unknown) => unknown,
    rejected: (count: number) => unknown,
    /** Waits while the broker blocks publishing; returns undefined when it does not, so nothing is awaited. */
    beforeWrite: () => Promise<void> | undefined,
  ): Promise<PublishOutcome[]> {
    // Not an async function: on an open channel of a broker that does not block, the batch's own promise is
    // returned, without a frame and two promises more per publish.
    const ready = this.ready;
    if (ready) {
      const blocked = beforeWrite();
      return blocked ? blocked.then(() => this.write(ready, messages, explain, rejected)) : this.write(ready, messages, explain, rejected);
    }
    return this.confirmChannel(explain).then((channel) => {
      const blocked = beforeWrite();
      return blocked
        ? blocked.then(() => this.write(channel, messages, explain, rejected))
        : this.write(channel, messages, explain, rejected);
    });
  }

  private write(
    channel: ConfirmChannel,
    messages: readonly OutgoingMessage[],
    explain: (err: unknown) => unknown,
    rejected: (count: number) => unknown,
  ): Promise<PublishOutcome[]> {
    // Settled as it is made: never in flight.
    if (messages.length === 0) return Promise.resolve([]);
    const batch = new ConfirmBatch(messages, (err) => explain(closeReasonOf(channel) ?? err), rejected, this.forget);
    this.inFlight.add(batch);
    const stopped = writeFrom(channel, batch, messages, 0);
    return stopped < 0 ? batch.done : this.writeAfterDrains(channel, batch, messages, stopped);
  }

  /** The rest of a batch that filled the socket's buffer: each time it drains, as much as fits. */
  private async writeAfterDrains(
    channel: ConfirmChannel,
    batch: ConfirmBatch,
    messages: readonly OutgoingMessage[],
    from: number,
  ): Promise<PublishOutcome[]> {
    for (let next = from; next >= 0 && next < messages.length; next = writeFrom(channel, batch, messages, next)) await drained(channel);
    return batch.done;
  }

  /** A batch leaves the in-flight set once every message is answered (its returns came before its confirms). */
  private readonly forget = (batch: ConfirmBatch): void => {
    this.inFlight.delete(batch);
  };

  /** The connection is gone: the next publish opens a new channel. */
  reset(): void {
    this.channel = null;
    this.ready = null;
  }

  private confirmChannel(explain: (err: unknown) => unknown): Promise<ConfirmChannel> {
    if (!this.channel) {
      const creating = this.open().then(async (model) => {
        const channel = await model.createConfirmChannel();
        channel.on('error', (err: Error) => closeReasons.set(channel, err));
        // A return comes before its message's confirm, so the batch knows before it settles.
        channel.on('return', (message: Message) => {
          for (const batch of this.inFlight) if (batch.matchReturn(message)) return;
        });
        channel.on('close', () => {
          this.onChannelClosed(channel);
          if (this.channel === creating) this.channel = null;
          if (this.ready === channel) this.ready = null;
        });
        return channel;
      });
      creating.then(
        (channel) => {
          if (this.channel === creating) this.ready = channel;
        },
        () => undefined,
      );
      creating.catch(() => {
        if (this.channel === creating) this.channel = null;
      });
      this.channel = creating;
    }
    return this.channel.catch((err: unknown) => {
      throw explain(err);
    });
  }
}

/** Why the broker closed a channel (404 NOT_FOUND …), kept so that its unconfirmed publishes fail with it, not "channel closed". */
const closeReasons = new WeakMap<Channel, Error>();

function closeReasonOf(channel: Channel): Error | undefined {
  return closeReasons.get(channel);
}

/**
 * Writes `messages` from `from` on, each confirmed into `batch`; returns the index to go on from once the
 * socket's buffer drains, or -1 when every message is written or the channel refused one (the batch failed).
 */
function writeFrom(channel: ConfirmChannel, batch: ConfirmBatch, messages: readonly OutgoingMessage[], from: number): number {
  for (let i = from; i < messages.length; i++) {
    const message = messages[i];
    try {
      if (!channel.publish(message.exchange ?? '', message.routingKey, message.content, message.properties, batch.onConfirm)) return i + 1;
    } catch (err) {
      batch.fail(err);
      return -1;
    }
  }
  return -1;
}

function drained(channel: Channel): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      channel.off('drain', done);
      channel.off('close', done);
      resolve();
    };
    channel.on('drain', done);
    channel.on('close', done);
  });
}
