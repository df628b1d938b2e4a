import { failureOf } from '../../lib/backend/job-failure';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('failureOf', () => {
  it('records an Error by name, message, stack and attempt', () => {
    class DiskFullError extends Error {
      override name = 'DiskFullError';
    }
    const error = new DiskFullError('no space left');
    const failure = failureOf(error, 2);
    expect(failure.name).toBe('DiskFullError');
    expect(failure.message).toBe('no space left');
    expect(failure.stack).toBe(error.stack);
    expect(failure.attempt).toBe(2);
    expect(failure.failedAt).toMatch(ISO_UTC);
  });

  it('keeps a thrown string as the message', () => {
    const failure = failureOf('plain string', 1);
    expect(failure.name).toBe('Error');
    expect(failure.message).toBe('plain string');
  });

  it('records a thrown plain object as JSON', () => {
    expect(failureOf({ code: 42 }, 1).message).toBe('{"code":42}');
  });

  it('records thrown undefined', () => {
    expect(failureOf(undefined, 1).message).toBe('undefined');
  });

  it('is JSON-safe', () => {
    const failure = failureOf(new Error('x'), 3);
    expect(JSON.parse(JSON.stringify(failure))).toEqual(failure);
  });

  it('does not itself throw on a value JSON cannot serialise (circular object)', () => {
    const circular: Record<string, unknown> = { code: 1 };
    circular.self = circular;
    const failure = failureOf(circular, 1);
    expect(typeof failure.message).toBe('string');
    expect(failure.attempt).toBe(1);
  });

  it('does not itself throw on a value JSON cannot serialise (BigInt)', () => {
    const failure = failureOf(10n, 1);
    expect(failure.message).toContain('10');
  });
});
