import { Cluster } from 'ioredis';
import {
  InvalidOptionError,
  JobFailedError,
  Orchestrator,
  RedisClient,
  RedisUnavailableError,
  jobFromSchema,
  type RetentionOptions,
} from '../../lib';
import { describeConformance } from '../conformance/conformance';
import { capabilitiesOf } from '../conformance/conformance-context';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { startRedisCluster, type LocalRedisCluster } from '../support/redis-cluster';
import { settleWithin } from './fixtures/redis-test-kit';

/**
 * RedisClient on a real Redis Cluster of three masters, started by this file from the redis-server
 * binary: queues on different nodes, delayed jobs, retries into the dead-letter queue, job state and
 * results, duplicate ids across nodes, stopping an idle consumer, deleting a queue; and then the whole
 * conformance suite, unchanged, over the cluster.
 */
let cluster: LocalRedisCluster;
const clients: Cluster[] = [];
const orchestrators: Orchestrator[] = [];
const prefix = 'mt-cluster';

function connect(): Cluster {
  const client = new Cluster(cluster.nodes, { enableAutoPipelining: false, redisOptions: { maxRetriesPerRequest: 3 } });
  clients.push(client);
  return client;
}

function orchestrator(): Orchestrator {
  const created = new Orchestrator(new RedisClient(connect(), { prefix }));
  orchestrators.push(created);
  return created;
}

/** A RedisClient over a Cluster of its own, which it disconnects when it closes (as the suite expects). */
class ClusterClient extends RedisClient {
  constructor(
    private readonly connection: Cluster,
    retention?: RetentionOptions,
  ) {
    super(connection, { prefix, retention });
  }

  override async close(): Promise<void> {
    await super.close();
    this.connection.disconnect();
  }
}

/** Queue names whose hash slots are served by three different masters, one per node. */
async function queuesOnEveryNode(label: string): Promise<{ queue: string; port: number }[]> {
  const byPort = new Map<number, string>();
  for (let i = 0; byPort.size < cluster.nodes.length; i++) {
    const queue = `${label}-${i}`;
    const port = await cluster.nodeOf(`${prefix}:{${queue}}:meta`);
    if (!byPort.has(port)) byPort.set(port, queue);
  }
  return [...byPort].map(([port, queue]) => ({ queue, port }));
}

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 30_000);

afterAll(async () => {
  await Promise.all(orchestrators.map((o) => o.close()));
  for (const client of clients) client.disconnect();
  await cluster?.stop();
});

it('jobs of queues on three different nodes are published, consumed and found by id', async () => {
  const jobs = orchestrator();
  const queues = await queuesOnEveryNode('spread');
  expect(new Set(queues.map((q) => q.port)).size).toBe(3);
  const ids = new Map<string, string[]>();
  for (const { queue } of queues) {
    await jobs.register(taskSchema(queue));
    const single = await jobs.publish(queue, { label: `${queue}-single` });
    const batch = await jobs.publishBatch(queue, [{ label: `${queue}-a` }, { label: `${queue}-b` }]);
    ids.set(queue, [single, ...batch.ids]);
  }
  for (const { queue, port } of queues) {
    // The queue's keys live on the node its hash tag maps to, and on no other.
    for (const node of cluster.nodes) {
      const keys = await keysOnNode(node.port, `${prefix}:{${queue}}:*`);
      if (node.port === port) expect(keys).toContain(`${prefix}:{${queue}}:meta`);
      else expect(keys).toEqual([]);
    }
    const runs: string[] = [];
    const consumer = new FnConsumer(queue, (job) => void runs.push(job.payload.label), { concurrency: 2 });
    consumer.connect(jobs);
    expect(await consumer.consume(3)).toBe(3);
    expect(runs.sort()).toEqual([`${queue}-a`, `${queue}-b`, `${queue}-single`]);
    for (const id of ids.get(queue) ?? []) {
      expect(await jobs.getJob(id)).toMatchObject({ id, queue, status: 'completed' });
    }
    expect(await jobs.waitForResult((ids.get(queue) ?? [])[0])).toEqual({ echoed: `${queue}-single` });
    expect(await jobs.queueStats(queue)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 3, dead: 0, paused: false });
  }
});

it('waitForResult hears of a job finished through another client, on another node than the index', async () => {
  const producer = orchestrator();
  const worker = orchestrator();
  const [{ queue }] = await queuesOnEveryNode('result');
  await producer.register(taskSchema(queue));
  await worker.register(taskSchema(queue));
  const id = await producer.publish(queue, { label: 'far away' });
  const result = producer.waitForResult(id, { timeout: 10_000 });
  const consumer = new FnConsumer(queue, () => undefined);
  consumer.connect(worker);
  expect(await consumer.consume(1)).toBe(1);
  expect(await result).toEqual({ echoed: 'far away' });
});

