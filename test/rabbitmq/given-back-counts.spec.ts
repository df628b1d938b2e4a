import { randomUUID } from 'node:crypto';
import { Orchestrator, type JobRecord } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix } from './fixtures/rabbitmq-test-kit';

/**
 * A nack (a release, a buffer given back, dead letters put back after reading them) has no reply, and a
 * count is asked on another channel: the count must still see what was given back before it.
 */
const clients = new RabbitMQTestClients({ prefix: testPrefix('given-back') });
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

it('queueStats().dead right after deadLetters counts every dead letter it read and put back, every time', async () => {
  const orchestrator = new Orchestrator(clients.create());
  const queue = 'listed';
  try {
    await orchestrator.register(taskSchema(queue));
    for (let i = 0; i < 3; i++) await orchestrator.publish(queue, { label: `d${i}` });
    const failing = new FnConsumer(queue, () => {
      throw new Error('fails on purpose');
    });
    failing.connect(orchestrator);
    expect(await failing.consume(3)).toBe(3);

    const seen: [listed: number, counted: number][] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const listed = (await orchestrator.deadLetters(queue)).length;
      seen.push([listed, (await orchestrator.queueStats(queue)).dead]);
    }
    expect(seen).toEqual(Array(ROUNDS).fill([3, 3]));
  } finally {
    await orchestrator.close();
  }
});
