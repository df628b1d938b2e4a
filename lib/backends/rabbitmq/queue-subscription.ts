import type { Logger } from '../../logger/logger';
import type { Channel, Message } from 'amqplib';
import type { JobRecord } from '../../backend/job-record';
import { BackendClosedError } from '../../errors';
import { ChannelAcks, fenceQueue } from './channel-acks';
import type { RabbitMQConnection } from './rabbitmq.connection';
import { decodeJob, type UndecodableMessage } from './rabbitmq.message';

/** A job message this client received and has not settled. */
export interface Received {
  message: Message;
  /** The record as the body has it (attempt not yet counted for this delivery). */
  record: JobRecord;
  /** Where its ack or nack goes (acks are sent together at the end of the tick); `acks.channel` is the channel it came on. */
  acks: ChannelAcks;
}

/** What a subscription needs from its client. */
export interface SubscriptionHooks {
  /** A message that is not a job arrived: move it to the dead-letter queue and ack it with `acks`. */
  poison(acks: ChannelAcks, message: Message, decoded: UndecodableMessage): Promise<void>;
  /** The broker cancelled the consumer or answered 404: the queue was deleted. */
  queueGone(): void;
  /** These messages go back to the broker unrun (nack with requeue, or their channel closed). */
  givenBack(received: readonly Received[]): void;
  /** `channel` closed: every delivery held on it is void (the broker has the messages again). */
  channelLost(channel: Channel): void;
  /** Whether the queue is paused (QueuePauses.watch); from the first call on, changes come to pauseChanged. */
  paused(): Promise<boolean>;
}

interface Waiter {
  max: number;
  /** Aborting it ends this wait (with nothing). */
  signal: AbortSignal | undefined;
  /** FetchOptions.returnOnWake: a resume that hands it nothing ends its wait with nothing. */
  returnOnWake: boolean;
  hand(received: Received[]): void;
}

/** A subscription with no one fetching gives its buffered messages back after this long. */
const IDLE_RETURN_MS = 1000;
/** After an unexpected failure to subscribe (the connection being up), try again after this long. */
const RESUBSCRIBE_DELAY_MS = 500;

/**
 * One queue as this client consumes it: its own channel (so a refusal elsewhere cannot close it), a
 * basic.consume that runs while someone waits, and a buffer of deliveries not yet handed out.
 *
 * Fetches that wait are served by the consumer (push, no polling); fetches that do not wait use
 * basic.get. The channel's prefetch bounds what is held (running + buffered); by default it follows
 * the demand of the fetches. When nobody fetches for a while, or a fetch is aborted, the consumer is
 * cancelled and the buffered messages go back to the queue (nack with requeue keeps their place).
 */
export class QueueSubscription {
  private channel: Channel | null = null;
  private acks: ChannelAcks | null = null;
  private opening: Promise<ChannelAcks> | null = null;
  private consumerTag: string | null = null;
  /** The prefetch the running consumer was started with (per consumer: see subscribe). */
  private consumerPrefetch = 0;
  private wantConsumer = false;
  private reconciliation: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  /** When a fetch last asked for messages: the idle timer is armed once and checks it, not reset per fetch. */
  private lastDemandAt = 0;
  private buffer: Received[] = [];
  private readonly waiters: Waiter[] = [];
  /** Signals heard: one abort listener per signal (a consumer's lives as long as its loop), not one added and removed per wait. */
  private readonly heardSignals = new WeakSet<AbortSignal>();
  private dispatchQueued = false;
  private prefetch: number;
  /** Deliveries handed out from this subscription and not settled yet. */
  private held = 0;
  /** The queue is paused (read before each consume, then pushed): nothing is consumed or handed out. */
  private paused = false;
  private closed = false;

  constructor(
    /** The broker name of the work queue. */
    readonly queueName: string,
    private readonly connection: RabbitMQConnection,
    private readonly fixedPrefetch: number | null,
    private readonly hooks: SubscriptionHooks,
    private readonly logger: Logger,
  ) {
    this.prefetch = fixedPrefetch ?? 1;
  }

  /** Messages received but not handed out. */
  get buffered(): number {
    return this.buffer.length;
  }

  /** Takes up to `max` buffered messages, oldest first; none while the queue is paused. */
  take(max: number): Received[] {
    return this.paused ? [] : this.buffer.splice(0, max);
  }

