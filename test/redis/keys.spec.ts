import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { InvalidOptionError, Orchestrator, RedisClient, UnrecoverableError } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { REDIS_URL, requireServer } from '../support/servers';
import { adminConnection, clientsNamed, deleteKeysUnder, eventually, keysUnder, uniquePrefix } from './fixtures/redis-test-kit';

/** What RedisClient leaves in Redis: its keys, their hash tags, retention, and how it is constructed. */
const prefix = uniquePrefix();
const redisUrl = new URL(REDIS_URL);
const server = { host: redisUrl.hostname, port: Number(redisUrl.port || 6379) };
const admin = adminConnection();
const adminDb1 = adminConnection(1);
const orchestrators: Orchestrator[] = [];

function orchestrator(client: RedisClient = new RedisClient(REDIS_URL, { prefix })): Orchestrator {
  const created = new Orchestrator(client);
  orchestrators.push(created);
  return created;
}

/** The queue a key belongs to, read from its hash tag; null for a key outside every queue. */
function queueOf(key: string): string | null {
  return /^[^{]*\{([^}]*)\}:/.exec(key)?.[1] ?? null;
}

beforeAll(() => requireServer('redis'));

afterAll(async () => {
  await Promise.all(orchestrators.map((o) => o.close()));
  await deleteKeysUnder(admin, prefix);
  await deleteKeysUnder(adminDb1, prefix);
  admin.disconnect();
  adminDb1.disconnect();
});

describe('key layout', () => {
  it('a deleted queue leaves no key behind, and declaring it again starts empty', async () => {
    const queue = 'doomed-queue';
    const neighbour = 'neighbour-queue';
    const jobs = orchestrator();
    await jobs.register(taskSchema(queue));
    await jobs.register(taskSchema(neighbour));
    const neighbourId = await jobs.publish(neighbour, { label: 'stays' });

    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await jobs.publish(queue, { label: `job-${i}`, n: i }));
    const delayed = await jobs.publish(queue, { label: 'later' }, { delay: 60_000 });
    // Two complete, one dies, two stay waiting, one stays delayed.
    const consumer = new FnConsumer(queue, (job) => {
      if (job.payload.n === 2) throw new UnrecoverableError('dead on purpose');
    });
    consumer.connect(jobs);
    expect(await consumer.consume(3)).toBe(3);
    // A waitForResult that is still pending when its queue goes.
    const pending = jobs.waitForResult(ids[4], { timeout: 10_000 }).catch((err: Error) => err);
    expect(await jobs.queueStats(queue)).toEqual({ waiting: 2, delayed: 1, active: 0, completed: 2, dead: 1, paused: false });
    expect((await keysUnder(admin, prefix)).filter((key) => queueOf(key) === queue).length).toBeGreaterThan(0);

    await jobs.deleteQueue(queue);

    const left = await keysUnder(admin, prefix);
    expect(left.filter((key) => queueOf(key) === queue)).toEqual([]);
    expect(left.filter((key) => key.includes(queue))).toEqual([]);
    // Only the shared keys (the id index, the queue registry) and the neighbour's keys remain; neither shared key names the queue.
    expect(left.filter((key) => queueOf(key) === null).sort()).toEqual([`${prefix}:index`, `${prefix}:queues`]);
    expect(await admin.smembers(`${prefix}:queues`)).toEqual([neighbour]);
    const index = await admin.hgetall(`${prefix}:index`);
    expect(Object.values(index).filter((q) => q === queue)).toEqual([]);
    for (const id of [...ids, delayed]) expect(index[id]).toBeUndefined();
    expect(index[neighbourId]).toBe(neighbour);
    expect(((await pending) as Error).name).toBe('JobNotFoundError');
    for (const id of [...ids, delayed]) expect(await jobs.getJob(id)).toBeNull();

    await jobs.register(taskSchema(queue));
    expect(await jobs.queueStats(queue)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, dead: 0, paused: false });
    expect(await jobs.countQueueMessages(queue)).toBe(0);
    expect(await jobs.deadLetters(queue)).toEqual([]);
    const fresh = await jobs.publish(queue, { label: 'fresh' });
    expect(await jobs.receiveMessage(queue)).toMatchObject({ id: fresh });
    expect(await jobs.getJob(neighbourId)).toMatchObject({ status: 'waiting' });
  });

  it('every key of a queue carries the queue as hash tag {queue}', async () => {
    const jobs = orchestrator();
    const queues = ['tag-a', 'tag-b'];
    for (const queue of queues) {
      await jobs.register(taskSchema(queue), { queueType: queue === 'tag-a' ? 'fifo' : 'priority' });
      await jobs.publish(queue, { label: 'now' });
      await jobs.publish(queue, { label: 'later' }, { delay: 60_000 });
      await jobs.publish(queue, { label: 'die' });
      const consumer = new FnConsumer(queue, (job) => {
        if (job.payload.label === 'die') throw new UnrecoverableError('dead on purpose');
      });
      consumer.connect(jobs);
      await consumer.consume(2);
    }
    // The two keys shared by every queue (KEYS.md, "Outside the queues") are the only ones without a tag.
    const keys = (await keysUnder(admin, prefix)).filter((key) => key !== `${prefix}:index` && key !== `${prefix}:queues`);
    for (const queue of queues) expect(keys.filter((key) => queueOf(key) === queue).length).toBeGreaterThanOrEqual(5);
    for (const key of keys) {
      // Exactly one hash tag, right after the prefix, naming a queue: the whole queue hashes to one cluster slot.
      expect(key).toMatch(new RegExp(`^${prefix}:\\{[^{}]+\\}:[^{}]+$`));
    }
    for (const queue of queues) await jobs.deleteQueue(queue);
  });
});

