import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  InvalidOptionError,
  RabbitMQClient,
  TopologyConflictError,
  UnsupportedCapabilityError,
  type Delivery,
  type JobRecord,
} from '../../lib';
import { resolveRabbitMQOptions } from '../../lib/backends/rabbitmq/rabbitmq-client.options';
import { RABBITMQ_URL, requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix } from './fixtures/rabbitmq-test-kit';

/**
 * queueType 'quorum' on the machine's broker (one node: RabbitMQ 3.10 runs quorum queues there too):
 * what is declared, what is refused and how, and stalls counted from the broker's x-delivery-count.
 * The cluster behaviour is in test/scale/rabbitmq-quorum-cluster.spec.ts.
 */
const run = promisify(execFile);
const prefix = testPrefix('quorum');
const quorum = new RabbitMQTestClients({ prefix, queueType: 'quorum' });
const classic = new RabbitMQTestClients({ prefix });
const open: RabbitMQClient[] = [];

function client(kind: 'quorum' | 'classic', options: { connectionName?: string } = {}): RabbitMQClient {
  const made = (kind === 'quorum' ? quorum : classic).create(options);
  open.push(made);
  return made;
}

function job(id: string): JobRecord {
  return { id, name: 'q', schemaName: 'q', payload: {}, createdAt: new Date().toISOString(), priority: 0, attempt: 0 };
}

/** The broker's type and arguments of each of our queues, by name. */
async function brokerQueues(): Promise<Map<string, { type: string; arguments: Record<string, unknown> }>> {
  const { stdout } = await run('rabbitmqctl', ['list_queues', '--silent', 'name', 'type', 'arguments', '--formatter', 'json']);
  // rabbitmqctl's JSON gives arguments as [name, type, value] triples.
  const rows = JSON.parse(stdout) as { name: string; type: string; arguments: [string, string, unknown][] }[];
  return new Map(
    rows
      .filter((r) => r.name.startsWith(prefix))
      .map((r) => [r.name, { type: r.type, arguments: Object.fromEntries(r.arguments.map(([arg, , value]) => [arg, value])) }]),
  );
}

beforeAll(() => requireServer('rabbitmq'));
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await quorum.deleteDeclaredQueues();
  await classic.deleteDeclaredQueues();
});

describe('options', () => {
  it('queueType is classic or quorum, classic by default; urls list the nodes, tried in order', () => {
    expect(resolveRabbitMQOptions().queueKind).toBe('classic');
    expect(resolveRabbitMQOptions({ queueType: 'quorum' }).queueKind).toBe('quorum');
    expect(() => new RabbitMQClient({ queueType: 'stream' as never })).toThrow(InvalidOptionError);
    expect(() => new RabbitMQClient({ queueType: 'stream' as never })).toThrow(/queueType/);

    const resolved = resolveRabbitMQOptions({ urls: ['amqp://u:p@a:5681/v', 'amqp://u:p@b:5682/v'] });
    expect(resolved.nodes.map((n) => `${n.host}:${n.port}`)).toEqual(['a:5681', 'b:5682']);
    expect(resolved).toMatchObject({ host: 'a', port: 5681, username: 'u', vhost: 'v', address: 'amqp://a:5681,b:5682/v' });
  });

  it('refuses a list whose nodes differ in more than host and port, an empty list, and urls beside url or host', () => {
    expect(() => resolveRabbitMQOptions({ urls: ['amqp://u:p@a/v', 'amqp://u:p@b/w'] })).toThrow(/urls\[1\].*more than host and port/);
    expect(() => resolveRabbitMQOptions({ urls: [] })).toThrow(/urls/);
    expect(() => resolveRabbitMQOptions({ urls: ['amqp://a'], url: 'amqp://b' })).toThrow(/url/);
    expect(() => resolveRabbitMQOptions({ urls: ['amqp://a'], host: 'b' })).toThrow(/host/);
    expect(() => resolveRabbitMQOptions({ urls: ['amqp://a', 'http://b'] })).toThrow(/urls\[1\]/);
  });

  it('connects to the first node that answers: a dead first node is skipped', async () => {
    const alive = new URL(RABBITMQ_URL);
    const made = new RabbitMQClient({ urls: ['amqp://guest:guest@127.0.0.1:1', RABBITMQ_URL.replace(alive.search, '')], prefix });
    open.push(made);
    await made.declareQueue('first-alive', 'fifo');
    expect(made.connectionState).toBe('open');
    await made.deleteQueue('first-alive');
  });
});

