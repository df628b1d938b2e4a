import { InMemoryJobStateStore, Orchestrator, RedisJobStateStore, type JobStateStore } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { adminConnection, deleteKeysUnder } from '../redis/fixtures/redis-test-kit';
import { REDIS_URL, requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix } from './fixtures/rabbitmq-test-kit';

/**
 * redrive moves the dead letters back on the broker, then records them in the job store as waiting.
 * A running consumer can take the job and finish it in between (completed, or dead again): the store's
 * late `redriven` must not roll that back to waiting (attempt 0), or waitForResult never sees the job
 * finish. The store's `redriven` is held back until that run has ended, so the race goes the bad way
 * every time.
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

/**
 * Makes the store's `redriven` wait until its `move` has been recorded `calls` times in all: the
 * consumer's run of the redriven job has ended before the store hears of the redrive.
 */
function holdRedrivenUntil<S extends JobStateStore>(store: S, move: 'completed' | 'dead', calls: number): S {
  let seen = 0;
  let reached!: () => void;
  const moved = new Promise<void>((resolve) => (reached = resolve));
  const record = (store[move] as (...args: unknown[]) => Promise<void>).bind(store);
  (store[move] as (...args: unknown[]) => Promise<void>) = async (...args) => {
    await record(...args);
    if (++seen === calls) reached();
  };
  const redriven = store.redriven.bind(store);
  store.redriven = async (...args) => {
    await moved;
    await redriven(...args);
  };
  return store;
}

/** A consumer that fails its jobs (one attempt: straight to the dead letters) while `failing` is on. */
function flakyConsumer(queue: string, runs: string[], switchboard: { failing: boolean }): FnConsumer {
  return new FnConsumer(
    queue,
    (job) => {
      runs.push(`${job.payload.label} attempt ${job.attempt}`);
      if (switchboard.failing) throw new Error(`could not process ${job.payload.label} (run ${runs.length})`);
      return undefined;
    },
    { attempts: 1 },
  );
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
    const queue = `redrive_race_completed_${name.toLowerCase()}`;
    const orchestrator = new Orchestrator(clients.create({ jobStore: holdRedrivenUntil(create(), 'completed', 1) }));
    orchestrators.push(orchestrator);
    await orchestrator.register(taskSchema(queue));
    const switchboard = { failing: true };
    const runs: string[] = [];
    const consumer = flakyConsumer(queue, runs, switchboard);
    consumer.connect(orchestrator);
    const consuming = consumer.consume();

    const id = await orchestrator.publish(queue, { label: 'flaky' });
    await expect(orchestrator.waitForResult(id, { timeout: HANG_GUARD_MS })).rejects.toThrow('could not process flaky (run 1)');
    expect(await orchestrator.getJob(id)).toMatchObject({ status: 'dead', attempt: 1 });

    switchboard.failing = false;
    expect(await orchestrator.redrive(queue, { ids: [id] })).toBe(1);

    expect(await orchestrator.waitForResult(id, { timeout: HANG_GUARD_MS })).toEqual({ echoed: 'flaky' });
    // Its error is the dead life's, which the redrive clears, as it does when it wins the race.
    expect(await orchestrator.getJob(id)).toMatchObject({ status: 'completed', attempt: 1, result: { echoed: 'flaky' }, error: null });
    expect(runs).toEqual(['flaky attempt 1', 'flaky attempt 1']);
    await consumer.stop();
    await consuming;
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, dead: 0, completed: 1 });
  });

  it('a job the consumer takes and dead-letters again before the store records the redrive reads dead with its new failure, and waitForResult rejects', async () => {
    const queue = `redrive_race_dead_${name.toLowerCase()}`;
    const orchestrator = new Orchestrator(clients.create({ jobStore: holdRedrivenUntil(create(), 'dead', 2) }));
    orchestrators.push(orchestrator);
    await orchestrator.register(taskSchema(queue));
    const runs: string[] = [];
    const consumer = flakyConsumer(queue, runs, { failing: true });
    consumer.connect(orchestrator);
    const consuming = consumer.consume();

    const id = await orchestrator.publish(queue, { label: 'broken' });
    await expect(orchestrator.waitForResult(id, { timeout: HANG_GUARD_MS })).rejects.toThrow('could not process broken (run 1)');

    expect(await orchestrator.redrive(queue, { ids: [id] })).toBe(1);

    await expect(orchestrator.waitForResult(id, { timeout: HANG_GUARD_MS })).rejects.toThrow('could not process broken (run 2)');
    expect(await orchestrator.getJob(id)).toMatchObject({
      status: 'dead',
      attempt: 1,
      error: { message: 'could not process broken (run 2)' },
    });
    expect(runs).toEqual(['broken attempt 1', 'broken attempt 1']);
    await consumer.stop();
    await consuming;
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, dead: 1, completed: 0 });
  });
});
