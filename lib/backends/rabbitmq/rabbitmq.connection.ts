import { Logger } from '../../logger/logger';
import type * as Amqplib from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import {
  BackendClosedError,
  BrokerAccessRefusedError,
  BrokerBlockedError,
  BrokerUnavailableError,
  PublishRejectedError,
} from '../../errors';
import { loadAmqplib } from './amqplib-package';
import type { BrokerNode, ResolvedRabbitMQOptions } from './rabbitmq-client.options';
import { coalesceWrites } from './coalesced-writes';
import type { PublishOutcome } from './confirm-batch';
import { ConfirmPublisher } from './confirm-publisher';
import { PublishNotConfirmedError } from './publish-not-confirmed.error';
import type { OutgoingMessage } from './rabbitmq.message';

/**
 * - `idle`: not connected yet (or the first attempt failed); the next call connects.
 * - `connecting`: the first connection is being opened; calls wait for it.
 * - `open`: connected.
 * - `reconnecting`: the connection was lost; the client retries in the background and calls fail fast.
 * - `closed`: close() was called.
 */
export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What the client does when the connection goes and comes back. */
export interface ConnectionHandlers {
  /** Every channel is gone: unacknowledged deliveries are back with the broker. */
  lost(reason: string): void;
  /** A new connection is open after a loss: declare the topology again and resume consuming. */
  restored(): Promise<void>;
}

/** Idle command channels kept for reuse. */
const MAX_SPARE_CHANNELS = 4;

/** Which confirm channel a publish goes through: jobs (default exchange) or dead letters (their exchange). */
export type PublishRoute = 'jobs' | 'deadLetters';

/** The broker has blocked this connection's publishes (connection.blocked) until `unblocked` resolves. */
interface Blocked {
  reason: string;
  unblocked: Promise<void>;
  end(): void;
}

/**
 * The client's one connection: opened on first use, re-opened with backoff (jittered) when lost. It
 * owns the two confirm channels publishes go through (jobs, dead letters) and a small pool of command
 * channels; consuming channels are made here and owned by their subscriptions.
 *
 * A refused login or vhost is not an outage: it is BrokerAccessRefusedError, and calls fail with it
 * rather than with BrokerUnavailableError.
 */
export class RabbitMQConnection {
  private stateValue: ConnectionState = 'idle';
  private model: ChannelModel | null = null;
  private connecting: Promise<ChannelModel> | null = null;
  private readonly publishers: Record<PublishRoute, ConfirmPublisher>;
  private readonly spare: Channel[] = [];
  private readonly closedChannels = new WeakSet<Channel>();
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectAttempt = 0;
  private lastReason = 'not connected yet';
  /** The last attempt was refused for its credentials or vhost: calls fail with this, not "unavailable". */
  private refusal: BrokerAccessRefusedError | null = null;
  private blocked: Blocked | null = null;
  /**
   * Destroys the socket of the connection attempt under way or of the open connection (one at a time):
   * amqplib gives no other way to end an attempt, nor a close the broker does not answer.
   */
  private socketCut: AbortController | null = null;
  /** The node (of `options.nodes`) connected to, or tried first next. */
  private nodeIndex = 0;
  private readonly amqp: typeof Amqplib = loadAmqplib('RabbitMQClient');