describe('construction', () => {
  it('from a URL string', async () => {
    const jobs = orchestrator(new RedisClient(REDIS_URL, { prefix }));
    await jobs.declareQueue('from-url');
    expect(await admin.hget(`${prefix}:{from-url}:meta`, 'type')).toBe('fifo');
  });

  it('from { host, port, db } options, writing to that database', async () => {
    const jobs = orchestrator(new RedisClient({ ...server, db: 1, prefix }));
    await jobs.declareQueue('from-options', 'stack');
    expect(await adminDb1.hget(`${prefix}:{from-options}:meta`, 'type')).toBe('stack');
    expect(await admin.exists(`${prefix}:{from-options}:meta`)).toBe(0);
  });

  it('from an existing ioredis instance, which close() leaves open', async () => {
    const instance = new Redis(REDIS_URL);
    try {
      const client = new RedisClient(instance, { prefix });
      const jobs = new Orchestrator(client);
      await jobs.register(taskSchema('from-instance'));
      const id = await jobs.publish('from-instance', { label: 'x' });
      // A consumer and a waiter make the client open connections of its own, which close() must end.
      const consumer = new FnConsumer('from-instance', () => undefined);
      consumer.connect(jobs);
      expect(await consumer.consume(1)).toBe(1);
      expect(await jobs.waitForResult(id, { timeout: 5000 })).toEqual({ echoed: 'x' });
      await jobs.close();
      expect(instance.status).toBe('ready');
      expect(await instance.ping()).toBe('PONG');
      expect(await instance.hget(`${prefix}:index`, id)).toBe('from-instance');
    } finally {
      instance.disconnect();
    }
  });

  it.each([['a{b}'], ['{tag}'], ['x}'], ['']])('refuses the prefix %j with InvalidOptionError naming "prefix"', (bad) => {
    for (const make of [() => new RedisClient(REDIS_URL, { prefix: bad }), () => new RedisClient({ ...server, prefix: bad })]) {
      const { error } = constructWatchingConnections(make);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ option: 'prefix' });
      expect((error as Error).message).toContain('prefix');
    }
  });

  // Regression (was a bug in lib/backends/redis/redis-client.options.ts resolveRedisConnection, and redis.client.ts constructor):
  // the ioredis connection is created before the prefix (and, in the constructor, the retention) is
  // checked, so a constructor that throws InvalidOptionError leaves a connection open that nobody can
  // close — it keeps the process alive. Options should be checked before connecting.
  it('a constructor refusing its options opens no connection', () => {
    const attempts = [
      () => new RedisClient(REDIS_URL, { prefix: 'bad{prefix}' }),
      () => new RedisClient({ ...server, prefix: 'bad{prefix}' }),
      () => new RedisClient(REDIS_URL, { prefix, retention: { completed: { count: -1 } } }),
    ];
    for (const make of attempts) {
      const { error, opened } = constructWatchingConnections(make);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(opened).toBe(0);
    }
  });
});

