import * as amqp from 'amqplib';
import { Orchestrator, jobFromSchema } from '../../lib';
import { recordingConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { RABBITMQ_URL, requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix } from './fixtures/rabbitmq-test-kit';

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
