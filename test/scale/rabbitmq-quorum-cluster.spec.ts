import 'reflect-metadata';
import * as amqp from 'amqplib';
import { BrokerUnavailableError, Orchestrator, PublishRejectedError, RabbitMQClient, type RabbitMQConnectionState } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { startRabbitMQCluster, type LocalRabbitMQCluster } from '../support/rabbitmq-cluster-kit';

/**
 * Issue #18 on RabbitMQ: quorum queues on a three-node cluster (test/support/rabbitmq-cluster-kit.ts,
 * one cluster for the file: booting one costs 30-70 s on CI). First the kit itself (the cluster forms,
 * a quorum queue keeps its confirmed messages through its leader's death, a node rejoins), then the
 * client: given every node (`urls`), starting with the one that leads the queue, whose node is
 * SIGKILLed while jobs are published and consumed without pause. Every job whose publish resolved must
 * run, and publisher and consumer must carry on through a surviving node by themselves.
 */
let cluster: LocalRabbitMQCluster;
const orchestrators: Orchestrator[] = [];
const connections: amqp.ChannelModel[] = [];
const PREFIX = `mt-scale-qq-${process.pid}.`;
/** Well under the tests' waits, so that a publish the broker never answers shows as an error, not a stall. */
const PUBLISH_TIMEOUT_MS = 5000;

/** Every node's URL, starting at node `first`: the client connects there, and moves to the next ones when it is lost. */
function urlsFrom(first: number): string[] {
  return [0, 1, 2].map((k) => cluster.nodes[(first + k) % 3].url);
}

function quorumOrchestrator(first: number): Orchestrator {
  const client = new RabbitMQClient({
    urls: urlsFrom(first),
    queueType: 'quorum',
    prefix: PREFIX,
    reconnectDelays: [100, 250, 500],
    publishTimeoutMs: PUBLISH_TIMEOUT_MS,
  });
  const orchestrator = new Orchestrator(client);
  orchestrators.push(orchestrator);
  return orchestrator;
}

function stateOf(orchestrator: Orchestrator): RabbitMQConnectionState {
  return (orchestrator.backend as RabbitMQClient).connectionState;
}

/** Resolves once `condition` holds, checked on each event the test's callbacks signal; fails naming what was awaited. */
function waiter(): { signal(): void; until(condition: () => boolean, ms: number, what: () => string): Promise<void> } {
  let wake: () => void = () => undefined;
  return {
    signal: () => wake(),
    async until(condition, ms, what) {
      const deadline = Date.now() + ms;
      while (!condition()) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`${what()} within ${ms} ms`);
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, Math.min(left, 500));
        });
        clearTimeout(timer);
      }
    },
  };
}

/** Adds the cluster's view of our queues (type, leader, online members) to a failure, to tell a client fault from a broker one. */
async function withQueueStatus<T>(via: number, waiting: Promise<T>): Promise<T> {
  try {
    return await waiting;
  } catch (err) {
    const status = await cluster
      .rabbitmqctl(via, ['list_queues', 'name', 'type', 'leader', 'online', 'messages', '--formatter', 'json'])
      .catch((e: Error) => e.message);
    (err as Error).message += `\nqueues as node ${via} sees them: ${status}`;
    throw err;
  }
}

/** How many of each error `errors` holds, e.g. "PublishRejectedError ×3", for failure messages. */
function tally(errors: readonly unknown[]): string {
  const counts = new Map<string, number>();
  for (const err of errors) counts.set((err as Error).name, (counts.get((err as Error).name) ?? 0) + 1);
  return [...counts].map(([name, n]) => `${name} ×${n}`).join(', ') || 'none';
}

/**
 * Publishes 10 jobs delayed 4 s until a publish resolves, for at most 60 s; its ids. While the client
 * reconnects a publish fails fast (BrokerUnavailableError); one through a channel that first published
 * while the delay queue had no leader is nacked (PublishRejectedError) — try again, as an app would.
 */
