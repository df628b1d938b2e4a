import { Orchestrator, UnsupportedCapabilityError } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix } from './fixtures/rabbitmq-test-kit';

/**
 * Schedules, rate limits and deduplication need a record, a counter or an index shared by every process,
 * which the broker does not keep (docs/rabbitmq.md): RabbitMQClient does not claim them, with or without
 * a job store, and the orchestrator refuses each with UnsupportedCapabilityError before anything moves.
 */
const clients = new RabbitMQTestClients({ prefix: testPrefix('unsupported') });
const orchestrators: Orchestrator[] = [];

beforeAll(() => requireServer('rabbitmq'));
afterEach(async () => {
  await Promise.all(orchestrators.splice(0).map((orchestrator) => orchestrator.close()));
});
afterAll(() => clients.deleteDeclaredQueues());

it('capabilities: pause yes; schedules, rateLimit and deduplication no', () => {
  const client = clients.create();
  orchestrators.push(new Orchestrator(client));
  expect(client.capabilities).toMatchObject({ pause: true, schedules: false, rateLimit: false, deduplication: false });
  expect(client.pauseQueue).toBeInstanceOf(Function);
  for (const method of ['holdQueue', 'publishDeduplicated', 'getSchedule', 'listSchedules', 'putSchedule', 'deleteSchedule'] as const) {
    expect(client[method as keyof typeof client]).toBeUndefined();
  }
});

it('schedule, a deduplicated publish and a rate-limited consumer are UnsupportedCapabilityError, and enqueue nothing', async () => {
  const queue = 'unsupported_flow';
  const orchestrator = new Orchestrator(clients.create());
  orchestrators.push(orchestrator);
  await orchestrator.register(taskSchema(queue));
  await expect(orchestrator.schedule(queue, 'nightly', { every: 60_000 }, { label: 's' })).rejects.toBeInstanceOf(
    UnsupportedCapabilityError,
  );
  await expect(orchestrator.publish(queue, { label: 'd' }, { deduplication: { key: 'k' } })).rejects.toBeInstanceOf(
    UnsupportedCapabilityError,
  );
  const limited = new FnConsumer(queue, () => undefined, { rateLimit: { max: 5, intervalMs: 1000 } });
  limited.connect(orchestrator);
  await expect(limited.consume()).rejects.toBeInstanceOf(UnsupportedCapabilityError);
  expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, delayed: 0, paused: false });
});
