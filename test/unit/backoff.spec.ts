import { backoffDelay, type BackoffFunction } from '../../lib';

describe('backoffDelay', () => {
  afterEach(() => jest.restoreAllMocks());

  describe('fixed', () => {
    it('waits the same delay on every attempt', () => {
      const backoff = { type: 'fixed' as const, delay: 250 };
      expect([1, 2, 3, 10].map((attempt) => backoffDelay(backoff, attempt, new Error('x')))).toEqual([250, 250, 250, 250]);
    });

    it('is capped by maxDelay', () => {
      expect(backoffDelay({ type: 'fixed', delay: 5000, maxDelay: 1200 }, 1, null)).toBe(1200);
    });
  });

  describe('exponential', () => {
    it('doubles from delay: delay · 2^(attempt−1)', () => {
      const backoff = { type: 'exponential' as const, delay: 100 };
      expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(backoff, attempt, null))).toEqual([100, 200, 400, 800, 1600]);
    });

    it('stops growing at maxDelay', () => {
      const backoff = { type: 'exponential' as const, delay: 100, maxDelay: 1000 };
      expect([3, 4, 5, 30].map((attempt) => backoffDelay(backoff, attempt, null))).toEqual([400, 800, 1000, 1000]);
    });

    it('a delay of 0 means no wait', () => {
      expect(backoffDelay({ type: 'exponential', delay: 0 }, 6, null)).toBe(0);
    });
  });

  describe('jitter', () => {
    it('stays within [delay·(1−jitter), delay]', () => {
      const backoff = { type: 'fixed' as const, delay: 1000, jitter: 0.3 };
      for (let i = 0; i < 500; i++) {
        const delay = backoffDelay(backoff, 1, null);
        expect(delay).toBeGreaterThanOrEqual(700);
        expect(delay).toBeLessThanOrEqual(1000);
      }
    });

    it('applies to the capped exponential delay', () => {
      const backoff = { type: 'exponential' as const, delay: 100, maxDelay: 1000, jitter: 0.5 };
      for (let i = 0; i < 200; i++) {
        const delay = backoffDelay(backoff, 10, null);
        expect(delay).toBeGreaterThanOrEqual(500);
        expect(delay).toBeLessThanOrEqual(1000);
      }
    });

    it('reaches both ends of its range', () => {
      const backoff = { type: 'fixed' as const, delay: 1000, jitter: 0.25 };
      jest.spyOn(Math, 'random').mockReturnValue(0);
      expect(backoffDelay(backoff, 1, null)).toBe(1000);
      jest.spyOn(Math, 'random').mockReturnValue(0.999999);
      expect(backoffDelay(backoff, 1, null)).toBe(750);
    });

    it('actually spreads the delays', () => {
      const backoff = { type: 'fixed' as const, delay: 1000, jitter: 0.5 };
      const seen = new Set(Array.from({ length: 50 }, () => backoffDelay(backoff, 1, null)));
      expect(seen.size).toBeGreaterThan(1);
    });

    it('of 0 leaves the delay alone', () => {
      expect(backoffDelay({ type: 'fixed', delay: 1000, jitter: 0 }, 1, null)).toBe(1000);
    });
  });

  describe('function form', () => {
    it('is called with the attempt and the error, and its result is the delay', () => {
      const error = new Error('flaky');
      const fn = jest.fn<number, Parameters<BackoffFunction>>((attempt) => attempt * 7);
      expect(backoffDelay(fn, 3, error)).toBe(21);
      expect(fn).toHaveBeenCalledWith(3, error);
    });

    it.each([
      ['negative', -50],
      ['NaN', NaN],
    ])('turns a %s result into 0', (_label, value) => {
      expect(backoffDelay(() => value, 1, null)).toBe(0);
    });

    it('turns a non-number result into 0', () => {
      expect(backoffDelay((() => undefined) as unknown as BackoffFunction, 1, null)).toBe(0);
    });
  });
});