async function publishDelayedAfterKill(publisher: Orchestrator, queue: string): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  const failures: unknown[] = [];
  for (;;) {
    try {
      const { ids } = await publisher.publishBatch(
        queue,
        Array.from({ length: 10 }, (_, i) => ({ label: `e${i}` })),
        { delay: 4000 },
      );
      return ids;
    } catch (err) {
      if (!(err instanceof BrokerUnavailableError || err instanceof PublishRejectedError)) throw err;
      failures.push(err);
      if (Date.now() > deadline) {
        throw new Error(`no publish of delayed jobs resolved within 60000 ms after the kill (${tally(failures)})`, { cause: err });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function connect(node: number): Promise<amqp.ChannelModel> {
  const connection = await amqp.connect(cluster.nodes[node].url);
  // A killed node drops its connections; that is the test's doing, not a failure.
  connection.on('error', () => undefined);
  connections.push(connection);
  return connection;
}

async function publishConfirmed(channel: amqp.ConfirmChannel, queue: string, ids: number[]): Promise<void> {
  for (const id of ids) channel.sendToQueue(queue, Buffer.from(String(id)), { persistent: true });
  await channel.waitForConfirms();
}

/** Fails with what was awaited, rather than at the test's timeout, when a broker never answers. */
async function within<T>(ms: number, what: () => string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what()} within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

beforeAll(async () => {
  cluster = await startRabbitMQCluster();
  const { boot, join, total } = cluster.startup;
  process.stdout.write(`RabbitMQ cluster: three running nodes after ${total} ms (boot ${boot} ms, join ${join} ms)\n`);
}, 150_000);

/** Nodes a test killed, started again after it (also when it failed), so the next test has three. */
const killed = new Set<number>();
async function kill(node: number): Promise<void> {
  killed.add(node);
  await cluster.killNode(node);
}
afterEach(async () => {
  for (const node of killed) await cluster.startNode(node);
  killed.clear();
}, 120_000);

afterAll(async () => {
  // Clients first, while the nodes still answer their closes. A close that has not ended after 10 s is
  // reported, not awaited: in two of six runs some clients' closes hung once the nodes were gone.
  await Promise.all(connections.map((c) => c.close().catch(() => undefined)));
  const closed = new Set<number>();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(
      orchestrators.map(async (o, i) => {
        await o.close().catch(() => undefined);
        closed.add(i);
      }),
    ),
    new Promise((resolve) => (timer = setTimeout(resolve, 10_000))),
  ]);
  clearTimeout(timer);
  const stuck = orchestrators.flatMap((o, i) => (closed.has(i) ? [] : [`${i} (${stateOf(o)})`]));
  if (stuck.length > 0) process.stdout.write(`clients whose close had not ended after 10 s: ${stuck.join(', ')}\n`);
  await cluster?.stop();
}, 60_000);

describe('the cluster kit', () => {
  it('forms one cluster of three running nodes on their own ports, beside the machine broker', async () => {
    const names = cluster.nodes.map((n) => n.name).sort();
    expect(await cluster.runningNodes(0)).toEqual(names);
    expect(await cluster.runningNodes(2)).toEqual(names);
    expect(cluster.nodes.map((n) => n.port)).not.toContain(5672);
  });

  it('a quorum queue loses no confirmed message, and keeps their order, when its leader is killed mid-stream; the node rejoins', async () => {
    const queue = `mt-scale-quorum-${process.pid}`;
    const declaring = await (await connect(0)).createChannel();
    await declaring.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    const leader = await cluster.queueLeader(queue, 0);
    const [publisherNode, consumerNode] = [0, 1, 2].filter((i) => i !== leader);

    const publisher = await (await connect(publisherNode)).createConfirmChannel();
    const ids = Array.from({ length: 200 }, (_, i) => i);
    await publishConfirmed(publisher, queue, ids.slice(0, 100));
    await cluster.killNode(leader);
    await within(60_000, () => 'no confirms for the messages published after the kill', publishConfirmed(publisher, queue, ids.slice(100)));
    expect(await cluster.queueLeader(queue, consumerNode)).not.toBe(leader);

    const consumer = await (await connect(consumerNode)).createChannel();
    await consumer.prefetch(50);
    const received: number[] = [];
    const all = new Promise<void>((resolve) => {
      void consumer.consume(queue, (message) => {
        if (!message) return;
        received.push(Number(message.content.toString()));
        consumer.ack(message);
        if (received.length === ids.length) resolve();
      });
    });
    await within(60_000, () => `only ${received.length} of ${ids.length} messages consumed`, all);
    expect(received).toEqual(ids);
    expect((await consumer.checkQueue(queue)).messageCount).toBe(0);

    // The killed node boots again from its own data and is a running member, and a member of the queue, again.
    await cluster.startNode(leader);
    expect(await cluster.runningNodes(leader)).toEqual(cluster.nodes.map((n) => n.name).sort());
    const rows = JSON.parse(await cluster.rabbitmqctl(leader, ['list_queues', 'name', 'online', '--formatter', 'json'])) as {
      name: string;
      online: string[];
    }[];
    expect(rows.find((r) => r.name === queue)?.online).toContain(cluster.nodes[leader].name);
  }, 180_000);
});

describe('the client on quorum queues', () => {
  it('the node leading a quorum queue dies mid-stream: every job whose publish resolved runs, and both clients carry on through another node', async () => {
    const queue = 'stream';
    const admin = quorumOrchestrator(0);
    await admin.register(taskSchema(queue));
    const leader = await cluster.queueLeader(`${PREFIX}${queue}`, 0);

    // Publisher and consumer both start on the leader's node: its death cuts their connections and the queue's leader at once.
    const publisher = quorumOrchestrator(leader);
    const consumerSide = quorumOrchestrator(leader);
    await publisher.register(taskSchema(queue));
    await consumerSide.register(taskSchema(queue));

    const events = waiter();
    const resolved = new Set<string>();
    const resolvedAfterKill = new Set<string>();
    const ran = new Set<string>();
    let runs = 0;
    /** Publishes that failed: not resolved, so not counted. */
    const failures: unknown[] = [];
    let afterKill = false;
    const consumer = new FnConsumer(
      queue,
      (job) => {
        runs++;
        ran.add(job.id);
        events.signal();
      },
      { concurrency: 4 },
    );
    consumer.connect(consumerSide);
    const consuming = consumer.consume();

    let publishing = true;
    let n = 0;
    const publishLoop = (async () => {
      while (publishing) {
        const batch = Array.from({ length: 5 }, () => ({ label: `j${n++}` }));
        try {
          const { ids } = await publisher.publishBatch(queue, batch);
          for (const id of ids) (afterKill ? resolvedAfterKill : resolved).add(id);
        } catch (err) {
          // Unconfirmed when the connection went or in publishTimeoutMs (may or may not be enqueued), or nacked
          // by a channel that first published while the queue had no leader; the publisher goes on as an app would.
          if (!(err instanceof BrokerUnavailableError || err instanceof PublishRejectedError)) throw err;
          failures.push(err);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        events.signal();
      }
    })();

    await events.until(
      () => resolved.size >= 100 && ran.size >= 50,
      60_000,
      () => `only ${resolved.size} published, ${ran.size} run before the kill`,
    );
    await kill(leader);
    afterKill = true;
    await withQueueStatus(
      (leader + 1) % 3,
      events.until(
        () => resolvedAfterKill.size >= 100 && [...resolvedAfterKill].some((id) => ran.has(id)),
        90_000,
        () =>
          `after the kill only ${resolvedAfterKill.size} published and ${[...resolvedAfterKill].filter((id) => ran.has(id)).length} ` +
          `of them run (failed publishes: ${tally(failures)})`,
      ),
    );
    publishing = false;
    await publishLoop;

    const all = [...resolved, ...resolvedAfterKill];
    await events.until(
      () => all.every((id) => ran.has(id)),
      60_000,
      () => `${all.filter((id) => !ran.has(id)).length} of ${all.length} jobs whose publish resolved never ran`,
    );
    consumer.stop();
    await consuming;

    expect(all.filter((id) => !ran.has(id))).toEqual([]);
    expect(ran.size).toBeGreaterThanOrEqual(all.length);
    // A job runs twice only when its run was cut by the kill (redelivered) — bounded by the consumer's concurrency.
    expect(runs - ran.size).toBeLessThanOrEqual(4);
    expect([stateOf(publisher), stateOf(consumerSide)]).toEqual(['open', 'open']);
    const newLeader = await cluster.queueLeader(`${PREFIX}${queue}`, (leader + 1) % 3);
    expect(newLeader).not.toBe(leader);
    process.stdout.write(
      `leader node ${leader} killed: ${all.length} jobs resolved (${resolvedAfterKill.size} after the kill), failed publishes: ` +
        `${tally(failures)}; ${runs} runs of ${ran.size} jobs; leader now node ${newLeader}\n`,
    );
  }, 300_000);

  it('a delayed job waits in a quorum delay queue: the node it was published through dies, and it still runs on time', async () => {
    const queue = 'delayed';
    const admin = quorumOrchestrator(1);
    await admin.register(taskSchema(queue));
    const publisher = quorumOrchestrator(1);
    await publisher.register(taskSchema(queue));
    const consumerSide = quorumOrchestrator(2);
    await consumerSide.register(taskSchema(queue));

    const publishedAt = Date.now();
    const { ids } = await publisher.publishBatch(
      queue,
      Array.from({ length: 20 }, (_, i) => ({ label: `d${i}` })),
      { delay: 4000 },
    );
    // The delay queue was declared through node 1 and leads there; kill it before the delay ends.
    const delayQueues = JSON.parse(await cluster.rabbitmqctl(2, ['list_queues', 'name', 'type', 'leader', '--formatter', 'json'])) as {
      name: string;
      type: string;
      leader: string;
    }[];
    const delayQueue = delayQueues.filter((q) => q.name.startsWith(`${PREFIX}${queue}.delay.`));
    expect(delayQueue.map((q) => [q.type, q.leader])).toEqual([['quorum', cluster.nodes[1].name]]);
    await kill(1);

    // Published after the kill, through the survivors, into the same delay queue (now led by another node).
    // While the client reconnects a publish fails fast (BrokerUnavailableError), and while the delay queue
    // elects a leader it is nacked (PublishRejectedError): try again, as an app would.
    const later = await withQueueStatus(2, publishDelayedAfterKill(publisher, queue));
    ids.push(...later);

    const events = waiter();
    const ran = new Map<string, number>();
    const consumer = new FnConsumer(queue, (job) => {
      ran.set(job.id, Date.now() - publishedAt);
      events.signal();
    });
    consumer.connect(consumerSide);
    const consuming = consumer.consume();
    await events.until(
      () => ids.every((id) => ran.has(id)),
      60_000,
      () => `${ids.filter((id) => !ran.has(id)).length} of ${ids.length} delayed jobs never ran`,
    );
    consumer.stop();
    await consuming;
    expect(Math.min(...ran.values())).toBeGreaterThanOrEqual(4000);
  }, 180_000);
});

// Last: it leaves the cluster with two nodes.
it('a cleanly stopped node leaves the running list', async () => {
  const names = cluster.nodes.map((n) => n.name).sort();
  await cluster.stopNode(2);
  expect(await cluster.runningNodes(0)).toEqual(names.filter((n) => n !== cluster.nodes[2].name));
}, 60_000);
