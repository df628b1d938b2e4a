import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { BrokerBlockedError, Orchestrator } from '../../lib';
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

/** What these tests read of the client's connection: the amqplib connection, and the confirm channel job publishes write to once it is open. */
interface ConnectionInternals {
  model: ChannelModel;
  publishers: { jobs: { ready: ConfirmChannel | null } };
}

async function connected(
  blockedTimeout: number,
  queue: string,
): Promise<{ orchestrator: Orchestrator; model: ChannelModel; connection: ConnectionInternals }> {
  const orchestrator = new Orchestrator(clients.create({ blockedTimeout }));
  orchestrators.push(orchestrator);
  await orchestrator.register(taskSchema(queue));
  const connection = (orchestrator.backend as unknown as { connection: ConnectionInternals }).connection;
  return { orchestrator, model: connection.model, connection };
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

it('a publish made while blocked waits, writing nothing, and goes through when the broker unblocks within blockedTimeout', async () => {
  const queue = 'waits';
  const { orchestrator, model, connection } = await connected(60_000, queue);
  // Opens the confirm channel, so the publish below has no I/O of its own to do before it would write.
  await orchestrator.publish(queue, { label: 'before' });
  const channel = connection.publishers.jobs.ready;
  if (!channel) throw new Error('the confirm channel for jobs is not open after a publish');
  // Watched, not replaced: the publish still goes to the broker.
  const writes = jest.spyOn(channel, 'publish');

  model.emit('blocked', 'low on disk');
  let settled = false;
  const publishing = orchestrator.publish(queue, { label: 'held' }).finally(() => (settled = true));
  // Up to its write the publish runs in callbacks queued by now: after them it has written, or waits.
  await new Promise((resolve) => setImmediate(resolve));
  expect(writes).not.toHaveBeenCalled();
  expect(settled).toBe(false);

  model.emit('unblocked');
  await publishing;
  expect(writes).toHaveBeenCalledTimes(1);
  expect(await orchestrator.countQueueMessages(queue)).toBe(2);
});