  constructor(
    private readonly options: ResolvedRabbitMQOptions,
    private readonly handlers: ConnectionHandlers,
    private readonly logger: Logger,
    /** [0, 1) for the reconnect jitter; injectable for tests. */
    private readonly random: () => number = Math.random,
  ) {
    const open = (): Promise<ChannelModel> => this.open();
    const closed = (channel: Channel): void => void this.closedChannels.add(channel);
    const timeout = options.publishTimeoutMs;
    this.publishers = { jobs: new ConfirmPublisher(open, closed, timeout), deadLetters: new ConfirmPublisher(open, closed, timeout) };
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** A method, not a comparison, where close() may have come during an await that TypeScript's narrowing cannot see. */
  private isClosed(): boolean {
    return this.stateValue === 'closed';
  }

  /** The open connection, opened now if this is the first use. Fails fast while reconnecting. */
  open(): Promise<ChannelModel> {
    switch (this.stateValue) {
      case 'closed':
        return Promise.reject(new BackendClosedError('RabbitMQClient'));
      case 'open':
        if (this.model) return Promise.resolve(this.model);
        break;
      case 'reconnecting':
        return Promise.reject(this.unavailable());
      default:
        break;
    }
    if (!this.connecting) {
      this.stateValue = 'connecting';
      this.connecting = this.connect().then(
        (model) => {
          this.connecting = null;
          this.stateValue = 'open';
          return model;
        },
        (err: unknown) => {
          this.connecting = null;
          if (this.stateValue === 'closed') throw new BackendClosedError('RabbitMQClient');
          this.stateValue = 'idle';
          this.lastReason = reasonOf(err);
          throw this.refusal ?? new BrokerUnavailableError(this.options.address, this.lastReason, false);
        },
      );
    }
    return this.connecting;
  }

  /** A new channel for consuming; it is the caller's to close. Its 'error' events are absorbed. */
  async createChannel(): Promise<Channel> {
    const model = await this.open();
    let channel: Channel;
    try {
      channel = await model.createChannel();
    } catch (err) {
      throw this.transient(err);
    }
    channel.on('error', () => undefined); // The failing call rejects with the same error; 'close' follows.
    channel.on('close', () => this.closedChannels.add(channel));
    return channel;
  }

  isOpen(channel: Channel): boolean {
    return !this.closedChannels.has(channel);
  }

  /**
   * Runs one command on a channel of its own, so a refusal that closes the channel (404 NOT_FOUND,
   * 406 PRECONDITION_FAILED) cannot break anything else. Healthy channels are reused.
   */
  async withChannel<T>(command: (channel: Channel) => Promise<T>): Promise<T> {
    let channel = this.spare.pop();
    while (channel && !this.isOpen(channel)) channel = this.spare.pop();
    channel ??= await this.createChannel();
    const model = this.model;
    try {
      const result = await command(channel);
      if (this.isOpen(channel) && this.model === model && this.spare.length < MAX_SPARE_CHANNELS) this.spare.push(channel);
      else this.discard(channel);
      return result;
    } catch (err) {
      this.discard(channel);
      throw this.transient(err);
    }
  }

  /**
   * Publishes through the route's confirm channel, mandatory, and resolves once the broker confirmed all
   * of them (one wait for the whole batch): each outcome says whether the message was routed. Rejects
   * with PublishRejectedError (naming `queue`) if the broker nacks any, BrokerBlockedError if the broker
   * blocks publishing for longer than `blockedTimeout`, BrokerUnavailableError if the connection goes
   * before every confirm came, and PublishNotConfirmedError (a BrokerUnavailableError) if confirms are
   * still missing after `publishTimeoutMs`.
   */
  publish(messages: readonly OutgoingMessage[], queue: string, route: PublishRoute = 'jobs'): Promise<PublishOutcome[]> {
    return this.publishers[route].publish(
      messages,
      {
        explain: (err) => this.transient(err),
        rejected: (count) => new PublishRejectedError(queue, count, messages.length),
        overdue: (count, waitedMs) => new PublishNotConfirmedError(this.node.address, queue, count, waitedMs),
      },
      () => (this.blocked ? this.whileBlocked(queue) : undefined),
    );
  }

  /**
   * Closes the connection (the broker requeues whatever was not acknowledged) and stops reconnecting.
   * A connection attempt under way is cut, so calls waiting on it fail now with BackendClosedError.
   * `drain` (cancelling consumers, giving deliveries back) runs first, on the open connection. It all
   * ends when the connection does, or after `connectTimeout` at most: then the socket is cut — a broker
   * gone mid-close or silent would otherwise keep close() waiting for ever.
   */
  async close(drain: () => Promise<void> = () => Promise.resolve()): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const model = this.model;
    const cut = this.socketCut;
    if (!model) cut?.abort();
    let timer: NodeJS.Timeout | undefined;
    const overdue = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.connectTimeout)));
    await Promise.race([this.drainAndClose(model, drain), ...(model ? [connectionEnded(model)] : []), overdue]);
    clearTimeout(timer);
    this.model = null;
    this.resetChannels();
    // Cutting a socket that ended does nothing; cutting an overdue one fails whatever still waits on it.
    cut?.abort();
  }

  private async drainAndClose(model: ChannelModel | null, drain: () => Promise<void>): Promise<void> {
    await drain().catch(() => undefined);
    this.model = null;
    this.resetChannels();
    // amqplib resolves this only on the broker's close-ok, never when the socket ends first: close() races it with connectionEnded().
    if (model) await model.close().catch(() => undefined);
  }

  /** The error for a call that needs the broker while it is away (or refuses this client's login). */
  unavailable(): BrokerUnavailableError | BrokerAccessRefusedError {
    return this.refusal ?? new BrokerUnavailableError(this.options.address, this.lastReason, this.stateValue === 'reconnecting');
  }

  /**
   * A refusal by the broker (a numeric AMQP code: 404, 406 …) is passed on for the caller to explain;
   * a failure because the connection went becomes BrokerUnavailableError (or BackendClosedError).
   */
  transient(err: unknown): unknown {
    if (this.stateValue === 'closed') return new BackendClosedError('RabbitMQClient');
    if (isRefusal(err)) return err;
    if (this.stateValue !== 'open' || this.model === null || /closed|ended/i.test((err as Error)?.message ?? '')) {
      if (this.stateValue === 'reconnecting' && this.refusal) return this.refusal;
      return new BrokerUnavailableError(
        this.options.address,
        this.stateValue === 'reconnecting' ? this.lastReason : reasonOf(err),
        this.stateValue === 'reconnecting',
      );
    }
    return err;
  }

  /**
   * Waits while the broker blocks publishing (a memory or disk alarm), at most `blockedTimeout` ms, then
   * fails with BrokerBlockedError; nothing is written meanwhile, so a failed publish enqueued nothing.
   */
  private async whileBlocked(queue: string): Promise<void> {
    const blocked = this.blocked;
    if (!blocked) return;
    const limit = this.options.blockedTimeout;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp =
      limit === 0 ? Promise.resolve(true) : new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), limit)));
    const timedOut = await Promise.race([blocked.unblocked.then(() => false), gaveUp]);
    clearTimeout(timer);
    if (timedOut && this.blocked === blocked) throw new BrokerBlockedError(this.options.address, queue, blocked.reason, limit);
  }

  private onBlocked(reason: string): void {
    if (this.blocked) return;
    let end!: () => void;
    const unblocked = new Promise<void>((resolve) => (end = resolve));
    this.blocked = { reason, unblocked, end };
    this.logger.warn(
      `the broker blocked publishing (${reason}); publishes wait up to ${this.options.blockedTimeout} ms (blockedTimeout) for it to unblock`,
    );
  }

  private onUnblocked(): void {
    const blocked = this.blocked;
    this.blocked = null;
    blocked?.end();
  }

  /**
   * Opens a connection to the first node that answers, starting at `nodeIndex` (after a loss, the node
   * after the lost one): a cluster client moves to a surviving node unaided. The last failure is thrown.
   */
  private async connect(): Promise<ChannelModel> {
    const nodes = this.options.nodes;
    let failure: unknown;
    for (let tried = 0; tried < nodes.length; tried++) {
      const index = (this.nodeIndex + tried) % nodes.length;
      try {
        const model = await this.connectTo(nodes[index]);
        this.nodeIndex = index;
        return model;
      } catch (err) {
        // Closed meanwhile: no other node is tried.
        if (err instanceof BackendClosedError) throw err;
        failure = err;
      }
    }
    throw failure;
  }

  /** The node connected to now (or tried first next), for messages. */
  get node(): BrokerNode {
    return this.options.nodes[this.nodeIndex];
  }

  private async connectTo(node: BrokerNode): Promise<ChannelModel> {
    if (this.isClosed()) throw new BackendClosedError('RabbitMQClient');
    const o = this.options;
    const cut = new AbortController();
    this.socketCut = cut;
    const socketOptions: Amqplib.SocketOptions & { signal: AbortSignal } = {
      // Nagle's algorithm holds small frames (an ack, a delivery) for ~40 ms; jobs want them now.
      noDelay: true,
      timeout: o.connectTimeout,
      clientProperties: { connection_name: o.connectionName },
      ...(o.tls ?? {}),
      // Passed on to Node's socket, which aborting destroys — in the handshake or once open.
      signal: cut.signal,
    };
    let model: ChannelModel;
    try {
      model = await this.amqp.connect(
        {
          protocol: o.protocol,
          hostname: node.host,
          port: node.port,
          username: o.username,
          password: o.password,
          vhost: o.vhost,
          heartbeat: o.heartbeat,
          ...(o.frameMax === null ? {} : { frameMax: o.frameMax }),
          ...(o.channelMax === null ? {} : { channelMax: o.channelMax }),
        },
        socketOptions,
      );
    } catch (err) {
      if (this.isClosed()) throw new BackendClosedError('RabbitMQClient');
      this.refusal = this.accessRefusal(err);
      throw err;
    }
    this.refusal = null;
    if (this.isClosed()) {
      // Opened just as close() came: nothing was done on it, so it is cut rather than closed.
      cut.abort();
      throw new BackendClosedError('RabbitMQClient');
    }
    coalesceWrites(model);
    model.on('error', (err: Error) => (this.lastReason = err.message));
    model.on('close', (err?: Error) => this.onClosed(model, err));
    model.on('blocked', (reason: string) => this.onBlocked(reason));
    model.on('unblocked', () => {
      this.onUnblocked();
      this.logger.log('the broker unblocked publishing');
    });
    this.model = model;
    return model;
  }

  private onClosed(model: ChannelModel, err: Error | undefined): void {
    if (model !== this.model) return;
    this.model = null;
    this.resetChannels();
    if (this.stateValue === 'closed') return;
    this.lastReason = err?.message ?? 'the broker closed the connection';
    this.stateValue = 'reconnecting';
    const lost = this.node.address;
    // The node may be gone for good: the next one is tried first (with one node, the same one again).
    this.nodeIndex = (this.nodeIndex + 1) % this.options.nodes.length;
    this.logger.warn(`connection to ${lost} lost (${this.lastReason}); reconnecting`);
    this.handlers.lost(this.lastReason);
    this.scheduleReconnect();
  }

  /** Channels of a gone connection are void; a blocked connection's waiting publishes go on (and fail on the closed connection). */
  private resetChannels(): void {
    this.publishers.jobs.reset();
    this.publishers.deadLetters.reset();
    this.spare.length = 0;
    this.onUnblocked();
  }

  private scheduleReconnect(): void {
    const delay = reconnectDelay(this.options.reconnectDelays, this.reconnectAttempt++, this.random);
    this.reconnectTimer = setTimeout(() => void this.reconnect(), delay);
  }

  /** A handshake the broker refused for the login (403) or the vhost (530, or a close in answer to connection.open). */
  private accessRefusal(err: unknown): BrokerAccessRefusedError | null {
    const message = (err as Error)?.message ?? '';
    const o = this.options;
    const quoted = /with message "([^"]*)"/.exec(message)?.[1] ?? message;
    if (/ACCESS[-_]REFUSED/.test(message)) return new BrokerAccessRefusedError(o.address, o.username, o.vhost, 'credentials', quoted);
    // amqplib reports a connection.close in answer to connection.open without its code or text; the only
    // thing connection.open asks for is the vhost.
    if (/NOT[-_]ALLOWED/.test(message) || /Expected ConnectionOpenOk; got <ConnectionClose/.test(message)) {
      return new BrokerAccessRefusedError(
        o.address,
        o.username,
        o.vhost,
        'vhost',
        /NOT[-_]ALLOWED/.test(message) ? quoted : 'connection.open was refused',
      );
    }
    return null;
  }

  private async reconnect(): Promise<void> {
    this.reconnectTimer = null;
    if (this.stateValue !== 'reconnecting') return;
    try {
      await this.connect();
    } catch (err) {
      if (this.stateValue !== 'reconnecting') return;
      this.lastReason = reasonOf(err);
      // A refusal is logged as an error (a person must act) but retried: credentials or permissions may be fixed meanwhile.
      if (this.refusal) this.logger.error(`${this.refusal.message}; trying again`);
      else this.logger.warn(`reconnecting to ${this.options.address} failed (${this.lastReason}); trying again`);
      this.scheduleReconnect();
      return;
    }
    this.stateValue = 'open';
    this.reconnectAttempt = 0;
    this.logger.log(`reconnected to ${this.node.address}`);
    try {
      await this.handlers.restored();
    } catch (err) {
      this.logger.error(`restoring queues and consumers after reconnecting failed: ${reasonOf(err)}`);
    }
  }

  private discard(channel: Channel): void {
    if (this.isOpen(channel)) channel.close().catch(() => undefined);
  }
}

