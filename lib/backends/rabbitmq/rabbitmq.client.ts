import { Logger } from '../../logger/logger';
import type { Channel, Message } from 'amqplib';
import type { BackendCapabilities, Delivery, FetchOptions, JobBackend, PublishItem } from '../../backend/job-backend.interface';
import type { JobRecord } from '../../backend/job-record';
import type { DeadLetter, JobFailure, JobState, QueueStats } from '../../backend/job-state';
import type { QueueType } from '../../backend/queue-type';
import {
  BackendClosedError,
  BrokerBlockedError,
  InvalidOptionError,
  LeaseLostError,
  MessageUnroutableError,
  QueueNotDeclaredError,
  QueueTypeMismatchError,
  TopologyConflictError,
  UnsupportedCapabilityError,
} from '../../errors';
import type { JobStateStore } from '../../backend/job-state-store.interface';
import type { ChannelAcks } from './channel-acks';
import { fenceChannel } from './channel-fence';
import { foreignQueueType, inequivalenceOf } from './declare-refusal';
import { BrokerUnavailableError } from '../../errors/broker-unavailable.error';
import { JobStoreUnavailableError } from './job-store-unavailable.error';
import type { PublishOutcome } from './confirm-batch';
import { QueueSubscription, type Received } from './queue-subscription';
import { resolveRabbitMQOptions, type RabbitMQClientOptions, type ResolvedRabbitMQOptions } from './rabbitmq-client.options';
import { RabbitMQConnection, type ConnectionState } from './rabbitmq.connection';
import {
  deadLetterMessage,
  decodeDeadLetter,
  decodeJob,
  jobMessage,
  malformedFailure,
  messageJobId,
  poisonId,
  poisonMessage,
  standInRecord,
  type OutgoingMessage,
  type UndecodableMessage,
} from './rabbitmq.message';
import { DEAD_RETENTION_ARGUMENTS, DELAY_QUEUE_REFRESH_MS, FAILURE_HEADER, MAX_DELAY_MS, RESENT_HEADER, Topology, delayBucket, type QueueNames } from './rabbitmq.topology';
import { RedeliveryLedger } from './redelivery-ledger';
import { UnconfirmedPublishes, startedAlready } from './unconfirmed-publishes';

/** A delivery handed to a consumer and not settled yet. */
interface Hold {
  queue: string;
  subscription: QueueSubscription;
  channel: Channel;
  acks: ChannelAcks;
  message: Message;
  /** `attempt` as the body had it. */
  bodyAttempt: number;
  /** The record as delivered: attempt counts this delivery. */
  job: JobRecord;
  /** A copy published again after an ambiguous failure, delivered for the first time: it may be a second copy. */
  resent: boolean;
}

/** Headers of a job published again after an ambiguous failure (see RESENT_HEADER). */
const RESENT_HEADERS = Object.freeze({ [RESENT_HEADER]: 1 });

const RABBITMQ_QUEUE_TYPES: readonly QueueType[] = ['fifo', 'priority'];

/**
 * The RabbitMQ backend, over one AMQP connection per client (opened on first use, re-opened by itself
 * when lost). Publishes are persistent, mandatory and confirmed; queues are durable; a job leaves the
 * broker only when its consumer acknowledges it, so a consumer that dies gives its jobs back.
 * Retries and delays wait in per-delay TTL queues that dead-letter back to the work queue (no plugin),
 * and final failures go to the queue's dead-letter queue. See TOPOLOGY.md for every name declared.
 *
 * Stack queues are not possible on RabbitMQ, deliveries do not expire (no leases: the broker holds a
 * delivery until it is acknowledged or its channel closes), and job state needs a `jobStore`.
 */
export class RabbitMQClient implements JobBackend {
  readonly name = 'RabbitMQClient';
  readonly capabilities: BackendCapabilities;

  private readonly options: ResolvedRabbitMQOptions;
  private readonly store: JobStateStore | null;
  private readonly topology: Topology;
  private readonly connection: RabbitMQConnection;
  private readonly logger = new Logger('RabbitMQClient');
  /** Types of the queues this client knows: declared here, or looked up on the broker. */
  private readonly types = new Map<string, QueueType>();
  /** Queues declared through this client: declared again after a reconnect. */
  private readonly declared = new Set<string>();
  /** Delay queues this client declared, by broker name. */
  private readonly delayQueues = new Map<string, { queue: string; declaredAt: number }>();
  private readonly subscriptions = new Map<string, QueueSubscription>();
  private readonly holds = new Map<string, Hold>();
  private readonly ledger = new RedeliveryLedger();
  private readonly unconfirmed = new UnconfirmedPublishes();
  /** Second copies of retried publishes dropped on delivery so far (see startResent). */
  private droppedCopies = 0;
  private readonly channelIds = new WeakMap<Channel, number>();
  private nextChannelId = 0;
  /** waitForFinished calls in progress, ended by close(). */
  private readonly finishWaits = new Set<AbortController>();
  private closed = false;

