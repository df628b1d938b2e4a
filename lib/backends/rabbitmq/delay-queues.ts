import type { Channel } from 'amqplib';
import type { RabbitMQConnection } from './rabbitmq.connection';
import { DELAY_QUEUE_REFRESH_MS, type QueueNames, type Topology } from './rabbitmq.topology';
import { isNotFound } from './topology-conflicts';

/**
 * The delay queues this client declared (`PQ.delay.<ms>`, TOPOLOGY.md "Delays and retries"), by broker
 * name. AMQP cannot list queues, so this is what cleanQueue, deleteQueue and queueStats reach. Each
 * expires (x-expires) once unused for a while; it is declared again before use when it may have.
 */
export class DelayQueues {
  private readonly entries = new Map<string, { queue: string; declaredAt: number }>();

  constructor(
    private readonly connection: RabbitMQConnection,
    private readonly topology: Topology,
  ) {}

  /** The delay queue for `bucketMs`, declared (or refreshed) first; see DELAY_QUEUE_REFRESH_MS for why it is refreshed. */
  async declare(names: QueueNames, bucketMs: number): Promise<string> {
    const name = this.topology.delayQueueName(names, bucketMs);
    const known = this.entries.get(name);
    if (known && Date.now() - known.declaredAt < DELAY_QUEUE_REFRESH_MS) return name;
    await this.connection.withChannel((channel) => channel.assertQueue(name, this.topology.delayQueue(names, bucketMs)));
    this.entries.set(name, { queue: names.queue, declaredAt: Date.now() });
    return name;
  }

  /** Broker names of the delay queues of `queue`. */
  of(queue: string): string[] {
    return [...this.entries].filter(([, entry]) => entry.queue === queue).map(([name]) => name);
  }

  /** The delay queue is gone (it expired, or was deleted): declared again on next use. */
  forget(name: string): void {
    this.entries.delete(name);
  }

  /** Drops every message in the delay queues of `queue`; returns how many. */
  async purge(queue: string): Promise<number> {
    let removed = 0;
    for (const name of this.of(queue)) removed += await this.messageCountIfExists(name, (channel) => channel.purgeQueue(name));
    return removed;
  }

  /** Messages waiting in the delay queues of `queue`. */
  async count(queue: string): Promise<number> {
    let delayed = 0;
    for (const name of this.of(queue)) delayed += await this.messageCountIfExists(name, (channel) => channel.checkQueue(name));
    return delayed;
  }

  /** The connection was lost: the broker may have lost the delay queues too (a node restart), so each is declared again before its next use. */
  stale(): void {
    for (const entry of this.entries.values()) entry.declaredAt = 0;
  }

  /** Runs a purge or check on a delay queue; one that expired (x-expires) counts 0 and is forgotten. */
  private async messageCountIfExists(name: string, step: (channel: Channel) => Promise<{ messageCount: number }>): Promise<number> {
    try {
      return (await this.connection.withChannel(step)).messageCount;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.entries.delete(name);
      return 0;
    }
  }
}
