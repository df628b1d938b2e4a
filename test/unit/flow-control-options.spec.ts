import { InvalidOptionError, LocalClient, Orchestrator, resolveConsumerOptions, UnsupportedCapabilityError } from '../../lib';
import { checkDeduplication } from '../../lib/orchestrator/deduplication-options';
import { checkProgress, MAX_PROGRESS_BYTES } from '../../lib/consumer/progress-value';
import { requireCapability } from '../../lib/orchestrator/required-capability';
import { RabbitMQClient } from '../../lib/backends/rabbitmq';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { thrownBy } from '../support/thrown';

const WHERE = 'GeocodeConsumer("geocode")';
const invalid = (fn: () => unknown): InvalidOptionError => thrownBy(InvalidOptionError, fn);

describe('ConsumerOptions.rateLimit', () => {
  it('is kept as { max, intervalMs }, and absent by default', () => {
    expect(resolveConsumerOptions(WHERE).rateLimit).toBeUndefined();
    expect(resolveConsumerOptions(WHERE, { concurrency: 10, rateLimit: { max: 50, intervalMs: 1000 } }).rateLimit).toEqual({
      max: 50,
      intervalMs: 1000,
    });
  });

  it('is refused with a prefetch, naming prefetch and why', () => {
    const error = invalid(() => resolveConsumerOptions(WHERE, { prefetch: 4, rateLimit: { max: 5, intervalMs: 1000 } }));
    expect(error.option).toBe('prefetch');
    expect(error.message).toContain('outside the window it was counted in');
  });

  it('names the field at fault', () => {
    const option = (rateLimit: unknown) => invalid(() => resolveConsumerOptions(WHERE, { rateLimit } as never)).option;
    expect(option({ max: 0, intervalMs: 1000 })).toBe('rateLimit.max');
    expect(option({ max: 2.5, intervalMs: 1000 })).toBe('rateLimit.max');
    expect(option({ max: 5 })).toBe('rateLimit.intervalMs');
    expect(option({ max: 5, intervalMs: -1 })).toBe('rateLimit.intervalMs');
    expect(option({ max: 5, intervalMs: 1000, burst: 2 })).toBe('rateLimit.burst');
    expect(option(50)).toBe('rateLimit');
  });
});

