import type { ChannelModel } from 'amqplib';
import { BrokerBlockedError, Orchestrator, type RabbitMQClient } from '../../lib';
import { taskSchema } from '../conformance/conformance.fixtures';
import { requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix } from './fixtures/rabbitmq-test-kit';

/**
 * While the broker blocks the connection (connection.blocked: a memory or disk alarm) a publish waits
 * at most `blockedTimeout`, then fails with BrokerBlockedError having sent nothing; an unblock lets
 * waiting publishes through. A real alarm would block every client of the shared broker, so the
 * connection's own blocked / unblocked events are emitted here, as amqplib emits them.
 */
const clients = new RabbitMQTestClients({ prefix: testPrefix('blocked') });
const orchestrators: Orchestrator[] = [];

beforeAll(() => requireServer('rabbitmq'));
afterAll(async () => {
  await Promise.all(orchestrators.map((o) => o.close()));
  await clients.deleteDeclaredQueues();
});

async function connected(blockedTimeout: number, queue: string): Promise<{ orchestrator: Orchestrator; model: ChannelModel }> {
  const orchestrator = new Orchestrator(clients.create({ blockedTimeout }));
  orchestrators.push(orchestrator);
  await orchestrator.register(taskSchema(queue));
  const model = (orchestrator.backend as unknown as { connection: { model: ChannelModel } }).connection.model;
  return { orchestrator, model };
}

it('with blockedTimeout 0, a publish while blocked fails at once with BrokerBlockedError and enqueues nothing', async () => {
  const queue = 'fail-fast';
  const { orchestrator, model } = await connected(0, queue);
  model.emit('blocked', 'low on memory');
  const error = await orchestrator.publish(queue, { label: 'refused' }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BrokerBlockedError);
  expect(error).toMatchObject({ queue, reason: 'low on memory' });
  expect((error as Error).message).toMatch(/blockedTimeout/);
  model.emit('unblocked');
  await orchestrator.publish(queue, { label: 'after' });
  expect(await orchestrator.countQueueMessages(queue)).toBe(1);
});

it('a publish made while blocked waits, and goes through when the broker unblocks within blockedTimeout', async () => {
  const queue = 'waits';
  const { orchestrator, model } = await connected(60_000, queue);
  model.emit('blocked', 'low on disk');
  let settled = false;
  const publishing = orchestrator.publish(queue, { label: 'held' }).finally(() => (settled = true));
  // Nothing was written while blocked: the broker has no message yet.
  await new Promise((resolve) => setImmediate(resolve));
  expect(settled).toBe(false);
  expect(await (orchestrator.backend as RabbitMQClient).countWaiting(queue)).toBe(0);
  model.emit('unblocked');
  await publishing;
  expect(await orchestrator.countQueueMessages(queue)).toBe(1);
});
