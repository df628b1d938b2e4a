import { EventEmitter } from 'node:events';
import type { Channel, Message } from 'amqplib';
import { ChannelAcks } from '../../lib/backends/rabbitmq/channel-acks';

/** Records the ack and nack frames a channel would send. */
class RecordingChannel extends EventEmitter {
  readonly sent: string[] = [];
  ack(message: Message, allUpTo = false): void {
    this.sent.push(`ack ${message.fields.deliveryTag}${allUpTo ? ' multiple' : ''}`);
  }
  nack(message: Message, allUpTo = false, requeue = true): void {
    this.sent.push(`nack ${message.fields.deliveryTag}${allUpTo ? ' multiple' : ''}${requeue ? ' requeue' : ''}`);
  }
}

function delivery(tag: number): Message {
  return { fields: { deliveryTag: tag } } as Message;
}

function setUp(tags: number[]): { channel: RecordingChannel; acks: ChannelAcks; messages: Map<number, Message> } {
  const channel = new RecordingChannel();
  const acks = new ChannelAcks(channel as unknown as Channel);
  const messages = new Map(tags.map((tag) => [tag, delivery(tag)]));
  for (const message of messages.values()) acks.received(message);
  return { channel, acks, messages };
}

const endOfTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ChannelAcks', () => {
  it('sends the acks of one tick at its end, the oldest run of them as one multiple ack', async () => {
    const { channel, acks, messages } = setUp([1, 2, 3, 4]);
    acks.ack(messages.get(2) as Message);
    acks.ack(messages.get(1) as Message);
    acks.ack(messages.get(3) as Message);
    expect(channel.sent).toEqual([]);
    await endOfTick();
    expect(channel.sent).toEqual(['ack 3 multiple']);
  });

  it('never covers a delivery that was not asked to be acked', async () => {
    const { channel, acks, messages } = setUp([1, 2, 3, 4, 5]);
    acks.ack(messages.get(1) as Message);
    acks.ack(messages.get(2) as Message);
    acks.ack(messages.get(4) as Message); // 3 still running
    await endOfTick();
    expect(channel.sent).toEqual(['ack 2 multiple', 'ack 4']);
    acks.ack(messages.get(3) as Message);
    acks.ack(messages.get(5) as Message);
    await endOfTick();
    expect(channel.sent.slice(2)).toEqual(['ack 5 multiple']);
  });

  it('acks one delivery alone without multiple, and skips past nacked ones', async () => {
    const { channel, acks, messages } = setUp([1, 2, 3]);
    acks.nack(messages.get(1) as Message, true);
    acks.ack(messages.get(2) as Message);
    await endOfTick();
    expect(channel.sent).toEqual(['nack 1 requeue', 'ack 2']);
    acks.ack(messages.get(3) as Message);
    acks.flush();
    expect(channel.sent.slice(2)).toEqual(['ack 3']);
  });

  it("acks the channel's only unsettled delivery at once, and one pending ack alone without multiple", async () => {
    const { channel, acks, messages } = setUp([1]);
    acks.ack(messages.get(1) as Message);
    expect(channel.sent).toEqual(['ack 1']);
    const more = setUp([1, 2]);
    more.acks.ack(more.messages.get(2) as Message);
    expect(more.channel.sent).toEqual([]);
    await endOfTick();
    expect(more.channel.sent).toEqual(['ack 2']);
    more.acks.ack(more.messages.get(1) as Message);
    expect(more.channel.sent.slice(1)).toEqual(['ack 1']);
  });

  it('refuses to ack on a closed channel, and drops what was pending', async () => {
    const { channel, acks, messages } = setUp([1, 2]);
    acks.ack(messages.get(1) as Message);
    channel.emit('close');
    await endOfTick();
    expect(channel.sent).toEqual([]);
    expect(() => acks.ack(messages.get(2) as Message)).toThrow(/closed/);
  });
});