describe('quorum queues', () => {
  it('declares the work, dead-letter and delay queues as quorum queues; delay queues dead-letter at least once', async () => {
    const c = client('quorum');
    expect(c.capabilities).toMatchObject({ queueTypes: ['fifo'], priorityRange: [0, 0], stallCount: true });
    await c.declareQueue('kinds', 'fifo');
    await c.publish('kinds', [{ job: job('later'), runAt: Date.now() + 60_000 }]);
    const queues = await brokerQueues();
    // The work queue dead-letters at most once (reject-publish, which at-least-once needs, stalls publishes while it elects a leader).
    const work = queues.get(`${prefix}kinds`);
    expect(work?.type).toBe('quorum');
    expect(work?.arguments).not.toHaveProperty('x-overflow');
    expect(queues.get(`${prefix}kinds.dead`)?.type).toBe('quorum');
    const delay = [...queues.keys()].find((name) => name.startsWith(`${prefix}kinds.delay.`)) as string;
    expect(queues.get(delay)).toMatchObject({ type: 'quorum', arguments: { 'x-dead-letter-strategy': 'at-least-once' } });
    await c.deleteQueue('kinds');
  });

  it('a priority queue on quorum queues is UnsupportedCapabilityError saying why (RabbitMQ 4) and what to do', async () => {
    const c = client('quorum');
    const refused = await c.declareQueue('prio', 'priority').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UnsupportedCapabilityError);
    expect((refused as Error).message).toMatch(/quorum.*RabbitMQ 4\.0.*'fifo'.*queueType 'classic'/s);
    expect(await c.queueType('prio')).toBeNull();
  });

  it('an existing classic queue declared as quorum, or the reverse, is TopologyConflictError naming both kinds; neither queue changes', async () => {
    await client('classic').declareQueue('was-classic', 'fifo');
    const asQuorum = await client('quorum')
      .declareQueue('was-classic', 'fifo')
      .catch((e: unknown) => e);
    expect(asQuorum).toBeInstanceOf(TopologyConflictError);
    expect((asQuorum as Error).message).toMatch(/as a classic queue.*declares quorum queues.*queueType 'classic'/);

    await client('quorum').declareQueue('was-quorum', 'fifo');
    const asClassic = await client('classic')
      .declareQueue('was-quorum', 'fifo')
      .catch((e: unknown) => e);
    expect(asClassic).toBeInstanceOf(TopologyConflictError);
    expect((asClassic as Error).message).toMatch(/as a quorum queue.*declares classic queues.*queueType 'quorum'/);

    const queues = await brokerQueues();
    expect([queues.get(`${prefix}was-classic`)?.type, queues.get(`${prefix}was-quorum`)?.type]).toEqual(['classic', 'quorum']);
  });

  it('stalls count the holders that died with the job (their connection closed), not the times this client gave it back unrun', async () => {
    const first = client('quorum');
    await first.declareQueue('stalls', 'fifo');
    await first.publish('stalls', [{ job: job('s') }]);
    const take = async (c: RabbitMQClient): Promise<Delivery> => (await c.fetch('stalls', 1, { wait: true, leaseMs: 1000 }))[0];

    expect((await take(first)).stalls).toBe(0);
    await first.close(); // the holder dies with the job
    const second = client('quorum');
    const given = await take(second);
    expect(given.stalls).toBe(1);
    await second.release(given); // unrun, and this client knows it: not a stall
    expect((await take(second)).stalls).toBe(1);
    await second.close(); // dies holding it
    const third = client('quorum');
    // Two deaths, and second's release, which only second knew was unrun (the documented limit: RabbitMQ
    // counts a nack with requeue as it counts a dead holder).
    const last = await take(third);
    expect(last).toMatchObject({ stalls: 3, job: { id: 's' } });
    await third.complete(last, null);
  });
});
