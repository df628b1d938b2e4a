import * as amqp from 'amqplib';
import { Orchestrator, UnrecoverableError } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { RABBITMQ_URL, requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix } from './fixtures/rabbitmq-test-kit';

/**
 * Dead letters go through the queue's dead-letter exchange, so a queue of the user's own bound to it
 * (an alerting or audit queue) gets every job that failed for good and every poison message, as well
 * as the client's own `PQ.dead`.
 */
const prefix = testPrefix('dlx');
const clients = new RabbitMQTestClients({ prefix });
let orchestrator: Orchestrator;
let raw: amqp.ChannelModel;
let channel: amqp.Channel;

beforeAll(async () => {
  await requireServer('rabbitmq');
  orchestrator = new Orchestrator(clients.create());
  raw = await amqp.connect(RABBITMQ_URL);
  channel = await raw.createChannel();
});

afterAll(async () => {
  await orchestrator?.close();
  await raw?.close();
  await clients.deleteDeclaredQueues();
});

/** Every message now in `queue`, taken off it. */
async function drain(queue: string): Promise<amqp.GetMessage[]> {
  const out: amqp.GetMessage[] = [];
  for (let message = await channel.get(queue, { noAck: true }); message !== false; message = await channel.get(queue, { noAck: true }))
    out.push(message);
  return out;
}

it("a job that exhausted its attempts and a poison message both reach a user's queue bound to the dead-letter exchange", async () => {
  const queue = 'alerts';
  const schema = taskSchema(queue);
  await orchestrator.register(schema);
  const audit = `${prefix}${queue}.audit`;
  await channel.assertQueue(audit, { durable: false, autoDelete: false });
  await channel.bindQueue(audit, `${prefix}${queue}.dead`, '');

  const attempts: number[] = [];
  const failing = new FnConsumer(
    queue,
    (job) => {
      attempts.push(job.attempt);
      throw new Error('broken for good');
    },
    { attempts: 2, backoff: () => 0 },
  );
  failing.connect(orchestrator);
  const id = await orchestrator.publish(queue, { label: 'doomed' });
  expect(await failing.consume(2)).toBe(2);
  expect(attempts).toEqual([1, 2]);

  // Straight onto the work queue, not through the library: not JSON.
  const poison = await raw.createConfirmChannel();
  poison.sendToQueue(`${prefix}${queue}`, Buffer.from('{ not json'), { persistent: true, messageId: 'poison-1' });
  await poison.waitForConfirms();
  await poison.close();
  await orchestrator.publish(queue, { label: 'after' });
  const ran = new FnConsumer(queue, () => undefined);
  ran.connect(orchestrator);
  expect(await ran.consume(1)).toBe(1);

  const copies = await drain(audit);
  expect(copies).toHaveLength(2);
  expect(JSON.parse(copies[0].content.toString()).id).toBe(id);
  expect(JSON.parse(String(copies[0].properties.headers?.['x-mindtrace-failure']))).toMatchObject({
    message: 'broken for good',
    attempt: 2,
  });
  expect(copies[1].content.toString()).toBe('{ not json');
  expect(copies[1].properties.messageId).toBe('poison-1');
  expect(copies.map((c) => c.properties.deliveryMode)).toEqual([2, 2]);

  // The client's own dead-letter queue got them too.
  const dead = await orchestrator.deadLetters(queue);
  expect(dead.map((d) => d.error.name)).toEqual(['Error', 'MalformedJobError']);
  expect(dead[0].job.id).toBe(id);
  await channel.deleteQueue(audit);
});

it('a dead-letter exchange deleted by someone else is declared again, and the dead letter still arrives', async () => {
  const queue = 'lost-exchange';
  await orchestrator.register(taskSchema(queue));
  await channel.deleteExchange(`${prefix}${queue}.dead`);

  const failing = new FnConsumer(queue, () => {
    throw new UnrecoverableError('nope');
  });
  failing.connect(orchestrator);
  const id = await orchestrator.publish(queue, { label: 'x' });
  // A publish to the missing exchange closed the dead-letter channel only: job publishes go on meanwhile.
  const [, other] = await Promise.all([failing.consume(1), orchestrator.publish(queue, { label: 'y' })]);
  expect((await orchestrator.deadLetters(queue)).map((d) => d.job.id)).toEqual([id]);
  expect(await orchestrator.countQueueMessages(queue)).toBe(1);
  expect((await orchestrator.receiveMessage(queue))?.id).toBe(other);
});
