import { getEventListeners } from 'node:events';
import type { Delivery, RabbitMQClient } from '../../lib';
import { requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix } from './fixtures/rabbitmq-test-kit';

/**
 * A waiting fetch ends with nothing when its signal aborts; the other waits of the queue go on and get
 * the jobs. A worker passes one signal for its whole loop, so the client listens to it once, not once per fetch.
 */
const clients = new RabbitMQTestClients({ prefix: testPrefix('fetch-abort') });
let client: RabbitMQClient;

function job(id: string) {
  return {
    job: { id, name: 'task', schemaName: 'task', payload: { label: id }, priority: 0, attempt: 0, createdAt: new Date().toISOString() },
  };
}

function waitingFetch(queue: string, signal: AbortSignal): Promise<Delivery[]> {
  return client.fetch(queue, 1, { wait: true, leaseMs: 30_000, signal });
}

beforeAll(async () => {
  await requireServer('rabbitmq');
  client = clients.create();
});
afterAll(async () => {
  await client?.close();
  await clients.deleteDeclaredQueues();
});

it('aborting a signal ends every wait made with it, leaves the others waiting, and is listened to once however many fetches use it', async () => {
  const queue = 'aborted';
  await client.declareQueue(queue, 'fifo');
  const loop = new AbortController();
  const other = new AbortController();

  // Many fetches on one signal, each served: one listener on it, not one left per fetch.
  for (let i = 0; i < 20; i++) {
    const fetching = waitingFetch(queue, loop.signal);
    await client.publish(queue, [job(`served-${i}`)]);
    const [delivery] = await fetching;
    expect(delivery.job.id).toBe(`served-${i}`);
    await client.complete(delivery, null);
  }
  const first = waitingFetch(queue, loop.signal);
  const second = waitingFetch(queue, loop.signal);
  const kept = waitingFetch(queue, other.signal);
  expect(getEventListeners(loop.signal, 'abort')).toHaveLength(1);

  loop.abort();
  expect(await first).toEqual([]);
  expect(await second).toEqual([]);
  await client.publish(queue, [job('after-abort')]);
  const [delivery] = await kept;
  expect(delivery.job.id).toBe('after-abort');
  await client.complete(delivery, null);
  expect(await client.countWaiting(queue)).toBe(0);
});
