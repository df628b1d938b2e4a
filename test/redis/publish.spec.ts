import { InvalidOptionError, jobFromSchema, Orchestrator, RedisClient, RedisUnavailableError, type JobRecord } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { REDIS_URL, requireServer } from '../support/servers';
import { CuttingProxy } from './fixtures/cutting-proxy';
import { adminConnection, deleteKeysUnder, eventually, settleWithin, uniquePrefix } from './fixtures/redis-test-kit';

/**
 * RedisClient.publish on a standalone server: one script per call, which also checks and writes the
 * id index. An id is a job of one queue, once; a publish resent by ioredis after a lost reply is
 * recognised by its call's nonce and is not a duplicate. (The same on Redis Cluster: cluster.spec.ts.)
 */
const prefix = uniquePrefix();
const redisUrl = new URL(REDIS_URL);
const server = { host: redisUrl.hostname, port: Number(redisUrl.port || 6379) };
const admin = adminConnection();
const clients: RedisClient[] = [];
const proxies: CuttingProxy[] = [];
let counter = 0;

function client(port = server.port): RedisClient {
  const created = new RedisClient({ host: server.host, port, prefix });
  clients.push(created);
  return created;
}

async function declared(backend: RedisClient, label: string): Promise<string> {
  const queue = `${label}-${++counter}`;
  await backend.declareQueue(queue, 'fifo');
  return queue;
}

/** A job's wire form, as the orchestrator hands it to the backend. */
function record(queue: string, label: string): JobRecord {
  const job = jobFromSchema(taskSchema(queue), { label });
  return { id: job.id, name: job.name, schemaName: job.schemaName, payload: { label }, createdAt: job.createdAt, priority: 0, attempt: 0 };
}

async function rejection(promise: Promise<unknown>): Promise<InvalidOptionError> {
  const error = await promise.then(
    () => null,
    (err: Error) => err,
  );
  expect(error).toBeInstanceOf(InvalidOptionError);
  return error as InvalidOptionError;
}

beforeAll(() => requireServer('redis'));

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(proxies.map((p) => p.close()));
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

