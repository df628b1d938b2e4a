import { randomUUID } from 'node:crypto';
import { jobFromSchema, Orchestrator, RedisClient, RedisUnavailableError } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { REDIS_URL, requireServer } from '../support/servers';
import { CuttingProxy } from './fixtures/cutting-proxy';
import {
  adminConnection,
  clientsNamed,
  deleteKeysUnder,
  eventually,
  isBlocked,
  killClientsNamed,
  settleWithin,
  sleep,
  subscribed,
  uniquePrefix,
  type Settled,
} from './fixtures/redis-test-kit';

/**
 * Connections cut under a running client — with CLIENT KILL of exactly its connections (found by
 * name; never `CLIENT KILL TYPE normal`, which would cut the other test files' connections too), or
 * with a proxy that cuts at an exact point. Consumers resume by themselves; publishes settle one way
 * or the other; nothing acknowledged is lost.
 */
const prefix = uniquePrefix();
const redisUrl = new URL(REDIS_URL);
const redis = { host: redisUrl.hostname, port: Number(redisUrl.port || 6379) };
const admin = adminConnection();
const orchestrators: Orchestrator[] = [];
const proxies: CuttingProxy[] = [];
/** How long a wait that should end may take before the test calls it hung: far beyond any loaded machine. */
const HANG_GUARD_MS = 15_000;

/** An orchestrator whose RedisClient gives every connection it opens the name `name`, so they can be found and killed. */
function namedOrchestrator(name: string, port = redis.port, commandTimeoutMs?: number): Orchestrator {
  const orchestrator = new Orchestrator(new RedisClient({ host: redis.host, port, connectionName: name, prefix, commandTimeoutMs }));
  orchestrators.push(orchestrator);
  return orchestrator;
}

function uniqueName(): string {
  return `mt-reconnect-${randomUUID().slice(0, 8)}`;
}

async function proxy(): Promise<{ proxy: CuttingProxy; port: number }> {
  const created = new CuttingProxy(redis);
  proxies.push(created);
  return { proxy: created, port: await created.listen() };
}

beforeAll(() => requireServer('redis'));

