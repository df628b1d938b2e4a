import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Orchestrator, RabbitMQClient, RedisClient } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { RABBITMQ_URL, REDIS_URL, requireServer } from '../support/servers';
import { CuttingProxy } from '../redis/fixtures/cutting-proxy';
import { adminConnection, deleteKeysUnder, killClientsNamed, uniquePrefix } from '../redis/fixtures/redis-test-kit';
import { closeConnectionsNamed, RabbitMQTestClients, testPrefix } from '../rabbitmq/fixtures/rabbitmq-test-kit';
import { healthWhen } from './support/health-watch';

/**
 * Health on the real brokers: the consumer's connection is cut from the server's side (Redis CLIENT
 * KILL, RabbitMQ closing it) while a proxy in front of the broker keeps the reconnects waiting, so the
 * outage lasts until the test ends it. Health reads down during it, up after, and the consumer runs a
 * job published after the outage. What is asserted is states and counts, never how long anything took.
 */
const HANG_GUARD_MS = 60_000;
const CHECK = { timeoutMs: 500 };

interface Broker {
  kind: 'redis' | 'rabbitmq';
  target: { host: string; port: number };
  orchestrator(port: number, name: string): Orchestrator;
  cut(name: string): Promise<number>;
  cleanUp(): Promise<void>;
}

function redisBroker(): Broker {
  const url = new URL(REDIS_URL);
  const prefix = uniquePrefix();
  const admin = adminConnection();
  return {
    kind: 'redis',
    target: { host: url.hostname, port: Number(url.port || 6379) },
    orchestrator: (port, name) =>
      new Orchestrator(new RedisClient({ host: url.hostname, port, connectionName: name, prefix, commandTimeoutMs: 1_000 })),
    cut: async (name) => (await killClientsNamed(admin, name)).length,
    cleanUp: async () => {
      await deleteKeysUnder(admin, prefix);
      admin.disconnect();
    },
  };
}

function rabbitBroker(): Broker {
  const url = new URL(RABBITMQ_URL);
  const clients = new RabbitMQTestClients({ prefix: testPrefix('health') });
  return {
    kind: 'rabbitmq',
    target: { host: url.hostname, port: Number(url.port || 5672) },
    orchestrator: (port, name) => {
      const proxied = new URL(RABBITMQ_URL);
      proxied.port = String(port);
      return new Orchestrator(clients.create({ url: proxied.toString(), connectionName: name }) as RabbitMQClient);
    },
    cut: (name) => closeConnectionsNamed(name),
    cleanUp: () => clients.deleteDeclaredQueues(),
  };
}

describe.each([
  { kind: 'redis', make: redisBroker },
  { kind: 'rabbitmq', make: rabbitBroker },
])('on $kind', ({ kind, make }) => {
  const broker = make();
  let proxy: CuttingProxy;
  let orchestrator: Orchestrator;

  beforeAll(() => requireServer(kind as 'redis' | 'rabbitmq'));
  afterAll(async () => {
    proxy?.reopen();
    await orchestrator?.close();
    await proxy?.close();
    await broker.cleanUp();
  }, HANG_GUARD_MS);

  it(
    'the connection cut from the server side reads down while it stays down, and up again once it is back',
    async () => {
      proxy = new CuttingProxy(broker.target);
      const port = await proxy.listen();
      const name = `mt-health-${randomUUID().slice(0, 8)}`;
      orchestrator = broker.orchestrator(port, name);
      const queue = 'watched';
      await orchestrator.register(taskSchema(queue));
      const completed: string[] = [];
      const consumer = new FnConsumer(queue, (job) => void completed.push(job.payload.label));
      consumer.connect(orchestrator);
      const consuming = consumer.consume();
      await orchestrator.publish(queue, { label: 'before' });
      const up = await healthWhen(orchestrator, (r) => r.status === 'up' && completed.length === 1, CHECK);
      expect(up.consumers).toEqual([expect.objectContaining({ queue, status: 'up', state: 'running' })]);

      proxy.holdNewConnections();
      expect(await broker.cut(name)).toBeGreaterThan(0);
      const down = await healthWhen(orchestrator, (r) => r.status === 'down', CHECK);
      expect(down.backend).toMatchObject({ status: 'down', error: expect.any(String) });

      proxy.reopen();
      const back = await healthWhen(orchestrator, (r) => r.status === 'up' && r.consumers.every((c) => c.state === 'running'), CHECK);
      expect(back.backend.status).toBe('up');
      await orchestrator.publish(queue, { label: 'after' });
      await healthWhen(orchestrator, () => completed.length === 2, CHECK);
      expect(completed).toEqual(['before', 'after']);
      await consumer.stop();
      await consuming;
    },
    HANG_GUARD_MS,
  );

  it(
    'a wedged consumer reads down while the broker answers',
    async () => {
      const name = `mt-health-${randomUUID().slice(0, 8)}`;
      const wedged = broker.orchestrator(broker.target.port, name);
      try {
        const queue = 'wedged';
        await wedged.register(taskSchema(queue));
        let open!: () => void;
        const gate = new Promise<void>((resolve) => (open = resolve));
        const consumer = new FnConsumer(queue, () => gate);
        consumer.connect(wedged);
        const consuming = consumer.consume();
        await wedged.publishBatch(queue, [{ label: 'hangs' }, { label: 'waits' }]);
        const down = await healthWhen(wedged, (r) => r.status === 'down', { ...CHECK, maxIdleMs: 50 });
        expect(down.backend.status).toBe('up');
        expect(down.consumers).toEqual([
          expect.objectContaining({ queue, status: 'down', state: 'running', reason: expect.stringContaining('has taken no job') }),
        ]);
        open();
        await healthWhen(wedged, (r) => r.status === 'up', { ...CHECK, maxIdleMs: 50 });
        await consumer.stop();
        await consuming;
      } finally {
        await wedged.close();
      }
    },
    HANG_GUARD_MS,
  );
});