  /** Options, or an `amqp://user:pass@host:5672/vhost` URL. Connects on first use, so construction never waits. */
  constructor(options: RabbitMQClientOptions | string = {}) {
    this.options = resolveRabbitMQOptions(options);
    this.store = this.options.jobStore;
    this.topology = new Topology(this.options.prefix, this.options.maxPriority, this.options.deadRetention);
    this.capabilities = {
      queueTypes: RABBITMQ_QUEUE_TYPES,
      leases: false,
      priorityRange: [0, this.options.maxPriority],
      jobState: this.store !== null,
      sharedJobState: this.store?.shared ?? false,
      releaseKeepsOrder: false,
      // The store tells a job that already started; without one nothing can (see UnconfirmedPublishes).
      retriedPublishRunsOnce: this.store !== null,
    };
    this.connection = new RabbitMQConnection(this.options, { lost: () => this.onConnectionLost(), restored: () => this.restore() }, this.logger);
  }

  /** Where the connection is: idle (not used yet), connecting, open, reconnecting or closed. */
  get connectionState(): ConnectionState {
    return this.connection.state;
  }

  async declareQueue(queue: string, type: QueueType): Promise<void> {
    this.assertOpen();
    if (type === 'stack') {
      throw new UnsupportedCapabilityError(
        this.name,
        "'stack' queues (last in, first out)",
        "RabbitMQ delivers a queue in FIFO or priority order only; declare it as 'fifo' or 'priority', or use LocalClient or RedisClient for a stack",
      );
    }
    if (!RABBITMQ_QUEUE_TYPES.includes(type)) {
      throw new InvalidOptionError(`declare "${queue}"`, 'queueType', `must be one of ${RABBITMQ_QUEUE_TYPES.join(', ')}, got ${String(type)}`);
    }
    this.topology.checkName(queue);
    const names = this.topology.namesOf(queue);
    await this.declareTopology(names, type);
    this.types.set(queue, type);
    if (!this.declared.has(queue)) this.noteDeadLetterBound(names);
    this.declared.add(queue);
  }

  async queueType(queue: string): Promise<QueueType | null> {
    this.assertOpen();
    const type = await this.lookUpType(this.topology.namesOf(queue));
    if (type) this.types.set(queue, type);
    else this.forgetQueue(queue);
    return type;
  }

  async deleteQueue(queue: string): Promise<void> {
    this.assertOpen();
    const names = this.topology.namesOf(queue);
    const subscription = this.subscriptions.get(queue);
    if (subscription) {
      this.subscriptions.delete(queue);
      for (const [token, hold] of this.holds) if (hold.subscription === subscription) this.holds.delete(token);
      await subscription.close();
    }
    const delayQueues = this.delayQueuesOf(queue);
    await this.connection.withChannel(async (channel) => {
      await channel.deleteQueue(names.work);
      await channel.deleteQueue(names.dead);
      await channel.deleteExchange(names.deadExchange);
      for (const name of delayQueues) await channel.deleteQueue(name);
    });
    this.forgetQueue(queue);
    this.declared.delete(queue);
    for (const name of delayQueues) this.delayQueues.delete(name);
    await this.recordState(() => this.store?.forget(queue));
  }

  async cleanQueue(queue: string): Promise<number> {
    await this.typeOf(queue);
    let removed = await this.onQueue(queue, () => this.subscription(queue).purge());
    for (const name of this.delayQueuesOf(queue)) removed += await this.purgeIfExists(name);
    await this.recordState(() => this.store?.forget(queue, ['waiting', 'delayed', 'failed']));
    return removed;
  }

  async countWaiting(queue: string): Promise<number> {
    await this.typeOf(queue);
    return this.onQueue(queue, () => this.subscription(queue).countWaiting());
  }

  async publish(queue: string, items: PublishItem[]): Promise<void> {
    const type = this.knownType(queue) ?? (await this.typeOf(queue));
    const names = this.topology.namesOf(queue);
    const now = Date.now();
    const immediate: JobRecord[] = [];
    const delayed = new Map<number, JobRecord[]>();
    for (const { job, runAt } of items) {
      this.checkPriority(queue, type, job.priority);
      const delay = runAt === undefined ? 0 : runAt - now;
      if (delay > MAX_DELAY_MS) {
        throw new InvalidOptionError(`publish to "${queue}"`, 'delay', `must be at most ${MAX_DELAY_MS} ms (about 49 days) on RabbitMQ, got ${delay}`);
      }
      if (delay < 1) immediate.push(job);
      else {
        const bucket = delayBucket(delay);
        const group = delayed.get(bucket) ?? [];
        group.push(job);
        delayed.set(bucket, group);
      }
    }
    if (items.length === 0) return;

    // Without a store (or with nothing delayed) nothing extra is awaited: each await is a tick on a single publish's path.
    const store = this.store;
    if (!store) {
      await this.publishJobs(names, immediate, delayed);
      return;
    }
    const resent = this.unconfirmed.size > 0 ? await this.unconfirmed.retried(store, queue, items) : null;
    const publishing = resent ? items.filter(({ job }) => !resent.arrived.has(job.id)) : items;
    if (publishing.length === 0) return;
    await store.published(
      queue,
      publishing.map(({ job, runAt }) => ({ job, runAt: runAt !== undefined && runAt - now >= 1 ? runAt : null })),
    );
    try {
      if (!resent) await this.publishJobs(names, immediate, delayed);
      else {
        const keep = (jobs: JobRecord[]): JobRecord[] => jobs.filter((job) => !resent.arrived.has(job.id));
        await this.publishJobs(names, keep(immediate), new Map([...delayed].map(([bucket, jobs]) => [bucket, keep(jobs)])), resent.copies);
      }
    } catch (err) {
      const ids = publishing.map(({ job }) => job.id);
      // Lost with the connection before every confirm came: the broker may hold them. Anything else enqueued none.
      if (err instanceof BrokerUnavailableError) this.unconfirmed.add(queue, ids);
      await this.recordState(() => store.unpublished(queue, ids));
      throw err;
    }
  }