/**
 * The wait before reconnection attempt `attempt` (0 for the first): the `delays` entry for it (the last
 * repeating, so it is the cap) with equal jitter — half of it fixed, half random — so that many clients
 * cut off by one broker restart do not all come back in the same millisecond, while none waits longer
 * than its listed delay or less than half of it. `random` returns [0, 1) (injected by tests).
 */
export function reconnectDelay(delays: readonly number[], attempt: number, random: () => number = Math.random): number {
  const base = delays[Math.min(Math.max(0, attempt), delays.length - 1)];
  const half = base / 2;
  return Math.round(half + half * Math.min(Math.max(random(), 0), 1));
}

/** Resolves once the connection has closed, in whatever way: close-ok, a socket that ended, a heartbeat timeout. */
function connectionEnded(model: ChannelModel): Promise<void> {
  return new Promise((resolve) => model.once('close', () => resolve()));
}

/** A channel-level refusal: 403 ACCESS_REFUSED, 404 NOT_FOUND, 405 RESOURCE_LOCKED, 406 PRECONDITION_FAILED. */
function isRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' && code >= 403 && code <= 406;
}

function reasonOf(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' && e.message ? e.message : String(err);
  return typeof e?.code === 'string' && !message.includes(e.code) ? `${e.code}: ${message}` : message;
}
