import { randomUUID } from 'node:crypto';
import {
  InMemoryJobStateStore,
  LeaseLostError,
  Orchestrator,
  RedisJobStateStore,
  UnsupportedCapabilityError,
  type JobProgress,
  type JobStateStore,
} from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { REDIS_URL, requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix } from './fixtures/rabbitmq-test-kit';

/** Progress on RabbitMQ is kept by the job store (JobStateStore.progressed); without a store there is none. */
const clients = new RabbitMQTestClients({ prefix: testPrefix('progress') });
const statePrefix = `mt-test-progress-${randomUUID().slice(0, 8)}`;
const orchestrators: Orchestrator[] = [];

const STORES: { name: string; server?: 'redis'; create: () => JobStateStore }[] = [
  { name: 'InMemoryJobStateStore', create: () => new InMemoryJobStateStore() },
  { name: 'RedisJobStateStore', server: 'redis', create: () => new RedisJobStateStore(REDIS_URL, { prefix: statePrefix }) },
];

beforeAll(() => requireServer('rabbitmq'));
afterEach(async () => {
  await Promise.all(orchestrators.splice(0).map((orchestrator) => orchestrator.close()));
});
afterAll(() => clients.deleteDeclaredQueues());

describe.each(STORES)('with $name', ({ name, server, create }) => {
  beforeAll(async () => {
    if (server) await requireServer(server);
  });

  it('getJob shows the last progress a run reported, null before; a retry keeps it until it reports anew', async () => {
    const queue = `progress_${name.toLowerCase()}`;
    const client = clients.create({ jobStore: create() });
    expect(client.capabilities.progress).toBe(true);
    const orchestrator = new Orchestrator(client);
    orchestrators.push(orchestrator);
    await orchestrator.register(taskSchema(queue));
    const id = await orchestrator.publish(queue, { label: 'p' });
    expect((await orchestrator.getJob(id))?.progress).toBeNull();

    const seenAtStart: (JobProgress | null | undefined)[] = [];
    const consumer = new FnConsumer(
      queue,
      async (job, context) => {
        seenAtStart.push((await orchestrator.getJob(job.id))?.progress);
        if (job.attempt === 1) {
          await context.progress(40);
          await context.progress({ stage: 'upload', done: 3 });
          throw new Error('first attempt fails after reporting');
        }
        return undefined;
      },
      { attempts: 2 },
    );
    consumer.connect(orchestrator);
    expect(await consumer.consume(2)).toBe(2);
    expect(seenAtStart).toEqual([null, { stage: 'upload', done: 3 }]);
    expect(await orchestrator.getJob(id)).toMatchObject({ status: 'completed', attempt: 2, progress: { stage: 'upload', done: 3 } });
  });

  it('a delivery no longer held cannot report: LeaseLostError, and the stored progress stays', async () => {
    const queue = `progress_settled_${name.toLowerCase()}`;
    const client = clients.create({ jobStore: create() });
    orchestrators.push(new Orchestrator(client));
    await client.declareQueue(queue, 'fifo');
    const job = {
      id: randomUUID(),
      name: queue,
      schemaName: queue,
      payload: {},
      priority: 0,
      attempt: 0,
      createdAt: new Date().toISOString(),
    };
    await client.publish(queue, [{ job }]);
    const [delivery] = await client.fetch(queue, 1, { wait: true, leaseMs: 30_000 });
    await client.reportProgress(delivery, 10);
    await client.complete(delivery, null);
    await expect(client.reportProgress(delivery, 99)).rejects.toBeInstanceOf(LeaseLostError);
    expect((await client.getJob(job.id))?.progress).toBe(10);
  });
});

describe('without a job store', () => {
  it('progress is not a capability: reportProgress is UnsupportedCapabilityError, and a run reporting progress still completes', async () => {
    const queue = 'progress_no_store';
    const client = clients.create();
    expect(client.capabilities.progress).toBe(false);
    const orchestrator = new Orchestrator(client);
    orchestrators.push(orchestrator);
    await orchestrator.register(taskSchema(queue));
    await orchestrator.publish(queue, { label: 'p' });
    const events: unknown[] = [];
    orchestrator.events.on('progress', ({ progress }) => void events.push(progress));
    const consumer = new FnConsumer(queue, async (_job, context) => {
      await context.progress(50);
      return undefined;
    });
    consumer.connect(orchestrator);
    expect(await consumer.consume(1)).toBe(1);
    expect(events).toEqual([50]);
    await client.declareQueue(queue, 'fifo');
    const job = {
      id: randomUUID(),
      name: queue,
      schemaName: queue,
      payload: {},
      priority: 0,
      attempt: 0,
      createdAt: new Date().toISOString(),
    };
    await client.publish(queue, [{ job }]);
    const [delivery] = await client.fetch(queue, 1, { wait: true, leaseMs: 30_000 });
    await expect(client.reportProgress(delivery, 1)).rejects.toBeInstanceOf(UnsupportedCapabilityError);
    await client.complete(delivery, null);
  });
});