  private publishJobs(names: QueueNames, immediate: JobRecord[], delayed: Map<number, JobRecord[]>, resent?: ReadonlySet<string>): Promise<unknown> {
    if (delayed.size === 0) return this.publishToWork(names, immediate, resent);
    return Promise.all([
      immediate.length > 0 ? this.publishToWork(names, immediate, resent) : undefined,
      ...[...delayed].filter(([, jobs]) => jobs.length > 0).map(([bucket, jobs]) => this.publishDelayed(names, jobs, bucket, resent)),
    ]);
  }

  async fetch(queue: string, max: number, options: FetchOptions): Promise<Delivery[]> {
    if (!this.knownType(queue)) await this.typeOf(queue);
    const want = Math.max(1, Math.floor(max));
    const subscription = this.subscription(queue);
    if (!this.store) return this.takeDeliveries(queue, subscription, want, options);
    for (;;) {
      const dropped = this.droppedCopies;
      const deliveries = await this.takeDeliveries(queue, subscription, want, options);
      // Empty though messages were taken only if each was a second copy dropped unrun (startResent): take again.
      if (deliveries.length > 0 || this.droppedCopies === dropped) return deliveries;
    }
  }

  private takeDeliveries(queue: string, subscription: QueueSubscription, want: number, options: FetchOptions): Delivery[] | Promise<Delivery[]> {
    const ready = subscription.take(want);
    if (ready.length > 0) return this.handOut(queue, subscription, ready);
    if (!options.wait) return this.onQueue(queue, () => subscription.get(want)).then((received) => this.handOut(queue, subscription, received));
    if (options.signal?.aborted) return [];
    // A wait outlives a lost connection: the subscription consumes again once the client has reconnected.
    return new Promise<Delivery[]>((resolve) => subscription.wait(want, options.signal, (received) => resolve(this.handOut(queue, subscription, received))));
  }

  async extendLease(delivery: Delivery): Promise<void> {
    // No lease runs out on RabbitMQ: the broker holds a delivery until it is acknowledged or its channel closes.
    this.holdOf(delivery);
  }

  async complete(delivery: Delivery, result: unknown): Promise<void> {
    const hold = this.claim(delivery);
    const store = this.store;
    if (store) await this.recordOrGiveBack(hold, 'completed', () => store.completed(delivery.queue, hold.job, result === undefined ? null : result));
    this.ack(hold);
  }

  async retry(delivery: Delivery, failure: JobFailure, delayMs: number): Promise<void> {
    const hold = this.claim(delivery);
    const names = this.topology.namesOf(delivery.queue);
    // The copy keeps the attempts made so far; the next delivery counts the next one.
    const copy: JobRecord = { ...hold.job };
    const delay = Math.min(Math.max(0, delayMs), MAX_DELAY_MS);
    try {
      if (delay >= 1) await this.publishDelayed(names, [copy], delayBucket(delay));
      else await this.publishToWork(names, [copy]);
    } catch (err) {
      this.requeue(hold);
      throw err;
    }
    await this.recordState(() => this.store?.failed(delivery.queue, copy, failure, delay >= 1 ? Date.now() + delay : null));
    this.ack(hold);
  }

  /**
   * Publishes the dead letter (confirmed) and acks the original. If the publish fails on a live channel,
   * the original is rejected without requeue instead, so the broker dead-letters it itself (see
   * rejectToDeadLetters): given back, it would run and fail again, as fast as the publish fails. Only
   * a blocked broker gives it back, since it redelivers nothing before the alarm clears.
   */
  async deadLetter(delivery: Delivery, failure: JobFailure): Promise<void> {
    const hold = this.claim(delivery);
    const names = this.topology.namesOf(delivery.queue);
    try {
      await this.publishToDead(names, [deadLetterMessage(names.dead, hold.job, failure, hold.message.content)]);
    } catch (err) {
      // Blocked: given back, it is not redelivered before the alarm clears (the broker reads nothing meanwhile), and then it can be.
      if (err instanceof BrokerBlockedError) {
        this.requeue(hold);
        throw err;
      }
      if (!this.rejectToDeadLetters(names, hold.acks, hold.message, `job ${hold.job.id}`, err)) throw err;
      await this.recordState(() => this.store?.dead(delivery.queue, hold.job, failure));
      return;
    }
    const store = this.store;
    // Not recorded: the job comes back and is settled again (its dead letter may then be there twice: at-least-once).
    if (store) await this.recordOrGiveBack(hold, 'dead', () => store.dead(delivery.queue, hold.job, failure));
    this.ack(hold);
  }

  async release(delivery: Delivery): Promise<void> {
    const hold = this.claim(delivery);
    try {
      hold.acks.nack(hold.message, true);
    } catch {
      throw new LeaseLostError(delivery.queue, delivery.job.id);
    }
    this.ledger.add(delivery.queue, hold.job.id, hold.bodyAttempt);
    await this.recordState(() => this.store?.released(delivery.queue, { ...hold.job, attempt: hold.job.attempt - 1 }));
  }

  async getJob(id: string): Promise<JobState | null> {
    this.assertOpen();
    return this.requireStore().get(id);
  }

