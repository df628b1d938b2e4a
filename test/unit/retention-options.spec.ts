import { InvalidOptionError, type RetentionOptions } from '../../lib';
import { DEFAULT_RETENTION, resolveRetention } from '../../lib/backend/retention-options';
import { thrownBy } from '../support/thrown';

const refused = (retention: unknown): InvalidOptionError =>
  thrownBy(InvalidOptionError, () => resolveRetention('MyBackend', retention as RetentionOptions));

describe('resolveRetention', () => {
  it('fills in the defaults: 1,000 completed for 24 h, the newest 10,000 dead letters however old', () => {
    expect(resolveRetention('x')).toEqual({ completed: { count: 1000, ageMs: 86_400_000 }, dead: { count: 10_000, ageMs: Infinity } });
    expect(DEFAULT_RETENTION.dead.count).toBe(10_000);
  });

  it('takes each rule field by field, keeping the defaults of the fields not given (undefined included)', () => {
    expect(resolveRetention('x', { completed: { ageMs: 5 }, dead: { count: Infinity, ageMs: undefined } })).toEqual({
      completed: { count: 1000, ageMs: 5 },
      dead: { count: Infinity, ageMs: Infinity },
    });
  });

  it.each([
    ['a misspelt kind', { complete: { count: 10 } }, 'retention.complete', 'known: completed, dead'],
    ['an unknown rule field', { completed: { max: 10 } }, 'retention.completed.max', 'known: count, ageMs'],
    ['a rule that is not an object', { dead: 5 }, 'retention.dead', 'must be an object'],
    ['retention that is not an object', 'forever', 'retention', 'must be an object'],
    ['a fractional count', { dead: { count: 2.5 } }, 'retention.dead.count', 'whole number'],
    ['a negative count', { completed: { count: -1 } }, 'retention.completed.count', '>= 0'],
    ['a NaN age', { dead: { ageMs: Number.NaN } }, 'retention.dead.ageMs', 'milliseconds'],
    ['a string age', { completed: { ageMs: '1h' } }, 'retention.completed.ageMs', 'milliseconds'],
  ])('refuses %s, naming the option and the backend', (_label, retention, option, problem) => {
    const error = refused(retention);
    expect(error.option).toBe(option);
    expect(error.message).toContain('MyBackend');
    expect(error.message).toContain(problem);
  });
});
