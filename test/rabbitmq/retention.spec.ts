import { Logger } from '../../lib/logger/logger';
import * as amqp from 'amqplib';
import {
  InMemoryJobStateStore,
  InvalidOptionError,
  Orchestrator,
  RabbitMQClient,
  TopologyConflictError,
  type RabbitMQClientOptions,
} from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { RABBITMQ_URL, requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix } from './fixtures/rabbitmq-test-kit';

/**
 * `retention.dead` on RabbitMQ bounds the broker queue `PQ.dead` itself (x-max-length, x-message-ttl),
 * so dead letters stay bounded by count and by age even on a queue where nothing happens any more.
 */
const prefix = testPrefix('retention');
const clients = new RabbitMQTestClients({ prefix });
const orchestrators: Orchestrator[] = [];
let raw: amqp.ChannelModel;

beforeAll(async () => {
  await requireServer('rabbitmq');
  raw = await amqp.connect(RABBITMQ_URL);
});
afterEach(async () => {
  await Promise.all(orchestrators.splice(0).map((o) => o.close()));
  jest.restoreAllMocks();
});
afterAll(async () => {
  await raw?.close();
  await clients.deleteDeclaredQueues();
});

let counter = 0;
const queueName = (label: string): string => `${label}-${++counter}`;
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function orchestratorWith(options: RabbitMQClientOptions): Orchestrator {
  const orchestrator = new Orchestrator(
    clients.create({ jobStore: new InMemoryJobStateStore({ retention: options.retention }), ...options }),
  );
  orchestrators.push(orchestrator);
  return orchestrator;
}

/** Publishes `count` jobs and dead-letters each, one at a time (so in publish order); returns their ids. */
async function deadLetter(orchestrator: Orchestrator, queue: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await orchestrator.publish(queue, { label: `${queue}-${i}` }));
  const consumer = new FnConsumer(queue, () => {
    throw new Error('fails on purpose');
  });
  consumer.connect(orchestrator);
  expect(await consumer.consume(count)).toBe(count);
  return ids;
}

/** The arguments the dead-letter queue has on the broker: declaring it with them passes, with others is refused. */
async function deadQueueAccepts(queue: string, args: Record<string, unknown>): Promise<boolean> {
  const channel = await raw.createChannel();
  channel.on('error', () => undefined);
  try {
    await channel.assertQueue(`${prefix}${queue}.dead`, { durable: true, arguments: args });
    await channel.close();
    return true;
  } catch {
    return false;
  }
}

it('dead { count: 2 } keeps the two newest dead letters on the broker, and the queue is declared with x-max-length 2', async () => {
  const orchestrator = orchestratorWith({ retention: { dead: { count: 2 } } });
  const queue = queueName('dead-2');
  await orchestrator.register(taskSchema(queue));
  const ids = await deadLetter(orchestrator, queue, 4);

  expect((await orchestrator.deadLetters(queue)).map((d) => d.job.id)).toEqual(ids.slice(2));
  expect((await orchestrator.queueStats(queue)).dead).toBe(2);
  expect(await deadQueueAccepts(queue, { 'x-max-length': 2 })).toBe(true);
});

it('dead { ageMs } expires a dead letter on a queue where nothing else happens', async () => {
  const orchestrator = orchestratorWith({ retention: { dead: { ageMs: 100 } } });
  const queue = queueName('dead-age');
  await orchestrator.register(taskSchema(queue));
  await deadLetter(orchestrator, queue, 1);
  await pause(300);

  expect(await orchestrator.deadLetters(queue)).toEqual([]);
  expect((await orchestrator.queueStats(queue)).dead).toBe(0);
});

it('the default bounds the dead letters at 10,000; { count: Infinity } declares the queue without a bound (as before retention)', async () => {
  const bounded = orchestratorWith({});
  const unbounded = orchestratorWith({ retention: { dead: { count: Infinity } } });
  const [first, second] = [queueName('default'), queueName('unbounded')];
  await bounded.register(taskSchema(first));
  await unbounded.register(taskSchema(second));

  expect(await deadQueueAccepts(first, { 'x-max-length': 10_000 })).toBe(true);
  expect(await deadQueueAccepts(second, {})).toBe(true);
});

it('a dead-letter queue declared with another retention is TopologyConflictError saying the retention changed and how to migrate', async () => {
  const queue = queueName('changed');
  await orchestratorWith({}).register(taskSchema(queue));
  const stricter = orchestratorWith({ retention: { dead: { count: 2 } } });

  const error = await stricter.register(taskSchema(queue)).then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(TopologyConflictError);
  expect(error).toMatchObject({ queue, kind: 'queue', entity: `${prefix}${queue}.dead` });
  const message = (error as Error).message;
  expect(message).toMatch(/retention changed/);
  expect(message).toMatch(/x-max-length 10000/);
  expect(message).toMatch(/x-max-length 2/);
  expect(message).toMatch(/redrive/);
  // The queue and its dead letters are untouched.
  expect(await deadQueueAccepts(queue, { 'x-max-length': 10_000 })).toBe(true);
});

it('says once per client, at its first declaration, that the broker drops dead letters beyond the bound without a warning each', async () => {
  const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  const orchestrator = orchestratorWith({ retention: { dead: { count: 5, ageMs: 60_000 } } });
  await orchestrator.register(taskSchema(queueName('noted')));
  await orchestrator.register(taskSchema(queueName('noted')));
  await orchestrator.register(taskSchema(queueName('also-noted')));

  const notes = log.mock.calls.map(([message]) => String(message)).filter((message) => message.includes('dropped by the broker'));
  expect(notes).toHaveLength(1);
  expect(notes[0]).toMatch(/newest 5 or older than 60000 ms/);
});

it('retention options the broker cannot hold are refused when the client is built, naming them', () => {
  for (const [retention, option] of [
    [{ completed: { count: 10 } }, 'retention.completed'],
    [{ dead: { count: 1.5 } }, 'retention.dead.count'],
    [{ dead: { ageMs: 2 ** 32 } }, 'retention.dead.ageMs'],
    [{ deadd: {} }, 'retention.deadd'],
  ] as const) {
    let error: unknown = null;
    try {
      new RabbitMQClient({ url: RABBITMQ_URL, retention: retention as RabbitMQClientOptions['retention'] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ option });
  }
});
