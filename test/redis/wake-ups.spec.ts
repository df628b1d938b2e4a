import { randomUUID } from 'node:crypto';
import type { Delivery } from '../../lib/backend/job-backend.interface';
import { Orchestrator, RedisClient, UnrecoverableError } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { REDIS_URL, requireServer } from '../support/servers';
import { adminConnection, deleteKeysUnder, eventually, isBlocked, uniquePrefix } from './fixtures/redis-test-kit';

/** No job a consumer took sits unstarted while the consumer sleeps in BLPOP with a free slot. */
const prefix = uniquePrefix();
const redisUrl = new URL(REDIS_URL);
const admin = adminConnection();
const orchestrators: Orchestrator[] = [];

beforeAll(() => requireServer('redis'));

afterAll(async () => {
  await Promise.all(orchestrators.map((o) => o.close()));
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** The real client, with the reply of each completeAndFetch held back until the test lets it through. */
class HeldRefills extends RedisClient {
  readonly taken = deferred();
  readonly letThrough = deferred();

  override async completeAndFetch(delivery: Delivery, result: unknown, next: { max: number; leaseMs: number }): Promise<Delivery[]> {
    const deliveries = await super.completeAndFetch(delivery, result, next);
    this.taken.resolve();
    await this.letThrough.promise;
    return deliveries;
  }
}

// Regression (the flaky "publishes while the connection is being killed" test in reconnect.spec.ts):
// a completion asks for the next job (completeAndFetch) and takes the last waiting one; before its
// reply is handled, another slot frees, and the consumer's loop fetches for it, finds nothing and
// blocks in BLPOP. The job the completion took then waited, unstarted and leased, until that BLPOP
// timed out (10 s) — longer than the test waited for the queue to drain.
// complete() in lib/consumer/queue-worker.ts now starts such jobs at once when a run slot is free.
it('a job taken with a completion starts at once, even while the consumer blocks waiting for another slot', async () => {
  const queue = 'refill-while-blocked';
  const name = `mt-wake-${randomUUID().slice(0, 8)}`;
  const client = new HeldRefills({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379), connectionName: name, prefix });
  const orchestrator = new Orchestrator(client);
  orchestrators.push(orchestrator);
  await orchestrator.register(taskSchema(queue));
  const completesEnds = deferred();
  const started: string[] = [];
  const consumer = new FnConsumer(
    queue,
    async (job) => {
      started.push(job.payload.label);
      if (job.payload.label === 'completes') await completesEnds.promise;
      // "dies" frees its slot only once "completes" has taken "third" for its own.
      if (job.payload.label === 'dies') await client.taken.promise.then(() => Promise.reject(new UnrecoverableError('dead on purpose')));
    },
    { concurrency: 2 },
  );
  consumer.connect(orchestrator);
  for (const label of ['completes', 'dies', 'third']) await orchestrator.publish(queue, { label });
  const consuming = consumer.consume();
  await eventually('both slots run', () => started.length === 2);

  completesEnds.resolve();
  await client.taken.promise;
  expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 2 });
  // The loop fetches for the slot "dies" freed, finds nothing, and blocks.
  await eventually('the consumer blocks in BLPOP', () => isBlocked(admin, name));
  client.letThrough.resolve();
  await eventually('"third" has started (a consumer asleep in BLPOP would leave it for up to 10 s)', () => started.includes('third'), 3000);

  await consumer.stop();
  expect(await consuming).toBe(3);
  expect(await orchestrator.queueStats(queue)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 2, dead: 1, paused: false });
});
