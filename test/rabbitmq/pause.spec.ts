import * as amqp from 'amqplib';
import type { Delivery, RabbitMQClient } from '../../lib';
import { QueueNotDeclaredError } from '../../lib';
import { RABBITMQ_URL, requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix, until } from './fixtures/rabbitmq-test-kit';

/**
 * Pause on RabbitMQ, with several clients as several processes would have them: the pause is a marker
 * the broker keeps and a notice pushed to every client consuming the queue (TOPOLOGY.md "Pause").
 */
const prefix = testPrefix('pause');
const clients = new RabbitMQTestClients({ prefix });
const opened: RabbitMQClient[] = [];
let raw: amqp.ChannelModel;

function client(options: Parameters<RabbitMQTestClients['create']>[0] = {}): RabbitMQClient {
  const made = clients.create(options);
  opened.push(made);
  return made;
}

/** The work queue as the broker sees it: ready messages and consumers. */
async function onBroker(queue: string, queuePrefix = prefix): Promise<{ messageCount: number; consumerCount: number }> {
  const channel = await raw.createChannel();
  try {
    return await channel.checkQueue(`${queuePrefix}${queue}`);
  } finally {
    await channel.close();
  }
}

function job(id: string) {
  return {
    job: { id, name: 'task', schemaName: 'task', payload: { label: id }, priority: 0, attempt: 0, createdAt: new Date().toISOString() },
  };
}

async function publish(publisher: RabbitMQClient, queue: string, ids: string[]): Promise<void> {
  await publisher.publish(queue, ids.map(job));
}

/** A waiting fetch of one job whose outcome can be looked at without awaiting it. */
function waitingFetch(consumer: RabbitMQClient, queue: string, signal?: AbortSignal) {
  const fetch = { done: false, deliveries: [] as Delivery[], promise: Promise.resolve([] as Delivery[]) };
  fetch.promise = consumer.fetch(queue, 1, { wait: true, leaseMs: 30_000, signal }).then((deliveries) => {
    fetch.done = true;
    fetch.deliveries = deliveries;
    return deliveries;
  });
  return fetch;
}