  waitForFinished(id: string, signal: AbortSignal): Promise<JobState> {
    this.assertOpen();
    const store = this.requireStore();
    const controller = new AbortController();
    const forward = (): void => controller.abort(signal.reason);
    if (signal.aborted) forward();
    else signal.addEventListener('abort', forward, { once: true });
    this.finishWaits.add(controller);
    return store.waitForFinished(id, controller.signal).finally(() => {
      signal.removeEventListener('abort', forward);
      this.finishWaits.delete(controller);
    });
  }

  /**
   * Reads the oldest `limit` dead letters without removing them: basic.get each (unacknowledged), then
   * nack them all with requeue, which puts them back in their places, in order.
   */
  async listDeadLetters(queue: string, limit: number): Promise<DeadLetter[]> {
    await this.typeOf(queue);
    const names = this.topology.namesOf(queue);
    return this.onQueue(queue, () => this.connection.withChannel(async (channel) => {
      const out: DeadLetter[] = [];
      try {
        while (out.length < limit) {
          const message = await channel.get(names.dead, { noAck: false });
          if (message === false) break;
          out.push(decodeDeadLetter(message, queue));
        }
      } finally {
        if (out.length > 0) await giveBackAll(channel);
      }
      return out;
    }));
  }

  /**
   * Moves dead letters back to the work queue with attempt 0: each chosen one is published (confirmed)
   * and then acknowledged; the others are given back in their places. A crash in between leaves a
   * dead letter both redriven and still dead (at-least-once), never lost.
   */
  async redrive(queue: string, ids?: readonly string[]): Promise<number> {
    await this.typeOf(queue);
    const names = this.topology.namesOf(queue);
    const wanted = ids === undefined ? null : new Set(ids);
    const redriven: JobRecord[] = [];
    let count = 0;
    await this.onQueue(queue, () => this.connection.withChannel(async (channel) => {
      const { messageCount } = await channel.checkQueue(names.dead);
      const chosen: { message: Message; copy: OutgoingMessage; record?: JobRecord }[] = [];
      const found = new Set<string>();
      try {
        // Only what is there now: dead letters arriving meanwhile wait for the next redrive.
        for (let seen = 0; seen < messageCount; seen++) {
          const message = await channel.get(names.dead, { noAck: false });
          if (message === false) break;
          const decoded = decodeJob(message.content);
          const id = messageJobId(message, decoded);
          if (wanted && !wanted.has(id)) continue;
          found.add(id);
          const record = decoded.record ? { ...decoded.record, attempt: 0 } : undefined;
          chosen.push({ message, record, copy: record ? jobMessage(names.work, record) : rawCopy(names.work, message) });
          if (wanted && found.size === wanted.size) break;
        }
        const missing = wanted ? [...wanted].filter((id) => !found.has(id)) : [];
        if (missing.length > 0) {
          throw new InvalidOptionError(`redrive on "${queue}"`, 'ids', `names jobs that are not in its dead-letter queue: ${missing.join(', ')}`);
        }
        if (chosen.length > 0) await this.publishRouted(names, chosen.map((c) => c.copy));
        for (const { message, record } of chosen) {
          channel.ack(message);
          if (record) redriven.push(record);
        }
        count = chosen.length;
      } finally {
        await giveBackAll(channel);
      }
    }));
    await this.recordState(() => this.store?.redriven(queue, redriven));
    return count;
  }

  async purgeDeadLetters(queue: string): Promise<number> {
    await this.typeOf(queue);
    const names = this.topology.namesOf(queue);
    const { messageCount } = await this.onQueue(queue, () => this.connection.withChannel((channel) => channel.purgeQueue(names.dead)));
    await this.recordState(() => this.store?.forget(queue, ['dead']));
    return messageCount;
  }

  /**
   * waiting: ready on the broker plus buffered here; delayed: in the delay queues this client declared;
   * active: delivered to this client and not settled; completed: from the job store (0 without one);
   * dead: in the dead-letter queue.
   */
  async queueStats(queue: string): Promise<QueueStats> {
    const waiting = await this.countWaiting(queue);
    const names = this.topology.namesOf(queue);
    const dead = (await this.onQueue(queue, () => this.connection.withChannel((channel) => channel.checkQueue(names.dead)))).messageCount;
    let delayed = 0;
    for (const name of this.delayQueuesOf(queue)) delayed += await this.countIfExists(name);
    let active = 0;
    for (const hold of this.holds.values()) if (hold.queue === queue) active++;
    const completed = this.store ? await this.store.completedCount(queue) : 0;
    return { waiting, delayed, active, completed, dead };
  }

  /** Cancels consumers, gives buffered deliveries back, closes channels and the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const controller of this.finishWaits) controller.abort(new BackendClosedError(this.name));
    await Promise.all([...this.subscriptions.values()].map((subscription) => subscription.close()));
    this.subscriptions.clear();
    this.holds.clear();
    await this.connection.close();
    // The store was made for this client (its option), so it closes with it.
    await this.store?.close?.();
  }

  // ── queues and topology ──────────────────────────────────────────────────────────────────────────

  private assertOpen(): void {
    if (this.closed) throw new BackendClosedError(this.name);
  }

  /** The queue's type if this client knows it (no broker round trip, no await on the hot paths). */
  private knownType(queue: string): QueueType | undefined {
    this.assertOpen();
    return this.types.get(queue);
  }

