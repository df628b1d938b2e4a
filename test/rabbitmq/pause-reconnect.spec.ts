import * as amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import type { RabbitMQClient } from '../../lib';
import { RABBITMQ_URL, requireServer } from '../support/servers';
import { RabbitMQTestClients, closeConnectionsNamed, testPrefix, until } from './fixtures/rabbitmq-test-kit';

/** A pause made while a client is cut off reaches it when it reconnects: it reads the marker again before consuming. */
const prefix = testPrefix('pause-reconnect');
const clients = new RabbitMQTestClients({ prefix });
const opened: RabbitMQClient[] = [];
let raw: amqp.ChannelModel;

beforeAll(async () => {
  await requireServer('rabbitmq');
  raw = await amqp.connect(RABBITMQ_URL);
});
afterAll(async () => {
  await Promise.all(opened.map((client) => client.close()));
  await raw?.close();
  await clients.deleteDeclaredQueues();
});

async function consumers(queue: string): Promise<{ messageCount: number; consumerCount: number }> {
  const channel = await raw.createChannel();
  try {
    return await channel.checkQueue(`${prefix}${queue}`);
  } finally {
    await channel.close();
  }
}

it('paused while its connection was down, a client that reconnects does not consume until the resume', async () => {
  const queue = 'cut-off';
  const name = `pause-reconnect-${randomUUID().slice(0, 8)}`;
  const a = clients.create();
  const b = clients.create({ connectionName: name, reconnectDelays: [200] });
  opened.push(a, b);
  await a.declareQueue(queue, 'fifo');
  let got: string[] | null = null;
  const waiting = b.fetch(queue, 1, { wait: true, leaseMs: 30_000 }).then((deliveries) => {
    got = deliveries.map((d) => d.job.id);
    return deliveries;
  });
  await until(async () => (await consumers(queue)).consumerCount === 1);

  expect(await closeConnectionsNamed(name)).toBe(1);
  await until(() => b.connectionState !== 'open');
  await a.pauseQueue(queue);
  await until(() => b.connectionState === 'open');
  const job = {
    id: 'after-reconnect',
    name: queue,
    schemaName: queue,
    payload: {},
    priority: 0,
    attempt: 0,
    createdAt: new Date().toISOString(),
  };
  await a.publish(queue, [{ job }]);
  // Long enough for a consumer restored in spite of the pause to have taken the job (it would show here).
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await consumers(queue)).toEqual(expect.objectContaining({ messageCount: 1, consumerCount: 0 }));
  expect(got).toBeNull();

  await a.resumeQueue(queue);
  const [delivery] = await waiting;
  expect(got).toEqual(['after-reconnect']);
  await b.complete(delivery, null);
});