  /**
   * The queue was paused or resumed (by any client). Paused: the consumer is cancelled and what it
   * buffered goes back to the queue (nack with requeue, in place); waiting fetches keep waiting.
   * Resumed: they are served again, the consumer starting at once.
   */
  pauseChanged(paused: boolean): void {
    this.paused = paused;
    if (this.closed) return;
    if (!paused) {
      void this.reconcile();
      this.dispatch();
      this.endReturnOnWake();
      return;
    }
    void this.reconcile().then(() => {
      if (this.paused && this.consumerTag === null) this.giveBack();
    });
  }

  /** Counts handed-out messages (for the prefetch that follows demand) until `settled` is called for each. */
  handedOut(count: number): void {
    this.held += count;
  }

  settled(): void {
    this.held = Math.max(0, this.held - 1);
  }

  /**
   * Waits for up to `max` messages: `hand` is called once, with at least one message, or with none when
   * `signal` aborts, the queue is deleted or the subscription closes.
   */
  wait(max: number, signal: AbortSignal | undefined, hand: (received: Received[]) => void, returnOnWake = false): void {
    if (signal && !this.heardSignals.has(signal)) {
      this.heardSignals.add(signal);
      signal.addEventListener('abort', () => this.aborted(signal), { once: true });
    }
    if (returnOnWake) {
      const waiter: Waiter = { max, signal, returnOnWake, hand };
      // Registered before the pause is read: a resume heard after the read still ends it (pauseChanged).
      this.waiters.push(waiter);
      void this.endUnlessPaused(waiter);
      return;
    }
    this.waiters.push({ max, signal, returnOnWake, hand });
    this.lastDemandAt = Date.now();
    this.followDemand();
    this.wantConsumer = true;
    void this.reconcile();
    this.dispatch();
  }

  /**
   * A returnOnWake wait lasts only while the queue is paused, and ends at its resume (pushed). Nothing is
   * pushed when others take the last messages, so on an open queue it ends at once: its fetcher takes
   * with a get and asks for the count, atomically enough for a drain that ends when the queue is empty.
   */
  private async endUnlessPaused(waiter: Waiter): Promise<void> {
    let paused: boolean;
    try {
      paused = await this.hooks.paused();
    } catch {
      paused = false;
    }
    const index = this.waiters.indexOf(waiter);
    if (paused || index < 0) return;
    this.waiters.splice(index, 1);
    waiter.hand([]);
  }

  /** The queue resumed: the waits that asked to hear of a wake (returnOnWake) end with nothing, their fetcher looks again. */
  private endReturnOnWake(): void {
    const ended = this.waiters.filter((waiter) => waiter.returnOnWake);
    if (ended.length === 0) return;
    for (const waiter of ended) this.waiters.splice(this.waiters.indexOf(waiter), 1);
    for (const waiter of ended) waiter.hand([]);
    if (this.waiters.length === 0) void this.park();
  }

  /** `signal` aborted: its waits end with nothing, oldest first. */
  private aborted(signal: AbortSignal): void {
    const ended = this.waiters.filter((waiter) => waiter.signal === signal);
    if (ended.length === 0) return;
    for (const waiter of ended) this.waiters.splice(this.waiters.indexOf(waiter), 1);
    for (const waiter of ended) waiter.hand([]);
    if (this.waiters.length === 0) void this.park();
  }

  /** basic.get up to `max` times; poison messages are dead-lettered on the way and not returned. */
  async get(max: number): Promise<Received[]> {
    this.paused = await this.hooks.paused();
    if (this.paused) return [];
    const acks = await this.ensureChannel();
    const { channel } = acks;
    const out: Received[] = [];
    while (out.length < max) {
      const message = await channel.get(this.queueName, { noAck: false });
      if (message === false) break;
      acks.received(message);
      const decoded = decodeJob(message.content);
      if (decoded.problem !== undefined) await this.hooks.poison(acks, message, decoded);
      else out.push({ message, record: decoded.record, acks });
    }
    return out;
  }

  /**
   * The queue's ready messages plus those buffered here. Exact when nobody is fetching: the consumer is
   * cancelled first, and the broker sends cancel-ok only after every delivery it made to it (nothing else
   * fences off deliveries on their way; a count on another channel would miss them).
   */
  async countWaiting(): Promise<number> {
    await this.cancelIfIdle();
    await this.fence();
    const { messageCount } = await this.connection.withChannel((channel) => channel.checkQueue(this.queueName));
    return messageCount + this.buffer.length;
  }

  /** Drops every ready and buffered message of the queue; returns how many. */
  async purge(): Promise<number> {
    await this.cancelIfIdle();
    await this.fence();
    const { messageCount } = await this.connection.withChannel((channel) => channel.purgeQueue(this.queueName));
    const dropped = this.buffer.splice(0);
    for (const { acks, message } of dropped) settleQuietly(() => acks.ack(message));
    return messageCount + dropped.length;
  }

