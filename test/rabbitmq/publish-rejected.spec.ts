import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Orchestrator, PublishRejectedError } from '../../lib';
import { taskSchema } from '../conformance/conformance.fixtures';
import { requireServer } from '../support/servers';
import { RabbitMQTestClients, testPrefix, until } from './fixtures/rabbitmq-test-kit';

/**
 * A broker nack (here: a queue at its length limit with overflow reject-publish, set by a policy that
 * matches this test's one queue only and is cleared after) is a PublishRejectedError naming the queue.
 */
const run = promisify(execFile);
const prefix = testPrefix('nack');
const clients = new RabbitMQTestClients({ prefix });
const policy = `${prefix}full`;
let orchestrator: Orchestrator;

beforeAll(async () => {
  await requireServer('rabbitmq');
  orchestrator = new Orchestrator(clients.create());
});

afterAll(async () => {
  await run('rabbitmqctl', ['clear_policy', policy]).catch(() => undefined);
  await orchestrator?.close();
  await clients.deleteDeclaredQueues();
});

async function policyOf(queue: string): Promise<string> {
  const { stdout } = await run('rabbitmqctl', ['list_queues', '--silent', '--no-table-headers', 'name', 'policy']);
  const line = stdout.split('\n').find((l) => l.split('\t')[0] === queue);
  return line?.split('\t')[1]?.trim() ?? '';
}

it('a publish the broker nacks is PublishRejectedError naming the queue and the count; nothing is enqueued', async () => {
  const queue = 'full';
  await orchestrator.register(taskSchema(queue));
  const work = `${prefix}${queue}`;
  const pattern = `^${work.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}$`;
  await run('rabbitmqctl', [
    'set_policy',
    '--apply-to',
    'queues',
    '--priority',
    '100',
    policy,
    pattern,
    '{"max-length":0,"overflow":"reject-publish"}',
  ]);
  await until(async () => (await policyOf(work)) === policy, 50);

  const error = await orchestrator.publishBatch(queue, [{ label: 'a' }, { label: 'b' }]).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PublishRejectedError);
  expect(error).toMatchObject({ queue, rejected: 2, total: 2 });
  expect((error as Error).message).toMatch(/x-max-length/);
  expect(await orchestrator.countQueueMessages(queue)).toBe(0);

  await run('rabbitmqctl', ['clear_policy', policy]);
  await until(async () => (await policyOf(work)) === '', 50);
  await orchestrator.publish(queue, { label: 'c' });
  expect(await orchestrator.countQueueMessages(queue)).toBe(1);
});
