import { randomUUID } from 'node:crypto';
import { BrokerAccessRefusedError, BrokerUnavailableError, JobsError, Orchestrator, RabbitMQClient } from '../../lib';
import { FnConsumer } from '../conformance/conformance.fixtures';
import { RABBITMQ_URL, requireServer } from '../support/servers';

/**
 * A refused login or vhost is a configuration error, not an outage: a typed JobsError naming the user or
 * vhost and what to check, so a consumer stops instead of retrying for ever.
 */
const opened: RabbitMQClient[] = [];

function clientWith(change: (url: URL) => void): RabbitMQClient {
  const url = new URL(RABBITMQ_URL);
  change(url);
  const client = new RabbitMQClient({ url: url.toString(), connectionName: `mt-refused-${randomUUID().slice(0, 8)}` });
  opened.push(client);
  return client;
}

beforeAll(() => requireServer('rabbitmq'));
afterAll(() => Promise.all(opened.map((c) => c.close())));

it('a wrong password is BrokerAccessRefusedError naming the user (never the password), every time, and stops a consumer', async () => {
  const client = clientWith((url) => (url.password = 'not-the-password'));
  const error = await client.declareQueue('anything', 'fifo').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BrokerAccessRefusedError);
  expect(error).toBeInstanceOf(JobsError);
  expect(error).not.toBeInstanceOf(BrokerUnavailableError);
  expect(error).toMatchObject({ refused: 'credentials', username: new URL(RABBITMQ_URL).username });
  expect((error as Error).message).toMatch(/username and password/);
  expect((error as Error).message).not.toMatch(/not-the-password/);
  // Not cached as "unavailable": the next call asks the broker again and gets the same answer.
  await expect(client.countWaiting('anything')).rejects.toBeInstanceOf(BrokerAccessRefusedError);

  const orchestrator = new Orchestrator(client);
  const consumer = new FnConsumer('anything', () => undefined);
  consumer.connect(orchestrator);
  await expect(consumer.consume()).rejects.toBeInstanceOf(BrokerAccessRefusedError);
});

it('an unknown vhost is BrokerAccessRefusedError naming the vhost and how to check it', async () => {
  const vhost = `mt-no-such-vhost-${randomUUID().slice(0, 8)}`;
  const client = clientWith((url) => (url.pathname = `/${vhost}`));
  const error = await client.declareQueue('anything', 'fifo').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BrokerAccessRefusedError);
  expect(error).toMatchObject({ refused: 'vhost', vhost });
  expect((error as Error).message).toContain(`vhost "${vhost}"`);
  expect((error as Error).message).toMatch(/list_vhosts/);
});