  /** Flushes this channel's acks and waits until the queue has applied them (see fenceQueue), so a count after a release sees the job. */
  private async fence(): Promise<void> {
    const { channel, acks } = this;
    if (!channel || !acks || !this.connection.isOpen(channel)) return;
    acks.flush();
    await fenceQueue(channel, this.queueName);
  }

  /** After a reconnect: consume again if someone is waiting. */
  resume(): void {
    if (!this.closed && this.wantConsumer) void this.reconcile();
  }

  /** Ends every wait with nothing, gives buffered messages back and closes the channel (held deliveries go back too). */
  async close(): Promise<void> {
    this.closed = true;
    this.clearIdle();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const waiter of this.waiters.splice(0)) waiter.hand([]);
    const channel = this.channel;
    this.acks?.flush();
    this.channel = null;
    this.acks = null;
    if (channel && this.connection.isOpen(channel)) {
      if (this.consumerTag) await channel.cancel(this.consumerTag).catch(() => undefined);
      this.consumerTag = null;
      this.giveBack();
      await channel.close().catch(() => undefined);
    }
    this.buffer = [];
  }

  private ensureChannel(): Promise<ChannelAcks> {
    if (this.closed) return Promise.reject(new BackendClosedError('RabbitMQClient'));
    if (this.channel && this.acks && this.connection.isOpen(this.channel)) return Promise.resolve(this.acks);
    if (!this.opening) {
      this.opening = (async () => {
        const channel = await this.connection.createChannel();
        const acks = new ChannelAcks(channel);
        channel.on('close', () => this.onChannelClosed(channel));
        if (this.closed) {
          await channel.close().catch(() => undefined);
          throw new BackendClosedError('RabbitMQClient');
        }
        this.channel = channel;
        this.acks = acks;
        return acks;
      })().finally(() => (this.opening = null));
    }
    return this.opening;
  }

  private onMessage(acks: ChannelAcks, message: Message | null): void {
    if (message === null) {
      // The broker cancelled us: the queue was deleted.
      if (acks.channel === this.channel) this.consumerTag = null;
      this.queueGone();
      return;
    }
    acks.received(message);
    const decoded = decodeJob(message.content);
    if (decoded.problem !== undefined) {
      void this.hooks.poison(acks, message, decoded);
      return;
    }
    this.buffer.push({ message, record: decoded.record, acks });
    // Deliveries that came in one socket read are handed out together.
    if (!this.dispatchQueued) {
      this.dispatchQueued = true;
      queueMicrotask(this.dispatchReceived);
    }
  }

  /** The microtask onMessage queues, bound once rather than a closure per delivery. */
  private readonly dispatchReceived = (): void => {
    this.dispatchQueued = false;
    this.dispatch();
  };

  private dispatch(): void {
    while (!this.paused && this.waiters.length > 0 && this.buffer.length > 0) {
      const waiter = this.waiters.shift() as Waiter;
      waiter.hand(this.buffer.splice(0, waiter.max));
    }
    if (this.waiters.length === 0 && (this.consumerTag || this.buffer.length > 0)) this.armIdle();
  }

  private onChannelClosed(channel: Channel): void {
    if (channel !== this.channel) return;
    this.channel = null;
    this.acks = null;
    this.consumerTag = null;
    this.held = 0;
    const lost = this.buffer.splice(0);
    this.hooks.givenBack(lost);
    this.hooks.channelLost(channel);
    // A broker-side close (consumer timeout, a 404 on get): consume again if someone waits. After a lost
    // connection, resume() does it once the new connection is up.
    if (!this.closed && this.wantConsumer && this.connection.state === 'open') this.retryLater();
  }

  /** True when the consumer runs as wanted: present only if wanted and not paused, and started with the current prefetch. */
  private get consumerMatches(): boolean {
    if (this.consumerTag === null) return !this.wantConsumer || this.paused;
    return this.wantConsumer && !this.paused && this.consumerPrefetch >= this.prefetch;
  }

  /** Makes the consumer match `wantConsumer` and the prefetch; one run at a time, re-checking until they agree. */
  private reconcile(): Promise<void> {
    if (this.reconciliation) return this.reconciliation;
    if (this.closed || this.consumerMatches) return Promise.resolve();
    this.reconciliation = this.runReconcile();
    return this.reconciliation;
  }

  private async runReconcile(): Promise<void> {
    try {
      while (!this.closed && !this.consumerMatches) {
        // A consumer with too low a prefetch is replaced: a per-consumer prefetch cannot be raised in place.
        if (this.consumerTag !== null) await this.unsubscribe();
        // Read (or bound to hear) the pause before consuming: a pause made after this read is pushed to us.
        else if (!(this.paused = await this.hooks.paused())) await this.subscribe();
      }
    } catch (err) {
      if ((err as { code?: unknown }).code === 404) this.queueGone();
      else if (!this.closed && this.connection.state === 'open') {
        this.logger.warn(`could not consume "${this.queueName}" (${(err as Error).message}); trying again`);
        this.retryLater();
      }
      // While reconnecting nothing to do: resume() follows the new connection.
    } finally {
      this.reconciliation = null;
    }
  }

  /**
   * Starts the consumer. Its prefetch is per consumer (basic.qos without `global`, set just before):
   * with one consumer per channel it bounds the same deliveries as a channel-wide one, but the broker
   * checks it inside the queue, where a channel-wide limit costs a call to the channel's limiter for
   * every message.
   */
  private async subscribe(): Promise<void> {
    const acks = await this.ensureChannel();
    const { channel } = acks;
    const prefetch = this.prefetch;
    await channel.prefetch(prefetch, false);
    const { consumerTag } = await channel.consume(this.queueName, (message) => this.onMessage(acks, message), { noAck: false });
    if (channel === this.channel && this.connection.isOpen(channel)) {
      this.consumerTag = consumerTag;
      this.consumerPrefetch = prefetch;
    }
  }

  private async unsubscribe(): Promise<void> {
    const channel = this.channel;
    const tag = this.consumerTag;
    this.acks?.flush();
    if (channel && tag && this.connection.isOpen(channel)) await channel.cancel(tag);
    // cancel-ok comes after every delivery made to the consumer: the buffer is complete now.
    if (this.consumerTag === tag) this.consumerTag = null;
    this.dispatch();
  }

  /** Cancels the consumer if nobody waits, keeping the buffer (so a count sees buffered + ready exactly). */
  private async cancelIfIdle(): Promise<void> {
    if (this.waiters.length > 0) return;
    this.wantConsumer = false;
    await this.reconcile();
  }

  /**
   * Cancels the consumer if nobody waits and gives the buffered messages back to the queue, so they go
   * to other workers. A consumer whose buffer is empty while jobs are held is left running: there is
   * nothing to give back, and cancelling it would let its successor take a full prefetch on top of them.
   */
  private async park(): Promise<void> {
    this.clearIdle();
    if (this.held > 0 && this.buffer.length === 0) return;
    await this.cancelIfIdle();
    if (this.waiters.length > 0) return;
    this.giveBack();
  }

  private giveBack(): void {
    const returned = this.buffer.splice(0);
    for (const { acks, message } of returned) settleQuietly(() => acks.nack(message, true));
    this.hooks.givenBack(returned);
  }

  private queueGone(): void {
    this.wantConsumer = false;
    this.hooks.queueGone();
    for (const waiter of this.waiters.splice(0)) waiter.hand([]);
  }

  /**
   * Sets the prefetch to what the waiting fetches and held deliveries add up to. It rises at once, a
   * running consumer then being replaced by one with the new prefetch (reconcile; a consumer's first
   * fetch asks for its whole concurrency, so this happens at start, not in steady state). It falls only
   * for the next consumer, once the last one was cancelled with nothing held: a client whose big consumer
   * stopped then does not take that many jobs — jobs other workers could run — for a small one.
   */
  private followDemand(): void {
    if (this.fixedPrefetch !== null) return;
    let demand = this.held;
    for (const waiter of this.waiters) demand += waiter.max;
    demand = Math.max(1, Math.min(demand, 65535));
    if (demand > this.prefetch || (this.consumerTag === null && this.held === 0)) this.prefetch = demand;
  }

  private retryLater(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.resume();
    }, RESUBSCRIBE_DELAY_MS);
  }

  /**
   * Parks the subscription once nobody has fetched for IDLE_RETURN_MS. Armed once, not per fetch: when it
   * fires early because a fetch came meanwhile, it arms itself again for the rest of the time.
   */
  private armIdle(delayMs = IDLE_RETURN_MS): void {
    if (this.idleTimer || this.closed) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.waiters.length > 0) return; // dispatch() arms it again once they are served
      const idleFor = Date.now() - this.lastDemandAt;
      if (idleFor < IDLE_RETURN_MS) this.armIdle(IDLE_RETURN_MS - idleFor);
      else void this.park();
    }, delayMs);
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}

/** An ack or nack on a channel that is closing throws; the broker then has the message back anyway. */
function settleQuietly(settle: () => void): void {
  try {
    settle();
  } catch {
    // The channel is gone or going: its unacknowledged messages return to the queue by themselves.
  }
}
