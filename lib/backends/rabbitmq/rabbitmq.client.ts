import { Logger } from '../../logger/logger';
import type {
  BackendCapabilities,
  Delivery,
  FetchOptions,
  JobBackend,
  JobPage,
  ListJobsOptions,
  PublishItem,
} from '../../backend/job-backend.interface';
import type { JobRecord } from '../../backend/job-record';
import type { DeadLetter, JobFailure, JobProgress, JobState, QueueStats } from '../../backend/job-state';
import type { QueueType } from '../../backend/queue-type';
import { checkOpen, checkPriorityAllowed } from '../../backend/backend-rules';
import { BrokerBlockedError, InvalidOptionError, UnsupportedCapabilityError } from '../../errors';
import { deadLetterPage } from './dead-letter-pages';
import { DeadLetters } from './dead-letters';
import { DelayQueues } from './delay-queues';
import { HeldDeliveries, type Hold } from './held-deliveries';
import { JobPublisher } from './job-publisher';
import { JobStoreBridge } from './job-store-bridge';
import { QueueDeclarations, queueTypesOf } from './queue-declarations';
import { QueuePauses } from './queue-pauses';
import type { QueueSubscription, Received } from './queue-subscription';
import { QueueSubscriptions } from './queue-subscriptions';
import { resolveRabbitMQOptions, type RabbitMQClientOptions, type ResolvedRabbitMQOptions } from './rabbitmq-client.options';
import { RabbitMQConnection, type ConnectionState } from './rabbitmq.connection';
import { deadLetterMessage } from './rabbitmq.message';
import { MAX_DELAY_MS, Topology, delayBucket } from './rabbitmq.topology';

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
  private readonly logger = new Logger('RabbitMQClient');
  private readonly connection: RabbitMQConnection;
  private readonly topology: Topology;
  private readonly declarations: QueueDeclarations;
  private readonly delayQueues: DelayQueues;
  private readonly publisher: JobPublisher;
  private readonly deadLetters: DeadLetters;
  private readonly holds: HeldDeliveries;
  /** Job states, kept by the `jobStore` option; null without one. */
  private readonly jobStates: JobStoreBridge<Hold> | null;
  private readonly subscriptions: QueueSubscriptions;
  private readonly pauses: QueuePauses;
  private closed = false;

  /** Options, or an `amqp://user:pass@host:5672/vhost` URL. Connects on first use, so construction never waits. */
  constructor(options: RabbitMQClientOptions | string = {}) {
    this.options = resolveRabbitMQOptions(options);
    const store = this.options.jobStore;
    const quorum = this.options.queueKind === 'quorum';
    this.capabilities = {
      queueTypes: queueTypesOf(this.options.queueKind),
      leases: false,
      // Quorum queues order by priority only from RabbitMQ 4.0 (and by two levels), so no priority queues on them.
      priorityRange: [0, quorum ? 0 : this.options.maxPriority],
      // A quorum queue counts each message's returns (x-delivery-count): a holder that died is one.
      stallCount: quorum,
      jobState: store !== null,
      sharedJobState: store?.shared ?? false,
      releaseKeepsOrder: false,
      // A delivery on its way to a cancelled quorum consumer is returned by the broker unseen: it comes back counted.
      ...(quorum ? { releaseUncounted: false } : {}),
      // The store tells a job that already started; without one nothing can (see UnconfirmedPublishes).
      retriedPublishRunsOnce: store !== null,
      // The broker names no queues without its management API, and waiting jobs cannot be read without
      // taking them from consumers: only the dead-letter queue can be peeked (TOPOLOGY.md "Listing").
      queueListing: false,
      jobListing: ['dead'],
      // A marker the broker keeps, pushed to every consumer (TOPOLOGY.md "Pause").
      pause: true,
      progress: typeof store?.progressed === 'function',
      // The broker keeps no record to compare-and-set, no shared counter and no index of keys (docs/rabbitmq.md).
      schedules: false,
      rateLimit: false,
      deduplication: false,
    };
    this.connection = new RabbitMQConnection(
      this.options,
      { lost: () => this.onConnectionLost(), restored: () => this.restore() },
      this.logger,
    );
    this.topology = new Topology(this.options.prefix, this.options.maxPriority, this.options.deadRetention, this.options.queueKind);
    this.declarations = new QueueDeclarations(this.connection, this.topology, this.options.deadRetention, this.logger);
    this.delayQueues = new DelayQueues(this.connection, this.topology);
    this.publisher = new JobPublisher(this.connection, this.topology, this.declarations, this.delayQueues);
    this.holds = new HeldDeliveries(this.connection, () => this.assertOpen(), quorum);
    this.jobStates = store ? new JobStoreBridge(store, this.holds, this.name, this.logger) : null;
    this.deadLetters = new DeadLetters(this.connection, this.declarations, this.publisher, this.jobStates, this.logger);
    this.pauses = new QueuePauses(this.connection, this.topology, this.logger);
    this.subscriptions = new QueueSubscriptions(
      this.connection,
      this.topology,
      this.options.prefetch,
      this.declarations,
      this.deadLetters,
      this.holds,
      this.pauses,
      this.logger,
    );
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
    if (type === 'priority' && this.options.queueKind === 'quorum') {
      throw new UnsupportedCapabilityError(
        this.name,
        "'priority' queues on quorum queues (queueType 'quorum')",
        "RabbitMQ's quorum queues take no x-max-priority before RabbitMQ 4.0 (capabilities.queueTypes is ['fifo']); declare it as 'fifo', or use a client with queueType 'classic' for this queue",
      );
    }
    if (!this.capabilities.queueTypes.includes(type)) {
      throw new InvalidOptionError(
        `declare "${queue}"`,
        'queueType',
        `must be one of ${this.capabilities.queueTypes.join(', ')}, got ${String(type)}`,
      );
    }
    await this.declarations.declare(queue, type);
  }

  async queueType(queue: string): Promise<QueueType | null> {
    this.assertOpen();
    return this.declarations.lookUp(queue);
  }

  async deleteQueue(queue: string): Promise<void> {
    this.assertOpen();
    await this.subscriptions.close(queue);
    const delayQueues = this.delayQueues.of(queue);
    await this.declarations.delete(queue, delayQueues);
    for (const name of delayQueues) this.delayQueues.forget(name);
    await this.pauses.forget(this.topology.namesOf(queue).work);
    await this.jobStates?.forget(queue);
  }

  async cleanQueue(queue: string): Promise<number> {
    await this.typeOf(queue);
    let removed = await this.declarations.onQueue(queue, () => this.subscriptions.of(queue).purge());
    removed += await this.delayQueues.purge(queue);
    await this.jobStates?.forget(queue, ['waiting', 'delayed', 'failed']);
    return removed;
  }

  async countWaiting(queue: string): Promise<number> {
    await this.typeOf(queue);
    return this.declarations.onQueue(queue, () => this.subscriptions.of(queue).countWaiting());
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
        throw new InvalidOptionError(
          `publish to "${queue}"`,
          'delay',
          `must be at most ${MAX_DELAY_MS} ms (about 49 days) on RabbitMQ, got ${delay}`,
        );
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

    // Without a store nothing extra is awaited: each await is a tick on a single publish's path.
    const jobStates = this.jobStates;
    if (!jobStates) {
      await this.publisher.publish(names, immediate, delayed);
      return;
    }
    const retried = jobStates.hasUnconfirmed ? await jobStates.retried(queue, items) : null;
    const publishing = retried ? items.filter(({ job }) => !retried.arrived.has(job.id)) : items;
    if (publishing.length === 0) return;
    await jobStates.published(queue, publishing, now);
    try {
      if (!retried) await this.publisher.publish(names, immediate, delayed);
      else {
        const keep = (jobs: JobRecord[]): JobRecord[] => jobs.filter((job) => !retried.arrived.has(job.id));
        await this.publisher.publish(
          names,
          keep(immediate),
          new Map([...delayed].map(([bucket, jobs]) => [bucket, keep(jobs)])),
          retried.copies,
        );
      }
    } catch (err) {
      await jobStates.unpublished(queue, publishing, err);
      throw err;
    }
  }

  async fetch(queue: string, max: number, options: FetchOptions): Promise<Delivery[]> {
    if (!this.knownType(queue)) await this.typeOf(queue);
    const want = Math.max(1, Math.floor(max));
    const subscription = this.subscriptions.of(queue);
    if (!this.jobStates) return this.takeDeliveries(queue, subscription, want, options);
    for (;;) {
      const dropped = this.holds.droppedCopies;
      const deliveries = await this.takeDeliveries(queue, subscription, want, options);
      // Empty though messages were taken only if each was a second copy dropped unrun (JobStoreBridge.started): take again.
      if (deliveries.length > 0 || this.holds.droppedCopies === dropped) return deliveries;
    }
  }

  async extendLease(delivery: Delivery): Promise<void> {
    // No lease runs out on RabbitMQ: the broker holds a delivery until it is acknowledged or its channel closes.
    this.holds.holdOf(delivery);
  }

  async complete(delivery: Delivery, result: unknown): Promise<void> {
    const hold = this.holds.claim(delivery);
    if (this.jobStates) await this.jobStates.completedOrGiveBack(hold, result);
    this.holds.ack(hold);
  }

  async retry(delivery: Delivery, failure: JobFailure, delayMs: number): Promise<void> {
    const hold = this.holds.claim(delivery);
    const names = this.topology.namesOf(delivery.queue);
    // The copy keeps the attempts made so far; the next delivery counts the next one.
    const copy: JobRecord = { ...hold.job };
    const delay = Math.min(Math.max(0, delayMs), MAX_DELAY_MS);
    try {
      if (delay >= 1) await this.publisher.delayed(names, [copy], delayBucket(delay));
      else await this.publisher.toWork(names, [copy]);
    } catch (err) {
      this.holds.giveBack(hold);
      throw err;
    }
    await this.jobStates?.failed(delivery.queue, copy, failure, delay >= 1 ? Date.now() + delay : null);
    this.holds.ack(hold);
  }

  /**
   * Publishes the dead letter (confirmed) and acks the original. If the publish fails on a live channel,
   * the original is rejected without requeue instead, so the broker dead-letters it itself (see
   * DeadLetters.reject): given back, it would run and fail again, as fast as the publish fails. Only
   * a blocked broker gives it back, since it redelivers nothing before the alarm clears.
   */
  async deadLetter(delivery: Delivery, failure: JobFailure): Promise<void> {
    const hold = this.holds.claim(delivery);
    const names = this.topology.namesOf(delivery.queue);
    try {
      await this.deadLetters.publish(names, [deadLetterMessage(names.dead, hold.job, failure, hold.message.content)]);
    } catch (err) {
      if (err instanceof BrokerBlockedError) {
        this.holds.giveBack(hold);
        throw err;
      }
      if (!this.deadLetters.reject(names, hold.acks, hold.message, `job ${hold.job.id}`, err)) throw err;
      await this.jobStates?.dead(delivery.queue, hold.job, failure);
      return;
    }
    if (this.jobStates) await this.jobStates.deadOrGiveBack(hold, failure);
    this.holds.ack(hold);
  }

  /**
   * Every client stops handing out jobs of the queue: its marker is declared and each client consuming
   * the queue is told at once (it cancels its consumer and gives back what it buffered). Jobs already
   * handed out run on.
   */
  async pauseQueue(queue: string): Promise<void> {
    await this.typeOf(queue);
    await this.pauses.pause(this.topology.namesOf(queue).work);
  }

  /** Deletes the marker and tells every client consuming the queue, which consumes again at once. */
  async resumeQueue(queue: string): Promise<void> {
    await this.typeOf(queue);
    await this.pauses.resume(this.topology.namesOf(queue).work);
  }

  /**
   * Kept by the job store (capability `progress`: a store with `progressed`). The delivery must still be
   * held (LeaseLostError otherwise); a store that fails rejects with its error, the job going on.
   */
  async reportProgress(delivery: Delivery, progress: JobProgress): Promise<void> {
    const store = this.options.jobStore;
    if (!store?.progressed) {
      throw new UnsupportedCapabilityError(
        this.name,
        'progress',
        'RabbitMQ keeps messages, not job records — pass a `jobStore` option (InMemoryJobStateStore, RedisJobStateStore) to keep progress',
      );
    }
    const hold = this.holds.holdOf(delivery);
    await store.progressed(delivery.queue, hold.job, progress);
  }

  async release(delivery: Delivery): Promise<void> {
    const hold = this.holds.claim(delivery);
    this.holds.release(hold);
    await this.jobStates?.released(delivery.queue, { ...hold.job, attempt: hold.job.attempt - 1 });
  }

  async getJob(id: string): Promise<JobState | null> {
    this.assertOpen();
    return this.requireJobStates().get(id);
  }

  waitForFinished(id: string, signal: AbortSignal): Promise<JobState> {
    this.assertOpen();
    return this.requireJobStates().waitForFinished(id, signal);
  }

  /** Reads the oldest `limit` dead letters without removing them; they stay in their places, in order. */
  async listDeadLetters(queue: string, limit: number): Promise<DeadLetter[]> {
    await this.typeOf(queue);
    return this.deadLetters.list(this.topology.namesOf(queue), limit);
  }

  /** Dead letters only (capability jobListing): peeked in their places, with the job store's times if there is one. */
  async listJobs(queue: string, { state, offset, limit }: ListJobsOptions): Promise<JobPage> {
    await this.typeOf(queue);
    if (state !== 'dead') {
      throw new UnsupportedCapabilityError(
        this.name,
        `listJobs of ${state} jobs`,
        'RabbitMQ keeps messages, not records, and lists dead letters only; queueStats counts the other states, getJob (with a jobStore) reads one job',
      );
    }
    return deadLetterPage(this.deadLetters, this.topology.namesOf(queue), offset, limit, this.jobStates);
  }

  /**
   * Moves dead letters back with attempt 0; a crash half-way leaves one both redriven and dead, never lost.
   * The store records them after the move and keeps the state of any a consumer has taken meanwhile.
   */
  async redrive(queue: string, ids?: readonly string[]): Promise<number> {
    await this.typeOf(queue);
    const { count, redriven } = await this.deadLetters.redrive(this.topology.namesOf(queue), ids);
    await this.jobStates?.redriven(queue, redriven);
    return count;
  }

  async purgeDeadLetters(queue: string): Promise<number> {
    await this.typeOf(queue);
    const purged = await this.deadLetters.purge(this.topology.namesOf(queue));
    await this.jobStates?.forget(queue, ['dead']);
    return purged;
  }

  /**
   * waiting: ready on the broker plus buffered here; delayed: in the delay queues this client declared;
   * active: delivered to this client and not settled; completed: from the job store (0 without one);
   * dead: in the dead-letter queue.
   */
  async queueStats(queue: string): Promise<QueueStats> {
    await this.typeOf(queue); // QueueNotDeclaredError before any count fails otherwise
    const names = this.topology.namesOf(queue);
    // Each on its own channel or store, so together: one round trip's time, not five.
    const [waiting, dead, delayed, completed, paused] = await Promise.all([
      this.countWaiting(queue),
      this.deadLetters.count(names),
      this.delayQueues.count(queue),
      this.jobStates ? this.jobStates.completedCount(queue) : 0,
      this.pauses.isPaused(names.work),
    ]);
    return { waiting, delayed, active: this.holds.countOf(queue), completed, dead, paused };
  }

  /**
   * Cancels consumers, gives buffered deliveries back, closes channels and the connection — within
   * `connectTimeout`: a broker that does not answer meanwhile has its connection cut (it requeues all).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.jobStates?.endWaits();
    await this.connection.close(async () => {
      await this.subscriptions.closeAll();
      await this.pauses.close();
    });
    this.holds.clear();
    await this.jobStates?.close();
  }

  private assertOpen(): void {
    checkOpen(this.name, this.closed);
  }

  /** The queue's type if this client knows it (no broker round trip, no await on the hot paths). */
  private knownType(queue: string): QueueType | undefined {
    this.assertOpen();
    return this.declarations.known(queue);
  }

  /** The queue's type, from this client's memory or the broker; QueueNotDeclaredError if it does not exist. */
  private typeOf(queue: string): Promise<QueueType> {
    this.assertOpen();
    return this.declarations.typeOf(queue);
  }

  private checkPriority(queue: string, type: QueueType, priority: number): void {
    if (priority === 0) return;
    checkPriorityAllowed(queue, type, priority);
    if (!(Number.isInteger(priority) && priority >= 0 && priority <= this.options.maxPriority)) {
      throw new InvalidOptionError(
        `publish to "${queue}"`,
        'priority',
        `must be a whole number from 0 to ${this.options.maxPriority} (maxPriority), got ${String(priority)}`,
      );
    }
  }

  private requireJobStates(): JobStoreBridge<Hold> {
    if (this.jobStates) return this.jobStates;
    throw new UnsupportedCapabilityError(
      this.name,
      'job state (getJob, waitForResult)',
      'RabbitMQ keeps messages, not job records — pass a `jobStore` option to RabbitMQClient (new InMemoryJobStateStore() for one process, new RedisJobStateStore(url) to share states), or use LocalClient or RedisClient',
    );
  }

  // ── deliveries ───────────────────────────────────────────────────────────────────────────────────

  private takeDeliveries(
    queue: string,
    subscription: QueueSubscription,
    want: number,
    options: FetchOptions,
  ): Delivery[] | Promise<Delivery[]> {
    const ready = subscription.take(want);
    if (ready.length > 0) return this.handOut(queue, subscription, ready);
    if (!options.wait)
      return this.declarations.onQueue(queue, () => subscription.get(want)).then((received) => this.handOut(queue, subscription, received));
    if (options.signal?.aborted) return [];
    // A wait outlives a lost connection: the subscription consumes again once the client has reconnected.
    return new Promise<Delivery[]>((resolve) =>
      subscription.wait(
        want,
        options.signal,
        (received) => resolve(this.handOut(queue, subscription, received)),
        options.returnOnWake === true,
      ),
    );
  }

  /** Holds the received messages and hands them out; waits only for a job store, if there is one, to record their start. */
  private handOut(queue: string, subscription: QueueSubscription, received: readonly Received[]): Delivery[] | Promise<Delivery[]> {
    const jobStates = this.jobStates;
    if (!jobStates) return this.holds.handOut(queue, subscription, received, null);
    const resent: Hold[] = [];
    return jobStates.started(queue, this.holds.handOut(queue, subscription, received, resent), resent);
  }

  // ── reconnection ─────────────────────────────────────────────────────────────────────────────────

  private onConnectionLost(): void {
    // Every channel is gone, so every hold is void; subscriptions hear it from their channels.
    this.holds.clear();
    this.delayQueues.stale();
    this.pauses.lost();
  }

  /** After a reconnect: declare this client's queues again (the broker may have lost them) and consume again. */
  private async restore(): Promise<void> {
    await this.declarations.declareAgain();
    this.subscriptions.resume();
  }
}
