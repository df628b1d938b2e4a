import { randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';
import {
  InMemoryJobStateStore,
  InvalidOptionError,
  JobNotFoundError,
  Orchestrator,
  QueueNotDeclaredError,
  QueueTypeMismatchError,
  RabbitMQClient,
  TopologyConflictError,
  UnsupportedCapabilityError,
  jobFromSchema,
  type JobRecord,
} from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { RABBITMQ_URL, requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix, until } from './fixtures/rabbitmq-test-kit';

/** What RabbitMQ cannot do, said clearly; declarations that clash, without breaking the client; buffers given back. */
const prefix = testPrefix('topology');
const clients = new RabbitMQTestClients({ prefix });
const opened: RabbitMQClient[] = [];

function client(options: Parameters<RabbitMQTestClients['create']>[0] = {}): RabbitMQClient {
  const created = clients.create(options);
  opened.push(created);
  return created;
}

function record(queue: string, label: string): JobRecord {
  return {
    id: randomUUID(),
    name: queue,
    schemaName: queue,
    payload: { label },
    createdAt: new Date().toISOString(),
    priority: 0,
    attempt: 0,
  };
}

beforeAll(() => requireServer('rabbitmq'));

afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
  await clients.deleteDeclaredQueues();
});

it('declaring an existing queue with another type is QueueTypeMismatchError, and the client goes on working', async () => {
  const backend = client();
  await backend.declareQueue('typed', 'fifo');
  const error = await backend.declareQueue('typed', 'priority').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(QueueTypeMismatchError);
  expect(error).toMatchObject({ existingType: 'fifo', requestedType: 'priority' });

  // Another client (another process) finds the type on the broker, and hits the same clash.
  const other = client();
  expect(await other.queueType('typed')).toBe('fifo');
  expect(await other.queueType('never-declared')).toBeNull();
  await expect(other.declareQueue('typed', 'priority')).rejects.toBeInstanceOf(QueueTypeMismatchError);

  await backend.publish('typed', [{ job: record('typed', 'still fine') }]);
  expect(await backend.countWaiting('typed')).toBe(1);
  const [delivery] = await backend.fetch('typed', 1, { wait: false, leaseMs: 1000 });
  expect(delivery.job.payload).toEqual({ label: 'still fine' });
  await backend.complete(delivery, null);
});

it('a priority queue declared with another maxPriority is an error naming maxPriority', async () => {
  await client().declareQueue('prio', 'priority');
  const error = await client({ maxPriority: 5 })
    .declareQueue('prio', 'priority')
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InvalidOptionError);
  expect((error as Error).message).toMatch(/maxPriority/);
});

it('a stack queue is refused with a message that says what to use instead', async () => {
  const backend = client();
  expect(backend.capabilities.queueTypes).toEqual(['fifo', 'priority']);
  const error = await backend.declareQueue('stacked', 'stack').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UnsupportedCapabilityError);
  expect((error as Error).message).toMatch(/LocalClient or RedisClient/);
  await expect(new Orchestrator(backend).register(taskSchema('stacked'), { queueType: 'stack' })).rejects.toThrow(
    /'stack' is not supported by RabbitMQClient/,
  );
});

it('without a job store, getJob and waitForResult say to pass one; with one, they work', async () => {
  const bare = new Orchestrator(client());
  expect(bare.backend.capabilities).toMatchObject({ jobState: false, sharedJobState: false, leases: false, priorityRange: [0, 10] });
  await expect(bare.getJob(randomUUID())).rejects.toThrow(/jobStore/);
  await expect(bare.waitForResult(randomUUID())).rejects.toBeInstanceOf(UnsupportedCapabilityError);

  const stored = new Orchestrator(client({ jobStore: new InMemoryJobStateStore() }));
  expect(stored.backend.capabilities).toMatchObject({ jobState: true, sharedJobState: false });
  await stored.register(taskSchema('stored'));
  const id = await stored.publish('stored', { label: 'x' });
  expect(await stored.getJob(id)).toMatchObject({ id, status: 'waiting', attempt: 0 });
  await expect(stored.waitForResult(randomUUID())).rejects.toBeInstanceOf(JobNotFoundError);
});

it('a publish to a queue another client deleted is QueueNotDeclaredError (the broker returned it), not a silent loss', async () => {
  const queue = 'deleted-elsewhere';
  const publisher = new Orchestrator(client());
  const schema = taskSchema(queue);
  await publisher.register(schema);
  await publisher.publish(queue, { label: 'known' });
  await client().deleteQueue(queue);
  await expect(publisher.publish(queue, jobFromSchema(schema, { label: 'lost?' }))).rejects.toBeInstanceOf(QueueNotDeclaredError);
  await expect(publisher.countQueueMessages(queue)).rejects.toBeInstanceOf(QueueNotDeclaredError);
});