describe('construction with ioredis options', () => {
  it('refuses the ioredis option keyPrefix in every form, pointing to "prefix"', () => {
    const instance = new Redis(REDIS_URL, { keyPrefix: 'theirs:', lazyConnect: true });
    try {
      const attempts = [
        () => new RedisClient({ ...server, keyPrefix: 'app:' }),
        () => new RedisClient(REDIS_URL, { prefix, keyPrefix: 'app:' }),
        () => new RedisClient(instance, { prefix }),
      ];
      for (const make of attempts) {
        const { error, opened } = constructWatchingConnections(make);
        expect(error).toBeInstanceOf(InvalidOptionError);
        expect(error).toMatchObject({ option: 'keyPrefix' });
        expect((error as Error).message).toContain('"prefix"');
        expect(opened).toBe(0);
      }
    } finally {
      instance.disconnect();
    }
  });

  it('refuses ioredis options given beside an ioredis instance, which brings its own', () => {
    const instance = new Redis(REDIS_URL, { lazyConnect: true });
    try {
      const { error } = constructWatchingConnections(() => new RedisClient(instance, { prefix, db: 3 } as never));
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ option: 'db' });
    } finally {
      instance.disconnect();
    }
  });

  it.each([[0], [-5], [Number.NaN], ['5000']])('refuses commandTimeoutMs %p', (bad) => {
    const { error } = constructWatchingConnections(() => new RedisClient(REDIS_URL, { prefix, commandTimeoutMs: bad as number }));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ option: 'commandTimeoutMs' });
  });

  /** A throwaway ACL user for one test, deleted after it (with its connections). */
  async function withAclUser(run: (user: string, password: string) => Promise<void>): Promise<void> {
    const user = `mt-test-${randomUUID().slice(0, 8)}`;
    const password = randomUUID();
    await admin.acl('SETUSER', user, 'on', `>${password}`, '~*', '&*', '+@all');
    try {
      await run(user, password);
    } finally {
      await admin.acl('DELUSER', user);
    }
  }

  it('from a URL with username, password and database, ioredis options beside it', async () => {
    await withAclUser(async (user, password) => {
      const name = `mt-url-auth-${randomUUID().slice(0, 8)}`;
      const client = new RedisClient(`redis://${user}:${encodeURIComponent(password)}@${server.host}:${server.port}/1`, {
        prefix,
        connectionName: name,
      });
      const jobs = new Orchestrator(client);
      try {
        await jobs.declareQueue('url-auth');
        expect(await adminDb1.hget(`${prefix}:{url-auth}:meta`, 'type')).toBe('fifo');
        expect(await admin.exists(`${prefix}:{url-auth}:meta`)).toBe(0);
        const connections = await clientsNamed(admin, name);
        expect(connections.map((c) => [c.user, c.db])).toEqual([[user, '1']]);
      } finally {
        await jobs.close();
      }
    });
  });

  it('from a URL with the username, password and database given as ioredis options', async () => {
    await withAclUser(async (user, password) => {
      const name = `mt-opt-auth-${randomUUID().slice(0, 8)}`;
      const client = new RedisClient(`redis://${server.host}:${server.port}`, {
        prefix,
        username: user,
        password,
        db: 1,
        connectionName: name,
      });
      const jobs = new Orchestrator(client);
      try {
        await jobs.declareQueue('options-auth', 'stack');
        expect(await adminDb1.hget(`${prefix}:{options-auth}:meta`, 'type')).toBe('stack');
        expect((await clientsNamed(admin, name)).map((c) => [c.user, c.db])).toEqual([[user, '1']]);
      } finally {
        await jobs.close();
      }
    });
  });
});