  /** The queue's type, from this client's memory or the broker; QueueNotDeclaredError if it does not exist. */
  private async typeOf(queue: string): Promise<QueueType> {
    this.assertOpen();
    const known = this.types.get(queue);
    if (known) return known;
    const type = await this.lookUpType(this.topology.namesOf(queue));
    if (!type) throw new QueueNotDeclaredError(queue);
    this.types.set(queue, type);
    return type;
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
    for (const type of RABBITMQ_QUEUE_TYPES) {
      try {
        await this.connection.withChannel((channel) => channel.assertQueue(names.work, this.topology.workQueue(names, type)));
        return type;
      } catch (err) {
        if (!isPreconditionFailed(err)) throw err;
        refusals.push(err);
      }
    }
    throw await this.explainForeignQueue(names, refusals);
  }

  /**
   * Why an existing queue matches neither type. The broker names only the first argument that differs,
   * so a quorum or stream queue (which RabbitMQClient cannot use: it needs classic queues) is found with
   * a declaration that differs from it in x-queue-type alone.
   */
  private async explainForeignQueue(names: QueueNames, refusals: readonly unknown[]): Promise<Error> {
    try {
      await this.connection.withChannel((channel) => channel.assertQueue(names.work, { durable: true, arguments: { 'x-queue-type': 'classic' } }));
    } catch (err) {
      const foreign = foreignQueueType(err);
      if (foreign) {
        return new TopologyConflictError(names.queue, 'queue', names.work, `as a ${foreign} queue (x-queue-type), where RabbitMQClient needs a classic queue`);
      }
      if (!isPreconditionFailed(err)) return this.connection.transient(err) as Error;
    }
    const priority = refusals.find((err) => inequivalenceOf(err)?.arg === 'x-max-priority');
    if (priority) {
      return new InvalidOptionError(
        `queue "${names.queue}"`,
        'maxPriority',
        `does not match the queue on the broker (it has x-max-priority ${inequivalenceOf(priority)?.current}) — ` +
          'use the same maxPriority as the client that declared it, or delete the queue',
      );
    }
    return new TopologyConflictError(names.queue, 'queue', names.work, differenceOf(refusals[0], 'a classic queue with the arguments RabbitMQClient declares'));
  }

  /** Declares the work queue, then its dead-letter exchange and queue. A type clash is QueueTypeMismatchError. */
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

