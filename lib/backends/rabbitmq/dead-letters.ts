import type { Channel, Message } from 'amqplib';
import type { JobRecord } from '../../backend/job-record';
import type { DeadLetter } from '../../backend/job-state';
import type { RedrivenJob } from '../../backend/job-state-store.interface';
import { notDeadLettersError } from '../../backend/backend-rules';
import { MessageUnroutableError } from '../../errors';
import type { Logger } from '../../logger/logger';
import { fenceQueue, type ChannelAcks } from './channel-acks';
import type { PublishOutcome } from './confirm-batch';
import type { Hold } from './held-deliveries';
import type { JobStoreBridge } from './job-store-bridge';
import type { JobPublisher } from './job-publisher';
import type { QueueDeclarations } from './queue-declarations';
import type { RabbitMQConnection } from './rabbitmq.connection';
import {
  decodeDeadLetter,
  decodeJob,
  deadLetterFailure,
  jobMessage,
  malformedFailure,
  messageJobId,
  poisonId,
  poisonMessage,
  standInRecord,
  type OutgoingMessage,
  type UndecodableMessage,
} from './rabbitmq.message';
import { FAILURE_HEADER, type QueueNames } from './rabbitmq.topology';
import { isNotFound } from './topology-conflicts';

/**
 * A queue's dead letters on the broker (TOPOLOGY.md "Dead letters"): moving one in through the queue's
 * dead-letter exchange, or by a reject when that cannot be published; moving a message that is no job
 * in; reading them without taking them; moving them back (redrive).
 */
export class DeadLetters {
  constructor(
    private readonly connection: RabbitMQConnection,
    private readonly declarations: QueueDeclarations,
    private readonly publisher: JobPublisher,
    private readonly jobStates: JobStoreBridge<Hold> | null,
    private readonly logger: Logger,
  ) {}

  /**
   * Publishes dead letters to the queue's dead-letter exchange (so every queue bound to it gets them, not
   * only `PQ.dead`), on the dead-letter confirm channel. If the exchange is gone (404, which closes only
   * that channel) or routes nowhere, the exchange, queue and binding are declared again and the rest sent
   * once more.
   */
  async publish(names: QueueNames, messages: readonly OutgoingMessage[]): Promise<void> {
    let pending = messages.map((message) => ({ ...message, exchange: names.deadExchange }));
    for (let round = 0; round < 2 && pending.length > 0; round++) {
      if (round > 0) await this.connection.withChannel((channel) => this.declarations.declareDeadLetters(names, channel));
      let outcomes: PublishOutcome[];
      try {
        outcomes = await this.connection.publish(pending, names.queue, 'deadLetters');
      } catch (err) {
        if (!isNotFound(err) || round > 0) throw this.declarations.refusal(names.queue, err);
        continue; // the exchange was deleted: nothing of this batch was taken
      }
      pending = pending.filter((_, i) => outcomes[i] === 'unroutable');
    }
    if (pending.length > 0) throw new MessageUnroutableError(names.queue, 'dead letter', names.deadExchange, pending.length);
  }

  /**
   * The last resort when the client cannot publish a dead letter (the broker refused it, it was unroutable,
   * its headers could not be encoded): rejects the delivery without requeue, and the broker moves it through
   * the work queue's own dead-letter exchange (`x-dead-letter-exchange`), body and headers as delivered.
   * No publish, no serialisation, no confirm: it cannot fail the same way, it settles the delivery (no
   * prefetch slot held, no `multiple` ack held back) and never comes back, so nothing loops. The failure
   * header is missing from such a dead letter (the log says why); listDeadLetters still reads a body that is
   * no job as MalformedJobError. False if the channel is gone: the broker has the message back already.
   */
  reject(names: QueueNames, acks: ChannelAcks, message: Message, what: string, err: unknown): boolean {
    try {
      acks.nack(message, false);
    } catch {
      return false;
    }
    this.logger.error(
      `could not publish the dead letter of ${what} on "${names.queue}" to the exchange ${names.deadExchange} (${(err as Error)?.message ?? String(err)}); ` +
        `rejected it instead, so the broker dead-letters it through ${names.work}'s x-dead-letter-exchange, without its failure header`,
    );
    return true;
  }

  /**
   * A message that is not a job: into the dead-letter queue with MalformedJobError, never to a consumer,
   * never requeued, and recorded as dead in the job store (so getJob finds it by its poisonId).
   */
  async movePoison(names: QueueNames, acks: ChannelAcks, message: Message, decoded: UndecodableMessage): Promise<void> {
    const id = poisonId(message, decoded);
    const failure = malformedFailure(names.queue, id, decoded.problem);
    this.logger.warn(
      `a message on "${names.queue}" is not a job (${failure.message}); dead-lettering it through the exchange ${names.deadExchange}`,
    );
    try {
      await this.publish(names, [poisonMessage(names.dead, message, id, failure)]);
    } catch (err) {
      if (!this.reject(names, acks, message, `malformed message ${id}`, err)) return;
      await this.jobStates?.dead(names.queue, standInRecord(message, id), failure);
      return;
    }
    try {
      acks.ack(message);
    } catch {
      // Its channel closed meanwhile: it comes back and is moved again (one more copy in the dead letters).
    }
    await this.jobStates?.dead(names.queue, standInRecord(message, id), failure);
  }