it('a delayed job waits until due, then runs', async () => {
  const jobs = orchestrator();
  const [, { queue }] = await queuesOnEveryNode('delayed');
  await jobs.register(taskSchema(queue));
  const id = await jobs.publish(queue, { label: 'later' }, { delay: 300 });
  expect(await jobs.getJob(id)).toMatchObject({ status: 'delayed' });
  expect(await jobs.queueStats(queue)).toMatchObject({ waiting: 0, delayed: 1 });
  const runs: string[] = [];
  const consumer = new FnConsumer(queue, (job) => void runs.push(job.id));
  consumer.connect(jobs);
  // The consumer sleeps in BLPOP until the job is due: nothing polls.
  expect(await consumer.consume(1)).toBe(1);
  expect(runs).toEqual([id]);
  expect(await jobs.getJob(id)).toMatchObject({ status: 'completed', attempt: 1 });
});

it('a job that keeps failing is retried, then dead-lettered; redrive brings it back', async () => {
  const jobs = orchestrator();
  const [, , { queue }] = await queuesOnEveryNode('dying');
  await jobs.register(taskSchema(queue));
  const id = await jobs.publish(queue, { label: 'doomed' });
  const attempts: number[] = [];
  const consumer = new FnConsumer(
    queue,
    (job) => {
      attempts.push(job.attempt);
      throw new Error(`fails on attempt ${job.attempt}`);
    },
    { attempts: 3, backoff: { type: 'fixed', delay: 20 } },
  );
  consumer.connect(jobs);
  expect(await consumer.consume(3)).toBe(3);
  expect(attempts).toEqual([1, 2, 3]);
  const error = await thrown(jobs.waitForResult(id));
  expect(error).toBeInstanceOf(JobFailedError);
  const dead = await jobs.deadLetters(queue);
  expect(dead.map((d) => [d.job.id, d.error.message])).toEqual([[id, 'fails on attempt 3']]);
  expect(await jobs.redrive(queue)).toBe(1);
  const healed = new FnConsumer(queue, () => undefined);
  healed.connect(jobs);
  expect(await healed.consume(1)).toBe(1);
  expect(await jobs.getJob(id)).toMatchObject({ status: 'completed' });
});

it('an id is a job of one queue only, even with its queues on different nodes', async () => {
  const jobs = orchestrator();
  const [first, second] = await queuesOnEveryNode('unique');
  await jobs.register(taskSchema(first.queue));
  await jobs.register(taskSchema(second.queue));
  const job = jobFromSchema(taskSchema(first.queue), { label: 'once' });
  await jobs.publish(first.queue, job);

  // To the other queue (another node than both the first queue and, maybe, the index): refused, not enqueued.
  const elsewhere = await thrown(jobs.publish(second.queue, job));
  expect(elsewhere).toBeInstanceOf(InvalidOptionError);
  expect(elsewhere.message).toContain(job.id);
  expect(elsewhere.message).toContain(first.queue);
  expect(await jobs.queueStats(second.queue)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, dead: 0, paused: false });
  // A batch with a fresh job and the taken one: neither is enqueued, and the fresh id is not indexed.
  const fresh = jobFromSchema(taskSchema(first.queue), { label: 'fresh' });
  expect(await thrown(jobs.publishBatch(second.queue, [fresh, job]))).toBeInstanceOf(InvalidOptionError);
  expect(await jobs.queueStats(second.queue)).toMatchObject({ waiting: 0 });
  expect(await jobs.getJob(fresh.id)).toBeNull();

  // To the same queue again: refused too.
  expect(await thrown(jobs.publish(first.queue, job))).toBeInstanceOf(InvalidOptionError);
  expect(await jobs.queueStats(first.queue)).toMatchObject({ waiting: 1 });
  expect(await jobs.getJob(job.id)).toMatchObject({ queue: first.queue, status: 'waiting' });
});

it('a publish whose id index claim gets no answer fails with RedisUnavailableError within commandTimeoutMs', async () => {
  const backend = new RedisClient(connect(), { prefix, commandTimeoutMs: 200 });
  const indexPort = await cluster.nodeOf(`${prefix}:index`);
  const { queue } = (await queuesOnEveryNode('unanswered-claim')).find((q) => q.port !== indexPort)!;
  await backend.declareQueue(queue, 'fifo');
  const indexNode = cluster.node(indexPort);
  // The index's node answers nothing for a while; the queue's node answers as usual.
  await indexNode.call('CLIENT', 'PAUSE', '2000', 'ALL');
  const job = {
    id: `claim-${Date.now()}`,
    name: 'task',
    schemaName: queue,
    payload: {},
    createdAt: new Date().toISOString(),
    priority: 0,
    attempt: 0,
  };
  const error = await thrown(backend.publish(queue, [{ job }]));
  expect(error).toBeInstanceOf(RedisUnavailableError);
  expect(error).toMatchObject({ operation: 'publish', queue });
  // It names where the client connects: the cluster's nodes, read through ioredis's public API.
  expect((error as RedisUnavailableError).address).toMatch(/^cluster (127\.0\.0\.1:\d+, ){2,}127\.0\.0\.1:\d+$/);
  // Answered once the pause ends; then the client closes cleanly.
  await indexNode.ping();
  await backend.close();
});

