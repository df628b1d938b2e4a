import Redis from 'ioredis';
import { startRedisSentinel, type LocalRedisSentinel } from '../support/redis-sentinel-kit';

/**
 * Smoke test of the Redis Sentinel kit (test/support/redis-sentinel-kit.ts): an ioredis client that
 * finds its primary through the sentinels keeps writing after the primary is SIGKILLed, on the
 * promoted replica, and what it wrote before the kill (acknowledged by the replica) is still there.
 */
let sentinel: LocalRedisSentinel;
let client: Redis | undefined;

beforeAll(async () => {
  sentinel = await startRedisSentinel();
  process.stdout.write(`Redis Sentinel kit: primary, replica and three sentinels ready after ${sentinel.startupMs} ms\n`);
}, 60_000);

afterAll(async () => {
  client?.disconnect();
  await sentinel?.stop();
});

it('the sentinels name the primary, which has the replica attached', async () => {
  const address = (await sentinel.node(sentinel.sentinels[0].port).call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', sentinel.name)) as string[];
  expect(address).toEqual([sentinel.primary.host, String(sentinel.primary.port)]);
  expect(await sentinel.node(sentinel.primary.port).info('replication')).toMatch(/connected_slaves:1/);
});

it('a client following the sentinels writes to the promoted replica after the primary is killed', async () => {
  client = new Redis({ sentinels: sentinel.sentinels, name: sentinel.name, maxRetriesPerRequest: null });
  client.on('error', () => undefined); // the killed primary's connection errors before the client moves on
  await client.set('before', 'written to the first primary');
  // The replica must hold the first write before the kill, or losing it would say nothing about the kit.
  expect(await client.wait(1, 5000)).toBe(1);

  const switched = sentinel.nextSwitch();
  const killedAt = Date.now();
  await sentinel.kill(sentinel.primary.port);
  const promoted = await switched;
  process.stdout.write(`Redis Sentinel kit: +switch-master ${Date.now() - killedAt} ms after the SIGKILL\n`);
  expect(promoted).toEqual(sentinel.replica);

  await client.set('after', 'written to the promoted replica');
  expect(await client.info('server')).toMatch(new RegExp(`tcp_port:${sentinel.replica.port}\\r?\\n`));
  const promotedNode = sentinel.node(sentinel.replica.port);
  expect(await promotedNode.info('replication')).toMatch(/role:master/);
  expect(await promotedNode.mget('before', 'after')).toEqual(['written to the first primary', 'written to the promoted replica']);
}, 60_000);
