import * as amqp from 'amqplib';
import { InMemoryJobStateStore, Orchestrator, UnrecoverableError, jobFromSchema, useJobsLogger } from '../../lib';
import { FnConsumer, recordingConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { RABBITMQ_URL, requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix, until } from './fixtures/rabbitmq-test-kit';

/**
 * Messages that are not jobs, put on the queue by something other than this library (straight with
 * amqplib): the client moves each to the dead-letter queue with the reason, never hands it to a
 * consumer, never requeues it, and goes on with the good jobs.
 */
const prefix = testPrefix('poison');
const clients = new RabbitMQTestClients({ prefix });
let orchestrator: Orchestrator;
let raw: amqp.ChannelModel;

beforeAll(async () => {
  await requireServer('rabbitmq');
  orchestrator = new Orchestrator(clients.create());
  raw = await amqp.connect(RABBITMQ_URL);
});

afterAll(async () => {
  await orchestrator?.close();
  await raw?.close();
  await clients.deleteDeclaredQueues();
});

async function sendRaw(queue: string, bodies: string[]): Promise<void> {
  const channel = await raw.createConfirmChannel();
  for (const body of bodies) channel.sendToQueue(`${prefix}${queue}`, Buffer.from(body), { persistent: true });
  await channel.waitForConfirms();
  await channel.close();
}

const NOT_JSON = 'this is { not json';
const WRONG_SHAPE = JSON.stringify({ hello: 'world', attempt: 'many' });

it('a waiting consumer skips bodies that are not JSON or not a job record; they end in the dead-letter queue with the reason', async () => {
  const queue = 'consumed';
  const schema = taskSchema(queue);
  await orchestrator.register(schema);
  await sendRaw(queue, [NOT_JSON]);
  const first = await orchestrator.publish(queue, jobFromSchema(schema, { label: 'good-1' }));
  await sendRaw(queue, [WRONG_SHAPE]);
  const second = await orchestrator.publish(queue, jobFromSchema(schema, { label: 'good-2' }));

  const { consumer, seen } = recordingConsumer(queue);
  consumer.connect(orchestrator);
  expect(await consumer.consume(2)).toBe(2);
  expect(seen).toEqual(['good-1', 'good-2']);

  const dead = await orchestrator.deadLetters(queue);
  expect(dead.map((d) => d.error.name)).toEqual(['MalformedJobError', 'MalformedJobError']);
  expect(dead[0].error.message).toMatch(/not JSON/);
  expect(dead[0].job.payload).toEqual({ body: NOT_JSON });
  expect(dead[1].error.message).toMatch(/not a job record/);
  expect(dead.map((d) => d.job.id)).not.toContain(first);
  expect(dead.map((d) => d.job.id)).not.toContain(second);
  expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, dead: 2 });

  // The consumer goes on.
  await sendRaw(queue, [NOT_JSON]);
  await orchestrator.publish(queue, { label: 'good-3' });
  expect(await consumer.consume(1)).toBe(1);
  expect(seen).toEqual(['good-1', 'good-2', 'good-3']);
  expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, dead: 3 });
});

it('receiveMessage (basic.get) passes over poison too, and consumeUntilEmpty does not stop at it', async () => {
  const queue = 'fetched';
  await orchestrator.register(taskSchema(queue));
  await sendRaw(queue, [NOT_JSON, WRONG_SHAPE]);
  const id = await orchestrator.publish(queue, { label: 'good' });
  await sendRaw(queue, ['[]', '']);
  await orchestrator.publish(queue, { label: 'good-after' });

  expect((await orchestrator.receiveMessage(queue))?.id).toBe(id);
  const { consumer, seen } = recordingConsumer(queue);
  consumer.connect(orchestrator);
  expect(await consumer.consumeUntilEmpty()).toBe(1);
  expect(seen).toEqual(['good-after']);
  expect(await orchestrator.countQueueMessages(queue)).toBe(0);
  expect((await orchestrator.deadLetters(queue)).map((d) => d.error.name)).toEqual(Array(4).fill('MalformedJobError'));
});

