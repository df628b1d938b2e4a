import { LocalClient } from '../../lib';
import { isPending, LEASE, record, settledWithin } from './fixtures/memory-kit';

const ids = (deliveries: { job: { id: string } }[]): string[] => deliveries.map((d) => d.job.id);

/** The in-memory sliding window and hold: exact counts, shared by every fetcher of the queue, and timed wake-ups. */
describe('LocalClient in memory: rate limits and holds', () => {
  let client: LocalClient;
  beforeEach(async () => {
    client = new LocalClient();
    await client.declareQueue('q', 'fifo');
    await client.publish(
      'q',
      Array.from({ length: 10 }, (_, i) => ({ job: record(`j${i}`) })),
    );
  });
  afterEach(() => client.close());

  it('a window hands out exactly max, counting every limited fetch of the queue; a fetch without a limit is neither stopped nor counted', async () => {
    const limit = { max: 3, intervalMs: 60_000 };
    expect(ids(await client.fetch('q', 2, { wait: false, rateLimit: limit, ...LEASE }))).toEqual(['j0', 'j1']);
    expect(ids(await client.fetch('q', 5, { wait: false, rateLimit: limit, ...LEASE }))).toEqual(['j2']);
    expect(await client.fetch('q', 5, { wait: false, rateLimit: limit, ...LEASE })).toEqual([]);
    // Another consumer's wider limit measures the same window: three already went out.
    expect(ids(await client.fetch('q', 5, { wait: false, rateLimit: { max: 5, intervalMs: 60_000 }, ...LEASE }))).toEqual(['j3', 'j4']);
    expect(ids(await client.fetch('q', 2, { wait: false, ...LEASE }))).toEqual(['j5', 'j6']);
    expect(ids(await client.fetch('q', 5, { wait: false, rateLimit: { max: 6, intervalMs: 60_000 }, ...LEASE }))).toEqual(['j7']);
    expect(await client.queueStats('q')).toMatchObject({ waiting: 2, active: 8 });
  });

  it('settling and releasing do not give a slot back: the window counts hand-outs, not runs', async () => {
    const limit = { max: 2, intervalMs: 60_000 };
    const [a, b] = await client.fetch('q', 2, { wait: false, rateLimit: limit, ...LEASE });
    await client.complete(a, null);
    await client.release(b);
    expect(await client.fetch('q', 1, { wait: false, rateLimit: limit, ...LEASE })).toEqual([]);
  });

  it('a fetch waiting on a full window sleeps until the oldest hand-out leaves it, then takes what the window allows', async () => {
    const limit = { max: 2, intervalMs: 400 };
    const first = await client.fetch('q', 1, { wait: false, rateLimit: limit, ...LEASE });
    const firstAt = Date.now();
    // The second hand-out well after the first, so when the first leaves the window the second is still in it.
    await new Promise((resolve) => setTimeout(resolve, 150));
    await client.fetch('q', 1, { wait: false, rateLimit: limit, ...LEASE });
    const waiting = client.fetch('q', 5, { wait: true, rateLimit: limit, ...LEASE });
    expect(await isPending(waiting)).toBe(true);
    const next = await settledWithin(waiting);
    // Woken by the timer when the first entry left: one slot, so one job, and not before the window let it.
    expect(Date.now()).toBeGreaterThanOrEqual(firstAt + limit.intervalMs - 5);
    expect(ids(first)).toEqual(['j0']);
    expect(ids(next)).toEqual(['j2']);
  });

  it('a waiter on a full window does not hold up a waiter without a limit behind it', async () => {
    const limit = { max: 1, intervalMs: 60_000 };
    expect(ids(await client.fetch('q', 5, { wait: false, rateLimit: limit, ...LEASE }))).toEqual(['j0']);
    expect(await client.fetch('q', 10, { wait: false, ...LEASE })).toHaveLength(9);
    // The window is full and the queue empty: both fetches below wait, the limited one first.
    const limited = client.fetch('q', 1, { wait: true, rateLimit: limit, ...LEASE });
    const free = client.fetch('q', 1, { wait: true, ...LEASE });
    await client.publish('q', [{ job: record('late') }]);
    expect(ids(await settledWithin(free))).toEqual(['late']);
    expect(await isPending(limited)).toBe(true);
    await client.close();
    expect(await limited).toEqual([]);
  });

  it('a hold stops every fetcher until its end, a shorter hold does not shorten it, and a waiting fetch wakes when it ends', async () => {
    const until = Date.now() + 300;
    await client.holdQueue('q', until);
    await client.holdQueue('q', Date.now() + 10);
    expect(await client.fetch('q', 1, { wait: false, ...LEASE })).toEqual([]);
    expect(await client.fetch('q', 1, { wait: false, rateLimit: { max: 100, intervalMs: 1000 }, ...LEASE })).toEqual([]);
    const waiting = client.fetch('q', 1, { wait: true, ...LEASE });
    expect(await isPending(waiting)).toBe(true);
    expect(ids(await settledWithin(waiting))).toEqual(['j0']);
    expect(Date.now()).toBeGreaterThanOrEqual(until - 5);
    // Publishing during a hold enqueues as usual.
    expect(await client.countWaiting('q')).toBe(9);
  });

  it('resume during a hold does not end the hold, and a hold during a pause still holds after resume', async () => {
    await client.pauseQueue('q');
    const until = Date.now() + 250;
    await client.holdQueue('q', until);
    const waiting = client.fetch('q', 1, { wait: true, ...LEASE });
    await client.resumeQueue('q');
    expect(await isPending(waiting)).toBe(true);
    expect(ids(await settledWithin(waiting))).toEqual(['j0']);
    expect(Date.now()).toBeGreaterThanOrEqual(until - 5);
  });
});
