import * as amqp from 'amqplib';
import { startRabbitMQCluster, type LocalRabbitMQCluster } from '../support/rabbitmq-cluster-kit';

/**
 * Smoke test of the three-node RabbitMQ cluster kit (test/support/rabbitmq-cluster-kit.ts): the
 * cluster forms, a node leaves and rejoins, and a quorum queue keeps every confirmed message, in
 * order, when the node leading it is killed mid-stream.
 */
let cluster: LocalRabbitMQCluster;
const connections: amqp.ChannelModel[] = [];

async function connect(node: number): Promise<amqp.ChannelModel> {
  const connection = await amqp.connect(cluster.nodes[node].url);
  // A killed node drops its connections; that is the test's doing, not a failure.
  connection.on('error', () => undefined);
  connections.push(connection);
  return connection;
}

async function publishConfirmed(channel: amqp.ConfirmChannel, queue: string, ids: number[]): Promise<void> {
  for (const id of ids) channel.sendToQueue(queue, Buffer.from(String(id)), { persistent: true });
  await channel.waitForConfirms();
}

/** Fails with what was awaited, rather than at the test's timeout, when a broker never answers. */
async function within<T>(ms: number, what: () => string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what()} within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

beforeAll(async () => {
  cluster = await startRabbitMQCluster();
  const { boot, join, total } = cluster.startup;
  process.stdout.write(`RabbitMQ cluster kit: three running nodes after ${total} ms (boot ${boot} ms, join ${join} ms)\n`);
}, 120_000);

afterAll(async () => {
  await Promise.all(connections.map((c) => c.close().catch(() => undefined)));
  await cluster?.stop();
});

it('forms one cluster of three running nodes on their own ports, beside the machine broker', async () => {
  const names = cluster.nodes.map((n) => n.name).sort();
  expect(await cluster.runningNodes(0)).toEqual(names);
  expect(await cluster.runningNodes(2)).toEqual(names);
  expect(cluster.nodes.map((n) => n.port)).not.toContain(5672);
});

it('a quorum queue loses no confirmed message, and keeps their order, when its leader is killed mid-stream; the node rejoins', async () => {
  const queue = `mt-scale-quorum-${process.pid}`;
  const declaring = await (await connect(0)).createChannel();
  await declaring.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  const leader = await cluster.queueLeader(queue, 0);
  const [publisherNode, consumerNode] = [0, 1, 2].filter((i) => i !== leader);

  const publisher = await (await connect(publisherNode)).createConfirmChannel();
  const ids = Array.from({ length: 200 }, (_, i) => i);
  await publishConfirmed(publisher, queue, ids.slice(0, 100));
  await cluster.killNode(leader);
  await within(60_000, () => 'no confirms for the messages published after the kill', publishConfirmed(publisher, queue, ids.slice(100)));
  expect(await cluster.queueLeader(queue, consumerNode)).not.toBe(leader);

  const consumer = await (await connect(consumerNode)).createChannel();
  await consumer.prefetch(50);
  const received: number[] = [];
  const all = new Promise<void>((resolve) => {
    void consumer.consume(queue, (message) => {
      if (!message) return;
      received.push(Number(message.content.toString()));
      consumer.ack(message);
      if (received.length === ids.length) resolve();
    });
  });
  await within(60_000, () => `only ${received.length} of ${ids.length} messages consumed`, all);
  expect(received).toEqual(ids);
  expect((await consumer.checkQueue(queue)).messageCount).toBe(0);

  // The killed node boots again from its own data and is a running member, and a member of the queue, again.
  await cluster.startNode(leader);
  expect(await cluster.runningNodes(leader)).toEqual(cluster.nodes.map((n) => n.name).sort());
  const rows = JSON.parse(await cluster.rabbitmqctl(leader, ['list_queues', 'name', 'online', '--formatter', 'json'])) as {
    name: string;
    online: string[];
  }[];
  expect(rows.find((r) => r.name === queue)?.online).toContain(cluster.nodes[leader].name);
}, 180_000);

it('a cleanly stopped node leaves the running list', async () => {
  const names = cluster.nodes.map((n) => n.name).sort();
  await cluster.stopNode(2);
  expect(await cluster.runningNodes(0)).toEqual(names.filter((n) => n !== cluster.nodes[2].name));
}, 60_000);