describe('the deduplication publish option', () => {
  const where = 'publish to "reindex"';

  it('is kept without undefined fields', () => {
    expect(checkDeduplication(where, { key: 'doc-7' })).toEqual({ key: 'doc-7' });
    expect(checkDeduplication(where, { key: 'doc-7', ttlMs: 5000, replace: true })).toEqual({
      key: 'doc-7',
      ttlMs: 5000,
      replace: true,
    });
  });

  it('names the field at fault', () => {
    const option = (deduplication: unknown) => invalid(() => checkDeduplication(where, deduplication)).option;
    expect(option({ key: '' })).toBe('deduplication.key');
    expect(option({ key: 'x'.repeat(513) })).toBe('deduplication.key');
    expect(option({ key: 7 })).toBe('deduplication.key');
    expect(option({ key: 'k', ttlMs: 0 })).toBe('deduplication.ttlMs');
    expect(option({ key: 'k', ttlMs: 1.5 })).toBe('deduplication.ttlMs');
    expect(option({ key: 'k', replace: 'yes' })).toBe('deduplication.replace');
    expect(option({ key: 'k', window: 10 })).toBe('deduplication.window');
    expect(option('doc-7')).toBe('deduplication');
  });

  it('is refused by publishBatch, which says to publish each', async () => {
    const orchestrator = new Orchestrator(new LocalClient());
    const queue = await orchestrator.register(taskSchema('reindex'));
    const error = await orchestrator.publishBatch(queue, [{ label: 'a' }], { deduplication: { key: 'k' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe('deduplication');
    expect((error as Error).message).toContain('publish each job');
    expect(await orchestrator.countQueueMessages(queue)).toBe(0);
    await orchestrator.close();
  });
});

describe('a progress value', () => {
  it('is a finite number, or a detached JSON copy of a plain object', () => {
    expect(checkProgress('q', 40)).toBe(40);
    expect(checkProgress('q', -1.5)).toBe(-1.5);
    const reported = { stage: 'upload', done: 3, at: new Date('2026-01-01T00:00:00Z'), skip: undefined };
    const copy = checkProgress('q', reported);
    expect(copy).toEqual({ stage: 'upload', done: 3, at: '2026-01-01T00:00:00.000Z' });
    reported.done = 4;
    expect(copy).toEqual(expect.objectContaining({ done: 3 }));
    expect(checkProgress('q', Object.assign(Object.create(null), { done: 1 }))).toEqual({ done: 1 });
  });

  it('is refused otherwise with InvalidOptionError, saying what it got', () => {
    const message = (value: unknown) => invalid(() => checkProgress('q', value)).message;
    expect(message(Number.NaN)).toContain('must be a finite number or a plain object, got NaN');
    expect(message(Infinity)).toContain('got Infinity');
    expect(message('40%')).toContain('got string');
    expect(message([40])).toContain('got an array');
    expect(message(null)).toContain('got null');
    expect(message(undefined)).toContain('got undefined');
    expect(message(new Map())).toContain('got object');
    expect(message({ done: Number.NaN })).toContain('cannot be carried as JSON');
    expect(message({ big: 1n })).toContain('cannot be carried as JSON');
  });

  it('weighs at most 64 KiB as JSON', () => {
    const padding = MAX_PROGRESS_BYTES - '{"log":""}'.length;
    expect(checkProgress('q', { log: 'x'.repeat(padding) })).toEqual({ log: 'x'.repeat(padding) });
    expect(invalid(() => checkProgress('q', { log: 'x'.repeat(padding + 1) })).message).toContain(
      `is ${MAX_PROGRESS_BYTES + 1} bytes as JSON, over the limit of ${MAX_PROGRESS_BYTES} (64 KiB)`,
    );
  });
});

describe('a feature the backend lacks', () => {
  // Never connects: every call below is refused before the backend is used.
  const rabbit = new RabbitMQClient({ url: 'amqp://127.0.0.1:1' });

  it('is refused with UnsupportedCapabilityError naming the feature and the backends that have it', async () => {
    const orchestrator = new Orchestrator(rabbit);
    const refusal = async (call: () => Promise<unknown>): Promise<UnsupportedCapabilityError> => {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedCapabilityError);
      return error as UnsupportedCapabilityError;
    };
    const scheduled = await refusal(() => orchestrator.schedule('reports', 'nightly', { every: 1000 }, {}));
    expect(scheduled.message).toMatch(/^RabbitMQClient does not support schedule \(repeatable jobs\) — RedisClient and LocalClient keep/);
    expect((await refusal(() => orchestrator.schedules())).capability).toBe('schedules (repeatable jobs)');
    expect((await refusal(() => orchestrator.unschedule('reports', 'nightly'))).capability).toBe('unschedule (repeatable jobs)');
    const deduplicated = await refusal(() => orchestrator.publish('reindex', { label: 'a' }, { deduplication: { key: 'k' } }));
    expect(deduplicated.message).toContain('RedisClient and LocalClient keep deduplication keys');
    expect(() => requireCapability(rabbit, 'rateLimit', 'the consumer option rateLimit')).toThrow(
      /RabbitMQClient does not support the consumer option rateLimit — RedisClient and LocalClient enforce a rate limit/,
    );
    expect(() => requireCapability(rabbit, 'progress', 'progress')).toThrow(/RabbitMQClient with a jobStore keep progress/);
  });

  it('makes consume() of a consumer with rateLimit reject before it takes anything', async () => {
    const orchestrator = new Orchestrator(rabbit);
    const consumer = new FnConsumer('geocode', () => undefined, { rateLimit: { max: 5, intervalMs: 1000 } });
    consumer.connect(orchestrator);
    const error = await consumer.consume(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedCapabilityError);
    expect((error as Error).message).toContain('the consumer option rateLimit (queue "geocode")');
  });

  afterAll(() => rabbit.close());
});