describe('poison that cannot be handled the usual way (with a job store)', () => {
  const storePrefix = testPrefix('poison-store');
  const storeClients = new RabbitMQTestClients({ prefix: storePrefix });
  let withStore: Orchestrator;
  let admin: amqp.Channel;
  const warned: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    withStore = new Orchestrator(storeClients.create({ jobStore: new InMemoryJobStateStore() }));
    admin = await raw.createChannel();
    useJobsLogger({ log: () => undefined, warn: (message) => void warned.push(message), error: (message) => void errors.push(message) });
  });

  afterAll(async () => {
    await withStore?.close();
    await storeClients.deleteDeclaredQueues();
  });

  async function sendRawTo(brokerQueue: string, body: string | Buffer, options: amqp.Options.Publish = {}): Promise<void> {
    const channel = await raw.createConfirmChannel();
    channel.sendToQueue(brokerQueue, Buffer.isBuffer(body) ? body : Buffer.from(body), { persistent: true, ...options });
    await channel.waitForConfirms();
    await channel.close();
  }

  /** A job record as a foreign producer would write it, its payload nested `depth` levels deep (built as text: no recursion here either). */
  function deepJobBody(id: string, queue: string, depth: number): string {
    const payload = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    return `{"id":"${id}","name":"${queue}","schemaName":"${queue}","payload":${payload},"createdAt":"${new Date().toISOString()}","priority":0,"attempt":0}`;
  }

  it('a job whose payload is nested 10,000 levels deep is dead-lettered once as MalformedJobError, and the jobs around it all run', async () => {
    const queue = 'deep';
    await withStore.register(taskSchema(queue));
    const before = await withStore.publish(queue, { label: 'before' });
    await sendRawTo(`${storePrefix}${queue}`, deepJobBody('deep-1', queue, 10_000));
    await withStore.publish(queue, { label: 'after-1' });
    await withStore.publish(queue, { label: 'after-2' });

    const { consumer, seen } = recordingConsumer(queue, { concurrency: 1 });
    consumer.connect(withStore);
    expect(await consumer.consume(3)).toBe(3);
    expect(seen).toEqual(['before', 'after-1', 'after-2']);
    expect((await withStore.getJob(before))?.status).toBe('completed');
    // It is moved while the jobs after it run.
    await until(async () => (await withStore.getJob('deep-1')) !== null);

    const dead = await withStore.deadLetters(queue);
    expect(dead.map((d) => [d.job.id, d.error.name])).toEqual([['deep-1', 'MalformedJobError']]);
    expect(dead[0].error.message).toMatch(/nested deeper than/);
    const state = await withStore.getJob('deep-1');
    expect(state).toMatchObject({ status: 'dead', queue, error: { name: 'MalformedJobError' } });
    // Once: one notice, one dead letter, nothing left on the queue or held.
    expect(warned.filter((w) => w.includes(`"${queue}"`) && w.includes('not a job'))).toHaveLength(1);
    expect(await withStore.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, dead: 1 });
  });

  it('a job readable but nested past the payload limit (500 levels) is run by no handler: its consumer dead-letters it once, with a typed error', async () => {
    const queue = 'too-deep';
    await withStore.register(taskSchema(queue));
    await sendRawTo(`${storePrefix}${queue}`, deepJobBody('deep-500', queue, 500));
    await withStore.publish(queue, { label: 'after' });

    const { consumer, seen } = recordingConsumer(queue, { concurrency: 1 });
    consumer.connect(withStore);
    expect(await consumer.consume(2)).toBe(2);
    expect(seen).toEqual(['after']);
    const dead = await withStore.deadLetters(queue);
    expect(dead.map((d) => [d.job.id, d.error.name])).toEqual([['deep-500', 'JobValidationError']]);
    expect(await withStore.getJob('deep-500')).toMatchObject({ status: 'dead', attempt: 1, error: { name: 'JobValidationError' } });
    expect(await withStore.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, dead: 1 });
  });

  it('a poison message is named by its job id if readable, else by its message id, else by an id derived from its bytes', async () => {
    const queue = 'named';
    await withStore.register(taskSchema(queue));
    const brokerQueue = `${storePrefix}${queue}`;
    await sendRawTo(brokerQueue, JSON.stringify({ id: 'readable-id', payload: 'not an object' }));
    await sendRawTo(brokerQueue, 'garbage with a message id', { messageId: 'amqp-message-id' });
    await sendRawTo(brokerQueue, 'garbage without one');
    await withStore.publish(queue, { label: 'good' });

    const { consumer } = recordingConsumer(queue);
    consumer.connect(withStore);
    expect(await consumer.consume(1)).toBe(1);
    // Each is moved while the good job runs: wait for all three.
    await until(async () => (await withStore.queueStats(queue)).dead === 3);
    const ids = (await withStore.deadLetters(queue)).map((d) => d.job.id);
    expect(ids.slice(0, 2)).toEqual(['readable-id', 'amqp-message-id']);
    expect(ids[2]).toMatch(/^malformed-[0-9a-f]{16}$/);
    for (const id of ids) {
      await until(async () => (await withStore.getJob(id)) !== null);
      const state = await withStore.getJob(id);
      expect(state).toMatchObject({ status: 'dead', queue, error: { name: 'MalformedJobError' } });
      expect(state?.error?.message).toContain(`on queue "${queue}"`);
    }
  });

  it('when the dead-letter exchange refuses the move, the broker dead-letters it itself: no requeue loop, no stalled queue, an error logged', async () => {
    const queue = 'refused';
    await withStore.register(taskSchema(queue));
    // A queue of the user's bound to the dead-letter exchange that refuses every message: the broker
    // nacks each publish to the exchange (overflow reject-publish), so the client's move fails.
    const audit = `${storePrefix}${queue}.audit`;
    await admin.assertQueue(audit, { durable: false, arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } });
    await admin.bindQueue(audit, `${storePrefix}${queue}.dead`, '');
    try {
      await sendRawTo(`${storePrefix}${queue}`, NOT_JSON, { messageId: 'refused-poison' });
      const good = await withStore.publish(queue, { label: 'good' });
      const doomed = await withStore.publish(queue, { label: 'doomed' });
      let doomedRuns = 0;
      const consumer = new FnConsumer(
        queue,
        (job) => {
          if (job.payload.label !== 'doomed') return;
          doomedRuns++;
          throw new UnrecoverableError('this job fails for good');
        },
        { concurrency: 1 },
      );
      consumer.connect(withStore);
      // With concurrency 1 the prefetch is 1: a poison held unacknowledged would stop the queue here.
      expect(await consumer.consume(2)).toBe(2);
      expect((await withStore.getJob(good))?.status).toBe('completed');
      expect(doomedRuns).toBe(1);

      await until(async () => (await withStore.getJob('refused-poison')) !== null);
      const dead = await withStore.deadLetters(queue);
      // A nack says only that some queue bound to the exchange refused the copy, not that all did: the
      // dead-letter queue may hold the client's copy as well as the broker's. Never more: nothing loops.
      expect([...new Set(dead.map((d) => d.job.id))]).toEqual(['refused-poison', doomed]);
      expect(dead.length).toBeLessThanOrEqual(4);
      for (const letter of dead.filter((d) => d.job.id === 'refused-poison')) expect(letter.error.name).toBe('MalformedJobError');
      expect(await withStore.getJob('refused-poison')).toMatchObject({ status: 'dead', error: { name: 'MalformedJobError' } });
      expect(await withStore.getJob(doomed)).toMatchObject({ status: 'dead', error: { name: 'UnrecoverableError' } });
      expect(warned.filter((w) => w.includes(`"${queue}"`) && w.includes('not a job'))).toHaveLength(1);
      expect(errors.filter((e) => e.includes(`"${queue}"`) && e.includes('dead letter'))).toHaveLength(2);
      expect(await withStore.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, dead: dead.length });
    } finally {
      await admin.deleteQueue(audit);
    }
  });
});
