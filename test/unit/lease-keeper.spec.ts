import { Logger } from '../../lib/logger/logger';
import { LeaseLostError, type Delivery, type JobBackend } from '../../lib';
import { LeaseKeeper } from '../../lib/consumer/lease-keeper';

function delivery(id: string): Delivery {
  return { queue: 'q', token: `t-${id}`, job: { id, name: 'q', schemaName: 'q', payload: {}, createdAt: '', priority: 0, attempt: 1 } };
}

function backendWith(leases: boolean) {
  const extended: string[] = [];
  const backend = {
    capabilities: { leases },
    extendLease: async (d: Delivery, leaseMs: number) => void extended.push(`${d.job.id}/${leaseMs}`),
  } as unknown as JobBackend;
  return { backend, extended };
}

describe('LeaseKeeper', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('extends every held delivery each leaseMs/3, and stops once nothing is held', () => {
    const { backend, extended } = backendWith(true);
    const keeper = new LeaseKeeper(backend, 3000, new Logger('test'));
    const a = delivery('a');
    const b = delivery('b');
    keeper.hold(a);
    keeper.hold(b);
    jest.advanceTimersByTime(1000);
    expect(extended).toEqual(['a/3000', 'b/3000']);
    keeper.forget(a);
    jest.advanceTimersByTime(1000);
    expect(extended).toEqual(['a/3000', 'b/3000', 'b/3000']);
    keeper.forget(b);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(5000);
    expect(extended).toHaveLength(3);
  });

  it('does nothing for a backend without leases', () => {
    const { backend, extended } = backendWith(false);
    const keeper = new LeaseKeeper(backend, 3000, new Logger('test'));
    keeper.hold(delivery('a'));
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(5000);
    expect(extended).toEqual([]);
  });

  describe('when an extension fails', () => {
    /** A backend whose extendLease fails for the ids in `failing` with the error made for them. */
    function failingBackend(failing: Map<string, (d: Delivery) => Error>) {
      const attempts: string[] = [];
      const backend = {
        capabilities: { leases: true },
        extendLease: async (d: Delivery) => {
          attempts.push(d.job.id);
          const fail = failing.get(d.job.id);
          if (fail) throw fail(d);
        },
      } as unknown as JobBackend;
      return { backend, attempts };
    }

    it('a lost lease is reported once to onLost, with the LeaseLostError, and no longer extended', async () => {
      const lost = new Map([['a', (d: Delivery) => new LeaseLostError(d.queue, d.job.id)]]);
      const { backend, attempts } = failingBackend(lost);
      const reported: [string, unknown][] = [];
      const logger = new Logger('test');
      const warn = jest.spyOn(logger, 'warn').mockImplementation(() => {});
      const keeper = new LeaseKeeper(backend, 30, logger, (d, error) => reported.push([d.job.id, error]));
      keeper.hold(delivery('a'));
      keeper.hold(delivery('b'));
      jest.advanceTimersByTime(10);
      await Promise.resolve();
      await Promise.resolve();
      jest.advanceTimersByTime(30);
      expect(reported).toHaveLength(1);
      expect(reported[0][0]).toBe('a');
      expect(reported[0][1]).toBeInstanceOf(LeaseLostError);
      expect(attempts.filter((id) => id === 'a')).toHaveLength(1);
      expect(attempts.filter((id) => id === 'b')).toHaveLength(4);
      expect(warn).not.toHaveBeenCalled();
    });

    it('any other error is logged with the job and queue, and the lease is tried again next round', async () => {
      const { backend, attempts } = failingBackend(new Map([['a', () => new Error('connection reset')]]));
      const onLost = jest.fn();
      const logger = new Logger('test');
      const warn = jest.spyOn(logger, 'warn').mockImplementation(() => {});
      const keeper = new LeaseKeeper(backend, 30, logger, onLost);
      keeper.hold(delivery('a'));
      jest.advanceTimersByTime(10);
      await Promise.resolve();
      await Promise.resolve();
      jest.advanceTimersByTime(10);
      expect(attempts).toEqual(['a', 'a']);
      expect(onLost).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toEqual(expect.stringContaining('job a on queue "q"'));
      expect(warn.mock.calls[0][0]).toEqual(expect.stringContaining('connection reset'));
    });

    it('a refusal that arrives after the job was forgotten (settled meanwhile) is ignored', async () => {
      const lost = new Map([['a', (d: Delivery) => new LeaseLostError(d.queue, d.job.id)]]);
      const { backend } = failingBackend(lost);
      const onLost = jest.fn();
      const keeper = new LeaseKeeper(backend, 30, new Logger('test'), onLost);
      const a = delivery('a');
      keeper.hold(a);
      jest.advanceTimersByTime(10);
      keeper.forget(a);
      await Promise.resolve();
      await Promise.resolve();
      expect(onLost).not.toHaveBeenCalled();
    });
  });
});
