import { InvalidOptionError } from '../../lib';
import { checkPriority, checkPublishOptions, dueTimeOf, type PublishOptions } from '../../lib/orchestrator/publish-options';
import { thrownBy } from '../support/thrown';

const NOW = 1_700_000_000_000;
const RANGE = [-255, 255] as const;

/** Runs `fn`, which must throw an InvalidOptionError, and returns that error. */
const invalidOptionFrom = (fn: () => unknown): InvalidOptionError => thrownBy(InvalidOptionError, fn);

describe('dueTimeOf', () => {
  beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW));
  afterEach(() => jest.restoreAllMocks());

  it('is undefined (now) without options', () => {
    expect(dueTimeOf('q', {})).toBeUndefined();
  });

  it('turns a delay into now + delay', () => {
    expect(dueTimeOf('q', { delay: 1500 })).toBe(NOW + 1500);
  });

  it('treats delay 0 as now', () => {
    expect(dueTimeOf('q', { delay: 0 })).toBeUndefined();
  });

  it('turns runAt into its time', () => {
    const runAt = new Date('2030-01-02T03:04:05.000Z');
    expect(dueTimeOf('q', { runAt })).toBe(runAt.getTime());
  });

  it('ignores priority, which checkPriority handles', () => {
    expect(dueTimeOf('q', { priority: 7 })).toBeUndefined();
  });

  it('rejects delay and runAt together', () => {
    const error = invalidOptionFrom(() => dueTimeOf('q', { delay: 10, runAt: new Date(NOW + 10) }));
    expect(error.option).toBe('delay');
    expect(error.message).toContain('runAt');
  });

  it.each([
    ['negative', -1],
    ['NaN', NaN],
    ['infinite', Infinity],
    ['a string', '100' as unknown as number],
  ])('rejects a %s delay, naming delay and the queue', (_label, delay) => {
    const error = invalidOptionFrom(() => dueTimeOf('object_detection', { delay }));
    expect(error.option).toBe('delay');
    expect(error.message).toContain('"delay"');
    expect(error.message).toContain('object_detection');
  });

  it.each([
    ['an invalid Date', new Date('not a date')],
    ['a number', NOW as unknown as Date],
    ['a string', '2030-01-01' as unknown as Date],
  ])('rejects %s as runAt, naming runAt', (_label, runAt) => {
    const error = invalidOptionFrom(() => dueTimeOf('object_detection', { runAt }));
    expect(error.option).toBe('runAt');
    expect(error.message).toContain('"runAt"');
  });
});

describe('checkPriority', () => {
  it('accepts whole numbers within the range, ends included', () => {
    for (const priority of [RANGE[0], -1, 0, 1, RANGE[1]]) {
      expect(() => checkPriority('q', priority, RANGE)).not.toThrow();
    }
  });

  it.each([
    ['not an integer', 1.5],
    ['NaN', NaN],
    ['infinite', Infinity],
    ['above the range', RANGE[1] + 1],
    ['below the range', RANGE[0] - 1],
  ])('rejects a priority %s, naming priority and the queue', (_label, priority) => {
    const error = invalidOptionFrom(() => checkPriority('object_detection', priority, RANGE));
    expect(error.option).toBe('priority');
    expect(error.message).toContain('"priority"');
    expect(error.message).toContain('object_detection');
    expect(error.message).toContain(String(priority));
  });
});

describe('checkPublishOptions', () => {
  it('accepts the publish options, alone or together', () => {
    for (const options of [{}, { priority: 1 }, { delay: 5 }, { runAt: new Date() }, { priority: 2, delay: 3 }]) {
      expect(() => checkPublishOptions('q', options)).not.toThrow();
    }
  });

  it('refuses attempts, naming it, the known options and where retries are set', () => {
    const error = invalidOptionFrom(() => checkPublishOptions('object_detection', { delay: 5000, attempts: 3 } as PublishOptions));
    expect(error.option).toBe('attempts');
    for (const mention of ['object_detection', 'priority, delay, runAt', 'consumer', 'attempts, backoff'])
      expect(error.message).toContain(mention);
  });

  it('refuses a misspelt option with a suggestion', () => {
    const error = invalidOptionFrom(() => checkPublishOptions('q', { delayMs: 5000 } as PublishOptions));
    expect(error.option).toBe('delayMs');
    expect(error.message).toContain('did you mean delay');
  });

  it('refuses an unknown option without a hint, still listing the known ones', () => {
    const error = invalidOptionFrom(() => checkPublishOptions('q', { lifo: true } as PublishOptions));
    expect(error.option).toBe('lifo');
    expect(error.message).toContain('known: priority, delay, runAt');
  });

  it.each([null, 5, 'fast', [1]])('refuses %p as the options themselves', (options) => {
    expect(invalidOptionFrom(() => checkPublishOptions('q', options as unknown as PublishOptions)).option).toBe('options');
  });
});
