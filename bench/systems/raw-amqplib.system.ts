import amqp, { type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { BenchJob } from '../bench-job';
import type { BenchContext, BenchQueue, BenchSystem, ConsumeHandlers, RunningConsumers } from './bench-system.interface';
import { probeAmqp } from './servers';

/** Socket options for every connection: Nagle off, or each small publish and ack waits ~40 ms for company. */
const SOCKET_OPTIONS = { noDelay: true };

/**
 * amqplib with the guarantees our RabbitMQ backend gives, as its ceiling: a durable queue, persistent
 * messages on a confirm channel (a publish resolves when the broker confirms it), manual acks after the
 * run, prefetch = concurrency. Consumers get a connection of their own, as a separate process would.
 */
class RawAmqplibQueue implements BenchQueue {
  private readonly consumerConnections = new Set<ChannelModel>();

  private constructor(
    private readonly queue: string,
    private readonly url: string,
    private readonly connection: ChannelModel,
    private readonly channel: ConfirmChannel,
  ) {}

  static async open(queue: string, url: string): Promise<RawAmqplibQueue> {
    const connection = await amqp.connect(url, SOCKET_OPTIONS);
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true });
    return new RawAmqplibQueue(queue, url, connection, channel);
  }

  publish(job: BenchJob): Promise<void> {
    return this.send(job);
  }

  async publishBatch(jobs: readonly BenchJob[]): Promise<void> {
    await Promise.all(jobs.map((job) => this.send(job)));
  }

  async consume(concurrency: number, handlers: ConsumeHandlers): Promise<RunningConsumers> {
    const connection = await amqp.connect(this.url, SOCKET_OPTIONS);
    this.consumerConnections.add(connection);
    connection.on('error', (err: Error) => handlers.onError(err));
    const channel: Channel = await connection.createChannel();
    await channel.prefetch(concurrency);
    const { consumerTag } = await channel.consume(
      this.queue,
      (message) => {
        if (!message) return handlers.onError(new Error(`the broker cancelled the consumer of "${this.queue}"`));
        handlers.onJob(JSON.parse(message.content.toString()) as BenchJob);
        channel.ack(message);
      },
      { noAck: false },
    );
    return {
      drain: async () => {
        await channel.cancel(consumerTag);
        // Closing the channel flushes the acks already written.
        await channel.close();
        await connection.close();
        this.consumerConnections.delete(connection);
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumerConnections].map((connection) => connection.close().catch(() => undefined)));
    await this.connection.close();
  }

  async teardown(): Promise<void> {
    await Promise.all([...this.consumerConnections].map((connection) => connection.close().catch(() => undefined)));
    try {
      await this.channel.deleteQueue(this.queue);
    } finally {
      await this.connection.close();
    }
  }

  private send(job: BenchJob): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // The callback is the broker's confirm (or nack); a full write buffer only delays it.
      this.channel.sendToQueue(this.queue, Buffer.from(JSON.stringify(job)), { persistent: true }, (err: unknown) =>
        err ? reject(err instanceof Error ? err : new Error(`the broker nacked job ${job.n}`)) : resolve(),
      );
    });
  }
}

export const rawAmqplibSystem: BenchSystem = {
  name: 'raw-amqplib',
  description: 'bare amqplib: durable queue, persistent messages, confirm channel, manual ack, prefetch = concurrency',
  notes: ['raw-amqplib: a ceiling, not a peer: no job state, retries, validation or dead letters'],
  multiProcess: true,
  probe: (context) => probeAmqp(context.amqpUrl),
  open: (queue: string, context: BenchContext) => RawAmqplibQueue.open(queue, context.amqpUrl),
};