afterAll(async () => {
  await Promise.all(orchestrators.map((o) => o.close()));
  await Promise.all(proxies.map((p) => p.close()));
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

it('a consumer waiting on an empty queue resumes by itself after its connections are killed', async () => {
  const queue = 'idle-consumer';
  const name = uniqueName();
  const consumerSide = namedOrchestrator(name);
  const publisher = namedOrchestrator(`${name}-publisher`);
  await consumerSide.register(taskSchema(queue));
  await publisher.register(taskSchema(queue));

  const seen: string[] = [];
  // A short lease: if a fetch's reply is lost with a killed connection, its job comes back within the
  // wait below — that is the at-least-once recovery this test relies on, not a failure.
  const consumer = new FnConsumer(queue, (job) => void seen.push(job.id), { concurrency: 2, leaseMs: 2000 });
  consumer.connect(consumerSide);
  const consuming = consumer.consume();
  await eventually('the consumer blocks in BLPOP', () => isBlocked(admin, name));

  const killed = await killClientsNamed(admin, name);
  // Its command connection and the blocking one (in BLPOP) were both cut.
  expect(killed.length).toBeGreaterThanOrEqual(2);
  expect(killed.some((client) => client.flags.includes('b'))).toBe(true);
  const killedIds = new Set(killed.map((client) => client.id));

  const ids: string[] = [];
  for (let i = 0; i < 10; i++) ids.push(await publisher.publish(queue, { label: `after-kill-${i}` }));
  const results: unknown[] = [];
  for (const id of ids) results.push(await publisher.waitForResult(id, { timeout: 15_000 }));
  expect(results).toEqual(ids.map((_, i) => ({ echoed: `after-kill-${i}` })));
  expect([...seen].sort()).toEqual([...ids].sort());

  // It is back on new connections, waiting again — no restart.
  await eventually('the consumer blocks again', () => isBlocked(admin, name));
  expect((await clientsNamed(admin, name)).filter((client) => killedIds.has(client.id))).toEqual([]);

  await consumer.stop();
  expect(await consuming).toBe(ids.length);
  expect(await publisher.queueStats(queue)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: ids.length, dead: 0, paused: false });
});

it('publishes while the connection is being killed resolve or reject (never hang), and none that resolved is lost', async () => {
  const queue = 'publish-under-fire';
  const name = uniqueName();
  // A short commandTimeoutMs, so that publishes caught by a kill are refused as well as resolved
  // (ioredis resends them: with the default bound nearly all of them resolve).
  const publisher = namedOrchestrator(name, redis.port, 100);
  const consumerSide = namedOrchestrator(`${name}-consumer`);
  const schema = taskSchema(queue);
  await publisher.register(schema);
  await consumerSide.register(schema);

  // The consumer has its own, unharmed connections: only the publisher's are killed.
  const runs: string[] = [];
  const consumer = new FnConsumer(queue, (job) => void runs.push(job.id), { concurrency: 8 });
  consumer.connect(consumerSide);
  const consuming = consumer.consume();

  let firing = true;
  let kills = 0;
  const killer = (async () => {
    while (firing) {
      kills += (await killClientsNamed(admin, name)).length;
      await sleep(5);
    }
  })();
  const attempted: string[] = [];
  const outcomes: Settled<string>[] = [];
  for (let round = 0; round < 10; round++) {
    const batch = Array.from({ length: 10 }, (_, i) => {
      const job = jobFromSchema(schema, { label: `r${round}-${i}` });
      attempted.push(job.id);
      return settleWithin(publisher.publish(queue, job), 10_000);
    });
    outcomes.push(...(await Promise.all(batch)));
  }
  firing = false;
  await killer;
  expect(kills).toBeGreaterThan(0);

  expect(outcomes.filter((outcome) => outcome === 'hung')).toEqual([]);
  const acknowledged = outcomes.flatMap((outcome) => (outcome !== 'hung' && outcome.ok ? [outcome.value] : []));
  // A refused publish says why in the typed error a caller can act on (call again), naming what failed,
  // never e.g. a duplicate-id refusal of its own resent copy.
  const refusals = outcomes.flatMap((outcome) => (outcome !== 'hung' && !outcome.ok ? [outcome.error] : []));
  for (const error of refusals) {
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect(error).toMatchObject({ operation: 'publish', queue });
  }
  expect(acknowledged.length).toBeGreaterThan(0);

  // Every acknowledged job completes; nothing runs twice, nothing runs that was not published.
  await eventually('the queue drains', async () => {
    const stats = await consumerSide.queueStats(queue);
    return stats.waiting + stats.active + stats.delayed === 0;
  });
  const states = await Promise.all(acknowledged.map((id) => consumerSide.getJob(id)));
  expect(states.filter((state) => state?.status !== 'completed')).toEqual([]);
  for (const id of acknowledged) expect(runs).toContain(id);
  await consumer.stop();
  await consuming;
  expect(new Set(runs).size).toBe(runs.length);
  for (const id of runs) expect(attempted).toContain(id);
  expect((await consumerSide.queueStats(queue)).completed).toBe(runs.length);
}, 40_000);

// Regression (was a bug in lib/backends/redis/redis.client.ts publish): when the reply to a publish is lost with its
// connection, ioredis resends the pipeline on reconnect, the script refuses the now-existing id as a
// duplicate, publish rejects ("already known … publish the same one twice") and then unindexes the id —
// so a job that is in the queue and will run cannot be found with getJob / waitForResult.
it('a publish whose reply was lost with its connection leaves a job that getJob finds', async () => {
  const queue = 'lost-reply';
  const { proxy: cutter, port } = await proxy();
  const publisher = namedOrchestrator(uniqueName(), port);
  const direct = namedOrchestrator(uniqueName());
  const schema = taskSchema(queue);
  await publisher.register(schema);
  await direct.register(schema);
  await publisher.publish(queue, { label: 'warm-up' });

  cutter.cutOnNextReply();
  const job = jobFromSchema(schema, { label: 'reply-lost' });
  const outcome = await settleWithin(publisher.publish(queue, job), 10_000);
  expect(outcome).not.toBe('hung');
  // The server ran the publish: the job is waiting, so it must be visible…
  expect(await direct.queueStats(queue)).toMatchObject({ waiting: 2 });
  expect((await direct.getJob(job.id))?.status).toBe('waiting');
  // … and publish must not have told the caller it was refused as a duplicate.
  expect(outcome).toEqual({ ok: true, value: job.id });
});

// Regression (was a bug in lib/backends/redis/finish-watcher.ts): a job that finishes while the subscriber connection is
// reconnecting is announced to nobody, and a waiter never looks again — waitForResult hangs until its
// timeout although the job completed. It should re-check its waiters when the subscriber is ready again.
it(
  'waitForResult still resolves when the job completes while its subscriber connection is down',
  async () => {
    const queue = 'finished-while-down';
    const { proxy: cutter, port } = await proxy();
    const waiter = namedOrchestrator(uniqueName(), port);
    const direct = namedOrchestrator(uniqueName());
    await direct.register(taskSchema(queue));
    const id = await direct.publish(queue, { label: 'x' });

    // 'hung' stands for "never": a waiter that missed the announcement waits for ever.
    const result = settleWithin(waiter.waitForResult(id), HANG_GUARD_MS);
    const channel = `${prefix}:{${queue}}:finished`;
    await subscribed(admin, channel);
    cutter.cutAllAndHold();
    const consumer = new FnConsumer(queue, () => undefined);
    consumer.connect(direct);
    expect(await consumer.consume(1)).toBe(1);
    cutter.reopen();

    expect(await result).toEqual({ ok: true, value: { echoed: 'x' } });
  },
  2 * HANG_GUARD_MS,
);

// Regression (was a bug in lib/backends/redis/blocking-connections.ts): after its connection is re-established, a BLPOP that
// ioredis resent cannot be interrupted — the 'ready' handler forgets the connection's CLIENT ID and it
// is only read again before the next BLPOP — so stop() does not end consume() until the BLPOP times out
// (up to 10 s).
it('stop() interrupts a consumer whose blocking connection was re-established while it waited', async () => {
  const queue = 'stop-after-reconnect';
  const name = uniqueName();
  const orchestrator = namedOrchestrator(name);
  await orchestrator.register(taskSchema(queue));
  const consumer = new FnConsumer(queue, () => undefined);
  consumer.connect(orchestrator);
  const consuming = consumer.consume();
  await eventually('the consumer blocks in BLPOP', () => isBlocked(admin, name));
  const killed = await killClientsNamed(admin, name);
  await eventually('the consumer blocks again on a new connection', async () =>
    (await clientsNamed(admin, name)).some((client) => client.flags.includes('b') && !killed.some((k) => k.id === client.id)),
  );

  await consumer.stop();
  // The one bound here that is a window: the stuck BLPOP (the bug) returns only when its 10 s block
  // runs out; a working stop() ends it at once. 8 s leaves a loaded machine plenty and still tells them apart.
  const stopped = await settleWithin(consuming, 8000);
  if (stopped === 'hung') {
    // Wake the stuck BLPOP so the file's clean-up does not wait for its timeout.
    await orchestrator.publish(queue, { label: 'wake' });
    await consuming;
  }
  expect(stopped).toEqual({ ok: true, value: 0 });
}, 40_000);
