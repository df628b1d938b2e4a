import { InMemoryJobStateStore, Orchestrator, RedisJobStateStore, type JobStateStore } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { adminConnection, deleteKeysUnder } from '../redis/fixtures/redis-test-kit';
import { REDIS_URL, requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix } from './fixtures/rabbitmq-test-kit';

/**
 * redrive moves the dead letters back on the broker, then records them in the job store as waiting.
 * A running consumer can take the job and finish it in between: the store's late `redriven` must not
 * roll that back to waiting (attempt 0), or waitForResult never sees the job finish. The store's
 * `redriven` is held back until the job has completed, so the race goes the bad way every time.
 */
jest.setTimeout(30_000);

/** Bounds each wait; the assertions are about state and results, not time. */
const HANG_GUARD_MS = 15_000;

const clients = new RabbitMQTestClients({ prefix: testPrefix('redrive-race') });
const statePrefix = testPrefix('redrive-race-state');
const orchestrators: Orchestrator[] = [];

afterAll(async () => {
  for (const orchestrator of orchestrators) await orchestrator.close();
  await clients.deleteDeclaredQueues();
  const admin = adminConnection();
  await deleteKeysUnder(admin, statePrefix);
  admin.disconnect();
});

/** Makes the store's `redriven` wait until its `completed` has been recorded (the consumer beat it). */
function redrivenAfterCompleted<S extends JobStateStore>(store: S): S {
  let completedOnce!: () => void;
  const completed = new Promise<void>((resolve) => (completedOnce = resolve));
  const complete = store.completed.bind(store);
  store.completed = async (...args) => {
    await complete(...args);
    completedOnce();
  };
  const redriven = store.redriven.bind(store);
  store.redriven = async (...args) => {
    await completed;
    await redriven(...args);
  };
  return store;
}

const STORES: { name: string; server?: 'redis'; create: () => JobStateStore }[] = [
  { name: 'InMemoryJobStateStore', create: () => new InMemoryJobStateStore() },
  { name: 'RedisJobStateStore', server: 'redis', create: () => new RedisJobStateStore(REDIS_URL, { prefix: statePrefix }) },
];

describe.each(STORES)('redrive with $name', ({ name, server, create }) => {
  beforeAll(async () => {
    await requireServer('rabbitmq');
    if (server) await requireServer(server);
  });

  it('a job the consumer takes and completes before the store records the redrive reads completed, and waitForResult resolves', async () => {
    const queue = `redrive_race_${name.toLowerCase()}`;
    const orchestrator = new Orchestrator(clients.create({ jobStore: redrivenAfterCompleted(create()) }));
    orchestrators.push(orchestrator);
    await orchestrator.register(taskSchema(queue));

    let failing = true;
    const runs: string[] = [];
    const consumer = new FnConsumer(
      queue,
      (job) => {
        runs.push(`${job.payload.label} attempt ${job.attempt}`);
        if (failing) throw new Error(`could not process ${job.payload.label}`);
        return undefined;
      },
      { attempts: 1 },
    );
    consumer.connect(orchestrator);
    const consuming = consumer.consume();

    const id = await orchestrator.publish(queue, { label: 'flaky' });
    await expect(orchestrator.waitForResult(id, { timeout: HANG_GUARD_MS })).rejects.toThrow('could not process flaky');
    expect(await orchestrator.getJob(id)).toMatchObject({ status: 'dead', attempt: 1 });

    failing = false;
    expect(await orchestrator.redrive(queue, { ids: [id] })).toBe(1);

    expect(await orchestrator.waitForResult(id, { timeout: HANG_GUARD_MS })).toEqual({ echoed: 'flaky' });
    // (Its error stays the last failure seen, as for a job that completed on a retry.)
    expect(await orchestrator.getJob(id)).toMatchObject({ status: 'completed', attempt: 1, result: { echoed: 'flaky' } });
    expect(runs).toEqual(['flaky attempt 1', 'flaky attempt 1']);
    await consumer.stop();
    await consuming;
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, dead: 0, completed: 1 });
  });
});
