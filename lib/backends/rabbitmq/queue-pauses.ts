import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../../logger/logger';
import type { RabbitMQConnection } from './rabbitmq.connection';
import type { Topology } from './rabbitmq.topology';

/** What a queue's subscription is told when the pause of its queue changes. */
export type PauseListener = (paused: boolean) => void;

/** One work queue as this client watches its pause. */
interface Watched {
  listener: PauseListener;
  /** Bound to this client's control queue on the current control channel. */
  bound: boolean;
  /** The state the marker had at the last check (or a pause notice since). */
  paused: boolean;
  /** A check in progress, and whether another must follow it (a notice came meanwhile). */
  checking: Promise<void> | null;
  again: boolean;
  /** The binding and first read in progress. */
  binding: Promise<void> | null;
}

/**
 * The control exchange is needed only while clients are bound to it, so it deletes itself when the last
 * one goes (nothing is left on the broker per prefix); a client declares it just before binding.
 */
const CONTROL_EXCHANGE = { durable: false, autoDelete: true };

const PAUSED = Buffer.from('paused');
const RESUMED = Buffer.from('resumed');

/**
 * Pauses kept on the broker and pushed to every client. The pause of a queue is a durable exchange
 * (its marker: exists = paused), so it outlives every client; a change is announced on the control
 * exchange with the work queue's name as routing key, and each client consuming the queue hears it on
 * an exclusive queue of its own bound to that key. A notice only says "look again": a client re-reads
 * the marker after each, so notices of a pause and a resume racing each other cannot leave it wrong.
 * A client binds before it reads the marker, so a pause made after the read always reaches it.
 */
export class QueuePauses {
  private readonly watched = new Map<string, Watched>();
  private control: Promise<{ channel: Channel; queue: string }> | null = null;
  private closed = false;

  constructor(
    private readonly connection: RabbitMQConnection,
    private readonly topology: Topology,
    private readonly logger: Logger,
  ) {}

  /** Declares the marker, then tells every client consuming the queue; resolves once the notice is routed. */
  async pause(work: string): Promise<void> {
    await this.announce(work, PAUSED, (channel) => channel.assertExchange(this.topology.pauseMarker(work), 'fanout', { durable: true }));
    this.apply(work, true);
  }

  /** Deletes the marker (nothing if there is none), then tells every client consuming the queue. */
  async resume(work: string): Promise<void> {
    await this.announce(work, RESUMED, (channel) => channel.deleteExchange(this.topology.pauseMarker(work)));
    // Our own subscription reads the marker again on the notice too (someone may have paused meanwhile); this is the fast path.
    this.apply(work, false);
  }

  /** Read on the broker now, not from what this client heard. */
  async isPaused(work: string): Promise<boolean> {
    try {
      await this.connection.withChannel((channel) => channel.checkExchange(this.topology.pauseMarker(work)));
      return true;
    } catch (err) {
      if ((err as { code?: unknown }).code === 404) return false;
      throw err;
    }
  }

  /**
   * Whether the queue is paused, and from now on `listener` hears each change: binds this client's
   * control queue to the queue's notices first, then reads the marker. Cheap once bound (no round trip).
   */
  async watch(work: string, listener: PauseListener): Promise<boolean> {
    let watched = this.watched.get(work);
    if (!watched) {
      watched = { listener, bound: false, paused: false, checking: null, again: false, binding: null };
      this.watched.set(work, watched);
    }
    watched.listener = listener;
    // One binding and first read at a time: a second caller meanwhile waits for that read, not the default.
    if (!watched.bound) watched.binding ??= this.bind(work, watched).finally(() => (watched.binding = null));
    if (watched.binding) await watched.binding;
    return watched.paused;
  }

  private async bind(work: string, watched: Watched): Promise<void> {
    const { channel, queue } = await this.controlChannel();
    // Again just before binding: it deletes itself when its last binding goes (another client leaving).
    await channel.assertExchange(this.topology.controlExchange, 'direct', CONTROL_EXCHANGE);
    await channel.bindQueue(queue, this.topology.controlExchange, work);
    watched.bound = true;
    await this.check(work, watched, true);
  }

