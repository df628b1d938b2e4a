import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import * as amqp from 'amqplib';
import { Orchestrator, UnrecoverableError, type RabbitMQConnectionState } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { CuttingProxy } from '../redis/fixtures/cutting-proxy';
import { RABBITMQ_URL, requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix, until } from './fixtures/rabbitmq-test-kit';

/**
 * What the broker holds for a client: queues it lost while the client was away are declared again;
 * queues are durable and messages persistent; one client is one connection.
 */
const run = promisify(execFile);
const prefix = testPrefix('broker-state');
const clients = new RabbitMQTestClients({ prefix });
const broker = new URL(RABBITMQ_URL);
const proxy = new CuttingProxy({ host: broker.hostname, port: Number(broker.port || 5672) });
const orchestrators: Orchestrator[] = [];
let raw: amqp.ChannelModel;

beforeAll(async () => {
  await requireServer('rabbitmq');
  raw = await amqp.connect(RABBITMQ_URL);
  raw.on('error', () => undefined);
});

afterAll(async () => {
  await Promise.all(orchestrators.map((o) => o.close()));
  await raw?.close();
  await proxy.close();
  await clients.deleteDeclaredQueues();
});

function orchestratorWith(options: Parameters<RabbitMQTestClients['create']>[0]): Orchestrator {
  const orchestrator = new Orchestrator(clients.create(options));
  orchestrators.push(orchestrator);
  return orchestrator;
}

function stateOf(orchestrator: Orchestrator): RabbitMQConnectionState {
  return (orchestrator.backend as unknown as { connectionState: RabbitMQConnectionState }).connectionState;
}

/** One command on a fresh channel of the admin connection (a refusal closes only that channel). */
async function admin<T>(command: (channel: amqp.Channel) => Promise<T>): Promise<T> {
  const channel = await raw.createChannel();
  channel.on('error', () => undefined); // the failing call rejects with it
  try {
    return await command(channel);
  } finally {
    await channel.close().catch(() => undefined);
  }
}

it('queues the broker lost while the client was reconnecting are declared again; consuming, publishing and dead-lettering go on', async () => {
  const queue = 'lost';
  const port = await proxy.listen();
  const url = new URL(RABBITMQ_URL);
  url.port = String(port);
  const orchestrator = orchestratorWith({ url: url.toString(), reconnectDelays: [50] });
  await orchestrator.register(taskSchema(queue));

  const seen: string[] = [];
  const consumer = new FnConsumer(queue, (job) => {
    seen.push(job.payload.label);
    if (job.payload.label === 'doomed') throw new UnrecoverableError('dead on purpose');
  });
  consumer.connect(orchestrator);
  const consuming = consumer.consume();
  await orchestrator.publish(queue, { label: 'before' });
  await until(() => seen.length === 1);

  // Only this client's connection goes (it runs through the proxy), and its reconnects are held.
  proxy.cutAllAndHold();
  await until(() => stateOf(orchestrator) === 'reconnecting');
  const work = `${prefix}${queue}`;
  await admin(async (channel) => {
    await channel.deleteQueue(work);
    await channel.deleteQueue(`${work}.dead`);
    await channel.deleteExchange(`${work}.dead`);
  });
  await expect(admin((channel) => channel.checkQueue(work))).rejects.toMatchObject({ code: 404 });
  proxy.reopen();
  await until(() => stateOf(orchestrator) === 'open');

  for (const label of ['after-1', 'doomed', 'after-2']) await orchestrator.publish(queue, { label });
  await until(() => seen.length === 4);
  await consumer.stop();
  expect(await consuming).toBe(4);
  expect(seen).toEqual(['before', 'after-1', 'doomed', 'after-2']);
  expect((await orchestrator.deadLetters(queue)).map((d) => d.error.message)).toEqual(['dead on purpose']);
  expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, dead: 1 });
});

it('work, dead-letter and delay queues are durable, and job, delayed and dead-letter messages persistent (delivery mode 2)', async () => {
  const queue = 'durable';
  const orchestrator = orchestratorWith({});
  await orchestrator.register(taskSchema(queue));
  const work = `${prefix}${queue}`;
  await orchestrator.publish(queue, { label: 'now' });
  await orchestrator.publish(queue, { label: 'later' }, { delay: 600_000 });
  const failing = new FnConsumer(queue, () => {
    throw new UnrecoverableError('dead');
  });
  failing.connect(orchestrator);
  await orchestrator.publish(queue, { label: 'dead' });
  expect(await failing.consume(2)).toBe(2);
  await orchestrator.publish(queue, { label: 'waiting' });
  // Closed, so that nothing of the work queue sits in its consumer's buffer.
  await orchestrator.close();

  const { stdout } = await run('rabbitmqctl', ['list_queues', '--silent', '--no-table-headers', 'name', 'durable']);
  const ours = stdout
    .split('\n')
    .map((line) => line.split('\t').map((cell) => cell.trim()))
    .filter(([name]) => name?.startsWith(`${work}`));
  expect(ours.map(([name]) => name).sort()).toEqual([work, `${work}.dead`, `${work}.delay.600000`]);
  expect(ours.every(([, durable]) => durable === 'true')).toBe(true);

  const modes = await admin(async (channel) => {
    const out: Record<string, unknown> = {};
    for (const name of [work, `${work}.dead`, `${work}.delay.600000`]) {
      const message = await channel.get(name, { noAck: false });
      out[name] = message === false ? null : message.properties.deliveryMode;
    }
    channel.nackAll(true);
    return out;
  });
  expect(modes).toEqual({ [work]: 2, [`${work}.dead`]: 2, [`${work}.delay.600000`]: 2 });
});

it('one client is one connection, whatever it does', async () => {
  const queue = 'one-connection';
  const connectionName = `mt-one-connection-${randomUUID().slice(0, 8)}`;
  const orchestrator = orchestratorWith({ connectionName });
  await orchestrator.register(taskSchema(queue));
  await orchestrator.publishBatch(queue, [{ label: 'a' }, { label: 'b' }, { label: 'c' }]);
  await orchestrator.publish(queue, { label: 'later' }, { delay: 60_000 });
  const consumer = new FnConsumer(
    queue,
    (job) => {
      if (job.payload.label === 'b') throw new UnrecoverableError('b fails');
    },
    { concurrency: 2 },
  );
  consumer.connect(orchestrator);
  expect(await consumer.consume(3)).toBe(3);
  await orchestrator.queueStats(queue);
  await orchestrator.deadLetters(queue);
  await orchestrator.redrive(queue);
  await orchestrator.receiveMessage(queue);

  const { stdout } = await run('rabbitmqctl', ['list_connections', '--silent', '--no-table-headers', 'client_properties']);
  const mine = stdout.split('\n').filter((line) => line.includes(`"${connectionName}"`));
  expect(mine).toHaveLength(1);
});
