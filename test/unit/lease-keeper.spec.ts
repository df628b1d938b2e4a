import { Logger } from '@nestjs/common';
import type { Delivery, JobBackend } from '../../lib';
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
});
