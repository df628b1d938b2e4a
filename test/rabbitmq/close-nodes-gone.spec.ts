import { BackendClosedError, Orchestrator, RabbitMQClient } from '../../lib';
import { taskSchema } from '../conformance/conformance.fixtures';
import { requireServer } from '../support/servers';
import { NodeStandIn } from './fixtures/node-stand-in';
import { RabbitMQTestClients, testPrefix } from './fixtures/rabbitmq-test-kit';

/**
 * RabbitMQClient.close() when every node of `urls` is gone — killed, or silent — ends, and calls waiting
 * on a connection attempt fail at once with BackendClosedError. The nodes are stand-ins in front of the
 * real broker (fixtures/node-stand-in.ts): killing or silencing one never touches the broker itself.
 * Connection attempts here get a minute (connectTimeout), far longer than any wait the tests allow.
 */
const prefix = testPrefix('close-nodes-gone');
const clients = new RabbitMQTestClients({ prefix });
const nodes: NodeStandIn[] = [];
const opened: RabbitMQClient[] = [];

async function standIns(...upstreams: ('broker' | 'silent')[]): Promise<{ nodes: NodeStandIn[]; urls: string[] }> {
  const made = upstreams.map((kind) => new NodeStandIn(kind === 'broker' ? { host: '127.0.0.1', port: 5672 } : null));
  nodes.push(...made);
  return { nodes: made, urls: await Promise.all(made.map((node) => node.listen())) };
}

function clientOf(urls: string[], connectTimeout: number): RabbitMQClient {
  const client = clients.create({ url: undefined, urls, connectTimeout, reconnectDelays: [100] });
  opened.push(client);
  return client;
}

/** What `promise` settled with (its value or its error); fails the test, naming `what`, if it is still pending after 10 s. */
async function settled<T>(promise: Promise<T>, what: string): Promise<T | unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`${what} was still pending after 10 s`)), 10_000)),
  );
  try {
    return await Promise.race([promise.catch((err: unknown) => err), hang]);
  } finally {
    clearTimeout(timer);
  }
}

beforeAll(() => requireServer('rabbitmq'));

afterEach(async () => {
  for (const node of nodes.splice(0)) node.kill();
  await Promise.all(opened.splice(0).map((client) => client.close()));
});

afterAll(() => clients.deleteDeclaredQueues());

it('close() called just as every node dropped the connection ends (its close handshake is cut by the socket closing)', async () => {
  const { nodes, urls } = await standIns('broker', 'broker', 'broker');
  const client = clientOf(urls, 60_000);
  const orchestrator = new Orchestrator(client);
  await orchestrator.register(taskSchema('cut'));
  await orchestrator.publish('cut', { label: 'opens the confirm channel' });

  // In one tick: the client sends its connection.close before it has read that the socket ended —
  // amqplib then never settles its close() (only the broker's close-ok does).
  for (const node of nodes) node.kill();
  const closing = client.close();

  expect(await settled(closing, 'close()')).toBeUndefined();
  expect(client.connectionState).toBe('closed');
});

it('close() against a node gone silent ends within connectTimeout: consumers are not waited on for ever, the socket is cut', async () => {
  const { nodes, urls } = await standIns('broker', 'broker');
  const client = clientOf(urls, 1000);
  const orchestrator = new Orchestrator(client);
  await orchestrator.register(taskSchema('hush'));
  await orchestrator.publish('hush', { label: 'taken' });
  // A consuming subscription (its cancel and channel close need the broker's answers) and a job held.
  const [held] = await client.fetch(`hush`, 1, { wait: true, leaseMs: 30_000 });
  expect(held.job.payload).toEqual({ label: 'taken' });
  const waiting = client.fetch('hush', 1, { wait: true, leaseMs: 30_000 });

  nodes[0].silence();
  expect(await settled(client.close(), 'close()')).toBeUndefined();
  expect(await settled(waiting, 'the waiting fetch')).toEqual([]);
  // The client cut its socket rather than leave it to the heartbeat.
  await settled(
    nodes[0].until((node) => node.open === 0),
    'the silent node still holding the client connection',
  );
});

it('a call waiting on the first connection attempt fails at once with BackendClosedError when close() is called; no other node is tried', async () => {
  const { nodes, urls } = await standIns('silent', 'silent', 'silent');
  const client = new RabbitMQClient({ urls, prefix, connectTimeout: 60_000 });
  opened.push(client);
  const declaring = client.declareQueue('never', 'fifo');
  await settled(
    nodes[0].until((node) => node.accepted === 1),
    'the first connection attempt',
  );
  expect(client.connectionState).toBe('connecting');

  const closing = client.close();
  expect(await settled(declaring, 'the declare waiting on the connection')).toBeInstanceOf(BackendClosedError);
  expect(await settled(closing, 'close()')).toBeUndefined();
  await settled(
    nodes[0].until((node) => node.open === 0),
    'the attempt at the first node',
  );
  // The declare failed as soon as the attempt was cut, before any other node could have been tried.
  expect(nodes.map((node) => node.accepted)).toEqual([1, 0, 0]);
});

it('close() while reconnecting cuts the attempt under way instead of leaving it to connectTimeout', async () => {
  const { nodes, urls } = await standIns('broker', 'silent', 'silent');
  const client = clientOf(urls, 60_000);
  await new Orchestrator(client).register(taskSchema('moved'));

  nodes[0].kill();
  // Lost: the next node is tried, and it never answers the handshake.
  await settled(
    nodes[1].until((node) => node.accepted === 1),
    'the reconnection attempt at the second node',
  );
  expect(client.connectionState).toBe('reconnecting');

  expect(await settled(client.close(), 'close()')).toBeUndefined();
  await settled(
    nodes[1].until((node) => node.open === 0),
    'the reconnection attempt at the second node, after close()',
  );
  expect(nodes[2].accepted).toBe(0);
});