it('deliveries buffered for a consumer that stopped fetching go back to the queue in order, and this client does not count them as an attempt', async () => {
  const backend = client({ prefetch: 10 });
  await backend.declareQueue('buffered', 'fifo');
  const jobs = ['a', 'b', 'c', 'd'].map((label) => record('buffered', label));
  await backend.publish(
    'buffered',
    jobs.map((job) => ({ job })),
  );

  const [first] = await backend.fetch('buffered', 1, { wait: true, leaseMs: 1000 });
  expect(first.job).toMatchObject({ payload: { label: 'a' }, attempt: 1 });
  // b, c and d may sit in this client's buffer: they still count as waiting, not active.
  expect(await backend.countWaiting('buffered')).toBe(3);
  expect(await backend.queueStats('buffered')).toMatchObject({ waiting: 3, active: 1 });
  await backend.release(first);

  // Nobody fetches any more: the buffer goes back to the broker, where another client sees it.
  const other = client();
  await until(async () => (await other.countWaiting('buffered')) === 4);
  const again = await backend.fetch('buffered', 4, { wait: false, leaseMs: 1000 });
  expect(again.map((d) => [d.job.payload.label, d.job.attempt])).toEqual([
    ['a', 1],
    ['b', 1],
    ['c', 1],
    ['d', 1],
  ]);
  for (const delivery of again) await backend.complete(delivery, null);
  expect(await backend.queueStats('buffered')).toMatchObject({ waiting: 0, active: 0 });
});

/** Runs `command` on a channel of a connection of its own, closed after (a refusal closes only it). */
async function rawly<T>(command: (channel: amqp.Channel) => Promise<T>): Promise<T> {
  const connection = await amqp.connect(RABBITMQ_URL);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    return await command(channel);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

it('a dead-letter exchange that exists with another type is TopologyConflictError naming the exchange, not a raw 406', async () => {
  const queue = 'dlx-clash';
  const exchange = `${prefix}${queue}.dead`;
  await rawly((channel) => channel.assertExchange(exchange, 'direct', { durable: true }));
  try {
    const error = await client()
      .declareQueue(queue, 'fifo')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopologyConflictError);
    expect(error).toMatchObject({ queue, kind: 'exchange', entity: exchange });
    expect((error as Error).message).toMatch(/another type \(it has 'direct'\).*fanout/);
  } finally {
    await rawly((channel) => channel.deleteExchange(exchange));
  }
});

it('a queue pre-created as a quorum queue is TopologyConflictError saying so, not advice about maxPriority', async () => {
  const queue = 'quorum';
  const work = `${prefix}${queue}`;
  await rawly((channel) => channel.assertQueue(work, { durable: true, arguments: { 'x-queue-type': 'quorum' } }));
  try {
    for (const attempt of [() => client().declareQueue(queue, 'fifo'), () => client().queueType(queue)]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TopologyConflictError);
      expect(error).toMatchObject({ queue, kind: 'queue', entity: work });
      expect((error as Error).message).toMatch(/quorum queue/);
      expect((error as Error).message).not.toMatch(/maxPriority/);
    }
  } finally {
    await rawly((channel) => channel.deleteQueue(work));
  }
});

/** Consumers on the broker's side of a queue, and its ready messages, seen by a separate connection. */
function brokerView(queue: string): Promise<{ consumerCount: number; messageCount: number }> {
  return rawly((channel) => channel.checkQueue(`${prefix}${queue}`));
}

it('after a consumer of concurrency 5 stopped, a consumer of concurrency 1 on the same client holds one job, not five', async () => {
  const queue = 'shrinks';
  const orchestrator = new Orchestrator(client());
  await orchestrator.register(taskSchema(queue));
  const wideRuns: string[] = [];
  const wide = new FnConsumer(queue, (job) => void wideRuns.push(job.payload.label), { concurrency: 5 });
  wide.connect(orchestrator);
  const wideConsuming = wide.consume();
  for (let i = 0; i < 5; i++) await orchestrator.publish(queue, { label: `wide-${i}` });
  await until(() => wideRuns.length === 5);
  await wide.stop();
  expect(await wideConsuming).toBe(5);

  for (let i = 0; i < 6; i++) await orchestrator.publish(queue, { label: `narrow-${i}` });
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  let finish!: () => void;
  const gate = new Promise<void>((resolve) => (finish = resolve));
  const narrow = new FnConsumer(queue, async () => {
    started();
    await gate;
  });
  narrow.connect(orchestrator);
  const consuming = narrow.consume(1);
  await running;
  // One job runs; the other five are on the broker for any worker, not buffered in this client.
  expect(await brokerView(queue)).toMatchObject({ messageCount: 5, consumerCount: 1 });
  finish();
  expect(await consuming).toBe(1);
  expect(await orchestrator.countQueueMessages(queue)).toBe(5);
});