  /** The dead-letter exchange, queue and binding; a clash with what exists is TopologyConflictError naming it. */
  private async declareDeadLetters(names: QueueNames, channel: Channel): Promise<void> {
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
      throw new TopologyConflictError(names.queue, 'queue', names.dead, this.deadQueueDifference(err));
    }
    await channel.bindQueue(names.dead, names.deadExchange, '');
  }

  /**
   * What differs on an existing dead-letter queue. A bound that differs means `retention.dead` changed (or
   * another client uses another one); the broker cannot change a queue's arguments, so say how to migrate.
   */
  private deadQueueDifference(err: unknown): string {
    const wanted = Object.entries(this.topology.deadQueueArguments()).map(([arg, value]) => `${arg} ${value}`);
    const found = inequivalenceOf(err);
    if (!found || !DEAD_RETENTION_ARGUMENTS.includes(found.arg)) {
      return differenceOf(err, `a durable classic queue with ${wanted.length > 0 ? wanted.join(', ') : 'no arguments'}`);
    }
    return (
      `with another dead-letter retention (it has ${found.arg} ${found.current.replace(/'/g, '')}; this client's retention.dead ` +
      `declares ${wanted.length > 0 ? wanted.join(', ') : 'no bound'}: the retention changed, and the broker cannot change an existing queue — ` +
      'list or redrive its dead letters first, they go with the queue; or set retention.dead to the bounds it has, Infinity for none)'
    );
  }

  /**
   * The broker drops dead letters beyond `retention.dead` without telling anyone (a per-letter notice would
   * need a dead-letter exchange on the dead-letter queue), so say once per queue, at its first declaration,
   * that it will — unlike LocalClient and RedisClient, which warn on each one they drop.
   */
  private noteDeadLetterBound(names: QueueNames): void {
    const { count, ageMs } = this.options.deadRetention;
    const bounds = [Number.isFinite(count) ? `beyond the newest ${count}` : '', Number.isFinite(ageMs) ? `older than ${ageMs} ms` : ''].filter(Boolean);
    if (bounds.length === 0) return;
    this.logger.log(
      `dead letters of "${names.queue}" ${bounds.join(' or ')} are dropped by the broker (${names.dead}), silently, one by one — ` +
        'retention.dead { count: Infinity } keeps them all',
    );
  }

  /** Declares (or refreshes) the delay queue for `bucketMs`; see DELAY_QUEUE_REFRESH_MS for why it is refreshed. */
  private async delayQueue(names: QueueNames, bucketMs: number): Promise<string> {
    const name = this.topology.delayQueueName(names, bucketMs);
    const known = this.delayQueues.get(name);
    if (known && Date.now() - known.declaredAt < DELAY_QUEUE_REFRESH_MS) return name;
    await this.connection.withChannel((channel) => channel.assertQueue(name, this.topology.delayQueue(names, bucketMs)));
    this.delayQueues.set(name, { queue: names.queue, declaredAt: Date.now() });
    return name;
  }

  private delayQueuesOf(queue: string): string[] {
    return [...this.delayQueues].filter(([, entry]) => entry.queue === queue).map(([name]) => name);
  }

  private purgeIfExists(name: string): Promise<number> {
    return this.messageCountIfExists(name, (channel) => channel.purgeQueue(name));
  }

  private countIfExists(name: string): Promise<number> {
    return this.messageCountIfExists(name, (channel) => channel.checkQueue(name));
  }

  /** Runs a purge or check on a delay queue; one that expired (x-expires) counts 0 and is forgotten. */
  private async messageCountIfExists(name: string, step: (channel: Channel) => Promise<{ messageCount: number }>): Promise<number> {
    try {
      return (await this.connection.withChannel(step)).messageCount;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.delayQueues.delete(name);
      return 0;
    }
  }

  private subscription(queue: string): QueueSubscription {
    let subscription = this.subscriptions.get(queue);
    if (!subscription) {
      const names = this.topology.namesOf(queue);
      const created: QueueSubscription = new QueueSubscription(
        names.work,
        this.connection,
        this.options.prefetch,
        {
          poison: (acks, message, decoded) => this.deadLetterPoison(names, acks, message, decoded),
          queueGone: () => this.forgetQueue(queue),
          givenBack: (received) => {
            for (const { record } of received) this.ledger.add(queue, record.id, record.attempt);
          },
          channelLost: (channel) => {
            for (const [token, hold] of this.holds) if (hold.channel === channel) this.holds.delete(token);
          },
        },
        this.logger,
      );
      subscription = created;
      this.subscriptions.set(queue, subscription);
    }
    return subscription;
  }

  /** The queue is gone from the broker: forget what this client knew about it. */
  private forgetQueue(queue: string): void {
    this.types.delete(queue);
  }

  /** Runs a broker command about `queue`, turning a 404 into QueueNotDeclaredError. */
  private async onQueue<T>(queue: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      throw this.refusal(queue, err);
    }
  }

  /** A 404 means the queue was deleted (by anyone); anything else is passed on, transient ones as BrokerUnavailableError. */
  private refusal(queue: string, err: unknown): unknown {
    if (isNotFound(err)) {
      this.forgetQueue(queue);
      return new QueueNotDeclaredError(queue);
    }
    return this.connection.transient(err);
  }

  private checkPriority(queue: string, type: QueueType, priority: number): void {
    if (priority === 0) return;
    if (type !== 'priority') {
      throw new InvalidOptionError(`publish to "${queue}"`, 'priority', `is only meaningful on a priority queue; "${queue}" is ${type}`);
    }
    if (!(Number.isInteger(priority) && priority >= 0 && priority <= this.options.maxPriority)) {
      throw new InvalidOptionError(`publish to "${queue}"`, 'priority', `must be a whole number from 0 to ${this.options.maxPriority} (maxPriority), got ${String(priority)}`);
    }
  }

  // ── publishing ───────────────────────────────────────────────────────────────────────────────────

  /** Publishes to the work queue; a returned message means the queue was deleted. */
  private publishToWork(names: QueueNames, jobs: readonly JobRecord[], resent?: ReadonlySet<string>): Promise<void> {
    return this.publishRouted(names, jobs.map((job) => jobMessage(names.work, job, headersOf(job, resent))));
  }

  private async publishRouted(names: QueueNames, messages: readonly OutgoingMessage[]): Promise<void> {
    const outcomes = await this.connection.publish(messages, names.queue);
    if (outcomes.includes('unroutable')) {
      this.forgetQueue(names.queue);
      throw new QueueNotDeclaredError(names.queue);
    }
  }

  /** Publishes into the delay queue of `bucketMs`, declaring it again if it expired meanwhile. */
  private async publishDelayed(names: QueueNames, jobs: readonly JobRecord[], bucketMs: number, resent?: ReadonlySet<string>): Promise<void> {
    let pending = jobs;
    for (let round = 0; round < 2 && pending.length > 0; round++) {
      const name = await this.delayQueue(names, bucketMs);
      const outcomes = await this.connection.publish(pending.map((job) => jobMessage(name, job, headersOf(job, resent))), names.queue);
      pending = pending.filter((_, i) => outcomes[i] === 'unroutable');
      if (pending.length > 0) this.delayQueues.delete(name);
    }
    if (pending.length > 0) throw new MessageUnroutableError(names.queue, 'delayed job', this.topology.delayQueueName(names, bucketMs), pending.length);
  }

  /**
   * Publishes dead letters to the queue's dead-letter exchange (so every queue bound to it gets them, not
   * only `PQ.dead`), on the dead-letter confirm channel. If the exchange is gone (404, which closes only
   * that channel) or routes nowhere, the exchange, queue and binding are declared again and the rest sent
   * once more.
   */
  private async publishToDead(names: QueueNames, messages: readonly OutgoingMessage[]): Promise<void> {
    let pending = messages.map((message) => ({ ...message, exchange: names.deadExchange }));
    for (let round = 0; round < 2 && pending.length > 0; round++) {
      if (round > 0) await this.connection.withChannel((channel) => this.declareDeadLetters(names, channel));
      let outcomes: PublishOutcome[];
      try {
        outcomes = await this.connection.publish(pending, names.queue, 'deadLetters');
      } catch (err) {
        if (!isNotFound(err) || round > 0) throw this.refusal(names.queue, err);
        continue; // the exchange was deleted: nothing of this batch was taken
      }
      pending = pending.filter((_, i) => outcomes[i] === 'unroutable');
    }
    if (pending.length > 0) throw new MessageUnroutableError(names.queue, 'dead letter', names.deadExchange, pending.length);
  }

  /**
   * A message that is not a job: into the dead-letter queue with MalformedJobError, never to a consumer,
   * never requeued, and recorded as dead in the job store (so getJob finds it by its poisonId).
   */
  private async deadLetterPoison(names: QueueNames, acks: ChannelAcks, message: Message, decoded: UndecodableMessage): Promise<void> {
    const id = poisonId(message, decoded);
    const failure = malformedFailure(names.queue, id, decoded.problem);
    this.logger.warn(`a message on "${names.queue}" is not a job (${failure.message}); dead-lettering it through the exchange ${names.deadExchange}`);
    try {
      await this.publishToDead(names, [poisonMessage(names.dead, message, id, failure)]);
    } catch (err) {
      if (!this.rejectToDeadLetters(names, acks, message, `malformed message ${id}`, err)) return;
      await this.recordState(() => this.store?.dead(names.queue, standInRecord(message, id), failure));
      return;
    }
    try {
      acks.ack(message);
    } catch {
      // Its channel closed meanwhile: it comes back and is moved again (one more copy in the dead letters).
    }
    await this.recordState(() => this.store?.dead(names.queue, standInRecord(message, id), failure));
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
  private rejectToDeadLetters(names: QueueNames, acks: ChannelAcks, message: Message, what: string, err: unknown): boolean {
    try {
      acks.nack(message, false);
    } catch {
      return false;
    }
    this.logger.error(
      `could not publish the dead letter of ${what} on "${names.queue}" to the exchange ${names.deadExchange} (${reasonOf(err)}); ` +
        `rejected it instead, so the broker dead-letters it through ${names.work}'s x-dead-letter-exchange, without its failure header`,
    );
    return true;
  }

  // ── deliveries ───────────────────────────────────────────────────────────────────────────────────

  /** Turns received messages into held deliveries; waits only for a job store, if there is one. */
  private handOut(queue: string, subscription: QueueSubscription, received: readonly Received[]): Delivery[] | Promise<Delivery[]> {
    const deliveries = received.map(({ message, record, channel, acks }): Delivery => {
      const bodyAttempt = record.attempt;
      // A redelivery counts as an attempt (its run may have crashed the worker), unless this client gave it back unrun.
      const redelivered = message.fields.redelivered && !this.ledger.take(queue, record.id, bodyAttempt) ? 1 : 0;
      // The parsed body is this client's own object: it becomes the held record, and the consumer gets a copy.
      const job = record;
      job.attempt = bodyAttempt + 1 + redelivered;
      const token = `${this.channelId(channel)}.${message.fields.deliveryTag}`;
      const resent = redelivered === 0 && (message.properties.headers as Record<string, unknown> | undefined)?.[RESENT_HEADER] !== undefined;
      this.holds.set(token, { queue, subscription, channel, acks, message, bodyAttempt, job, resent });
      return { queue, job: { ...job }, token };
    });
    subscription.handedOut(deliveries.length);
    const store = this.store;
    if (!store) return deliveries;
    return this.recordStarted(store, queue, deliveries);
  }

  /**
   * Records the runs as started. If the store cannot, the jobs are given back unrun (their attempt not
   * counted) and the fetch fails with the transient JobStoreUnavailableError: a consumer then waits and
   * fetches again, rather than run jobs whose outcome could not be recorded.
   */
  private async recordStarted(store: JobStateStore, queue: string, deliveries: Delivery[]): Promise<Delivery[]> {
    const resent = deliveries.filter((delivery) => this.holds.get(delivery.token)?.resent);
    const others = resent.length === 0 ? deliveries : deliveries.filter((delivery) => !resent.includes(delivery));
    // Resent copies after the others: one delivered together with its first copy must see that copy started.
    let failed = await this.startAll(store, queue, others);
    if (!failed && resent.length > 0) failed = await this.startResent(store, queue, resent);
    if (!failed) return resent.length === 0 ? deliveries : deliveries.filter((delivery) => this.holds.has(delivery.token));
    for (const delivery of deliveries) {
      const hold = this.holds.get(delivery.token);
      if (!hold) continue;
      this.claim(delivery);
      this.requeue(hold);
      // Unrun, so its redelivery is not an attempt — unless this delivery already counted one for an earlier run.
      if (hold.job.attempt === hold.bodyAttempt + 1) this.ledger.add(queue, hold.job.id, hold.bodyAttempt);
    }
    throw new JobStoreUnavailableError(queue, deliveries[0].job.id, 'started', reasonOf(failed.reason));
  }

  /** Records the starts in parallel; the first failure, if any. */
  private async startAll(store: JobStateStore, queue: string, deliveries: readonly Delivery[]): Promise<PromiseRejectedResult | null> {
    const outcomes = await Promise.allSettled(deliveries.map((delivery) => store.started(queue, delivery.job)));
    return outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected') ?? null;
  }

  /**
   * Resent copies (RESENT_HEADER) are run only if the store has not seen their job start: one it has is
   * a second copy of a job whose first publish did arrive, and is acknowledged without a run.
   */
  private async startResent(store: JobStateStore, queue: string, deliveries: readonly Delivery[]): Promise<PromiseRejectedResult | null> {
    for (const delivery of deliveries) {
      const hold = this.holds.get(delivery.token) as Hold;
      try {
        const state = await store.get(delivery.job.id);
        if (startedAlready(state, hold.bodyAttempt)) {
          this.holds.delete(delivery.token);
          hold.subscription.settled();
          this.droppedCopies++;
          this.logger.warn(
            `job ${delivery.job.id} on "${queue}" arrived twice (published again after a publish whose confirm was lost with the connection); ` +
              `the job is ${state?.status} already, so this copy is dropped unrun`,
          );
          settleQuietly(() => hold.acks.ack(hold.message));
          continue;
        }
        await store.started(queue, delivery.job);
      } catch (err) {
        return { status: 'rejected', reason: err };
      }
    }
    return null;
  }

  private holdOf(delivery: Delivery): Hold {
    this.assertOpen();
    const hold = this.holds.get(delivery.token);
    if (!hold || hold.queue !== delivery.queue || !this.connection.isOpen(hold.channel)) {
      throw new LeaseLostError(delivery.queue, delivery.job.id);
    }
    return hold;
  }

  /** Takes the delivery out of the held set, so that it is settled once. */
  private claim(delivery: Delivery): Hold {
    const hold = this.holdOf(delivery);
    this.holds.delete(delivery.token);
    hold.subscription.settled();
    return hold;
  }

  private ack(hold: Hold): void {
    try {
      hold.acks.ack(hold.message);
    } catch {
      throw new LeaseLostError(hold.queue, hold.job.id);
    }
  }

  /** Gives a delivery back after a failed settle, so it runs again rather than stays held. */
  private requeue(hold: Hold): void {
    try {
      hold.acks.nack(hold.message, true);
    } catch {
      // Its channel is gone: the broker has it back already.
    }
  }

  private channelId(channel: Channel): number {
    let id = this.channelIds.get(channel);
    if (id === undefined) {
      id = ++this.nextChannelId;
      this.channelIds.set(channel, id);
    }
    return id;
  }

  // ── job state ────────────────────────────────────────────────────────────────────────────────────

  private requireStore(): JobStateStore {
    if (this.store) return this.store;
    throw new UnsupportedCapabilityError(
      this.name,
      'job state (getJob, waitForResult)',
      'RabbitMQ keeps messages, not job records — pass a `jobStore` option to RabbitMQClient (new InMemoryJobStateStore() for one process, new RedisJobStateStore(url) to share states), or use LocalClient or RedisClient',
    );
  }

  /**
   * Records a job's end; if the store fails, the delivery is given back (nack with requeue) instead of
   * acknowledged, so the job runs again once the store answers rather than staying `active` for ever.
   */
  private async recordOrGiveBack(hold: Hold, step: string, record: () => Promise<void>): Promise<void> {
    try {
      await record();
    } catch (err) {
      this.requeue(hold);
      throw new JobStoreUnavailableError(hold.queue, hold.job.id, step, reasonOf(err));
    }
  }

  /** A move that is not a job's end: the broker step is done and a store that fails must not undo it, so its error is logged. */
  private async recordState(update: () => Promise<void> | undefined): Promise<void> {
    try {
      await update();
    } catch (err) {
      this.logger.error(`the job store failed: ${(err as Error).message}`);
    }
  }

  // ── reconnection ─────────────────────────────────────────────────────────────────────────────────

  private onConnectionLost(): void {
    // Every channel is gone, so every hold is void; subscriptions hear it from their channels.
    this.holds.clear();
    // The broker may have lost the delay queues (a restart of a node without them on disk): declare each again before its next use.
    for (const entry of this.delayQueues.values()) entry.declaredAt = 0;
  }

  /** After a reconnect: declare this client's queues again (the broker may have lost them) and consume again. */
  private async restore(): Promise<void> {
    for (const queue of this.declared) {
      const type = this.types.get(queue);
      if (!type) continue;
      try {
        await this.declareTopology(this.topology.namesOf(queue), type);
      } catch (err) {
        this.logger.warn(`could not declare "${queue}" again after reconnecting: ${(err as Error).message}`);
      }
    }
    for (const subscription of this.subscriptions.values()) subscription.resume();
  }
}

