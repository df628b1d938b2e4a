import { randomUUID } from 'node:crypto';
import { Orchestrator, RedisClient, type Delivery, type JobState } from '../../lib';
import { BlockingConnections } from '../../lib/backends/redis/blocking-connections';
import { Logger } from '../../lib/logger/logger';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { REDIS_URL, requireServer } from '../support/servers';
import { CuttingProxy } from './fixtures/cutting-proxy';
import { adminConnection, deleteKeysUnder, settleWithin, uniquePrefix } from './fixtures/redis-test-kit';

/**
 * Bad bytes written straight into Redis, the way a buggy producer in another language would (the key
 * layout is in lib/backends/redis/KEYS.md): each is dead-lettered once with MalformedJobError, without
 * a run, and never holds, delays or stalls the healthy jobs fetched with it.
 */
const prefix = uniquePrefix();
const admin = adminConnection();
const redisUrl = new URL(REDIS_URL);
const server = { host: redisUrl.hostname, port: Number(redisUrl.port || 6379) };
const closing: { close(): Promise<void> }[] = [];
let counter = 0;

/** A lease far longer than any test: a healthy job held by a failed fetch would make the test hang. */
const LONG_LEASE_MS = 120_000;
/** Generous bound standing in for "never" (the consumer is told about each job; nothing here waits on time). */
const HANG_MS = 8_000;

/** A Redis backend and orchestrator with a registered queue, and every delivery the backend handed out. */
async function setup(label: string): Promise<{ queue: string; backend: RedisClient; orchestrator: Orchestrator; handedOut: Delivery[] }> {
  const backend = new RedisClient(REDIS_URL, { prefix });
  const orchestrator = new Orchestrator(backend);
  closing.push(orchestrator);
  const queue = await orchestrator.register(taskSchema(`${label}-${++counter}`));
  // Observe (not replace) what reaches the consumer, through both ways a job is handed out.
  const handedOut: Delivery[] = [];
  const fetch = backend.fetch.bind(backend);
  backend.fetch = async (...args) => {
    const deliveries = await fetch(...args);
    handedOut.push(...deliveries);
    return deliveries;
  };
  const completeAndFetch = backend.completeAndFetch.bind(backend);
  backend.completeAndFetch = async (...args) => {
    const deliveries = await completeAndFetch(...args);
    handedOut.push(...deliveries);
    return deliveries;
  };
  return { queue, backend, orchestrator, handedOut };
}

function keyOf(queue: string, rest: string): string {
  return `${prefix}:{${queue}}:${rest}`;
}

/**
 * What a producer outside this library does to enqueue a job, per KEYS.md: take a publish number,
 * write the job hash, add it to `wait`, index its id and wake a consumer. `data` is written as given.
 */
async function injectJob(
  queue: string,
  data: string | null,
  options: { hash?: boolean; index?: boolean; wake?: boolean } = {},
): Promise<string> {
  const id = randomUUID();
  const seq = await admin.hincrby(keyOf(queue, 'meta'), 'seq', 1);
  const member = `${seq.toString(16).padStart(16, '0')}:${id}`;
  if (options.hash !== false) {
    const fields: Record<string, string | number> = { priority: 0, attempt: 0, status: 'waiting', member, score: 0 };
    if (data !== null) fields.data = data;
    await admin.hset(keyOf(queue, `job:${id}`), fields);
  }
  await admin.zadd(keyOf(queue, 'wait'), 0, member);
  if (options.index !== false) await admin.hset(`${prefix}:index`, id, queue);
  if (options.wake !== false) await admin.rpush(keyOf(queue, 'notify'), '1');
  return id;
}

/** A consumer that records the labels it ran; `consume(n)` bounded by HANG_MS. */
function consumerOf(
  orchestrator: Orchestrator,
  queue: string,
  options: { concurrency: number },
): { ran: string[]; consume: (n: number) => Promise<unknown> } {
  const ran: string[] = [];
  const consumer = new FnConsumer(queue, (job) => void ran.push(job.payload.label), { ...options, leaseMs: LONG_LEASE_MS, maxStalls: 0 });
  consumer.connect(orchestrator);
  closing.unshift(consumer);
  return { ran, consume: (n) => settleWithin(consumer.consume(n), HANG_MS) };
}

