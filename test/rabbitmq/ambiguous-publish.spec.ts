import { BrokerUnavailableError, InMemoryJobStateStore, Orchestrator, jobFromSchema, useJobsLogger, type Job } from '../../lib';
import { CuttingProxy } from '../redis/fixtures/cutting-proxy';
import { FnConsumer, taskSchema, type TaskInput } from '../conformance/conformance.fixtures';
import { requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix, until } from './fixtures/rabbitmq-test-kit';

/**
 * A publish whose confirm is lost with the connection: the broker enqueued the job, the caller got an
 * error. RabbitMQ keeps no index of job ids, so a caller who publishes the same job again would enqueue
 * it twice; with a job store the client recognises the retry and the job runs once. The cut is made by
 * a proxy in front of the broker at the one moment that matters: it swallows the confirm and drops the
 * connection, after the broker has taken the message.
 */
const clients = new RabbitMQTestClients({ prefix: testPrefix('ambiguous') });
const proxy = new CuttingProxy({ host: '127.0.0.1', port: 5672 });
let port: number;
const orchestrators: Orchestrator[] = [];
const warned: string[] = [];

beforeAll(async () => {
  await requireServer('rabbitmq');
  port = await proxy.listen();
  useJobsLogger({ log: () => undefined, warn: (message) => void warned.push(message), error: () => undefined });
});

afterEach(async () => {
  await Promise.all(orchestrators.splice(0).map((o) => o.close()));
});

afterAll(async () => {
  await proxy.close();
  await clients.deleteDeclaredQueues();
});

/** One per test, closed after it: a connection left open could receive the reply the proxy is set to cut. */
function throughProxy(withStore = true): Orchestrator {
  const orchestrator = new Orchestrator(
    clients.create({
      url: `amqp://guest:guest@127.0.0.1:${port}`,
      reconnectDelays: [50],
      jobStore: withStore ? new InMemoryJobStateStore() : undefined,
    }),
  );
  orchestrators.push(orchestrator);
  return orchestrator;
}

/** Publishes `job` until a publish goes through (the client reconnects meanwhile); returns the id it answered. */
async function publishUntilAccepted(orchestrator: Orchestrator, queue: string, job: Job<TaskInput>): Promise<string> {
  for (;;) {
    try {
      return await orchestrator.publish(queue, job);
    } catch (err) {
      if (!(err instanceof BrokerUnavailableError)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Publishes `job` with its confirm swallowed and the connection cut; checks the broker did take it. */
async function publishAmbiguously(orchestrator: Orchestrator, queue: string, job: Job<TaskInput>): Promise<void> {
  const waitingBefore = await orchestrator.countQueueMessages(queue);
  proxy.cutOnNextReply();
  const error = await orchestrator.publish(queue, job).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BrokerUnavailableError);
  // The ambiguous case, for certain: the caller got an error, the broker has the job.
  await until(async () => {
    try {
      return (await orchestrator.countQueueMessages(queue)) === waitingBefore + 1;
    } catch {
      return false; // still reconnecting
    }
  });
}

function countingConsumer(queue: string): { consumer: FnConsumer; runs: string[] } {
  const runs: string[] = [];
  const consumer = new FnConsumer(queue, (job) => void runs.push(job.payload.label));
  return { consumer, runs };
}

it('the capability says so: with a job store only', async () => {
  expect(clients.create({ jobStore: new InMemoryJobStateStore() }).capabilities.retriedPublishRunsOnce).toBe(true);
  expect(clients.create().capabilities.retriedPublishRunsOnce).toBe(false);
});

it('a job published again after its confirm was lost with the connection runs once (retried before anyone consumed it)', async () => {
  const orchestrator = throughProxy();
  const queue = 'not-yet-consumed';
  const schema = taskSchema(queue);
  await orchestrator.register(schema);
  await orchestrator.publish(queue, { label: 'before' }); // connection and confirm channel open

  const job = jobFromSchema(schema, { label: 'ambiguous' });
  await publishAmbiguously(orchestrator, queue, job);
  expect(await publishUntilAccepted(orchestrator, queue, job)).toBe(job.id);
  await orchestrator.publish(queue, { label: 'after' });

  const { consumer, runs } = countingConsumer(queue);
  consumer.connect(orchestrator);
  const consuming = consumer.consume();
  await until(async () => runs.includes('after') && (await orchestrator.getJob(job.id))?.status === 'completed');
  await until(async () => (await orchestrator.queueStats(queue)).waiting === 0);
  await consumer.stop();
  await consuming;

  expect(runs.sort()).toEqual(['after', 'ambiguous', 'before']);
  // Both copies were on the queue; the second was delivered and dropped.
  expect(warned.filter((w) => w.includes(job.id) && w.includes('arrived twice'))).toHaveLength(1);
  expect(await orchestrator.getJob(job.id)).toMatchObject({ status: 'completed', attempt: 1 });
  expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, dead: 0, completed: 3 });
});

it('a job published again after its confirm was lost is not enqueued a second time once it has run', async () => {
  const orchestrator = throughProxy();
  const queue = 'already-run';
  const schema = taskSchema(queue);
  await orchestrator.register(schema);
  await orchestrator.publish(queue, { label: 'before' });

  const job = jobFromSchema(schema, { label: 'ambiguous' });
  await publishAmbiguously(orchestrator, queue, job);
  const { consumer, runs } = countingConsumer(queue);
  consumer.connect(orchestrator);
  expect(await consumer.consume(2)).toBe(2);
  expect(runs).toEqual(['before', 'ambiguous']);

  // The caller, who only saw the error, publishes it again: the same id, and nothing enqueued.
  expect(await publishUntilAccepted(orchestrator, queue, job)).toBe(job.id);
  expect(await orchestrator.countQueueMessages(queue)).toBe(0);
  expect(await orchestrator.getJob(job.id)).toMatchObject({ status: 'completed', attempt: 1 });
});

it('a fetch that does not wait passes over a dropped second copy to the job behind it', async () => {
  const orchestrator = throughProxy();
  const queue = 'received';
  const schema = taskSchema(queue);
  await orchestrator.register(schema);
  await orchestrator.publish(queue, { label: 'before' });

  const job = jobFromSchema(schema, { label: 'ambiguous' });
  await publishAmbiguously(orchestrator, queue, job);
  await publishUntilAccepted(orchestrator, queue, job);
  await orchestrator.publish(queue, { label: 'after' });

  const labels: unknown[] = [];
  for (let i = 0; i < 3; i++) labels.push((await orchestrator.receiveMessage<TaskInput>(queue))?.payload.label ?? null);
  // The third fetch takes the second copy, drops it, and goes on to 'after' rather than answer "empty".
  expect(labels).toEqual(['before', 'ambiguous', 'after']);
  expect(await orchestrator.countQueueMessages(queue)).toBe(0);
});

it('without a job store nothing can tell: the retry enqueues the job a second time (the documented limit)', async () => {
  const orchestrator = throughProxy(false);
  const queue = 'no-store';
  const schema = taskSchema(queue);
  await orchestrator.register(schema);
  await orchestrator.publish(queue, { label: 'before' });

  const job = jobFromSchema(schema, { label: 'ambiguous' });
  await publishAmbiguously(orchestrator, queue, job);
  expect(await publishUntilAccepted(orchestrator, queue, job)).toBe(job.id);
  expect(await orchestrator.countQueueMessages(queue)).toBe(3);
});
