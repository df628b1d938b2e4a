import type { Channel, ChannelModel, ConfirmChannel, Message } from 'amqplib';
import { ConfirmBatch, type PublishOutcome } from './confirm-batch';
import type { OutgoingMessage } from './rabbitmq.message';

/** What a publish fails with, made only when it fails (plain functions: the batch calls them unbound). */
export interface PublishFailures {
  /** The channel closed first (a channel-level refusal such as 404 is passed with its code). */
  explain: (err: unknown) => unknown;
  /** The broker nacked `count` messages. */
  rejected: (count: number) => unknown;
  /** `count` messages were neither confirmed nor nacked within `waitedMs`. */
  overdue: (count: number, waitedMs: number) => unknown;
}

/**
 * One confirm channel and the batches published on it and not yet confirmed. The client has two: one
 * for jobs (default exchange, which never refuses a publish) and one for dead letters (their exchange
 * may have been deleted, and a publish to a missing exchange closes its channel with 404 — which must
 * not fail the job publishes in flight on the other).
 *
 * A channel on which the broker nacked a publish, or left one unconfirmed for `timeoutMs`, is retired:
 * the next publishes open a new one, and it is closed once its last batch settles. RabbitMQ 3.10 ties a
 * quorum queue's publisher state to the channel: a channel that first published to the queue while the
 * queue's record still named a dead leader has every later publish nacked, for as long as it lives.
 */
export class ConfirmPublisher {
  private channel: Promise<ConfirmChannel> | null = null;
  /** `channel` once it is open: a publish then writes at once, without awaiting a promise (a tick per publish). */
  private ready: ConfirmChannel | null = null;
  /** Batches published and not fully confirmed, oldest first: a returned (unroutable) message is matched against them. */
  private readonly inFlight = new Set<ConfirmBatch>();
  /** Channels out of use, each closed once no batch of it is in flight. */
  private readonly retired = new Set<Channel>();
  /** Fires when the oldest batch in flight is overdue; one timer for all of them. */
  private deadline: NodeJS.Timeout | null = null;

  constructor(
    private readonly open: () => Promise<ChannelModel>,
    /** Called when a channel of this publisher closes. */
    private readonly onChannelClosed: (channel: Channel) => void,
    /** How long a batch may wait for its confirms before it fails with `overdue`. */
    private readonly timeoutMs: number,
  ) {}

  /**
   * Publishes every message, mandatory, and resolves once the broker confirmed all of them (one wait for
   * the whole batch): each outcome says whether the message was routed. Rejects with `failures.explain(err)`
   * if the channel closes first, `failures.rejected(count)` if the broker nacks some, and
   * `failures.overdue(count, ms)` if confirms are still missing `timeoutMs` after the batch began to be written.
   */
  publish(
    messages: readonly OutgoingMessage[],
    failures: PublishFailures,
    /** Waits while the broker blocks publishing; returns undefined when it does not, so nothing is awaited. */
    beforeWrite: () => Promise<void> | undefined,
  ): Promise<PublishOutcome[]> {
    // Not an async function: on an open channel of a broker that does not block, the batch's own promise is
    // returned, without a frame and two promises more per publish.
    const ready = this.ready;
    if (ready) {
      const blocked = beforeWrite();
      return blocked ? blocked.then(() => this.write(ready, messages, failures)) : this.write(ready, messages, failures);
    }
    return this.openWithinTimeout(messages.length, failures).then((channel) => {
      const blocked = beforeWrite();
      return blocked ? blocked.then(() => this.write(channel, messages, failures)) : this.write(channel, messages, failures);
    });
  }