  /** The queue was deleted: its marker goes with it, and clients still watching it read again. */
  async forget(work: string): Promise<void> {
    await this.resume(work);
    this.watched.delete(work);
  }

  /** The connection went: every binding went with its control queue; each is made again at the next watch. */
  lost(): void {
    this.control = null;
    for (const watched of this.watched.values()) watched.bound = false;
  }

  /** Binds and reads every watched queue again, in the background (a failure is logged; the next consume retries). */
  private watchAgain(): void {
    for (const [work, watched] of this.watched) {
      this.watch(work, watched.listener).catch((err: Error) =>
        this.logger.warn(`could not watch whether "${work}" is paused (${err.message}); trying again when it is next consumed`),
      );
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const control = this.control;
    this.lost();
    const opened = await control?.catch(() => null);
    if (opened && this.connection.isOpen(opened.channel)) await opened.channel.close().catch(() => undefined);
  }

  /**
   * Runs `change` on the marker and publishes the notice on the same channel, then makes one more round
   * trip on it: the broker handles a channel's frames in order, so the notice is in every bound control
   * queue when this resolves.
   */
  private announce(work: string, notice: Buffer, change: (channel: Channel) => Promise<unknown>): Promise<void> {
    return this.connection.withChannel(async (channel) => {
      // Not declared here: with no client bound it does not exist, and one declared by us would stay for ever.
      await change(channel);
      channel.publish(this.topology.controlExchange, work, notice);
      try {
        await channel.checkExchange(this.topology.controlExchange);
      } catch (err) {
        // No control exchange: no client is bound to hear it (one binding now reads the marker after our change).
        if ((err as { code?: unknown }).code !== 404) throw err;
      }
    });
  }

  /** A change made by this client, applied at once to its own subscription (its notice follows and checks). */
  private apply(work: string, paused: boolean): void {
    const watched = this.watched.get(work);
    if (!watched || watched.paused === paused) return;
    watched.paused = paused;
    watched.listener(paused);
  }

  /** This client's exclusive control queue, consumed on a channel of its own; made on first use and after a reconnect. */
  private controlChannel(): Promise<{ channel: Channel; queue: string }> {
    if (this.control) return this.control;
    const opening = (async () => {
      const channel = await this.connection.createChannel();
      channel.on('close', () => {
        if (this.control !== opening || this.closed) return;
        this.lost();
        // Only this channel closed (the connection is up): bind again now, or pauses would go unheard.
        if (this.connection.state === 'open') this.watchAgain();
      });
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
      await channel.consume(queue, (message) => this.onNotice(message), { noAck: true });
      return { channel, queue };
    })();
    this.control = opening;
    opening.catch(() => {
      if (this.control === opening) this.control = null;
    });
    return opening;
  }

  /** A pause is applied at once (a stray one costs a moment's pause); every notice is then checked against the marker. */
  private onNotice(message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled our consumer (the control queue was deleted): watch again from scratch.
      this.lost();
      this.watchAgain();
      return;
    }
    const work = message.fields.routingKey;
    const watched = this.watched.get(work);
    if (!watched) return;
    if (message.content.equals(PAUSED) && !watched.paused) {
      watched.paused = true;
      watched.listener(true);
    }
    void this.check(work, watched, false);
  }

  /**
   * Reads the marker, one read at a time per queue; a notice arriving during a read asks for one more,
   * so the last read always starts after the last change this client was told of.
   */
  private async check(work: string, watched: Watched, rethrow: boolean): Promise<void> {
    if (watched.checking) {
      watched.again = true;
      return watched.checking;
    }
    watched.checking = (async () => {
      do {
        watched.again = false;
        const paused = await this.isPaused(work);
        if (paused !== watched.paused) {
          watched.paused = paused;
          watched.listener(paused);
        }
      } while (watched.again);
    })().finally(() => (watched.checking = null));
    try {
      await watched.checking;
    } catch (err) {
      // The next watch (the subscription's next consume, or after a reconnect) binds and reads again.
      watched.bound = false;
      if (rethrow) throw err;
      this.logger.warn(`could not read whether "${work}" is paused (${(err as Error).message}); reading again when it is next consumed`);
    }
  }
}
