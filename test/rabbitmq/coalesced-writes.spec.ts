import type { Socket } from 'node:net';
import { connect, type ChannelModel } from 'amqplib';
import { coalesceWrites } from '../../lib/backends/rabbitmq/coalesced-writes';
import { RABBITMQ_URL, requireServer } from '../support/servers';

/**
 * coalesceWrites reaches into amqplib's internals (its connection's muxer and socket) and quietly does
 * nothing if they change. The first test fails when an amqplib upgrade moves them, so the lost speed-up
 * is noticed rather than silently gone; the second shows what happens then: plain writes, nothing broken.
 */
beforeAll(() => requireServer('rabbitmq'));

const MESSAGES = 20;

/** The socket amqplib writes to; the test reads it to count writes, as coalesceWrites reads it to cork. */
function socketOf(model: ChannelModel): Socket {
  return (model as unknown as { connection: { stream: Socket } }).connection.stream;
}

/**
 * Publishes MESSAGES in one synchronous burst and answers how many times the socket was asked to write
 * (one `_write` or `_writev` call each) before the broker confirmed them all, and what arrived.
 */
async function publishBurst(model: ChannelModel): Promise<{ socketWrites: number; received: string[] }> {
  const channel = await model.createConfirmChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true });
  const socket = socketOf(model) as Socket & { _write: Function; _writev: Function };
  const { _write: write, _writev: writev } = socket;
  let socketWrites = 0;
  socket._write = function counted(this: Socket, ...args: unknown[]) {
    socketWrites++;
    return write.apply(this, args);
  };
  socket._writev = function counted(this: Socket, ...args: unknown[]) {
    socketWrites++;
    return writev.apply(this, args);
  };
  try {
    for (let i = 0; i < MESSAGES; i++) channel.sendToQueue(queue, Buffer.from(`m${i}`));
    await channel.waitForConfirms();
  } finally {
    socket._write = write;
    socket._writev = writev;
  }
  const received: string[] = [];
  for (let message = await channel.get(queue); message; message = await channel.get(queue)) received.push(message.content.toString());
  return { socketWrites, received };
}

const sent = Array.from({ length: MESSAGES }, (_, i) => `m${i}`);

it('applies to the installed amqplib: a burst of publishes leaves in one socket write, and every message arrives', async () => {
  const model = await connect(RABBITMQ_URL);
  try {
    expect(coalesceWrites(model)).toBe(true);
    // 20 publishes are 60 frames; amqplib's muxer writes them one by one, the corked socket sends them in one writev.
    expect(await publishBurst(model)).toEqual({ socketWrites: 1, received: sent });
  } finally {
    await model.close();
  }
});

it('on an amqplib whose internals moved, it answers false and changes nothing: writes stay plain and still arrive', async () => {
  const model = await connect(RABBITMQ_URL);
  try {
    const { muxer } = (model as unknown as { connection: { muxer: object } }).connection;
    // The same connection as a later amqplib might lay it out: no `muxer` under `connection`.
    const moved = { connection: { stream: socketOf(model) } } as unknown as ChannelModel;
    expect(coalesceWrites(moved)).toBe(false);
    expect(Object.prototype.hasOwnProperty.call(muxer, '_readIncoming')).toBe(false);
    const { socketWrites, received } = await publishBurst(model);
    expect(received).toEqual(sent);
    expect(socketWrites).toBeGreaterThan(1);
  } finally {
    await model.close();
  }
});
