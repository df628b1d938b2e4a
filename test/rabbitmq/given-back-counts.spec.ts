import { randomUUID } from 'node:crypto';
import { Orchestrator, type JobRecord } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix } from './fixtures/rabbitmq-test-kit';

/**
 * A nack (a release, a buffer given back, dead letters put back after reading them) has no reply, and a
 * count is asked on another channel: the count must still see what was given back before it. On a
 * quorum queue the requeue is moreover a command its leader applies later, and a count reads what it
 * has applied (the fence before a count: fenceQueue in channel-acks.ts).
 */
beforeAll(() => requireServer('rabbitmq'));
jest.setTimeout(60_000);

const ROUNDS = 50;

function record(queue: string, i: number): JobRecord {
  return { id: randomUUID(), name: queue, schemaName: queue, payload: { i }, priority: 0, attempt: 0, createdAt: new Date().toISOString() };
}

describe.each([
  ['classic queues', 'given-back', {}],
  ['quorum queues', 'quorum-counts', { queueType: 'quorum' as const }],
])('on %s', (_, prefix, options) => {
  const clients = new RabbitMQTestClients({ prefix: testPrefix(prefix), ...options });
  afterAll(() => clients.deleteDeclaredQueues());

  /** Publishes `count` jobs to `queue` and fails each once: `count` dead letters. */
  async function deadLettersOn(orchestrator: Orchestrator, queue: string, count: number): Promise<void> {
    await orchestrator.register(taskSchema(queue));
    for (let i = 0; i < count; i++) await orchestrator.publish(queue, { label: `d${i}` });
    const failing = new FnConsumer(queue, () => {
      throw new Error('fails on purpose');
    });
    failing.connect(orchestrator);
    expect(await failing.consume(count)).toBe(count);
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
      await deadLettersOn(orchestrator, queue, 3);
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

  it('queueStats().dead right after redriving one dead letter counts the ones put back, every time', async () => {
    const orchestrator = new Orchestrator(clients.create());
    const queue = 'redriven';
    const total = 30;
    try {
      await deadLettersOn(orchestrator, queue, total);
      const ids = (await orchestrator.deadLetters(queue, { limit: total })).map((letter) => letter.job.id);
      const counts: number[] = [];
      for (const id of ids) {
        expect(await orchestrator.redrive(queue, { ids: [id] })).toBe(1);
        counts.push((await orchestrator.queueStats(queue)).dead);
      }
      expect(counts).toEqual(ids.map((_, i) => total - 1 - i));
    } finally {
      await orchestrator.close();
    }
  });
});
