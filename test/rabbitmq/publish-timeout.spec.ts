import { BrokerUnavailableError, InvalidOptionError, Orchestrator, PublishNotConfirmedError, RabbitMQClient } from '../../lib';
import { taskSchema } from '../conformance/conformance.fixtures';
import { requireServer } from '../support/servers';
import { ReplyHoldingProxy } from './fixtures/reply-holding-proxy';
import { RabbitMQTestClients, testPrefix } from './fixtures/rabbitmq-test-kit';

/**
 * A publish is bounded by `publishTimeoutMs`: when the broker's confirms do not come (here a proxy in
 * front of the real broker holds back everything it sends, so the broker takes the job and, to the
 * client, goes silent), the publish fails with PublishNotConfirmedError instead of waiting for ever,
 * and the client goes on publishing once the broker answers again.
 */
const clients = new RabbitMQTestClients({ prefix: testPrefix('publish-timeout') });
const proxy = new ReplyHoldingProxy({ host: '127.0.0.1', port: 5672 });
let orchestrator: Orchestrator;
let orchestratorUrl: string;

beforeAll(async () => {
  await requireServer('rabbitmq');
  const port = await proxy.listen();
  orchestratorUrl = `amqp://guest:guest@127.0.0.1:${port}`;
  orchestrator = new Orchestrator(clients.create({ url: orchestratorUrl, publishTimeoutMs: 300 }));
});

afterAll(async () => {
  proxy.release();
  await orchestrator?.close();
  await proxy.close();
  await clients.deleteDeclaredQueues();
});

/** The publish's outcome, or a failure naming the hang if it is still pending long after its bound. */
async function settled<T>(publishing: Promise<T>): Promise<T | unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the publish was still pending 10 s after its 300 ms publishTimeoutMs')), 10_000);
  });
  try {
    return await Promise.race([publishing.catch((err: unknown) => err), hang]);
  } finally {
    clearTimeout(timer);
  }
}

it('a publish the broker does not confirm within publishTimeoutMs fails with PublishNotConfirmedError; the next one goes through', async () => {
  const queue = 'silent';
  await orchestrator.register(taskSchema(queue));
  await orchestrator.publish(queue, { label: 'opens the confirm channel' });

  proxy.holdReplies();
  const error = await settled(orchestrator.publishBatch(queue, [{ label: 'a' }, { label: 'b' }]));
  expect(error).toBeInstanceOf(PublishNotConfirmedError);
  // Retried like a lost connection (a consumer's fetch, a job store's recognition of a retried publish).
  expect(error).toBeInstanceOf(BrokerUnavailableError);
  expect(error).toMatchObject({ queue, unconfirmed: 2 });
  expect((error as Error).message).toMatch(/did not confirm 2 message\(s\) published for queue "silent".*may or may not be enqueued/);

  proxy.release();
  await expect(orchestrator.publish(queue, { label: 'c' })).resolves.toEqual(expect.any(String));
  // The unconfirmed jobs did reach the broker: why the error says "may or may not be enqueued".
  expect(await orchestrator.countQueueMessages(queue)).toBe(4);
});

it('a publish held at its channel opening by a silent broker fails with PublishNotConfirmedError too', async () => {
  const queue = 'silent-open';
  const fresh = new Orchestrator(clients.create({ url: orchestratorUrl, publishTimeoutMs: 300 }));
  try {
    await fresh.register(taskSchema(queue));
    proxy.holdReplies();
    expect(await settled(fresh.publish(queue, { label: 'x' }))).toBeInstanceOf(PublishNotConfirmedError);
    proxy.release();
    await expect(fresh.publish(queue, { label: 'y' })).resolves.toEqual(expect.any(String));
  } finally {
    proxy.release();
    await fresh.close();
  }
});

it('publishTimeoutMs must be a whole number of milliseconds from 1', () => {
  for (const publishTimeoutMs of [0, -1, 1.5, Number.NaN]) {
    expect(() => new RabbitMQClient({ publishTimeoutMs })).toThrow(InvalidOptionError);
  }
});
