import * as amqp from 'amqplib';
import { Orchestrator } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { RABBITMQ_URL, requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix } from './fixtures/rabbitmq-test-kit';

/** Retries and delayed jobs wait on the broker (per-delay TTL queues), not in a client. */
const prefix = testPrefix('delays');
const clients = new RabbitMQTestClients({ prefix });

beforeAll(() => requireServer('rabbitmq'));
afterAll(() => clients.deleteDeclaredQueues());

it('a retry in backoff survives its consumer: a new client runs it once due, as attempt 2', async () => {
  const queue = 'survives';
  const first = new Orchestrator(clients.create());
  await first.register(taskSchema(queue));
  const failing = new FnConsumer(
    queue,
    () => {
      throw new Error('try again later');
    },
    { attempts: 2, backoff: { type: 'fixed', delay: 300 } },
  );
  failing.connect(first);
  await first.publish(queue, { label: 'a' });
  expect(await failing.consume(1)).toBe(1);
  expect(await first.queueStats(queue)).toMatchObject({ waiting: 0, delayed: 1, active: 0 });
  await first.close();

  const second = new Orchestrator(clients.create());
  await second.register(taskSchema(queue));
  const attempts: number[] = [];
  const succeeding = new FnConsumer(queue, (job) => void attempts.push(job.attempt), { attempts: 2 });
  succeeding.connect(second);
  expect(await succeeding.consume(1)).toBe(1);
  expect(attempts).toEqual([2]);
  await second.close();
});

it('cleanQueue drops delayed jobs too, and deleteQueue removes the delay queues', async () => {
  const queue = 'cleaned';
  const orchestrator = new Orchestrator(clients.create());
  await orchestrator.register(taskSchema(queue));
  await orchestrator.publish(queue, { label: 'now' });
  await orchestrator.publish(queue, { label: 'later' }, { delay: 60_000 });
  await orchestrator.publish(queue, { label: 'much later' }, { delay: 120_000 });
  expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 1, delayed: 2 });
  expect(await orchestrator.cleanQueue(queue)).toBe(3);
  expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, delayed: 0 });

  await orchestrator.publish(queue, { label: 'later again' }, { delay: 60_000 });
  await orchestrator.deleteQueue(queue);
  await orchestrator.close();

  const raw = await amqp.connect(RABBITMQ_URL);
  try {
    for (const name of [`${prefix}${queue}`, `${prefix}${queue}.dead`, `${prefix}${queue}.delay.60000`, `${prefix}${queue}.delay.120000`]) {
      const channel = await raw.createChannel();
      channel.on('error', () => undefined);
      await expect(channel.checkQueue(name)).rejects.toMatchObject({ code: 404 });
    }
  } finally {
    await raw.close();
  }
});
