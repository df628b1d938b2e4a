import { connect } from 'amqplib';
import { coalesceWrites } from '../../lib/backends/rabbitmq/coalesced-writes';
import { RABBITMQ_URL, requireServer } from '../support/servers';

/**
 * coalesceWrites reaches into amqplib's internals and quietly does nothing if they change. This fails
 * when an amqplib upgrade moves them, so the lost speed-up is noticed rather than silently gone.
 */
beforeAll(() => requireServer('rabbitmq'));

it('applies to the installed amqplib, and its channels still work through the corked socket', async () => {
  const model = await connect(RABBITMQ_URL);
  try {
    expect(coalesceWrites(model)).toBe(true);
    const channel = await model.createConfirmChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    for (let i = 0; i < 20; i++) channel.sendToQueue(queue, Buffer.from(`m${i}`));
    await channel.waitForConfirms();
    const received: string[] = [];
    for (let message = await channel.get(queue); message; message = await channel.get(queue)) received.push(message.content.toString());
    expect(received).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
  } finally {
    await model.close();
  }
});