it('stop() ends an idle consumer at once, without waiting out its blocking wait', async () => {
  const jobs = orchestrator();
  const [{ queue }] = await queuesOnEveryNode('idle');
  await jobs.register(taskSchema(queue));
  const consumer = new FnConsumer(queue, () => undefined);
  consumer.connect(jobs);
  const consuming = consumer.consume();
  // Until the consumer is blocked in BLPOP on its queue's node, with nothing due (a 10 s block).
  const node = cluster.node(await cluster.nodeOf(`${prefix}:{${queue}}:notify`));
  await waitForBlockedClient(node);
  await consumer.stop();
  // Well inside the 10 s the BLPOP would otherwise last.
  expect(await settleWithin(consuming, 5000)).toEqual({ ok: true, value: 0 });
});

it('deleteQueue removes the queue from its node and its ids from the index', async () => {
  const jobs = orchestrator();
  const [, { queue, port }] = await queuesOnEveryNode('doomed');
  await jobs.register(taskSchema(queue));
  const ids = (await jobs.publishBatch(queue, [{ label: 'a' }, { label: 'b' }])).ids;
  await jobs.publish(queue, { label: 'c' }, { delay: 60_000 });
  await jobs.deleteQueue(queue);
  expect(await keysOnNode(port, `${prefix}:{${queue}}*`)).toEqual([]);
  for (const id of ids) expect(await jobs.getJob(id)).toBeNull();
  const index = await connect().hgetall(`${prefix}:index`);
  for (const id of ids) expect(index[id]).toBeUndefined();
});

it('schedules, deduplication, pause and rate limit work on a queue on another node than the id index, which follows each job they enqueue or withdraw', async () => {
  const backend = new ClusterClient(connect());
  const [{ queue }] = await queuesOnEveryNode('flow');
  await backend.declareQueue(queue, 'fifo');
  const template = { name: 'task', schemaName: 'task', payload: { label: 'tick' }, priority: 0 };
  const at = Date.now() + 60_000;
  const id = `schedule:${queue}:k:${at}`;
  const record = { queue, key: 'k', spec: { every: 60_000 }, template, nextRunAt: at, updatedAt: new Date().toISOString() };
  const occurrence = { job: { ...template, id, createdAt: new Date().toISOString(), attempt: 0, schedule: { key: 'k', at } }, runAt: at };
  expect(await backend.putSchedule(record, occurrence, null, true)).toBe(true);
  expect((await backend.getJob(id))?.status).toBe('delayed');
  expect(await backend.deleteSchedule(queue, 'k')).toBe(true);
  expect(await backend.getJob(id)).toBeNull();

  const job = (label: string) => ({
    id: `${queue}-${label}`,
    name: 'task',
    schemaName: 'task',
    payload: { label },
    createdAt: '',
    priority: 0,
    attempt: 0,
  });
  const first = { job: job('first') };
  const second = { job: job('second') };
  expect(await backend.publishDeduplicated(queue, first, { key: 'd' })).toEqual({ id: first.job.id, duplicate: false });
  expect(await backend.publishDeduplicated(queue, second, { key: 'd', replace: true })).toMatchObject({ replaced: first.job.id });
  const index = await connect().hgetall(`${prefix}:index`);
  expect([index[first.job.id], index[second.job.id]]).toEqual([undefined, queue]);

  await backend.pauseQueue(queue);
  expect(await backend.fetch(queue, 1, { wait: false, leaseMs: 30_000 })).toEqual([]);
  await backend.resumeQueue(queue);
  const rateLimit = { max: 1, intervalMs: 60_000 };
  expect((await backend.fetch(queue, 1, { wait: false, leaseMs: 30_000, rateLimit })).map((d) => d.job.id)).toEqual([second.job.id]);
  await backend.publish(queue, [{ job: job('third') }]);
  expect(await backend.fetch(queue, 1, { wait: false, leaseMs: 30_000, rateLimit })).toEqual([]);
  await backend.close();
});

describe('conformance over the cluster', () => {
  // Read off a client whose cluster never connects (lazy), so defining the suite needs no cluster.
  const unused = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
  const capabilities = capabilitiesOf(new RedisClient(unused, { prefix }));
  unused.disconnect();
  describeConformance({
    name: 'RedisClient on Redis Cluster',
    capabilities,
    create: (settings = {}) => {
      const connection = new Cluster(cluster.nodes, { enableAutoPipelining: false });
      try {
        return new ClusterClient(connection, settings.retention);
      } catch (err) {
        connection.disconnect();
        throw err;
      }
    },
  });
});

/** Keys on one node matching a pattern (SCAN: a node answers it for its own keys, never with MOVED). */
async function keysOnNode(port: number, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await cluster.node(port).scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** The error a promise rejects with; fails the test if it resolves. */
async function thrown(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection, the promise resolved');
}

/** CLIENT LIST has no event: look until a client of the node is blocked (flag b). */
async function waitForBlockedClient(node: { client(sub: 'LIST'): Promise<unknown> }): Promise<void> {
  const deadline = Date.now() + 5000;
  while (
    !String(await node.client('LIST'))
      .split('\n')
      .some((line) => / flags=\S*b/.test(line))
  ) {
    if (Date.now() > deadline) throw new Error('no client blocked on the queue node within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
