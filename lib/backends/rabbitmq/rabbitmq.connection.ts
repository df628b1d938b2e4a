import { Logger } from '@nestjs/common';
import * as amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, Message } from 'amqplib';
import { BackendClosedError } from '../../errors';
import { BrokerUnavailableError } from './broker-unavailable.error';
import type { ResolvedRabbitMQOptions } from './rabbitmq-client.options';
import { coalesceWrites } from './coalesced-writes';
import { ConfirmBatch, type PublishOutcome } from './confirm-batch';
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

/**
 * The client's one connection: opened on first use, re-opened with backoff when lost. It owns the
 * confirm channel every publish goes through and a small pool of command channels; consuming channels
 * are made here and owned by their subscriptions.
 */
export class RabbitMQConnection {
  private stateValue: ConnectionState = 'idle';
  private model: ChannelModel | null = null;
  private connecting: Promise<ChannelModel> | null = null;
  private publisher: Promise<ConfirmChannel> | null = null;
  private readonly spare: Channel[] = [];
  private readonly closedChannels = new WeakSet<Channel>();
  /** Batches published and not fully confirmed: a returned (unroutable) message is matched against them. */
  private readonly inFlight = new Set<ConfirmBatch>();
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectAttempt = 0;
  private lastReason = 'not connected yet';

  constructor(
    private readonly options: ResolvedRabbitMQOptions,
    private readonly handlers: ConnectionHandlers,
    private readonly logger: Logger,
  ) {}

  get state(): ConnectionState {
    return this.stateValue;
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
          throw new BrokerUnavailableError(this.options.address, this.lastReason, false);
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
   * Publishes through the confirm channel, mandatory and to the default exchange, and resolves once the
   * broker confirmed all of them (one wait for the whole batch): each outcome says whether the message
   * was routed. Rejects if the broker nacks one or the connection goes before every confirm came.
   */
  async publish(messages: readonly OutgoingMessage[]): Promise<PublishOutcome[]> {
    const channel = await this.publisherChannel();
    const batch = new ConfirmBatch(messages, (err) => this.transient(err));
    this.inFlight.add(batch);
    try {
      for (const message of messages) {
        let writable: boolean;
        try {
          writable = channel.publish('', message.routingKey, message.content, message.properties, batch.onConfirm);
        } catch (err) {
          batch.fail(err);
          break;
        }
        if (!writable) await this.drained(channel);
      }
      return await batch.done;
    } finally {
      this.inFlight.delete(batch);
    }
  }

  /** Closes the connection (the broker requeues whatever was not acknowledged) and stops reconnecting. */
  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const model = this.model;
    this.model = null;
    this.publisher = null;
    this.spare.length = 0;
    if (model) await model.close().catch(() => undefined);
  }

  /** The error for a call that needs the broker while it is away. */
  unavailable(): BrokerUnavailableError {
    return new BrokerUnavailableError(this.options.address, this.lastReason, this.stateValue === 'reconnecting');
  }

  /**
   * A refusal by the broker (a numeric AMQP code: 404, 406 …) is passed on for the caller to explain;
   * a failure because the connection went becomes BrokerUnavailableError (or BackendClosedError).
   */
  transient(err: unknown): unknown {
    if (this.stateValue === 'closed') return new BackendClosedError('RabbitMQClient');
    if (isRefusal(err)) return err;
    if (this.stateValue !== 'open' || this.model === null || /closed|ended/i.test((err as Error)?.message ?? '')) {
      return new BrokerUnavailableError(this.options.address, this.stateValue === 'reconnecting' ? this.lastReason : reasonOf(err), this.stateValue === 'reconnecting');
    }
    return err;
  }

  private async connect(): Promise<ChannelModel> {
    const o = this.options;
    const model = await amqp.connect(
      { protocol: o.protocol, hostname: o.host, port: o.port, username: o.username, password: o.password, vhost: o.vhost, heartbeat: o.heartbeat },
      {
        // Nagle's algorithm holds small frames (an ack, a delivery) for ~40 ms; jobs want them now.
        noDelay: true,
        timeout: o.connectTimeout,
        clientProperties: { connection_name: o.connectionName },
        ...(o.tls ?? {}),
      },
    );
    if (this.stateValue === 'closed') {
      await model.close().catch(() => undefined);
      throw new BackendClosedError('RabbitMQClient');
    }
    coalesceWrites(model);
    model.on('error', (err: Error) => (this.lastReason = err.message));
    model.on('close', (err?: Error) => this.onClosed(model, err));
    model.on('blocked', (reason: string) => this.logger.warn(`the broker blocked publishing (${reason}); publishes wait until it unblocks`));
    model.on('unblocked', () => this.logger.log('the broker unblocked publishing'));
    this.model = model;
    return model;
  }

  private onClosed(model: ChannelModel, err: Error | undefined): void {
    if (model !== this.model) return;
    this.model = null;
    this.publisher = null;
    this.spare.length = 0;
    if (this.stateValue === 'closed') return;
    this.lastReason = err?.message ?? 'the broker closed the connection';
    this.stateValue = 'reconnecting';
    this.logger.warn(`connection to ${this.options.address} lost (${this.lastReason}); reconnecting`);
    this.handlers.lost(this.lastReason);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delays = this.options.reconnectDelays;
    const delay = delays[Math.min(this.reconnectAttempt++, delays.length - 1)];
    this.reconnectTimer = setTimeout(() => void this.reconnect(), delay);
  }

  private async reconnect(): Promise<void> {
    this.reconnectTimer = null;
    if (this.stateValue !== 'reconnecting') return;
    try {
      await this.connect();
    } catch (err) {
      if (this.stateValue !== 'reconnecting') return;
      this.lastReason = reasonOf(err);
      this.logger.warn(`reconnecting to ${this.options.address} failed (${this.lastReason}); trying again`);
      this.scheduleReconnect();
      return;
    }
    this.stateValue = 'open';
    this.reconnectAttempt = 0;
    this.logger.log(`reconnected to ${this.options.address}`);
    try {
      await this.handlers.restored();
    } catch (err) {
      this.logger.error(`restoring queues and consumers after reconnecting failed: ${reasonOf(err)}`);
    }
  }

  private publisherChannel(): Promise<ConfirmChannel> {
    if (!this.publisher) {
      const creating = this.open().then(async (model) => {
        const channel = await model.createConfirmChannel();
        channel.on('error', () => undefined);
        // A return comes before its message's confirm, so the batch knows before it settles.
        channel.on('return', (message: Message) => {
          for (const batch of this.inFlight) if (batch.matchReturn(message)) return;
        });
        channel.on('close', () => {
          this.closedChannels.add(channel);
          if (this.publisher === creating) this.publisher = null;
        });
        return channel;
      });
      creating.catch(() => {
        if (this.publisher === creating) this.publisher = null;
      });
      this.publisher = creating;
    }
    return this.publisher.catch((err: unknown) => {
      throw this.transient(err);
    });
  }

  private drained(channel: Channel): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        channel.off('drain', done);
        channel.off('close', done);
        resolve();
      };
      channel.on('drain', done);
      channel.on('close', done);
    });
  }

  private discard(channel: Channel): void {
    if (this.isOpen(channel)) channel.close().catch(() => undefined);
  }
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