  /**
   * Reads the oldest `limit` dead letters without removing them: basic.get each (unacknowledged), then
   * nack them all with requeue, which puts them back in their places, in order. A quorum queue puts what
   * is given back at its tail, so there every dead letter is read (until the queue answers empty), to go
   * back in the same order.
   */
  list(names: QueueNames, limit: number): Promise<DeadLetter[]> {
    const quorum = this.declarations.queueKind === 'quorum';
    return this.declarations.onQueue(names.queue, () =>
      this.connection.withChannel(async (channel) => {
        const out: DeadLetter[] = [];
        let taken = 0;
        try {
          while (out.length < limit || quorum) {
            const message = await channel.get(names.dead, { noAck: false });
            if (message === false) break;
            taken++;
            if (out.length < limit) out.push(decodeDeadLetter(message, names.queue));
          }
        } finally {
          if (taken > 0) await giveBackAll(channel, names.dead);
        }
        return out;
      }),
    );
  }

  /**
   * Moves dead letters back to the work queue with attempt 0: each chosen one is published (confirmed)
   * and then acknowledged; the others are given back in their places. A crash in between leaves a
   * dead letter both redriven and still dead (at-least-once), never lost. Returns how many moved, and
   * those that are jobs, as the job store is told of them.
   */
  async redrive(names: QueueNames, ids?: readonly string[]): Promise<{ count: number; redriven: RedrivenJob[] }> {
    const wanted = ids === undefined ? null : new Set(ids);
    const redriven: RedrivenJob[] = [];
    let count = 0;
    await this.declarations.onQueue(names.queue, () =>
      this.connection.withChannel(async (channel) => {
        const { messageCount } = await channel.checkQueue(names.dead);
        const chosen: { message: Message; copy: OutgoingMessage; record?: JobRecord; failedAt: string | null }[] = [];
        const found = new Set<string>();
        let taken = 0;
        try {
          // Only what is there now: dead letters arriving meanwhile wait for the next redrive. A quorum queue puts
          // what is given back at its tail, so there every one is read, until it answers empty.
          const quorum = this.declarations.queueKind === 'quorum';
          for (let seen = 0; quorum || seen < messageCount; seen++) {
            const message = await channel.get(names.dead, { noAck: false });
            if (message === false) break;
            taken++;
            const decoded = decodeJob(message.content);
            const id = messageJobId(message, decoded);
            if (wanted && (!wanted.has(id) || found.has(id))) continue;
            found.add(id);
            const record = decoded.record ? { ...decoded.record, attempt: 0 } : undefined;
            const failedAt = deadLetterFailure(message)?.failedAt ?? null;
            chosen.push({ message, record, failedAt, copy: record ? jobMessage(names.work, record) : rawCopy(names.work, message) });
            // A quorum queue puts what is given back at its tail: read on, so all go back in their order.
            if (wanted && found.size === wanted.size && this.declarations.queueKind !== 'quorum') break;
          }
          const missing = wanted ? [...wanted].filter((id) => !found.has(id)) : [];
          if (missing.length > 0) throw notDeadLettersError(names.queue, missing);
          if (chosen.length > 0)
            await this.publisher.routed(
              names,
              chosen.map((c) => c.copy),
            );
          ackAll(channel, chosen, taken);
          for (const { record, failedAt } of chosen) if (record) redriven.push({ job: record, failedAt });
          count = chosen.length;
        } finally {
          if (taken > 0) await giveBackAll(channel, names.dead);
        }
      }),
    );
    return { count, redriven };
  }

  /** Drops every dead letter of the queue; returns how many. */
  async purge(names: QueueNames): Promise<number> {
    const { messageCount } = await this.declarations.onQueue(names.queue, () =>
      this.connection.withChannel((channel) => channel.purgeQueue(names.dead)),
    );
    return messageCount;
  }

  /** How many dead letters the queue holds. */
  async count(names: QueueNames): Promise<number> {
    const { messageCount } = await this.declarations.onQueue(names.queue, () =>
      this.connection.withChannel((channel) => channel.checkQueue(names.dead)),
    );
    return messageCount;
  }
}

/** A dead letter that is no job goes back as it came, without its failure header. */
function rawCopy(routingKey: string, message: Message): OutgoingMessage {
  const headers = { ...((message.properties.headers as Record<string, unknown> | undefined) ?? {}) };
  delete headers[FAILURE_HEADER];
  return {
    routingKey,
    content: message.content,
    properties: {
      persistent: true,
      mandatory: true,
      contentType: message.properties.contentType as string | undefined,
      messageId: message.properties.messageId as string | undefined,
      headers,
    },
  };
}

/**
 * Acks the chosen messages, as one `basic.ack` with `multiple` when every message taken was chosen. On a
 * quorum queue each ack frame is a command, and past 32 unapplied ones (quorum_commands_soft_limit) the
 * broker holds the next give-back back, where the fence after it no longer orders it before a count.
 */
function ackAll(channel: Channel, chosen: readonly { message: Message }[], taken: number): void {
  if (chosen.length === 0) return;
  if (chosen.length === taken) {
    channel.ack(chosen[chosen.length - 1].message, true);
    return;
  }
  for (const { message } of chosen) channel.ack(message);
}

/**
 * Requeues every message still unacknowledged on a command channel, in their places, and waits until the
 * queue has them back (fenceQueue: on a quorum queue, until its leader has applied the return), so a count
 * or read right after, on any channel, sees them. A closing channel requeues them itself.
 */
async function giveBackAll(channel: Channel, queue: string): Promise<void> {
  try {
    channel.nackAll(true);
    await fenceQueue(channel, queue);
  } catch {
    // The channel is closing: the broker requeues what it held.
  }
}
