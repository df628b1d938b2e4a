import type { Channel, Message } from 'amqplib';

/**
 * Every acknowledgement of one consuming channel. Acks asked for in the same tick go out together at
 * its end: the oldest unsettled deliveries, if all of them are being acked, as one `basic.ack` with
 * `multiple` (up to that delivery tag), the rest one by one. At concurrency 50 that turns ~50 frames,
 * socket writes and broker operations into one. Nothing is acked earlier than asked: `multiple` only
 * ever covers tags that were asked to be acked, because every delivery of the channel (consumed or
 * got) is registered here on arrival and leaves the unsettled set only when it is acked or nacked.
 *
 * Deferring to the end of the tick adds no latency: amqplib itself writes frames in a later
 * `setImmediate`.
 */
export class ChannelAcks {
  /** Delivery tags received and neither acked nor nacked, oldest first (a channel's tags only grow). */
  private readonly unsettled = new Set<number>();
  /** Deliveries asked to be acked, by tag, until the end of the tick. */
  private readonly pending = new Map<number, Message>();
  private flushQueued = false;
  private closed = false;
  /** flush, bound once: ack() queues it per tick without making a closure each time. */
  private readonly flushAtTickEnd = (): void => this.flush();

  constructor(readonly channel: Channel) {
    channel.on('close', () => {
      this.closed = true;
      this.pending.clear();
    });
  }

  /** Every message delivered on the channel must come through here before anything else is done with it. */
  received(message: Message): void {
    this.unsettled.add(message.fields.deliveryTag);
  }

  /**
   * Acks at the end of the tick, or at once when it is the channel's only unsettled delivery: no other
   * ack could join it (a consumer at concurrency 1), so the tick's wait and the flush would be spent for
   * nothing. Throws if the channel is closed (the broker has the message back).
   */
  ack(message: Message): void {
    if (this.closed) throw new Error('Channel closed');
    const tag = message.fields.deliveryTag;
    if (this.unsettled.size === 1 && this.pending.size === 0 && this.unsettled.has(tag)) {
      this.unsettled.delete(tag);
      this.channel.ack(message);
      return;
    }
    this.pending.set(tag, message);
    if (!this.flushQueued) {
      this.flushQueued = true;
      process.nextTick(this.flushAtTickEnd);
    }
  }

  /** Nacks now (pending acks cannot cover it any more). Throws if the channel is closed. */
  nack(message: Message, requeue: boolean): void {
    this.channel.nack(message, false, requeue);
    this.unsettled.delete(message.fields.deliveryTag);
  }

  /** Sends the pending acks now: before a cancel or close, so that they go out first. */
  flush(): void {
    this.flushQueued = false;
    if (this.pending.size === 0 || this.closed) return;
    if (this.pending.size === 1) return this.flushOne();
    let upTo: Message | null = null;
    let covered = 0;
    for (const tag of this.unsettled) {
      const message = this.pending.get(tag);
      if (message === undefined) break;
      this.unsettled.delete(tag);
      this.pending.delete(tag);
      upTo = message;
      covered++;
    }
    try {
      if (upTo) this.channel.ack(upTo, covered > 1);
      for (const [tag, message] of this.pending) {
        this.unsettled.delete(tag);
        this.channel.ack(message);
      }
    } catch {
      // The channel closed meanwhile: the broker requeues what it did not get acks for.
    }
    this.pending.clear();
  }

  /** One pending ack is sent as it is (a `multiple` would cover it alone), without walking the unsettled set. */
  private flushOne(): void {
    const [tag, message] = this.pending.entries().next().value as [number, Message];
    this.pending.clear();
    this.unsettled.delete(tag);
    try {
      this.channel.ack(message);
    } catch {
      // The channel closed meanwhile: the broker requeues what it did not get an ack for.
    }
  }
}

/**
 * Returns once the broker has handled every frame sent on `channel` so far. Acks and nacks have no
 * reply, so without this a count asked on another channel can reach the queue before a nack's requeue
 * and miss the jobs given back. The broker handles a channel's frames in order and hands each ack or
 * nack to the queue before it answers the next call, so one round trip on the same channel orders them
 * before whatever is sent next. A passive declare of `amq.direct` (every vhost has it, nobody can
 * delete it, it needs no permission) is that round trip and changes nothing.
 *
 * Enough for a classic queue only: see fenceQueue.
 */
export async function fenceChannel(channel: Channel): Promise<void> {
  await channel.checkExchange('amq.direct');
}

/**
 * The consumer argument of a consumer granted no credit: the queue delivers it nothing. RabbitMQ 3.x
 * reads it on classic and quorum queues (`long` is the type it checks, so it is spelled out); 4.0 dropped it.
 */
const NO_CREDIT = { 'x-credit': { credit: { '!': 'long', value: 0 }, drain: false } };

/**
 * Returns once `queue` has applied every ack and nack sent on `channel` so far, so that a count or a
 * purge asked next (on any channel) sees the jobs given back. On a quorum queue a channel round trip
 * (fenceChannel) is not enough: a nack's requeue is a command the queue's leader appends to its Raft
 * log and applies later, while a count reads what it has applied. A consumer started on the same
 * channel is the fence: its start is a command the channel sends to the same leader after those
 * nacks, and `consume-ok` comes once it is applied, so everything before it in the log is too. Given
 * no credit (NO_CREDIT) it takes nothing, and it is cancelled at once. On a classic queue it orders
 * like any call to the queue.
 *
 * RabbitMQ 4 ignores NO_CREDIT (such a consumer would take jobs), so there only the channel round trip
 * is made: exact on classic queues, not on quorum ones (docs/rabbitmq.md, "Quorum queues").
 */
export async function fenceQueue(channel: Channel, queue: string): Promise<void> {
  if (!takesNoCreditConsumers(channel)) {
    await fenceChannel(channel);
    return;
  }
  const { consumerTag } = await channel.consume(queue, (message) => giveBackStray(channel, message), {
    noAck: false,
    arguments: NO_CREDIT,
  });
  await channel.cancel(consumerTag);
}

/** RabbitMQ 3.x: consumers with NO_CREDIT get nothing. */
function takesNoCreditConsumers(channel: Channel): boolean {
  const { product, version } = channel.connection.serverProperties;
  return product === 'RabbitMQ' && typeof version === 'string' && version.startsWith('3.');
}

/**
 * A fence consumer is given no credit and gets nothing; should a broker deliver to it anyway, the message
 * goes straight back, unrun. (`null`: the queue was deleted, which its subscription learns by itself.)
 */
function giveBackStray(channel: Channel, message: Message | null): void {
  if (message === null) return;
  try {
    channel.nack(message, false, true);
  } catch {
    // The channel closed: the broker has it back.
  }
}