/**
 * Constructs a RedisClient that is expected to throw, counting the ioredis connections opened on the
 * way (the real connect runs; it is only observed) and closing them, so none outlives the test.
 */
function constructWatchingConnections(make: () => RedisClient): { error: unknown; opened: number } {
  const opened: Redis[] = [];
  const connect = Redis.prototype.connect;
  const spy = jest.spyOn(Redis.prototype, 'connect').mockImplementation(function (this: Redis, ...args: Parameters<Redis['connect']>) {
    opened.push(this);
    return connect.apply(this, args);
  });
  let error: unknown;
  try {
    make()
      .close()
      .catch(() => undefined);
  } catch (err) {
    error = err;
  } finally {
    spy.mockRestore();
    for (const redis of opened) redis.disconnect();
  }
  return { error, opened: opened.length };
}

describe('retention', () => {
  it('completed: { count: 3 } keeps only the 3 newest completed jobs, and drops the others from the index', async () => {
    const queue = 'retained';
    const jobs = orchestrator(new RedisClient(REDIS_URL, { prefix, retention: { completed: { count: 3 } } }));
    await jobs.register(taskSchema(queue));
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await jobs.publish(queue, { label: `job-${i}` }));
    // One at a time, each run a few ms long, so completion times are distinct and in publish order.
    const consumer = new FnConsumer(queue, () => new Promise((resolve) => setTimeout(resolve, 3)));
    consumer.connect(jobs);
    expect(await consumer.consumeUntilEmpty()).toBe(6);

    const states = await Promise.all(ids.map((id) => jobs.getJob(id)));
    expect(states.map((s) => s?.status ?? null)).toEqual([null, null, null, 'completed', 'completed', 'completed']);
    expect(await jobs.queueStats(queue)).toMatchObject({ completed: 3, waiting: 0, active: 0 });
    const index = await admin.hmget(`${prefix}:index`, ...ids);
    expect(index).toEqual([null, null, null, queue, queue, queue]);
    for (const id of ids.slice(0, 3)) expect(await admin.exists(`${prefix}:{${queue}}:job:${id}`)).toBe(0);
    await expect(jobs.waitForResult(ids[0], { timeout: 1000 })).rejects.toMatchObject({ name: 'JobNotFoundError' });
  });

  it('jobs finishing in the same millisecond keep their finishing order: count retention keeps the last ones finished', async () => {
    // Completions in one batch share the script's clock reading; ordered by id (random), retention
    // would keep three arbitrary jobs.
    const queue = 'retained-same-ms';
    const client = new RedisClient(REDIS_URL, { prefix, retention: { completed: { count: 3 } } });
    const jobs = orchestrator(client);
    await jobs.register(taskSchema(queue));
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await jobs.publish(queue, { label: `job-${i}` }));
    const taken = await client.fetch(queue, 10, { wait: false, leaseMs: 30_000 });
    expect(taken.map((d) => d.job.id)).toEqual(ids);
    // Completed in publish order within one tick: one script call, one clock reading.
    await Promise.all(taken.map((delivery) => client.complete(delivery, { echoed: delivery.job.id })));

    const states = await Promise.all(ids.map(async (id) => (await jobs.getJob(id))?.status ?? null));
    expect(states).toEqual([...Array(7).fill(null), 'completed', 'completed', 'completed']);
  });
});

