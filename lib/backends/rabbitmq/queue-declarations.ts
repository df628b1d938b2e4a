import type { Channel } from 'amqplib';
import type { Logger } from '../../logger/logger';
import type { QueueType } from '../../backend/queue-type';
import type { RetentionRule } from '../../backend/retention-options';
import { QueueNotDeclaredError, QueueTypeMismatchError, TopologyConflictError } from '../../errors';
import type { BrokerQueueKind } from './rabbitmq-client.options';
import type { RabbitMQConnection } from './rabbitmq.connection';
import type { QueueNames, Topology } from './rabbitmq.topology';
import { deadQueueDifference, differenceOf, explainForeignQueue, isNotFound, isPreconditionFailed } from './topology-conflicts';

/** The queue types RabbitMQ can deliver in; a stack is not one of them. */
export const RABBITMQ_QUEUE_TYPES: readonly QueueType[] = ['fifo', 'priority'];
/** Quorum queues take no x-max-priority before RabbitMQ 4.0: FIFO only. */
export const QUORUM_QUEUE_TYPES: readonly QueueType[] = ['fifo'];

/** The queue types a client whose queues are of this kind can declare. */
export function queueTypesOf(kind: BrokerQueueKind): readonly QueueType[] {
  return kind === 'quorum' ? QUORUM_QUEUE_TYPES : RABBITMQ_QUEUE_TYPES;
}

/**
 * A client's queues on the broker: declares each one's work queue, dead-letter exchange and queue
 * (TOPOLOGY.md), finds the type of a queue declared elsewhere, and remembers both, so the hot paths
 * know a queue's type without a round trip. Declares its queues again after a reconnect.
 */
export class QueueDeclarations {
  /** Types of the queues this client knows: declared here, or looked up on the broker. */
  private readonly types = new Map<string, QueueType>();
  /** Queues declared through this client: declared again after a reconnect. */
  private readonly declared = new Set<string>();

  constructor(
    private readonly connection: RabbitMQConnection,
    private readonly topology: Topology,
    private readonly deadRetention: Required<RetentionRule>,
    private readonly logger: Logger,
  ) {}

  /** The kind of broker queue this client's queues are. */
  get queueKind(): BrokerQueueKind {
    return this.topology.queueKind;
  }

  /** Declares the queue's topology (idempotent); a type clash is QueueTypeMismatchError. */
  async declare(queue: string, type: QueueType): Promise<void> {
    this.topology.checkName(queue);
    const names = this.topology.namesOf(queue);
    await this.declareTopology(names, type);
    this.types.set(queue, type);
    if (this.declared.size === 0) this.noteDeadLetterBound();
    this.declared.add(queue);
  }

  /** The queue's type if this client knows it (no broker round trip, no await on the hot paths). */
  known(queue: string): QueueType | undefined {
    return this.types.get(queue);
  }

  /** The queue's type, from memory or the broker; QueueNotDeclaredError if it does not exist. */
  async typeOf(queue: string): Promise<QueueType> {
    const known = this.types.get(queue);
    if (known) return known;
    const type = await this.lookUpType(this.topology.namesOf(queue));
    if (!type) throw new QueueNotDeclaredError(queue);
    this.types.set(queue, type);
    return type;
  }

  /** Asks the broker for the queue's type (null: it does not exist), and remembers the answer. */
  async lookUp(queue: string): Promise<QueueType | null> {
    const type = await this.lookUpType(this.topology.namesOf(queue));
    if (type) this.types.set(queue, type);
    else this.forget(queue);
    return type;
  }

  /** The queue is gone from the broker: forget its type (it is looked up again on next use). */
  forget(queue: string): void {
    this.types.delete(queue);
  }

  /** Deletes the queue's work queue, dead-letter queue and exchange, and `delayQueues`; not declared again after a reconnect. */
  async delete(queue: string, delayQueues: readonly string[]): Promise<void> {
    const names = this.topology.namesOf(queue);
    await this.connection.withChannel(async (channel) => {
      await channel.deleteQueue(names.work);
      await channel.deleteQueue(names.dead);
      await channel.deleteExchange(names.deadExchange);
      for (const name of delayQueues) await channel.deleteQueue(name);
    });
    this.forget(queue);
    this.declared.delete(queue);
  }

