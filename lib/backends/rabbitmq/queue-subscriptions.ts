import type { Logger } from '../../logger/logger';
import type { DeadLetters } from './dead-letters';
import type { HeldDeliveries } from './held-deliveries';
import type { QueueDeclarations } from './queue-declarations';
import type { QueuePauses } from './queue-pauses';
import { QueueSubscription } from './queue-subscription';
import type { RabbitMQConnection } from './rabbitmq.connection';
import type { Topology } from './rabbitmq.topology';

/** The queues this client consumes, one QueueSubscription each, made on first use and wired to the client's parts. */
export class QueueSubscriptions {
  private readonly subscriptions = new Map<string, QueueSubscription>();

  constructor(
    private readonly connection: RabbitMQConnection,
    private readonly topology: Topology,
    /** The `prefetch` option; null: it follows demand. */
    private readonly prefetch: number | null,
    private readonly declarations: QueueDeclarations,
    private readonly deadLetters: DeadLetters,
    private readonly holds: HeldDeliveries,
    private readonly pauses: QueuePauses,
    private readonly logger: Logger,
  ) {}

  /** The queue's subscription, made now if it has none. */
  of(queue: string): QueueSubscription {
    let subscription = this.subscriptions.get(queue);
    if (!subscription) {
      const names = this.topology.namesOf(queue);
      const made: QueueSubscription = (subscription = new QueueSubscription(
        names.work,
        this.connection,
        this.prefetch,
        {
          poison: (acks, message, decoded) => this.deadLetters.movePoison(names, acks, message, decoded),
          queueGone: () => this.declarations.forget(queue),
          givenBack: (received) => this.holds.givenBack(queue, received),
          channelLost: (channel) => this.holds.dropChannel(channel),
          paused: () => this.pauses.watch(names.work, (paused) => made.pauseChanged(paused)),
        },
        this.logger,
      ));
      this.subscriptions.set(queue, made);
    }
    return subscription;
  }

  /** The queue is being deleted: its subscription closes, and what it held goes back with its channel. */
  async close(queue: string): Promise<void> {
    const subscription = this.subscriptions.get(queue);
    if (!subscription) return;
    this.subscriptions.delete(queue);
    this.holds.dropSubscription(subscription);
    await subscription.close();
  }

  /** The client is closing: every subscription cancels its consumer and gives its buffer back. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.subscriptions.values()].map((subscription) => subscription.close()));
    this.subscriptions.clear();
  }

  /** After a reconnect: each subscription consumes again if someone is waiting. */
  resume(): void {
    for (const subscription of this.subscriptions.values()) subscription.resume();
  }
}
