import 'reflect-metadata';
import { jobFromSchema, LocalClient, Orchestrator, RedisClient, useJobsLogger, type JobsLogger } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { requireServer } from '../support/servers';
import { closedPort } from '../redis/fixtures/redis-test-kit';
import { RabbitMQTestClients, testPrefix } from '../rabbitmq/fixtures/rabbitmq-test-kit';

/** Log lines an operator reads: one per consumer started and stopped, none per queue declared, causes first. */
interface Line {
  level: 'log' | 'warn' | 'error';
  message: string;
  context: string;
}

let lines: Line[] = [];
const recorder: JobsLogger = {
  log: (message, context) => void lines.push({ level: 'log', message, context }),
  warn: (message, context) => void lines.push({ level: 'warn', message, context }),
  error: (message, context) => void lines.push({ level: 'error', message, context }),
};

beforeEach(() => {
  lines = [];
  useJobsLogger(recorder);
});
afterAll(() => useJobsLogger(false));

describe('consumer lines', () => {
  it('a consumer that runs until stopped says once that it started (queue, concurrency, backend) and once that it stopped', async () => {
    const orchestrator = new Orchestrator(new LocalClient());
    try {
      await orchestrator.register(taskSchema('logged'));
      const consumer = new FnConsumer('logged', () => undefined, { concurrency: 4 });
      consumer.connect(orchestrator);
      const consuming = consumer.consume();
      for (let i = 0; i < 5; i++) await orchestrator.publish('logged', { label: `j${i}` });
      await consumer.stop();
      expect(await consuming).toBe(5);
      expect(lines).toEqual([
        { level: 'log', context: 'FnConsumer(logged)', message: 'started consuming "logged" (concurrency 4, prefetch 0) on LocalClient' },
        { level: 'log', context: 'FnConsumer(logged)', message: 'stopped consuming "logged" after settling 5 job(s)' },
      ]);
    } finally {
      await orchestrator.close();
    }
  });

  it('a bounded consume (consume(n), consumeUntilEmpty) logs nothing', async () => {
    const orchestrator = new Orchestrator(new LocalClient());
    try {
      await orchestrator.register(taskSchema('batch'));
      await orchestrator.publish('batch', { label: 'a' });
      const consumer = new FnConsumer('batch', () => undefined);
      consumer.connect(orchestrator);
      expect(await consumer.consume(1)).toBe(1);
      expect(await consumer.consumeUntilEmpty()).toBe(0);
      expect(lines).toEqual([]);
    } finally {
      await orchestrator.close();
    }
  });
});

describe('RabbitMQ declarations', () => {
  const clients = new RabbitMQTestClients({ prefix: testPrefix('logs') });
  beforeAll(() => requireServer('rabbitmq'));
  afterAll(() => clients.deleteDeclaredQueues());

  it('declaring queues logs the dead-letter bound once per client, not once per queue', async () => {
    const orchestrator = new Orchestrator(clients.create({ retention: { dead: { count: 1000 } } }));
    try {
      for (const queue of ['first', 'second', 'third']) await orchestrator.declareQueue(queue);
      const bound = lines.filter((line) => line.message.includes('dropped by the broker'));
      expect(bound).toHaveLength(1);
      expect(bound[0].message).toContain('beyond the newest 1000');
      expect(lines.filter((line) => line.level === 'log')).toHaveLength(1);
    } finally {
      await orchestrator.close();
    }
  });
});

describe('a broker that does not answer at start-up', () => {
  it('Redis: the error leads with the cause, and gives publish advice only for a publish', async () => {
    const port = await closedPort();
    const orchestrator = new Orchestrator(new RedisClient({ host: '127.0.0.1', port, commandTimeoutMs: 200 }));
    try {
      const declare = await orchestrator.register(taskSchema('unreachable')).catch((err: Error) => err);
      expect((declare as Error).message).toMatch(new RegExp(`^connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\b`));
      expect((declare as Error).message).toContain('declare on "unreachable" failed');
      expect((declare as Error).message).not.toContain('getJob');
      const publish = await orchestrator
        .publish('unreachable', jobFromSchema(taskSchema('unreachable'), { label: 'x' }))
        .catch((err: Error) => err);
      expect((publish as Error).message).toMatch(new RegExp(`^connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\b`));
      expect((publish as Error).message).toContain('the publish may have been carried out: getJob(id) tells');
    } finally {
      await orchestrator.close();
    }
  });
});