describe('an id is a job of one queue, once', () => {
  it('a batch naming the same job twice is refused whole, naming the id: nothing is enqueued or indexed', async () => {
    const backend = client();
    const queue = await declared(backend, 'twice-in-batch');
    const job = record(queue, 'one');
    const other = record(queue, 'other');
    const error = await rejection(backend.publish(queue, [{ job: other }, { job }, { job }]));
    expect(error.message).toContain(job.id);
    expect(error).toMatchObject({ option: 'job.id' });
    expect(await backend.queueStats(queue)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, dead: 0, paused: false });
    expect(await admin.hmget(`${prefix}:index`, job.id, other.id)).toEqual([null, null]);
  });

  it('the same job published again to its queue is refused, and the queue keeps one copy', async () => {
    const backend = client();
    const queue = await declared(backend, 'again');
    const job = record(queue, 'once');
    await backend.publish(queue, [{ job }]);
    const error = await rejection(backend.publish(queue, [{ job }]));
    expect(error.message).toContain(job.id);
    // The same id with other data, or from another client, is refused just the same.
    await rejection(client().publish(queue, [{ job: { ...job, payload: { label: 'changed' } } }]));
    expect(await backend.queueStats(queue)).toMatchObject({ waiting: 1 });
    expect(await backend.getJob(job.id)).toMatchObject({ queue, status: 'waiting', payload: { label: 'once' } });
  });

  it('a job of one queue published to another is refused, naming both; the other queue stays empty and getJob still names the first', async () => {
    const backend = client();
    const first = await declared(backend, 'owner');
    const second = await declared(backend, 'intruder');
    const job = record(first, 'mine');
    await backend.publish(first, [{ job }]);
    const fresh = record(second, 'fresh');
    const error = await rejection(backend.publish(second, [{ job: fresh }, { job, runAt: Date.now() + 60_000 }]));
    expect(error.message).toContain(job.id);
    expect(error.message).toContain(`"${first}"`);
    expect(await backend.queueStats(second)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, dead: 0, paused: false });
    expect(await backend.getJob(job.id)).toMatchObject({ queue: first, status: 'waiting' });
    expect(await backend.getJob(fresh.id)).toBeNull();
    // The script claims index entries as it checks each job: the one it claimed first is taken back.
    expect(await admin.hget(`${prefix}:index`, fresh.id)).toBeNull();
  });

  it('a batch refused for a job already in the queue leaves none of its other ids indexed: they can go to another queue', async () => {
    const backend = client();
    const queue = await declared(backend, 'holds-one');
    const elsewhere = await declared(backend, 'takes-the-rest');
    const job = record(queue, 'there');
    await backend.publish(queue, [{ job }]);
    const fresh = record(queue, 'fresh');
    await rejection(backend.publish(queue, [{ job: fresh }, { job }]));
    expect(await admin.hget(`${prefix}:index`, fresh.id)).toBeNull();
    await backend.publish(elsewhere, [{ job: fresh }]);
    expect(await backend.getJob(fresh.id)).toMatchObject({ queue: elsewhere, status: 'waiting' });
  });

  it('a finished job keeps its id while it is retained; once its queue drops it, the id is free again', async () => {
    const backend = client();
    const orchestrator = new Orchestrator(backend);
    const first = await declared(backend, 'finished');
    const second = await declared(backend, 'reuse');
    const job = record(first, 'done');
    await backend.publish(first, [{ job }]);
    const consumer = new FnConsumer(first, () => undefined);
    consumer.connect(orchestrator);
    expect(await consumer.consume(1)).toBe(1);
    await consumer.close();
    await rejection(backend.publish(first, [{ job }]));
    await rejection(backend.publish(second, [{ job }]));
    await backend.deleteQueue(first);
    await backend.publish(second, [{ job }]);
    expect(await backend.getJob(job.id)).toMatchObject({ queue: second, status: 'waiting' });
  });

  it('a publish refused for another reason indexes none of its ids', async () => {
    const backend = client();
    const queue = await declared(backend, 'fifo-only');
    const job = { ...record(queue, 'urgent'), priority: 5 };
    const error = await rejection(backend.publish(queue, [{ job }]));
    expect(error).toMatchObject({ option: 'priority' });
    expect(await admin.hget(`${prefix}:index`, job.id)).toBeNull();
  });
});

describe('a publish resent by ioredis is not a duplicate', () => {
  it('a batch whose reply was lost resolves once, with one copy of each job, and a deliberate republish is still refused', async () => {
    const cutter = new CuttingProxy(server);
    proxies.push(cutter);
    const backend = client(await cutter.listen());
    const queue = await declared(backend, 'lost-reply');
    const jobs = [record(queue, 'a'), record(queue, 'b')];
    cutter.cutOnNextReply();
    // The server runs the script, its reply dies with the connection, ioredis sends it again.
    const outcome = await settleWithin(backend.publish(queue, [{ job: jobs[0] }, { job: jobs[1], runAt: Date.now() + 60_000 }]), 10_000);
    expect(outcome).toEqual({ ok: true, value: undefined });
    expect(await backend.queueStats(queue)).toMatchObject({ waiting: 1, delayed: 1 });
    expect(await backend.getJob(jobs[0].id)).toMatchObject({ queue, status: 'waiting' });
    expect(await backend.getJob(jobs[1].id)).toMatchObject({ queue, status: 'delayed' });
    const error = await rejection(backend.publish(queue, [{ job: jobs[0] }]));
    expect(error.message).toContain(jobs[0].id);
  });
});

