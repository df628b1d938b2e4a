import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Logger } from '../../lib/logger/logger';
import Redis from 'ioredis';
import { BrokerUnavailableError, JobsError, Orchestrator, RedisClient } from '../../lib';
import type { PublishItem } from '../../lib/backend/job-backend.interface';
import { taskSchema } from '../conformance/conformance.fixtures';
import { REDIS_URL, requireServer } from '../support/servers';
import { CuttingProxy } from './fixtures/cutting-proxy';
import { adminConnection, closedPort, deleteKeysUnder, eventually, uniquePrefix } from './fixtures/redis-test-kit';

/**
 * What a caller sees while Redis cannot be reached: every call ends within commandTimeoutMs with a
 * BrokerUnavailableError that names the call, the queue and the server — never a hang, never an
 * ioredis error of its own, never "[ioredis] Unhandled error event" on the console.
 */
const prefix = uniquePrefix();
const redisUrl = new URL(REDIS_URL);
const server = { host: redisUrl.hostname, port: Number(redisUrl.port || 6379) };
const admin = adminConnection();
const closing: { close(): Promise<unknown> }[] = [];
const consoleError = jest.spyOn(console, 'error');

beforeAll(() => requireServer('redis'));

afterAll(async () => {
  for (const item of closing.reverse()) await item.close().catch(() => undefined);
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
  consoleError.mockRestore();
});

function items(label: string): PublishItem[] {
  return [
    {
      job: {
        id: randomUUID(),
        name: 'q',
        schemaName: 'q',
        payload: { label },
        createdAt: new Date().toISOString(),
        priority: 0,
        attempt: 0,
      },
    },
  ];
}

function expectUnavailable(error: unknown, operation: string, queue: string | null, address: string): void {
  expect(error).toBeInstanceOf(BrokerUnavailableError);
  // Not a JobsError: consumers treat it as transient and retry their fetch with backoff.
  expect(error).not.toBeInstanceOf(JobsError);
  expect(error).toMatchObject({ operation, queue, address });
  const message = (error as Error).message;
  expect(message).toContain(queue === null ? operation : `${operation} on "${queue}"`);
  expect(message).toContain(`Redis at ${address}`);
}

it('against a port where nothing listens, every call rejects with BrokerUnavailableError naming call, queue and server', async () => {
  const port = await closedPort();
  const address = `127.0.0.1:${port}`;
  const yours = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: null });
  closing.push({ close: async () => yours.disconnect() });
  const forms: [string, RedisClient][] = [
    ['defaults', new RedisClient({ host: '127.0.0.1', port, prefix, commandTimeoutMs: 1500 })],
    // ioredis alone would queue these for ever: commandTimeoutMs bounds them.
    ['maxRetriesPerRequest: null', new RedisClient({ host: '127.0.0.1', port, prefix, commandTimeoutMs: 500, maxRetriesPerRequest: null })],
    ['an instance of yours', new RedisClient(yours, { prefix, commandTimeoutMs: 500 })],
  ];
  for (const [, client] of forms) {
    closing.push(client);
    expectUnavailable(await client.publish('orders', items('x')).catch((err: unknown) => err), 'publish', 'orders', address);
    expectUnavailable(await client.declareQueue('orders', 'fifo').catch((err: unknown) => err), 'declare', 'orders', address);
    expectUnavailable(await client.queueStats('orders').catch((err: unknown) => err), 'stats', 'orders', address);
    expectUnavailable(await client.getJob('some-id').catch((err: unknown) => err), 'getJob', null, address);
  }
  expect(consoleError.mock.calls.filter((call) => String(call[0]).includes('Unhandled error event'))).toEqual([]);
});

it('while the connection is cut and held, calls reject with BrokerUnavailableError; once it is back, the client works again', async () => {
  const queue = 'cut-and-held';
  const proxy = new CuttingProxy(server);
  const port = await proxy.listen();
  closing.push(proxy);
  const orchestrator = new Orchestrator(new RedisClient({ host: '127.0.0.1', port, prefix, commandTimeoutMs: 500 }));
  closing.push(orchestrator);
  await orchestrator.register(taskSchema(queue));
  const before = await orchestrator.publish(queue, { label: 'before' });

  proxy.cutAllAndHold();
  const error = await orchestrator.publish(queue, { label: 'during' }).catch((err: unknown) => err);
  expectUnavailable(error, 'publish', queue, `127.0.0.1:${port}`);
  expect((error as BrokerUnavailableError).reconnecting).toBe(true);

  proxy.reopen();
  const after = await orchestrator.publish(queue, { label: 'after' });
  expect((await orchestrator.getJob(before))?.status).toBe('waiting');
  expect((await orchestrator.getJob(after))?.status).toBe('waiting');
  expect(consoleError.mock.calls.filter((call) => String(call[0]).includes('Unhandled error event'))).toEqual([]);
});

describe('durability check at connect', () => {
  let child: ChildProcess | null = null;

  afterAll(() => {
    child?.kill();
  });

  it('warns once when Redis may evict keys (maxmemory-policy other than noeviction), not when it may not', async () => {
    const port = await closedPort();
    // A Redis of this test's own: the shared one's settings are not ours to change.
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'allkeys-lru'],
      { stdio: 'ignore' },
    );
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      const probe = new Redis({ host: '127.0.0.1', port, retryStrategy: () => 50, maxRetriesPerRequest: null });
      await probe.ping();
      probe.disconnect();

      const evicting = new RedisClient({ host: '127.0.0.1', port, prefix });
      closing.push(evicting);
      await evicting.declareQueue('q', 'fifo');
      const policyWarnings = () => warn.mock.calls.map((call) => String(call[0])).filter((message) => message.includes('maxmemory-policy'));
      await eventually('the eviction warning', () => policyWarnings().length > 0, 5000);
      expect(policyWarnings()).toEqual([expect.stringContaining(`Redis at 127.0.0.1:${port} has maxmemory-policy "allkeys-lru"`)]);

      const safe = new RedisClient(REDIS_URL, { prefix });
      closing.push(safe);
      await safe.declareQueue('q', 'fifo');
      await safe.queueStats('q');
      expect(policyWarnings()).toHaveLength(1);
    } finally {
      warn.mockRestore();
    }
  });
});
