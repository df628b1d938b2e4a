import type { Channel, Message } from 'amqplib';
import type { Delivery } from '../../backend/job-backend.interface';
import type { JobRecord } from '../../backend/job-record';
import { LeaseLostError } from '../../errors';
import type { ChannelAcks } from './channel-acks';
import type { DeliveryHolder } from './job-store-bridge';
import type { QueueSubscription, Received } from './queue-subscription';
import type { RabbitMQConnection } from './rabbitmq.connection';
import { RESENT_HEADER } from './rabbitmq.topology';
import { RedeliveryLedger } from './redelivery-ledger';

/** A delivery handed to a consumer and not settled yet. */
export interface Hold {
  /** What the consumer was handed (its token finds this hold). */
  delivery: Delivery;
  subscription: QueueSubscription;
  /** Where its ack or nack goes; `acks.channel` is the channel it was delivered on. */
  acks: ChannelAcks;
  message: Message;
  /** `attempt` as the body had it. */
  bodyAttempt: number;
  /** The record as delivered, this client's own: attempt counts this delivery; settles copy it. */
  job: JobRecord;
}

/**
 * The deliveries this client handed out and that are not settled, by token. A token names the channel
 * and the delivery tag, so it is void once its channel closes (the broker has the message back). Also
 * counts attempts: a redelivery is one more (its run may have crashed a worker), unless this client
 * gave the message back unrun (the RedeliveryLedger).
 */
export class HeldDeliveries implements DeliveryHolder<Hold> {
  private readonly holds = new Map<string, Hold>();
  private readonly ledger = new RedeliveryLedger();
  private readonly channelIds = new WeakMap<Channel, number>();
  private nextChannelId = 0;
  private dropped = 0;

  constructor(
    private readonly connection: RabbitMQConnection,
    /** Throws BackendClosedError once the client is closed: a settle after close() fails as every call does. */
    private readonly checkOpen: () => void,
    /** Quorum queues count returns (x-delivery-count; absent on a first delivery): deliveries carry `stalls`. */
    private readonly countsStalls = false,
  ) {}

  /** Second copies of retried publishes settled unrun so far (dropCopy): a fetch that got only those takes again. */
  get droppedCopies(): number {
    return this.dropped;
  }

  /**
   * Holds the received messages and returns what the consumer gets. Copies published again after an
   * ambiguous failure (RESENT_HEADER), delivered for the first time, are also pushed to `resent`, if given.
   */
  handOut(queue: string, subscription: QueueSubscription, received: readonly Received[], resent: Hold[] | null): Delivery[] {
    const deliveries: Delivery[] = [];
    for (const { message, record, acks } of received) {
      const bodyAttempt = record.attempt;
      // A redelivery counts as an attempt (its run may have crashed the worker), unless this client gave it back unrun.
      const redelivered = message.fields.redelivered && !this.ledger.take(queue, record.id, bodyAttempt) ? 1 : 0;
      // The parsed body is this client's own object: it becomes the held record, and the consumer gets a copy.
      const job = record;
      job.attempt = bodyAttempt + 1 + redelivered;
      const token = `${this.channelId(acks.channel)}.${message.fields.deliveryTag}`;
      const delivery: Delivery = { queue, job: { ...job }, token };
      const stalls = this.stallsOf(queue, message, record.id, bodyAttempt);
      if (stalls !== undefined) delivery.stalls = stalls;
      const hold: Hold = { delivery, subscription, acks, message, bodyAttempt, job };
      this.holds.set(token, hold);
      if (resent && redelivered === 0 && isResent(message)) resent.push(hold);
      deliveries.push(delivery);
    }
    subscription.handedOut(deliveries.length);
    return deliveries;
  }

  /**
   * How often this message went back to the queue unsettled by a holder that ran it: a quorum queue's
   * `x-delivery-count` (every return: a dead channel, a nack with requeue) less the returns this client
   * knows were unrun (given back from its buffer, released). Undefined on a classic queue (no count).
   */
  private stallsOf(queue: string, message: Message, id: string, bodyAttempt: number): number | undefined {
    if (!this.countsStalls) return undefined;
    const count = (message.properties.headers as Record<string, unknown> | undefined)?.['x-delivery-count'];
    if (typeof count !== 'number' || count === 0) return 0;
    return Math.max(0, count - this.ledger.unrunReturns(queue, id, bodyAttempt));
  }