  /** Runs a broker command about `queue`, turning a 404 into QueueNotDeclaredError. */
  async onQueue<T>(queue: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      throw this.refusal(queue, err);
    }
  }

  /** A 404 means the queue was deleted (by anyone); anything else is passed on, transient ones as BrokerUnavailableError. */
  refusal(queue: string, err: unknown): unknown {
    if (isNotFound(err)) {
      this.forget(queue);
      return new QueueNotDeclaredError(queue);
    }
    return this.connection.transient(err);
  }

  /** The dead-letter exchange, queue and binding; a clash with what exists is TopologyConflictError naming it. */
  async declareDeadLetters(names: QueueNames, channel: Channel): Promise<void> {
    try {
      await channel.assertExchange(names.deadExchange, 'fanout', { durable: true });
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
      throw new TopologyConflictError(names.queue, 'exchange', names.deadExchange, differenceOf(err, 'a durable fanout exchange'));
    }
    try {
      await channel.assertQueue(names.dead, this.topology.deadQueue());
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
      throw new TopologyConflictError(names.queue, 'queue', names.dead, deadQueueDifference(err, this.topology));
    }
    await channel.bindQueue(names.dead, names.deadExchange, '');
  }

  /** After a reconnect: the broker may have lost the queues (a node restarted without them on disk). */
  async declareAgain(): Promise<void> {
    for (const queue of this.declared) {
      const type = this.types.get(queue);
      if (!type) continue;
      try {
        await this.declareTopology(this.topology.namesOf(queue), type);
      } catch (err) {
        this.logger.warn(`could not declare "${queue}" again after reconnecting: ${(err as Error).message}`);
      }
    }
  }

  /** Declares the work queue, then its dead-letter exchange and queue. */
  private async declareTopology(names: QueueNames, type: QueueType): Promise<void> {
    try {
      await this.connection.withChannel((channel) => channel.assertQueue(names.work, this.topology.workQueue(names, type)));
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
      const existing = await this.lookUpType(names);
      if (existing && existing !== type) throw new QueueTypeMismatchError(names.queue, existing, type);
      throw err;
    }
    await this.connection.withChannel((channel) => this.declareDeadLetters(names, channel));
  }

  /**
   * Asks the broker. A passive declare says whether the queue exists but not how it was declared, so
   * the type comes from re-declaring it with each type's arguments (each on a throwaway channel): the
   * broker accepts only the equivalent one (they differ in x-max-priority).
   */
  private async lookUpType(names: QueueNames): Promise<QueueType | null> {
    try {
      await this.connection.withChannel((channel) => channel.checkQueue(names.work));
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    const refusals: unknown[] = [];
    for (const type of queueTypesOf(this.topology.queueKind)) {
      try {
        await this.connection.withChannel((channel) => channel.assertQueue(names.work, this.topology.workQueue(names, type)));
        return type;
      } catch (err) {
        if (!isPreconditionFailed(err)) throw err;
        refusals.push(err);
      }
    }
    throw await explainForeignQueue(this.connection, names, refusals, this.topology.queueKind);
  }

  /**
   * The broker drops dead letters beyond `retention.dead` without telling anyone (a per-letter notice would
   * need a dead-letter exchange on the dead-letter queue), so say it once per client, at its first
   * declaration — unlike LocalClient and RedisClient, which warn on each one they drop. Once, not per
   * queue: the rule is the client's, and a line per queue drowned an app's log.
   */
  private noteDeadLetterBound(): void {
    const { count, ageMs } = this.deadRetention;
    const bounds = [
      Number.isFinite(count) ? `beyond the newest ${count}` : '',
      Number.isFinite(ageMs) ? `older than ${ageMs} ms` : '',
    ].filter(Boolean);
    if (bounds.length === 0) return;
    this.logger.log(
      `dead letters ${bounds.join(' or ')} in each queue's dead-letter queue are dropped by the broker, silently, one by one — ` +
        'retention.dead { count: Infinity } keeps them all',
    );
  }
}