function headersOf(job: JobRecord, resent: ReadonlySet<string> | undefined): Record<string, unknown> | undefined {
  return resent?.has(job.id) ? RESENT_HEADERS : undefined;
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
 * Requeues every message still unacknowledged on a command channel, in their places, and waits until the
 * broker has them back, so a count or read right after sees them; a closing channel requeues them itself.
 */
async function giveBackAll(channel: Channel): Promise<void> {
  try {
    channel.nackAll(true);
    await fenceChannel(channel);
  } catch {
    // The channel is closing: the broker requeues what it held.
  }
}

/** "declared with another X (it has Y)", from a 406; `wanted` says what the client declares. */
function differenceOf(err: unknown, wanted: string): string {
  const found = inequivalenceOf(err);
  const what = found ? `with another ${found.arg} (it has ${found.current})` : `declared differently (${reasonOf(err)})`;
  return `${what}, where RabbitMQClient declares ${wanted}`;
}

/** An ack on a channel that closed throws; the broker then has the message back anyway. */
function settleQuietly(settle: () => void): void {
  try {
    settle();
  } catch {
    // The channel is gone: its unacknowledged messages return to the queue by themselves.
  }
}

function reasonOf(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown })?.code === 404;
}

function isPreconditionFailed(err: unknown): boolean {
  return (err as { code?: unknown })?.code === 406;
}