  /** The hold of a delivery still held on a live channel; LeaseLostError if it is not. */
  holdOf(delivery: Delivery): Hold {
    this.checkOpen();
    const hold = this.holds.get(delivery.token);
    if (!hold || hold.delivery.queue !== delivery.queue || !this.connection.isOpen(hold.acks.channel)) {
      throw new LeaseLostError(delivery.queue, delivery.job.id);
    }
    return hold;
  }

  /** Still held: not settled, and its channel not lost. */
  isHeld(delivery: Delivery): boolean {
    return this.holds.has(delivery.token);
  }

  /** Takes the delivery out of the held set, so that it is settled once. */
  claim(delivery: Delivery): Hold {
    const hold = this.holdOf(delivery);
    this.holds.delete(delivery.token);
    hold.subscription.settled();
    return hold;
  }

  /** Acknowledges a claimed delivery (with the other acks of this tick); LeaseLostError if its channel closed. */
  ack(hold: Hold): void {
    try {
      hold.acks.ack(hold.message);
    } catch {
      throw new LeaseLostError(hold.delivery.queue, hold.job.id);
    }
  }

  /** Gives a claimed delivery back after a failed settle, so it runs again rather than stays held. */
  giveBack(hold: Hold): void {
    try {
      hold.acks.nack(hold.message, true);
    } catch {
      // Its channel is gone: the broker has it back already.
    }
  }

  /** Gives a claimed delivery back unrun (release): its redelivery is not an attempt. LeaseLostError if its channel closed. */
  release(hold: Hold): void {
    try {
      hold.acks.nack(hold.message, true);
    } catch {
      throw new LeaseLostError(hold.delivery.queue, hold.job.id);
    }
    this.ledger.add(hold.delivery.queue, hold.job.id, hold.bodyAttempt);
  }

  /** Gives back every delivery of a fetch still held, unrun, when their starts could not be recorded. */
  giveBackUnrun(deliveries: readonly Delivery[]): void {
    for (const delivery of deliveries) {
      const hold = this.holds.get(delivery.token);
      if (!hold) continue;
      this.claim(delivery);
      this.giveBack(hold);
      // Unrun, so its redelivery is not an attempt — unless this delivery already counted one for an earlier run.
      if (hold.job.attempt === hold.bodyAttempt + 1) this.ledger.add(delivery.queue, hold.job.id, hold.bodyAttempt);
    }
  }

  /** A second copy of a job that already started: acknowledged without a run. */
  dropCopy(hold: Hold): void {
    this.holds.delete(hold.delivery.token);
    hold.subscription.settled();
    this.dropped++;
    try {
      hold.acks.ack(hold.message);
    } catch {
      // Its channel is gone: the broker has it back, and it is dropped again when it comes.
    }
  }

  /** Buffered messages went back to the broker unrun: their redelivery is not an attempt. */
  givenBack(queue: string, received: readonly Received[]): void {
    for (const { record } of received) this.ledger.add(queue, record.id, record.attempt);
  }

  /** How many deliveries of `queue` are held (queueStats().active). */
  countOf(queue: string): number {
    let active = 0;
    for (const hold of this.holds.values()) if (hold.delivery.queue === queue) active++;
    return active;
  }

  /** The subscription is closing: its deliveries go back with its channel. */
  dropSubscription(subscription: QueueSubscription): void {
    for (const [token, hold] of this.holds) if (hold.subscription === subscription) this.holds.delete(token);
  }

  /** `channel` closed: every delivery held on it is void (the broker has the messages again). */
  dropChannel(channel: Channel): void {
    for (const [token, hold] of this.holds) if (hold.acks.channel === channel) this.holds.delete(token);
  }

  /** Every channel is gone (a lost connection, close()): every hold is void. */
  clear(): void {
    this.holds.clear();
  }

  private channelId(channel: Channel): number {
    let id = this.channelIds.get(channel);
    if (id === undefined) {
      id = ++this.nextChannelId;
      this.channelIds.set(channel, id);
    }
    return id;
  }
}

function isResent(message: Message): boolean {
  return (message.properties.headers as Record<string, unknown> | undefined)?.[RESENT_HEADER] !== undefined;
}
