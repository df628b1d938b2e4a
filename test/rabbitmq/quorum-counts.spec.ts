import { randomUUID } from 'node:crypto';
import type { JobRecord } from '../../lib';
import { requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix } from './fixtures/rabbitmq-test-kit';

/**
 * On a quorum queue a nack's requeue is a command its leader applies later, and a count reads what it
 * has applied: a count right after a give-back must still see the job given back.
 */
const clients = new RabbitMQTestClients({ prefix: testPrefix('quorum-counts'), queueType: 'quorum' });
beforeAll(() => requireServer('rabbitmq'));
afterAll(() => clients.deleteDeclaredQueues());

const ROUNDS = 50;

function record(queue: string, i: number): JobRecord {
  return { id: randomUUID(), name: queue, schemaName: queue, payload: { i }, priority: 0, attempt: 0, createdAt: new Date().toISOString() };
}

it('countWaiting right after release counts the released job, every time', async () => {
  const client = clients.create();
  const queue = 'released';
  await client.declareQueue(queue, 'fifo');
  await client.publish(queue, [{ job: record(queue, 0) }, { job: record(queue, 1) }]);
  const counts: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const [delivery] = await client.fetch(queue, 1, { wait: false, leaseMs: 30_000 });
      await client.release(delivery);
      counts.push(await client.countWaiting(queue));
    }
  } finally {
    await client.close();
  }
  expect(counts).toEqual(Array(ROUNDS).fill(2));
});