describe('a publish retried after it failed without an answer', () => {
  /** A client whose connection a proxy can cut; its calls give up after one second without an answer. */
  async function cutClient(): Promise<{ backend: RedisClient; cutter: CuttingProxy }> {
    const cutter = new CuttingProxy(server);
    proxies.push(cutter);
    const backend = new RedisClient({ host: server.host, port: await cutter.listen(), prefix, commandTimeoutMs: 1000 });
    clients.push(backend);
    return { backend, cutter };
  }

  async function unanswered(publish: Promise<void>): Promise<RedisUnavailableError> {
    const outcome = await settleWithin(publish, 10_000);
    expect(outcome).toMatchObject({ ok: false });
    const { error } = outcome as { error: Error };
    expect(error).toBeInstanceOf(RedisUnavailableError);
    return error as RedisUnavailableError;
  }

  it('one that ran but whose answer was lost: the retry resolves, the queue holds the job once and runs it once', async () => {
    const { backend, cutter } = await cutClient();
    const queue = await declared(backend, 'ran-unanswered');
    const job = record(queue, 'once');
    const other = record(queue, 'other');
    cutter.holdNewConnections();
    cutter.cutOnNextReply();
    expect(await unanswered(backend.publish(queue, [{ job }, { job: other }]))).toMatchObject({ operation: 'publish', queue });
    // It did run: Redis holds the jobs (seen on a connection of our own).
    expect(await admin.zcard(`${prefix}:{${queue}}:wait`)).toBe(2);
    cutter.reopen();

    // The caller does what the error says: calls again, with the same jobs (and a new one).
    const fresh = record(queue, 'fresh');
    expect(await settleWithin(backend.publish(queue, [{ job }, { job: other }, { job: fresh }]), 10_000)).toEqual({
      ok: true,
      value: undefined,
    });
    expect(await backend.queueStats(queue)).toMatchObject({ waiting: 3, delayed: 0 });
    const ran: string[] = [];
    const consumer = new FnConsumer(queue, (run) => void ran.push(run.payload.label));
    consumer.connect(new Orchestrator(backend));
    expect(await consumer.consumeUntilEmpty()).toBe(3);
    await consumer.close();
    expect(ran).toEqual(['once', 'other', 'fresh']);
    // Answered now: publishing the job again is a second publish, and refused.
    expect((await rejection(backend.publish(queue, [{ job }]))).message).toContain(job.id);
  });

  it('one that had not reached Redis yet, sent by ioredis once the connection is back: the retry resolves, and the queue holds the job once', async () => {
    const { backend, cutter } = await cutClient();
    const queue = await declared(backend, 'not-sent');
    const job = record(queue, 'once');
    cutter.cutAllAndHold();
    // Queued by ioredis while it reconnects: rejected here, sent when the connection is back.
    await unanswered(backend.publish(queue, [{ job }]));
    expect(await admin.exists(`${prefix}:{${queue}}:job:${job.id}`)).toBe(0);
    cutter.reopen();
    // ioredis sends it once the connection is back: it runs, though its caller was told it failed.
    await eventually('the first publish arrives after all', async () => (await admin.exists(`${prefix}:{${queue}}:job:${job.id}`)) === 1);
    expect(await settleWithin(backend.publish(queue, [{ job }]), 10_000)).toEqual({ ok: true, value: undefined });
    expect(await backend.queueStats(queue)).toMatchObject({ waiting: 1 });
    expect(await backend.getJob(job.id)).toMatchObject({ queue, status: 'waiting', payload: { label: 'once' } });
  });

  it('the same id with other data, after a publish that got no answer, is still refused: a retry carries the same job', async () => {
    const { backend, cutter } = await cutClient();
    const queue = await declared(backend, 'changed-retry');
    const job = record(queue, 'first');
    cutter.holdNewConnections();
    cutter.cutOnNextReply();
    await unanswered(backend.publish(queue, [{ job }]));
    cutter.reopen();
    const error = await rejection(backend.publish(queue, [{ job: { ...job, payload: { label: 'changed' } } }]));
    expect(error.message).toContain(job.id);
    expect(await backend.getJob(job.id)).toMatchObject({ queue, status: 'waiting', payload: { label: 'first' } });
  });

  it('retried by another client (another process) it is refused, and the refusal says the first went through', async () => {
    const { backend, cutter } = await cutClient();
    const queue = await declared(backend, 'elsewhere-retry');
    const job = record(queue, 'once');
    cutter.holdNewConnections();
    cutter.cutOnNextReply();
    await unanswered(backend.publish(queue, [{ job }]));
    cutter.reopen();
    const error = await rejection(client().publish(queue, [{ job }]));
    expect(error).toMatchObject({ option: 'job.id' });
    expect(error.message).toContain(job.id);
    expect(error.message).toContain('went through');
    expect(await backend.queueStats(queue)).toMatchObject({ waiting: 1 });
  });
});
