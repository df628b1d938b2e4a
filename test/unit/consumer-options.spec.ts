import { InvalidOptionError, backoffDelay, resolveConsumerOptions, type ConsumerOptions } from '../../lib';
import { wasGiven } from '../../lib/consumer/consumer-options';
import { thrownBy } from '../support/thrown';

const WHERE = 'DetectionConsumer("object_detection")';

/** Runs `fn`, which must throw an InvalidOptionError, and returns that error. */
const invalidOptionFrom = (fn: () => unknown): InvalidOptionError => thrownBy(InvalidOptionError, fn);

describe('resolveConsumerOptions', () => {
  it('fills in the defaults', () => {
    const resolved = resolveConsumerOptions(WHERE);
    expect(resolved.concurrency).toBe(1);
    expect(resolved.attempts).toBe(1);
    expect(resolved.leaseMs).toBe(30_000);
    expect(resolved.prefetch).toBe('auto');
    expect(resolved.maxStalls).toBe(1);
    expect(resolved.timeout).toBeUndefined();
    expect(resolved.timeoutGrace).toBe(5000);
    expect(resolved.maxAbandonedRuns).toBe(10);
    expect(resolved.backoff).toEqual({ type: 'exponential', delay: 1000, maxDelay: 300_000 });
  });

  it('gives the same defaults for an empty object and for undefined values', () => {
    expect(resolveConsumerOptions(WHERE, {})).toEqual(resolveConsumerOptions(WHERE));
    expect(resolveConsumerOptions(WHERE, { concurrency: undefined, timeout: undefined })).toEqual(resolveConsumerOptions(WHERE));
  });

  it("accepts prefetch 'auto', with a rateLimit too (it then takes nothing ahead), and refuses a number with one", () => {
    const rateLimit = { max: 5, intervalMs: 1000 };
    expect(resolveConsumerOptions(WHERE, { prefetch: 'auto' }).prefetch).toBe('auto');
    expect(resolveConsumerOptions(WHERE, { rateLimit }).prefetch).toBe('auto');
    expect(resolveConsumerOptions(WHERE, { prefetch: 'auto', rateLimit }).rateLimit).toEqual(rateLimit);
    expect(resolveConsumerOptions(WHERE, { prefetch: 0, rateLimit }).prefetch).toBe(0);
    expect(invalidOptionFrom(() => resolveConsumerOptions(WHERE, { prefetch: 1, rateLimit })).option).toBe('prefetch');
  });

  it('keeps valid options', () => {
    const backoff = (attempt: number) => attempt * 10;
    const given = {
      concurrency: 4,
      attempts: 3,
      timeout: 500,
      timeoutGrace: 0,
      maxAbandonedRuns: 2,
      leaseMs: 1000,
      prefetch: 8,
      maxStalls: 0,
      backoff,
    };
    expect(resolveConsumerOptions(WHERE, given)).toEqual(given);
  });

  it('accepts a complete backoff strategy', () => {
    const backoff = { type: 'fixed' as const, delay: 0, maxDelay: 10, jitter: 1 };
    expect(resolveConsumerOptions(WHERE, { backoff }).backoff).toEqual(backoff);
  });

  it('does not change the options object it is given', () => {
    const options: ConsumerOptions = { concurrency: 2 };
    resolveConsumerOptions(WHERE, options);
    expect(options).toEqual({ concurrency: 2 });
  });

  it.each<[string, ConsumerOptions, string]>([
    ['concurrency 0', { concurrency: 0 }, 'concurrency'],
    ['concurrency 1.5', { concurrency: 1.5 }, 'concurrency'],
    ['concurrency -1', { concurrency: -1 }, 'concurrency'],
    ['concurrency NaN', { concurrency: NaN }, 'concurrency'],
    ['concurrency as a string', { concurrency: '2' as never }, 'concurrency'],
    ['attempts 0', { attempts: 0 }, 'attempts'],
    ['attempts 2.5', { attempts: 2.5 }, 'attempts'],
    ['timeout -5', { timeout: -5 }, 'timeout'],
    ['timeout 0', { timeout: 0 }, 'timeout'],
    ['leaseMs 0', { leaseMs: 0 }, 'leaseMs'],
    ['prefetch -1', { prefetch: -1 }, 'prefetch'],
    ['prefetch 0.5', { prefetch: 0.5 }, 'prefetch'],
    ["prefetch 'fast'", { prefetch: 'fast' as never }, 'prefetch'],
    ['maxStalls -1', { maxStalls: -1 }, 'maxStalls'],
    ['timeoutGrace -1', { timeout: 100, timeoutGrace: -1 }, 'timeoutGrace'],
    ['timeoutGrace 0.5', { timeout: 100, timeoutGrace: 0.5 }, 'timeoutGrace'],
    ['maxAbandonedRuns 0', { maxAbandonedRuns: 0 }, 'maxAbandonedRuns'],
    ['maxAbandonedRuns Infinity', { maxAbandonedRuns: Infinity }, 'maxAbandonedRuns'],
    ['unknown key concurency', { concurency: 2 } as ConsumerOptions, 'concurency'],
    ["backoff type 'linear'", { backoff: { type: 'linear', delay: 10 } as never }, 'backoff.type'],
    ['an unknown backoff field', { backoff: { type: 'exponential', delay: 10, max: 50 } as never }, 'backoff.max'],
    ['backoff as an array', { backoff: [] as never }, 'backoff'],
    ['backoff null', { backoff: null as never }, 'backoff'],
    ['backoff delay -1', { backoff: { type: 'fixed', delay: -1 } }, 'backoff.delay'],
    ['backoff delay NaN', { backoff: { type: 'fixed', delay: NaN } }, 'backoff.delay'],
    ['backoff maxDelay -1', { backoff: { type: 'exponential', delay: 1, maxDelay: -1 } }, 'backoff.maxDelay'],
    ['jitter 2', { backoff: { type: 'exponential', delay: 100, jitter: 2 } }, 'backoff.jitter'],
    ['jitter -0.1', { backoff: { type: 'exponential', delay: 100, jitter: -0.1 } }, 'backoff.jitter'],
  ])('rejects %s, naming the option and where', (_label, options, option) => {
    const error = invalidOptionFrom(() => resolveConsumerOptions(WHERE, options));
    expect(error.option).toBe(option);
    expect(error.where).toBe(WHERE);
    expect(error.message).toContain(`"${option}"`);
    expect(error.message).toContain(WHERE);
  });

  it('rejects options that are not an object', () => {
    const error = invalidOptionFrom(() => resolveConsumerOptions(WHERE, null as never));
    expect(error.option).toBe('options');
    expect(error.message).toContain(WHERE);
  });

  it('lists the known options when it meets an unknown one', () => {
    const error = invalidOptionFrom(() => resolveConsumerOptions(WHERE, { concurency: 2 } as ConsumerOptions));
    expect(error.message).toContain('concurrency');
  });

  describe('backoff strategy merged with the default field by field', () => {
    it.each<[string, ConsumerOptions['backoff'], object]>([
      ['only type and delay', { type: 'exponential', delay: 500 }, { type: 'exponential', delay: 500, maxDelay: 300_000 }],
      ['only a delay', { delay: 20 }, { type: 'exponential', delay: 20, maxDelay: 300_000 }],
      ['only a type', { type: 'fixed' }, { type: 'fixed', delay: 1000, maxDelay: 300_000 }],
      ['a jitter', { jitter: 0.5 }, { type: 'exponential', delay: 1000, maxDelay: 300_000, jitter: 0.5 }],
      ['a maxDelay, with undefined fields', { type: undefined, delay: 5, maxDelay: 60 }, { type: 'exponential', delay: 5, maxDelay: 60 }],
    ])('%s', (_label, backoff, expected) => {
      expect(resolveConsumerOptions(WHERE, { backoff }).backoff).toEqual(expected);
    });

    it('keeps an exponential backoff without maxDelay under the default ceiling', () => {
      const { backoff } = resolveConsumerOptions(WHERE, { backoff: { type: 'exponential', delay: 1000 } });
      expect([1, 9, 10, 30].map((attempt) => backoffDelay(backoff, attempt, null))).toEqual([1000, 256_000, 300_000, 300_000]);
    });

    it('leaves a backoff function as it is', () => {
      const backoff = (attempt: number) => attempt;
      expect(resolveConsumerOptions(WHERE, { backoff }).backoff).toBe(backoff);
    });
  });

  describe('wasGiven', () => {
    it('tells an option the user set from one filled in by default', () => {
      const explicit = resolveConsumerOptions(WHERE, { maxStalls: 1 });
      const defaulted = resolveConsumerOptions(WHERE, { maxStalls: undefined });
      expect(wasGiven(explicit, 'maxStalls')).toBe(true);
      expect(wasGiven(defaulted, 'maxStalls')).toBe(false);
      expect(wasGiven(explicit, 'concurrency')).toBe(false);
      expect(wasGiven({ ...explicit }, 'maxStalls')).toBe(false);
    });
  });
});
