import { InvalidOptionError, RabbitMQClient } from '../../lib';
import { resolveRabbitMQOptions } from '../../lib/backends/rabbitmq/rabbitmq-client.options';
import { decodeJob } from '../../lib/backends/rabbitmq/rabbitmq.message';
import { delayBucket } from '../../lib/backends/rabbitmq/rabbitmq.topology';
import { reconnectDelay } from '../../lib/backends/rabbitmq/rabbitmq.connection';

/** Options, URLs and the pure helpers; nothing here talks to a broker (construction never connects). */
describe('RabbitMQClient options', () => {
  it('defaults reach a local broker as guest, with heartbeat, default vhost and priorities up to 10', () => {
    expect(resolveRabbitMQOptions()).toMatchObject({
      protocol: 'amqp',
      host: 'localhost',
      port: 5672,
      username: 'guest',
      password: 'guest',
      vhost: '/',
      heartbeat: 30,
      prefetch: null,
      maxPriority: 10,
      prefix: '',
      tls: null,
    });
  });

  it('reads a URL: credentials and vhost percent-decoded, heartbeat from the query, TLS from amqps', () => {
    expect(resolveRabbitMQOptions('amqp://user:p%40ss@broker:5673/my%2Fvhost?heartbeat=5')).toMatchObject({
      host: 'broker',
      port: 5673,
      username: 'user',
      password: 'p@ss',
      vhost: 'my/vhost',
      heartbeat: 5,
    });
    expect(resolveRabbitMQOptions({ url: 'amqps://broker' })).toMatchObject({ protocol: 'amqps', port: 5671, tls: {}, vhost: '/' });
    expect(resolveRabbitMQOptions({ url: 'amqp://broker/' }).vhost).toBe('/');
    expect(resolveRabbitMQOptions({ url: 'amqp://u:secret@broker' }).address).not.toContain('secret');
  });

  it.each([
    [{ port: 0 }, 'port'],
    [{ port: 70000 }, 'port'],
    [{ host: '' }, 'host'],
    [{ vhost: '' }, 'vhost'],
    [{ heartbeat: -1 }, 'heartbeat'],
    [{ prefetch: 0 }, 'prefetch'],
    [{ maxPriority: 256 }, 'maxPriority'],
    [{ maxPriority: 0 }, 'maxPriority'],
    [{ prefix: 'amq.mine' }, 'prefix'],
    [{ reconnectDelays: [] }, 'reconnectDelays'],
    [{ url: 'http://broker' }, 'url'],
    [{ url: 'not a url' }, 'url'],
    [{ url: 'amqp://broker', host: 'other' }, 'host'],
    [{ jobStore: {} }, 'jobStore'],
    [{ prefech: 5 }, 'prefech'],
    [{ blockedTimeout: -1 }, 'blockedTimeout'],
    [{ url: 'amqp://broker?frame_max=100' }, 'url frame_max'],
    [{ url: 'amqp://broker?channel_max=70000' }, 'url channel_max'],
    [{ url: 'amqp://broker?heartbeat=' }, 'url heartbeat'],
    [{ url: 'amqp://broker?cacertfile=/ca.pem' }, 'url cacertfile'],
    [{ url: 'amqp://broker?locale=de' }, 'url locale'],
  ])('%j is an InvalidOptionError naming %s', (options, option) => {
    const error = (() => {
      try {
        new RabbitMQClient(options as never);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ option });
  });

  it('honours frame_max, channel_max and connection_timeout in a URL instead of dropping them', () => {
    expect(resolveRabbitMQOptions('amqp://broker?frame_max=131072&channel_max=16&connection_timeout=2500&heartbeat=7')).toMatchObject({
      frameMax: 131072,
      channelMax: 16,
      connectTimeout: 2500,
      heartbeat: 7,
    });
    expect(resolveRabbitMQOptions('amqp://broker')).toMatchObject({
      frameMax: null,
      channelMax: null,
      connectTimeout: 10_000,
      blockedTimeout: 5000,
    });
  });

  it('a client is made without connecting; capabilities follow maxPriority', async () => {
    const client = new RabbitMQClient({ port: 1, maxPriority: 20 });
    expect(client.connectionState).toBe('idle');
    expect(client.capabilities).toEqual({
      queueTypes: ['fifo', 'priority'],
      leases: false,
      priorityRange: [0, 20],
      stallCount: false,
      jobState: false,
      sharedJobState: false,
      releaseKeepsOrder: false,
      retriedPublishRunsOnce: false,
      queueListing: false,
      jobListing: ['dead'],
      pause: true,
      progress: false,
      schedules: false,
      rateLimit: false,
      deduplication: false,
    });
    await client.close();
    expect(client.connectionState).toBe('closed');
  });
});

describe('reconnect backoff', () => {
  const delays = [100, 250, 500, 1000, 2000, 5000];

  it('waits between half and all of the listed delay: equal jitter, from the injected random', () => {
    expect(delays.map((_, attempt) => reconnectDelay(delays, attempt, () => 0))).toEqual([50, 125, 250, 500, 1000, 2500]);
    expect(delays.map((_, attempt) => reconnectDelay(delays, attempt, () => 0.5))).toEqual([75, 188, 375, 750, 1500, 3750]);
    expect(delays.map((_, attempt) => reconnectDelay(delays, attempt, () => 0.999999))).toEqual(delays);
  });

  it('the last delay is the cap: attempts beyond the list repeat it, never more', () => {
    for (const attempt of [6, 7, 50, 10_000]) expect(reconnectDelay(delays, attempt, () => 0.999999)).toBe(5000);
    const random = seeded(42);
    const waits = Array.from({ length: 200 }, (_, attempt) => reconnectDelay(delays, attempt, random));
    expect(Math.max(...waits.slice(5))).toBeLessThanOrEqual(5000);
    expect(Math.min(...waits.slice(5))).toBeGreaterThanOrEqual(2500);
    // Jittered: clients cut off together spread out instead of all coming back at once.
    expect(new Set(waits.slice(5)).size).toBeGreaterThan(100);
  });
});

/** A small deterministic generator (mulberry32), so the schedule test is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('delay buckets', () => {
  it('rounds up to three significant digits: never sooner, at most 1% later', () => {
    expect([1, 30, 999, 1000, 1234, 98_765, 300_000].map(delayBucket)).toEqual([1, 30, 999, 1000, 1240, 98_800, 300_000]);
    for (const delay of [1001, 4321, 65_432, 7_654_321]) {
      expect(delayBucket(delay)).toBeGreaterThanOrEqual(delay);
      expect(delayBucket(delay)).toBeLessThanOrEqual(delay * 1.01);
    }
  });
});

describe('message decoding', () => {
  const job = { id: 'x', name: 'q', schemaName: 'q', payload: {}, createdAt: '2026-01-01T00:00:00Z', priority: 0, attempt: 0 };

  it('accepts a JobRecord and says precisely what is wrong with anything else', () => {
    expect(decodeJob(Buffer.from(JSON.stringify(job)))).toEqual({ record: job });
    expect(decodeJob(Buffer.from('{oops')).problem).toMatch(/not JSON/);
    expect(decodeJob(Buffer.from('[1]')).problem).toMatch(/JSON object/);
    expect(decodeJob(Buffer.from(JSON.stringify({ ...job, payload: 'x' }))).problem).toMatch(/"payload"/);
    expect(decodeJob(Buffer.from(JSON.stringify({ ...job, attempt: -1 }))).problem).toMatch(/"attempt"/);
    expect(decodeJob(Buffer.from(JSON.stringify({ ...job, id: '' }))).problem).toMatch(/"id"/);
  });
});