const ids = (prefixOfIds: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefixOfIds}-${i}`);

beforeAll(async () => {
  await requireServer('rabbitmq');
  raw = await amqp.connect(RABBITMQ_URL);
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((made) => made.close()));
});
afterAll(async () => {
  await raw?.close();
  await clients.deleteDeclaredQueues();
});

it('a consumer of client B stops when client A pauses, and takes jobs again at once when A resumes', async () => {
  const queue = 'two-clients';
  const a = client();
  const b = client();
  await a.declareQueue(queue, 'fifo');
  await b.declareQueue(queue, 'fifo');

  const first = waitingFetch(b, queue);
  await publish(a, queue, ['before']);
  expect((await first.promise).map((d) => d.job.id)).toEqual(['before']);
  await b.complete(first.deliveries[0], null);

  const second = waitingFetch(b, queue);
  await until(async () => (await onBroker(queue)).consumerCount === 1);
  await a.pauseQueue(queue);
  // B cancels its consumer on the notice: nothing takes what is published now.
  await until(async () => (await onBroker(queue)).consumerCount === 0);
  await publish(a, queue, ['during-1', 'during-2']);
  expect(await onBroker(queue)).toEqual(expect.objectContaining({ messageCount: 2, consumerCount: 0 }));
  expect(second.done).toBe(false);
  expect((await b.queueStats(queue)).paused).toBe(true);
  expect((await a.queueStats(queue)).paused).toBe(true);

  await a.resumeQueue(queue);
  expect((await second.promise).map((d) => d.job.id)).toEqual(['during-1']);
  await b.complete(second.deliveries[0], null);
  const third = await b.fetch(queue, 1, { wait: true, leaseMs: 30_000 });
  expect(third.map((d) => d.job.id)).toEqual(['during-2']);
  await b.complete(third[0], null);
  expect((await b.queueStats(queue)).paused).toBe(false);
});

it('a client created while the queue is paused gets nothing until the resume, waiting or not', async () => {
  const queue = 'late-client';
  const a = client();
  await a.declareQueue(queue, 'fifo');
  await a.pauseQueue(queue);
  await publish(a, queue, ids('late', 3));

  const late = client();
  const waiting = waitingFetch(late, queue);
  // Long enough for a consumer started in spite of the pause to have taken a job (it would show here).
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await onBroker(queue)).toEqual(expect.objectContaining({ messageCount: 3, consumerCount: 0 }));
  expect(waiting.done).toBe(false);
  const other = client();
  expect(await other.fetch(queue, 3, { wait: false, leaseMs: 30_000 })).toEqual([]);
  expect((await other.queueStats(queue)).paused).toBe(true);

  await a.resumeQueue(queue);
  expect((await waiting.promise).map((d) => d.job.id)).toEqual(['late-0']);
  const rest = await late.fetch(queue, 2, { wait: false, leaseMs: 30_000 });
  expect(rest.map((d) => d.job.id)).toEqual(['late-1', 'late-2']);
  for (const delivery of [...waiting.deliveries, ...rest]) await late.complete(delivery, null);
});

it('the pause survives every client: one made after all others closed still sees it', async () => {
  const queue = 'kept';
  const a = client();
  await a.declareQueue(queue, 'fifo');
  await a.pauseQueue(queue);
  await a.pauseQueue(queue); // twice: nothing more
  await a.close();
  const b = client();
  expect((await b.queueStats(queue)).paused).toBe(true);
  await b.resumeQueue(queue);
  await b.resumeQueue(queue); // not paused: nothing
  expect((await b.queueStats(queue)).paused).toBe(false);
});

it('pausing or resuming a queue nobody declared is QueueNotDeclaredError', async () => {
  const a = client();
  await expect(a.pauseQueue('never-declared')).rejects.toBeInstanceOf(QueueNotDeclaredError);
  await expect(a.resumeQueue('never-declared')).rejects.toBeInstanceOf(QueueNotDeclaredError);
});

it('deleteQueue ends the pause: the queue declared again is not paused', async () => {
  const queue = 'deleted';
  const a = client();
  await a.declareQueue(queue, 'fifo');
  await a.pauseQueue(queue);
  await a.deleteQueue(queue);
  await a.declareQueue(queue, 'fifo');
  expect((await a.queueStats(queue)).paused).toBe(false);
});

it('jobs buffered by a consumer at the pause go back to the queue in order; handed-out ones stay held', async () => {
  const queue = 'buffered';
  const a = client();
  const b = client({ prefetch: 10 });
  await a.declareQueue(queue, 'fifo');
  await publish(a, queue, ids('buf', 10));
  const [running] = await b.fetch(queue, 1, { wait: true, leaseMs: 30_000 });
  expect(running.job.id).toBe('buf-0');
  await a.pauseQueue(queue);
  await until(async () => (await onBroker(queue)).messageCount === 9);
  expect((await b.queueStats(queue)).active).toBe(1);
  await b.complete(running, null);
  await a.resumeQueue(queue);
  const rest: string[] = [];
  while (rest.length < 9) {
    for (const delivery of await b.fetch(queue, 9, { wait: true, leaseMs: 30_000 })) {
      rest.push(delivery.job.id);
      await b.complete(delivery, null);
    }
  }
  expect(rest).toEqual(ids('buf', 10).slice(1));
});

it('a client subscribing while another pauses ends up not consuming (repeated to meet the race)', async () => {
  const queue = 'subscribe-race';
  const a = client();
  await a.declareQueue(queue, 'fifo');
  const controller = new AbortController();
  const fetches: ReturnType<typeof waitingFetch>[] = [];
  for (let i = 0; i < 8; i++) {
    const late = client();
    // The subscription (bind, read the marker, consume) and the pause run at the same time.
    const [fetch] = await Promise.all([
      waitingFetch(late, queue, controller.signal),
      i % 2 === 0 ? a.pauseQueue(queue) : a.resumeQueue(queue),
    ]);
    fetches.push(fetch);
    if (i % 2 === 1) await a.pauseQueue(queue);
  }
  await until(async () => (await onBroker(queue)).consumerCount === 0);
  await publish(a, queue, ['raced']);
  expect(await onBroker(queue)).toEqual(expect.objectContaining({ messageCount: 1, consumerCount: 0 }));
  expect(fetches.filter((fetch) => fetch.done)).toEqual([]);
  await a.resumeQueue(queue);
  // Exactly one of the eight waiting fetches gets the job.
  await until(() => fetches.some((fetch) => fetch.done));
  controller.abort();
  const got = (await Promise.all(fetches.map((fetch) => fetch.promise))).flat();
  expect(got.map((d) => d.job.id)).toEqual(['raced']);
});

it('a pause and a resume racing from two clients leave every consumer as the marker says', async () => {
  const queue = 'pause-resume-race';
  const a = client();
  const b = client();
  const consumer = client();
  await a.declareQueue(queue, 'fifo');
  const controller = new AbortController();
  const fetch = waitingFetch(consumer, queue, controller.signal);
  for (let i = 0; i < 10; i++) {
    await Promise.all(i % 2 === 0 ? [a.pauseQueue(queue), b.resumeQueue(queue)] : [b.resumeQueue(queue), a.pauseQueue(queue)]);
    const paused = (await a.queueStats(queue)).paused;
    await until(async () => (await onBroker(queue)).consumerCount === (paused ? 0 : 1));
  }
  await b.pauseQueue(queue);
  await until(async () => (await onBroker(queue)).consumerCount === 0);
  controller.abort();
  expect(await fetch.promise).toEqual([]);
});

it('a notice that disagrees with the marker (a pause and a resume interleaved) is checked against it', async () => {
  // The interleaving a racing pause (A) and resume (B) can produce, made by hand on the wire: A declares
  // the marker, B deletes it and announces, then A's notice arrives last and says "paused".
  const queue = 'stale-notice';
  const b = client();
  const consumer = client();
  await b.declareQueue(queue, 'fifo');
  const controller = new AbortController();
  const fetch = waitingFetch(consumer, queue, controller.signal);
  await until(async () => (await onBroker(queue)).consumerCount === 1);
  const channel = await raw.createChannel();
  await channel.assertExchange(`${prefix}${queue}.paused`, 'fanout', { durable: true });
  await b.resumeQueue(queue);
  channel.publish(`${prefix}mindtrace.control`, `${prefix}${queue}`, Buffer.from('paused'));
  await channel.checkExchange(`${prefix}mindtrace.control`);
  // The consumer may stop for a moment on the notice, then reads the marker and consumes again.
  await publish(b, queue, ['after-stale-pause']);
  expect((await fetch.promise).map((d) => d.job.id)).toEqual(['after-stale-pause']);
  await consumer.complete(fetch.deliveries[0], null);

  // And the other way round: the marker is there, the last notice says "resumed".
  await b.pauseQueue(queue);
  const second = waitingFetch(consumer, queue, controller.signal);
  await channel.assertExchange(`${prefix}${queue}.paused`, 'fanout', { durable: true });
  channel.publish(`${prefix}mindtrace.control`, `${prefix}${queue}`, Buffer.from('resumed'));
  await channel.checkExchange(`${prefix}mindtrace.control`);
  await publish(b, queue, ['while-paused']);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await onBroker(queue)).toEqual(expect.objectContaining({ messageCount: 1, consumerCount: 0 }));
  expect(second.done).toBe(false);
  await channel.close();
  await b.resumeQueue(queue);
  expect((await second.promise).map((d) => d.job.id)).toEqual(['while-paused']);
  await consumer.complete(second.deliveries[0], null);
});

it('under load, with pauses and resumes from a third client, every job runs once: nothing lost, nothing twice', async () => {
  const queue = 'load';
  const count = 600;
  const publisher = client();
  const consumers = [client({ prefetch: 20 }), client()];
  await publisher.declareQueue(queue, 'fifo');
  const seen = new Map<string, number>();
  const controller = new AbortController();
  const loops = consumers.map(async (consumer) => {
    while (!controller.signal.aborted) {
      const deliveries = await consumer.fetch(queue, 5, { wait: true, leaseMs: 30_000, signal: controller.signal });
      for (const delivery of deliveries) {
        seen.set(delivery.job.id, (seen.get(delivery.job.id) ?? 0) + 1);
        await consumer.complete(delivery, null);
      }
    }
  });
  const all = ids('load', count);
  const publishing = (async () => {
    for (let i = 0; i < count; i += 50) await publish(publisher, queue, all.slice(i, i + 50));
  })();
  for (let round = 0; round < 6; round++) {
    await until(() => seen.size >= (round + 1) * 80);
    await publisher.pauseQueue(queue);
    await until(async () => (await onBroker(queue)).consumerCount === 0);
    await publisher.resumeQueue(queue);
  }
  await publishing;
  await until(() => seen.size === count);
  controller.abort();
  await Promise.all(loops);
  expect([...seen.values()].filter((times) => times !== 1)).toEqual([]);
  expect(new Set(seen.keys())).toEqual(new Set(all));
  expect(await onBroker(queue)).toEqual(expect.objectContaining({ messageCount: 0 }));
});

it('nothing of a pause is left on the broker once the queue is deleted and its clients are gone', async () => {
  const queue = 'leaves-nothing';
  const controlPrefix = testPrefix('pause-leftovers');
  const leftovers = new RabbitMQTestClients({ prefix: controlPrefix });
  const a = leftovers.create();
  const b = leftovers.create();
  await a.declareQueue(queue, 'fifo');
  const controller = new AbortController();
  const fetch = b.fetch(queue, 1, { wait: true, leaseMs: 30_000, signal: controller.signal });
  await until(async () => (await onBroker(queue, controlPrefix)).consumerCount === 1);
  await a.pauseQueue(queue);
  await a.resumeQueue(queue);
  await a.pauseQueue(queue);
  controller.abort();
  await fetch;
  await b.close();
  // Deleted after every consumer left: announcing it must not declare the control exchange again.
  await a.deleteQueue(queue);
  await a.close();
  const exists = async (exchange: string): Promise<boolean> => {
    const channel = await raw.createChannel();
    channel.on('error', () => undefined);
    try {
      await channel.checkExchange(exchange);
      await channel.close();
      return true;
    } catch {
      return false;
    }
  };
  expect(await exists(`${controlPrefix}${queue}.paused`)).toBe(false);
  // The broker drops an auto-delete exchange when the last binding goes with its connection.
  await until(async () => !(await exists(`${controlPrefix}mindtrace.control`)));
});