  /**
   * The confirm channel, opened now if need be — within `timeoutMs`, after which the publish fails with
   * `overdue` (nothing written) and the next one opens another: a broker that stopped answering must not
   * hold a publish at its channel's opening either.
   */
  private openWithinTimeout(count: number, failures: PublishFailures): Promise<ConfirmChannel> {
    const opening = this.confirmChannel(failures);
    const creating = this.channel;
    const began = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const overdue = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (this.channel === creating) this.channel = null;
        reject(failures.overdue(count, Date.now() - began));
      }, this.timeoutMs);
    });
    return Promise.race([opening, overdue]).finally(() => clearTimeout(timer));
  }

  private write(channel: ConfirmChannel, messages: readonly OutgoingMessage[], failures: PublishFailures): Promise<PublishOutcome[]> {
    // Settled as it is made: never in flight.
    if (messages.length === 0) return Promise.resolve([]);
    // A channel retired while this publish waited (for it to open, or for the broker to unblock) is not used.
    if (this.retired.has(channel))
      return this.openWithinTimeout(messages.length, failures).then((fresh) => this.write(fresh, messages, failures));
    const batch = new ConfirmBatch(
      messages,
      (err) => failures.explain(closeReasonOf(channel) ?? err),
      failures.rejected,
      this.forget,
      channel,
      failures.overdue,
    );
    this.inFlight.add(batch);
    this.deadline ??= this.armDeadline(this.timeoutMs);
    const stopped = writeFrom(channel, batch, messages, 0);
    // The batch's promise, not the writing's: a socket that never drains must not outlast the batch's deadline.
    if (stopped >= 0) void writeAfterDrains(channel, batch, messages, stopped);
    return batch.done;
  }

  /**
   * A batch leaves the in-flight set once every message is answered (its returns came before its
   * confirms), or once it expired; one that settled unconfirmed retires its channel.
   */
  private readonly forget = (batch: ConfirmBatch): void => {
    this.inFlight.delete(batch);
    const channel = batch.channel;
    if (channel === null) return;
    if (batch.channelSuspect) this.retire(channel);
    if (this.retired.has(channel)) this.closeIfIdle(channel);
  };

  /** The next publishes go through a new channel; this one is closed once its batches in flight settle. */
  private retire(channel: Channel): void {
    if (this.retired.has(channel)) return;
    this.retired.add(channel);
    if (this.ready === channel) {
      this.ready = null;
      this.channel = null;
    }
  }

  /** Closes a retired channel with no batch in flight, once; it stays marked retired until its 'close' event. */
  private closeIfIdle(channel: Channel): void {
    if (closing.has(channel)) return;
    for (const batch of this.inFlight) if (batch.channel === channel) return;
    closing.add(channel);
    channel.close().catch(() => undefined);
  }

  /** Fails every batch whose confirms are overdue (the oldest come first), then waits for the next one's deadline. */
  private readonly expireOverdue = (): void => {
    this.deadline = null;
    const now = Date.now();
    for (const batch of this.inFlight) {
      const waited = now - batch.writtenAt;
      if (waited < this.timeoutMs) {
        this.deadline = this.armDeadline(this.timeoutMs - waited);
        return;
      }
      batch.expire(waited);
    }
  };

  private armDeadline(ms: number): NodeJS.Timeout {
    // Unref'd: a publish in flight keeps the process alive by its socket; a deadline alone must not.
    return setTimeout(this.expireOverdue, ms).unref();
  }

  /** The connection is gone: the next publish opens a new channel. */
  reset(): void {
    this.channel = null;
    this.ready = null;
    this.retired.clear();
  }

  private confirmChannel(failures: PublishFailures): Promise<ConfirmChannel> {
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
          this.retired.delete(channel);
          if (this.channel === creating) this.channel = null;
          if (this.ready === channel) this.ready = null;
        });
        return channel;
      });
      creating.then(
        (channel) => {
          if (this.channel === creating) this.ready = channel;
          // Given up on while it opened (openWithinTimeout), or its connection went: not to be used.
          else {
            this.retire(channel);
            this.closeIfIdle(channel);
          }
        },
        () => undefined,
      );
      creating.catch(() => {
        if (this.channel === creating) this.channel = null;
      });
      this.channel = creating;
    }
    return this.channel.catch((err: unknown) => {
      throw failures.explain(err);
    });
  }
}

/** Retired channels whose close was sent: a second channel.close would be a protocol error. */
const closing = new WeakSet<Channel>();

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

/** The rest of a batch that filled the socket's buffer: each time it drains, as much as fits, until the batch settles. */
async function writeAfterDrains(
  channel: ConfirmChannel,
  batch: ConfirmBatch,
  messages: readonly OutgoingMessage[],
  from: number,
): Promise<void> {
  let next = from;
  while (next >= 0 && next < messages.length) {
    await drained(channel);
    if (batch.isSettled) return;
    next = writeFrom(channel, batch, messages, next);
  }
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
