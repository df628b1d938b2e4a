import { randomUUID } from 'node:crypto';
import { BrokerUnavailableError, LeaseLostError, Orchestrator, jobFromSchema, type RabbitMQConnectionState } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { requireServer } from '../support/servers';
import { RabbitMQTestClients, closeConnectionsNamed, testPrefix, until } from './fixtures/rabbitmq-test-kit';

/**
 * The broker closes the client's connection (`rabbitmqctl close_connection` on exactly the connections
 * this test named — never close_all_connections, which would cut the other test files too). Consumers
 * resume by themselves; while the connection is down, publishes fail fast with BrokerUnavailableError.
 */
const clients = new RabbitMQTestClients({ prefix: testPrefix('reconnect') });
const orchestrators: Orchestrator[] = [];

function uniqueName(): string {
  return `mt-reconnect-${randomUUID().slice(0, 8)}`;
}

function orchestratorNamed(connectionName: string, reconnectDelays: number[]): Orchestrator {
  const orchestrator = new Orchestrator(clients.create({ connectionName, reconnectDelays }));
  orchestrators.push(orchestrator);
  return orchestrator;
}

/** Samples the client's connection state every millisecond, so a short outage is not missed. */
function watchStates(orchestrator: Orchestrator): { seen: Set<RabbitMQConnectionState>; stop(): void } {
  const client = orchestrator.backend as unknown as { connectionState: RabbitMQConnectionState };
  const seen = new Set<RabbitMQConnectionState>();
  const timer = setInterval(() => seen.add(client.connectionState), 1);
  return { seen, stop: () => clearInterval(timer) };
}

beforeAll(() => requireServer('rabbitmq'));

afterAll(async () => {
  await Promise.all(orchestrators.map((o) => o.close()));
  await clients.deleteDeclaredQueues();
});

it('a running consumer resumes by itself after the broker closes its connection, and a job it held runs again', async () => {
  const queue = 'resume';
  const name = uniqueName();
  const orchestrator = orchestratorNamed(name, [200]);
  const schema = taskSchema(queue);
  await orchestrator.register(schema);

  const runs: { label: string; attempt: number }[] = [];
  let holdFirstRun = true;
  let heldStarted!: () => void;
  const held = new Promise<void>((resolve) => (heldStarted = resolve));
  let releaseHeld!: () => void;
  const gate = new Promise<void>((resolve) => (releaseHeld = resolve));
  const consumer = new FnConsumer(
    queue,
    async (job) => {
      runs.push({ label: job.payload.label, attempt: job.attempt });
      if (job.payload.label === 'held' && holdFirstRun) {
        holdFirstRun = false;
        heldStarted();
        await gate;
      }
    },
    { concurrency: 2 },
  );
  consumer.connect(orchestrator);
  const consuming = consumer.consume();

  await orchestrator.publish(queue, { label: 'before' });
  await orchestrator.publish(queue, { label: 'held' });
  await held;

  const states = watchStates(orchestrator);
  expect(await closeConnectionsNamed(name)).toBe(1);
  await until(
    () => states.seen.has('reconnecting') && (orchestrator.backend as unknown as { connectionState: string }).connectionState === 'open',
  );
  states.stop();

  // The run that was going on when the connection went cannot settle: its job is back on the broker.
  releaseHeld();
  for (const label of ['after-1', 'after-2']) await orchestrator.publish(queue, jobFromSchema(schema, { label }));
  await until(() => runs.length === 5);
  await consumer.stop();
  expect(await consuming).toBe(5);

  expect(runs.filter((r) => r.label !== 'held')).toEqual([
    { label: 'before', attempt: 1 },
    { label: 'after-1', attempt: 1 },
    { label: 'after-2', attempt: 1 },
  ]);
  // The held job ran again, counted as its second attempt.
  expect(runs.filter((r) => r.label === 'held')).toEqual([
    { label: 'held', attempt: 1 },
    { label: 'held', attempt: 2 },
  ]);
  expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, dead: 0 });
});

it('while reconnecting, publish fails fast with BrokerUnavailableError, and a settle of a lost delivery with LeaseLostError', async () => {
  const queue = 'outage';
  const name = uniqueName();
  // Reconnects only after a minute: the test sees the outage, then closes the client.
  const orchestrator = orchestratorNamed(name, [60_000]);
  await orchestrator.register(taskSchema(queue));
  await orchestrator.publish(queue, { label: 'taken' });
  const [delivery] = await orchestrator.backend.fetch(queue, 1, { wait: false, leaseMs: 30_000 });
  expect(delivery.job.attempt).toBe(1);

  expect(await closeConnectionsNamed(name)).toBe(1);
  await until(() => (orchestrator.backend as unknown as { connectionState: string }).connectionState === 'reconnecting');

  const error = await orchestrator.publish(queue, { label: 'lost?' }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BrokerUnavailableError);
  expect((error as Error).message).toMatch(/reconnecting/);
  await expect(orchestrator.countQueueMessages(queue)).rejects.toBeInstanceOf(BrokerUnavailableError);
  await expect(orchestrator.backend.complete(delivery, null)).rejects.toBeInstanceOf(LeaseLostError);
});

it('a broker that cannot be reached gives BrokerUnavailableError at once, and every later call tries again', async () => {
  const client = clients.create({ url: 'amqp://guest:guest@127.0.0.1:1', connectTimeout: 2000 });
  const error = await client.declareQueue('never', 'fifo').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BrokerUnavailableError);
  expect((error as Error).message).toMatch(/127\.0\.0\.1:1/);
  expect((error as Error).message).not.toMatch(/guest/);
  expect(client.connectionState).toBe('idle');
  await expect(client.countWaiting('never')).rejects.toBeInstanceOf(BrokerUnavailableError);
  await client.close();
});