async function expectDeadOnceAsMalformed(
  orchestrator: Orchestrator,
  queue: string,
  id: string,
  taken = { attempt: '1', stalls: null as string | null },
): Promise<JobState> {
  // Dead-lettered apart from the healthy jobs, so maybe after them: told by the job's finish, not by time.
  expect(await settleWithin(orchestrator.waitForResult(id), HANG_MS)).toMatchObject({ ok: false, error: { name: 'JobFailedError' } });
  const dead = await orchestrator.deadLetters(queue);
  expect(dead.map((letter) => letter.job.id)).toEqual([id]);
  expect(dead[0].error).toMatchObject({ name: 'MalformedJobError' });
  expect(dead[0].error.message).toContain(id);
  expect(dead[0].error.message).toContain(`"${queue}"`);
  const state = await orchestrator.getJob(id);
  expect(state).toMatchObject({ id, queue, status: 'dead', error: { name: 'MalformedJobError' } });
  // Taken by one fetch (or as many as the test says), never again: the poison was not redelivered.
  expect(await admin.hmget(keyOf(queue, `job:${id}`), 'attempt', 'stalls')).toEqual([taken.attempt, taken.stalls]);
  return state!;
}

beforeAll(() => requireServer('redis'));

afterAll(async () => {
  for (const c of closing) await c.close();
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

describe('a job body that cannot be decoded', () => {
  // The reasons are worded as RabbitMQ words them (lib/backend/job-record-shape.ts).
  it.each([
    ['not JSON', 'this is not json {', 'its body is not JSON'],
    ['JSON, but not an object', '[1, 2, 3]', 'its body is not a job record: it is an array, not a JSON object'],
    ['JSON null', 'null', 'its body is not a job record: it is null, not a JSON object'],
    [
      'an object without a payload',
      JSON.stringify({ name: 'x', schemaName: 'x', createdAt: '2026-12-07T00:00:00.000Z' }),
      '"payload" is missing, not an object',
    ],
    [
      'an object whose name is not a string',
      JSON.stringify({ name: 7, schemaName: 'x', payload: {}, createdAt: '2026-12-07T00:00:00.000Z' }),
      '"name" is 7, not a string',
    ],
    // As RabbitMQ: JSON.parse reads any depth, but no later walk over such a body may be trusted not to overflow the stack.
    [
      'nested deeper than 1,000 levels',
      JSON.stringify({ name: 'x', schemaName: 'x', payload: { deep: 0 }, createdAt: '2026-12-07T00:00:00.000Z' }).replace(
        '0',
        `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
      ),
      'its body is nested deeper than 1000 levels',
    ],
  ])(
    'body %s: dead-lettered once with MalformedJobError; the healthy jobs of the same fetch run at once, stalls 0',
    async (_what, body, reason) => {
      const { queue, orchestrator, handedOut } = await setup('body');
      await orchestrator.publish(queue, { label: 'a' });
      const poison = await injectJob(queue, body);
      await orchestrator.publishBatch(queue, [{ label: 'b' }, { label: 'c' }]);
      const { ran, consume } = consumerOf(orchestrator, queue, { concurrency: 4 });

      expect(await consume(3)).toEqual({ ok: true, value: 3 });
      expect(ran.sort()).toEqual(['a', 'b', 'c']);
      expect(handedOut.map((d) => d.stalls)).toEqual([0, 0, 0]);
      expect(handedOut.map((d) => d.job.id)).not.toContain(poison);

      const state = await expectDeadOnceAsMalformed(orchestrator, queue, poison);
      expect(state.error!.message).toContain('could not be decoded');
      expect(state.error!.message).toContain(reason);
      expect(await orchestrator.queueStats(queue)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 3, dead: 1, paused: false });
    },
  );

  it('taken by a completion (completeAndFetch): dead-lettered once, the next healthy job runs, stalls 0', async () => {
    const { queue, orchestrator, handedOut } = await setup('refill');
    await orchestrator.publish(queue, { label: 'a' });
    const poison = await injectJob(queue, '{"truncated": ');
    await orchestrator.publish(queue, { label: 'b' });
    const { ran, consume } = consumerOf(orchestrator, queue, { concurrency: 1 });

    expect(await consume(2)).toEqual({ ok: true, value: 2 });
    expect(ran).toEqual(['a', 'b']);
    expect(handedOut.map((d) => d.stalls)).toEqual([0, 0]);
    await expectDeadOnceAsMalformed(orchestrator, queue, poison);
    expect(await orchestrator.queueStats(queue)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 2, dead: 1, paused: false });
  });

  it('more of them than wake tokens: the fetch takes on past them without blocking, and the healthy job behind runs', async () => {
    // Publishes push at most 64 tokens a call and keep at most 256: a longer run of poison outnumbers them.
    const { queue, orchestrator } = await setup('outnumbered');
    const poison: string[] = [];
    for (let i = 0; i < 5; i++) poison.push(await injectJob(queue, 'garbage', { wake: false }));
    await orchestrator.publish(queue, { label: 'healthy' });
    const waits = jest.spyOn(BlockingConnections.prototype, 'waitFor');
    const blocksOnQueue = (): number => waits.mock.calls.filter(([key]) => key === keyOf(queue, 'notify')).length;
    let blocksBeforeRun = -1;
    const consumer = new FnConsumer(queue, () => void (blocksBeforeRun = blocksOnQueue()), {
      concurrency: 1,
      leaseMs: LONG_LEASE_MS,
      maxStalls: 0,
    });
    consumer.connect(orchestrator);
    closing.unshift(consumer);

    try {
      expect(await settleWithin(consumer.consume(1), HANG_MS)).toEqual({ ok: true, value: 1 });
      // Each fetch that took only poison went straight on to the next jobs: no BLPOP while a job was ready.
      expect(blocksBeforeRun).toBe(0);
    } finally {
      waits.mockRestore();
    }
    for (const id of poison) expect(await settleWithin(orchestrator.waitForResult(id), HANG_MS)).toMatchObject({ ok: false });
    expect(await orchestrator.queueStats(queue)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 1, dead: 5, paused: false });
  });

  it('getJob on one not yet fetched answers what can be known, with the reason, instead of throwing', async () => {
    const { queue, orchestrator } = await setup('peek');
    const poison = await injectJob(queue, 'garbage');
    const state = await orchestrator.getJob(poison);
    expect(state).toMatchObject({ id: poison, queue, status: 'waiting', attempt: 0, error: { name: 'MalformedJobError' } });
    expect(state!.error!.message).toContain('not JSON');
  });

  it('redriven, it is dead-lettered again once (not looped), and purge removes it', async () => {
    const { queue, orchestrator } = await setup('redrive');
    const poison = await injectJob(queue, 'garbage');
    await orchestrator.publish(queue, { label: 'a' });
    const { consume } = consumerOf(orchestrator, queue, { concurrency: 2 });
    expect(await consume(1)).toEqual({ ok: true, value: 1 });
    expect(await orchestrator.redrive(queue)).toBe(1);
    await orchestrator.publish(queue, { label: 'b' });
    expect(await consume(1)).toEqual({ ok: true, value: 1 });
    await expectDeadOnceAsMalformed(orchestrator, queue, poison);
    expect(await orchestrator.purgeDeadLetters(queue)).toBe(1);
    expect(await orchestrator.queueStats(queue)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 2, dead: 0, paused: false });
  });
});

describe('a job key that is not a hash', () => {
  it('is set aside untouched and dead-lettered as malformed; the jobs fetched with it run, none is lost', async () => {
    const { queue, orchestrator } = await setup('string-key');
    await orchestrator.publish(queue, { label: 'a' });
    const poison = await injectJob(queue, null, { hash: false });
    await admin.set(keyOf(queue, `job:${poison}`), 'SET where HSET was meant');
    await orchestrator.publishBatch(queue, [{ label: 'b' }, { label: 'c' }]);
    // Read before any fetch: what it holds, not a Redis error.
    expect((await orchestrator.getJob(poison))?.error?.message).toContain('holds a string, not a hash');
    const { ran, consume } = consumerOf(orchestrator, queue, { concurrency: 4 });

    expect(await consume(3)).toEqual({ ok: true, value: 3 });
    expect(ran.sort()).toEqual(['a', 'b', 'c']);
    const state = await expectDeadOnceAsMalformed(orchestrator, queue, poison);
    expect(state.error!.message).toContain('not a hash');
    expect(await admin.get(keyOf(queue, `job:${poison}:unreadable`))).toBe('SET where HSET was meant');
    expect(await orchestrator.queueStats(queue)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 3, dead: 1, paused: false });
  });
});

describe('job fields another producer got wrong never stop the queue', () => {
  /** A job record as the README's wire format has it. */
  const body = (label: string, schemaName: string): string =>
    JSON.stringify({ name: schemaName, schemaName, payload: { label }, createdAt: new Date().toISOString(), priority: 0, attempt: 0 });

  it('a due delayed job whose priority is not a number, on a priority queue, is promoted (at priority 0) and runs', async () => {
    const backend = new RedisClient(REDIS_URL, { prefix });
    const orchestrator = new Orchestrator(backend);
    closing.push(orchestrator);
    const queue = await orchestrator.register(taskSchema(`priority-${++counter}`), { queueType: 'priority' });
    const id = randomUUID();
    await admin.hset(keyOf(queue, `job:${id}`), { data: body('foreign', queue), priority: 'high', attempt: 0, status: 'delayed' });
    await admin.zadd(keyOf(queue, 'delayed'), 0, id);
    await orchestrator.publish(queue, { label: 'ours' }, { priority: 5 });
    const { ran, consume } = consumerOf(orchestrator, queue, { concurrency: 1 });

    expect(await consume(2)).toEqual({ ok: true, value: 2 });
    expect(ran).toEqual(['ours', 'foreign']);
  });

  it('a job whose stalls, member and score are not numbers or its own comes back when its lease runs out, counted once', async () => {
    const { queue, backend } = await setup('fields');
    const id = await injectJob(queue, body('foreign', queue));
    await admin.hset(keyOf(queue, `job:${id}`), { stalls: 'none', member: 'not-a-member', score: 'first' });
    const [taken] = await backend.fetch(queue, 1, { wait: false, leaseMs: 200 });
    expect(taken.job.id).toBe(id);
    // Never settled, as if its consumer died: the next fetch waits for the lease to run out and gets it back.
    const again = await settleWithin(backend.fetch(queue, 1, { wait: true, leaseMs: LONG_LEASE_MS }), HANG_MS);
    expect(again).toMatchObject({ ok: true, value: [{ job: { id, attempt: 2, payload: { label: 'foreign' } }, stalls: 1 }] });
  });

  it('a wait entry that is the bare id (not "<seq>:<id>") is taken as that id', async () => {
    const { queue, orchestrator } = await setup('bare');
    const id = randomUUID();
    await admin.hset(keyOf(queue, `job:${id}`), { data: body('bare', queue), priority: 0, attempt: 0, status: 'waiting' });
    await admin.zadd(keyOf(queue, 'wait'), 0, id);
    await admin.hset(`${prefix}:index`, id, queue);
    const { ran, consume } = consumerOf(orchestrator, queue, { concurrency: 1 });

    expect(await consume(1)).toEqual({ ok: true, value: 1 });
    expect(ran).toEqual(['bare']);
    expect(await orchestrator.getJob(id)).toMatchObject({ status: 'completed' });
  });
});

describe('a wait entry whose job record is missing', () => {
  it('is dead-lettered as MalformedJobError naming its id, and counts agree with listings', async () => {
    const { queue, orchestrator, handedOut } = await setup('dangling');
    const dangling = await injectJob(queue, null, { hash: false });
    await orchestrator.publish(queue, { label: 'a' });
    const { ran, consume } = consumerOf(orchestrator, queue, { concurrency: 2 });

    expect(await consume(1)).toEqual({ ok: true, value: 1 });
    expect(ran).toEqual(['a']);
    expect(handedOut.map((d) => d.job.id)).not.toContain(dangling);
    const state = await expectDeadOnceAsMalformed(orchestrator, queue, dangling);
    expect(state.error!.message).toContain('missing');
    const stats = await orchestrator.queueStats(queue);
    expect(stats).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 1, dead: 1, paused: false });
    expect((await orchestrator.deadLetters(queue)).length).toBe(stats.dead);
  });
});

describe('counts and listings agree', () => {
  it('a dead letter whose hash is gone (deleted by hand, evicted) is neither listed nor, once listed, counted', async () => {
    const { queue, orchestrator } = await setup('gone');
    await orchestrator.publishBatch(queue, [{ label: 'kept' }, { label: 'gone' }]);
    const consumer = new FnConsumer(queue, () => Promise.reject(new Error('fails on purpose')), { attempts: 1 });
    consumer.connect(orchestrator);
    closing.unshift(consumer);
    expect(await consumer.consume(2)).toBe(2);
    const [kept, gone] = (await orchestrator.deadLetters(queue)).map((letter) => letter.job.id);
    await admin.del(keyOf(queue, `job:${gone}`));

    expect((await orchestrator.deadLetters(queue)).map((letter) => letter.job.id)).toEqual([kept]);
    expect(await orchestrator.queueStats(queue)).toMatchObject({ dead: 1 });
    expect(await orchestrator.getJob(gone)).toBeNull();
  });
});

describe('a malformed job that cannot be dead-lettered either', () => {
  it('is logged as an error and parked under its lease, unrun, holding up no job; the fetch after its lease dead-letters it', async () => {
    const error = jest.spyOn(Logger.prototype, 'error');
    const cutter = new CuttingProxy(server);
    closing.push(cutter);
    const backend = new RedisClient({ host: server.host, port: await cutter.listen(), prefix, commandTimeoutMs: 2000 });
    const orchestrator = new Orchestrator(backend);
    closing.push(orchestrator);
    const queue = await orchestrator.register(taskSchema(`parked-${++counter}`));
    await orchestrator.publish(queue, { label: 'a' });
    const poison = await injectJob(queue, 'garbage');
    await orchestrator.publish(queue, { label: 'b' });
    // Redis refuses every attempt to dead-letter it.
    cutter.refuseScriptsContaining('MalformedJobError');
    const ran: string[] = [];
    // A short lease, so the test sees the parked job come back; nothing below waits on time.
    const consumer = new FnConsumer(queue, (job) => void ran.push(job.payload.label), { concurrency: 3, leaseMs: 1500, maxStalls: 5 });
    consumer.connect(orchestrator);
    closing.unshift(consumer);

    const parked = new Promise<string>((resolve) =>
      error.mockImplementation((message: string) => message.includes(poison) && resolve(message)),
    );

    expect(await settleWithin(consumer.consume(2), HANG_MS)).toEqual({ ok: true, value: 2 });
    expect(ran.sort()).toEqual(['a', 'b']);
    const logged = await settleWithin(parked, HANG_MS);
    expect(logged).toMatchObject({ ok: true });
    expect((logged as { value: string }).value).toMatch(/could not be decoded .* nor dead-lettered .*parked/);
    expect(cutter.refusedRequests).toBe(1);
    // Parked: held under the lease of the fetch that took it, not run, not looping through fetches.
    expect(await admin.hmget(keyOf(queue, `job:${poison}`), 'status', 'attempt')).toEqual(['active', '1']);

    cutter.refuseScriptsContaining(null);
    const next = consumer.consume(1);
    // Its lease runs out, the consumer's next fetch takes it again, and this time it is dead-lettered.
    await expectDeadOnceAsMalformed(orchestrator, queue, poison, { attempt: '2', stalls: '1' });
    await orchestrator.publish(queue, { label: 'c' });
    expect(await settleWithin(next, HANG_MS)).toEqual({ ok: true, value: 1 });
    expect(await orchestrator.queueStats(queue)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 3, dead: 1, paused: false });
    error.mockRestore();
  });
});

describe('a malformed job dead-lettered whose id cannot be indexed', () => {
  it('is logged as dead-lettered but not findable by id, not as parked', async () => {
    // A prefix of its own, whose id index is a string: HSETNX on it fails, every script still runs.
    const own = uniquePrefix();
    await admin.set(`${own}:index`, 'not a hash');
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const error = jest.spyOn(Logger.prototype, 'error');
    const backend = new RedisClient(REDIS_URL, { prefix: own });
    try {
      const queue = await new Orchestrator(backend).register(taskSchema(`unindexed-${++counter}`));
      const id = randomUUID();
      const seq = await admin.hincrby(`${own}:{${queue}}:meta`, 'seq', 1);
      const member = `${seq.toString(16).padStart(16, '0')}:${id}`;
      await admin.hset(`${own}:{${queue}}:job:${id}`, { data: 'garbage', priority: 0, attempt: 0, status: 'waiting', member, score: 0 });
      await admin.zadd(`${own}:{${queue}}:wait`, 0, member);

      expect(await backend.fetch(queue, 1, { wait: false, leaseMs: LONG_LEASE_MS })).toEqual([]);
      // close() waits for the dead-lettering under way.
      await backend.close();
      expect(await admin.hget(`${own}:{${queue}}:job:${id}`, 'status')).toBe('dead');
      const aboutIt = (calls: unknown[][]): string[] => calls.map(([message]) => String(message)).filter((message) => message.includes(id));
      expect(aboutIt(error.mock.calls)).toEqual([]);
      expect(aboutIt(warn.mock.calls)).toEqual([
        expect.stringMatching(/dead-lettered .*not .*index.*WRONGTYPE/),
        expect.stringContaining('could not be decoded'),
      ]);
    } finally {
      warn.mockRestore();
      error.mockRestore();
      await backend.close();
      await deleteKeysUnder(admin, own);
    }
  });
});

describe('close() while a fetch is under way', () => {
  it('dead-letters the malformed jobs that fetch took before the connection closes', async () => {
    const error = jest.spyOn(Logger.prototype, 'error');
    const { queue, backend } = await setup('closing');
    const poison = await injectJob(queue, 'garbage');
    try {
      const fetched = backend.fetch(queue, 1, { wait: false, leaseMs: LONG_LEASE_MS });
      await backend.close();
      expect(await fetched).toEqual([]);
      expect(await admin.hget(keyOf(queue, `job:${poison}`), 'status')).toBe('dead');
      expect(error.mock.calls.map(([message]) => String(message)).filter((message) => message.includes(poison))).toEqual([]);
    } finally {
      error.mockRestore();
    }
  });
});