describe('retention by age on an idle queue', () => {
  // Long enough that the checks made right after the jobs finish come well before it, on any machine;
  // the expiry itself is waited for (hash gone), not slept for.
  const ageMs = 2000;
  const jobKey = (queue: string, id: string): string => `${prefix}:{${queue}}:job:${id}`;
  /** Resolves once none of `keys` exists any more; the generous timeout only stands for "never". */
  const expired = (what: string, ...keys: string[]): Promise<void> =>
    eventually(what, async () => (await admin.exists(...keys)) === 0, 10 * ageMs);

  it(
    'completed and dead jobs past ageMs are gone although nothing else happened on the queue',
    async () => {
      const queue = 'aged-idle';
      const client = new RedisClient(REDIS_URL, { prefix, retention: { completed: { ageMs }, dead: { ageMs } } });
      const jobs = orchestrator(client);
      await jobs.register(taskSchema(queue));
      const done = await jobs.publish(queue, { label: 'done' });
      const died = await jobs.publish(queue, { label: 'died' });
      const consumer = new FnConsumer(queue, (job) => {
        if (job.payload.label === 'died') throw new UnrecoverableError('dead on purpose');
      });
      consumer.connect(jobs);
      expect(await consumer.consume(2)).toBe(2);
      expect(await jobs.queueStats(queue)).toMatchObject({ completed: 1, dead: 1 });

      // Nothing else happens on this queue from here on: the job hashes expire by themselves, before
      // anyone asks the library about them…
      await expired("the finished jobs' hashes expire", jobKey(queue, done), jobKey(queue, died));
      // …and every read agrees: counts, the dead-letter list, getJob, and the id index afterwards.
      expect(await jobs.queueStats(queue)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, dead: 0, paused: false });
      expect(await jobs.deadLetters(queue)).toEqual([]);
      expect(await jobs.getJob(done)).toBeNull();
      await expect(jobs.waitForResult(done, { timeout: 1000 })).rejects.toMatchObject({ name: 'JobNotFoundError' });
      expect(await admin.hmget(`${prefix}:index`, done, died)).toEqual([null, null]);
    },
    30 * ageMs,
  );

  it(
    'a dead letter redriven before its age is up is live again and does not expire',
    async () => {
      const queue = 'aged-redrive';
      const client = new RedisClient(REDIS_URL, { prefix, retention: { dead: { ageMs } } });
      const jobs = orchestrator(client);
      await jobs.register(taskSchema(queue));
      const id = await jobs.publish(queue, { label: 'redriven' });
      // Dies with it and stays dead: once its age has passed (its hash gone), so has the redriven job's.
      const left = await jobs.publish(queue, { label: 'left dead' });
      const consumer = new FnConsumer(queue, () => {
        throw new UnrecoverableError('dead on purpose');
      });
      consumer.connect(jobs);
      expect(await consumer.consume(2)).toBe(2);
      expect(await jobs.redrive(queue, { ids: [id] })).toBe(1);
      expect(await admin.pttl(jobKey(queue, id))).toBe(-1);

      await expired('the dead letter left behind expires', jobKey(queue, left));
      expect(await jobs.getJob(id)).toMatchObject({ status: 'waiting', attempt: 0 });
      expect(await jobs.queueStats(queue)).toMatchObject({ waiting: 1, dead: 0, paused: false });
    },
    30 * ageMs,
  );
});

describe('dead-letter order', () => {
  it('jobs that die within the same millisecond are listed in the order they died, not by id', async () => {
    const queue = 'same-ms-deaths';
    const client = new RedisClient(REDIS_URL, { prefix });
    const jobs = orchestrator(client);
    await jobs.register(taskSchema(queue));
    for (let i = 0; i < 40; i++) await jobs.publish(queue, { label: `job-${i}` });
    const deliveries = await client.fetch(queue, 40, { wait: false, leaseMs: 30_000 });
    expect(deliveries).toHaveLength(40);

    // Sent back to back on one connection: Redis runs them in this order, many in the same ms.
    const failedAt = new Date().toISOString();
    await Promise.all(deliveries.map((d) => client.deadLetter(d, { name: 'Error', message: d.job.id, attempt: 1, failedAt })));

    const listed = await jobs.deadLetters(queue);
    expect(listed.map((d) => d.job.id)).toEqual(deliveries.map((d) => d.job.id));
  });
});
