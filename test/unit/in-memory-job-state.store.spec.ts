import { BackendClosedError, InMemoryJobStateStore, type JobRecord } from '../../lib';

const record = (id: string): JobRecord => ({
  id,
  name: 'n',
  schemaName: 'n',
  payload: {},
  createdAt: new Date().toISOString(),
  priority: 0,
  attempt: 1,
});
const failure = { name: 'Error', message: 'x', attempt: 1, failedAt: new Date().toISOString() };

describe('InMemoryJobStateStore retention on an idle queue', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** The states the store still holds in memory, whether or not anyone reads them. */
  const held = (store: InMemoryJobStateStore): number => (store as unknown as { jobs: Map<string, unknown> }).jobs.size;

  it('one timer frees expired completed and dead states without any read, then stops', async () => {
    const store = new InMemoryJobStateStore({ retention: { completed: { ageMs: 1000 }, dead: { ageMs: 3000 } } });
    await store.published('q', [
      { job: record('done'), runAt: null },
      { job: record('dead'), runAt: null },
      { job: record('waits'), runAt: null },
    ]);
    await store.completed('q', record('done'), { ok: true });
    await store.dead('q', record('dead'), failure);

    jest.advanceTimersByTime(1001);
    expect(held(store)).toBe(2);
    jest.advanceTimersByTime(2000);
    expect(held(store)).toBe(1);
    expect(await store.get('waits')).toMatchObject({ status: 'waiting' });
    expect(jest.getTimerCount()).toBe(0);
    await store.close();
  });

  it('close() clears its timer', async () => {
    const store = new InMemoryJobStateStore({ retention: { completed: { ageMs: 1000 } } });
    await store.completed('q', record('done'), null);
    expect(jest.getTimerCount()).toBe(1);
    await store.close();
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('InMemoryJobStateStore waiters', () => {
  /** Rejects instead of hanging when a wait the test expects to end never does. */
  function settledWithin<T>(promise: Promise<T>, ms = 5000): Promise<T> {
    let guard: NodeJS.Timeout | undefined;
    const hang = new Promise<never>((_, reject) => (guard = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms)));
    return Promise.race([promise, hang]).finally(() => clearTimeout(guard));
  }

  it('close() ends every wait with BackendClosedError, as a backend closing does', async () => {
    const store = new InMemoryJobStateStore();
    await store.published('q', [{ job: record('waits'), runAt: null }]);
    const waiting = store.waitForFinished('waits', new AbortController().signal);
    await store.close();
    await expect(settledWithin(waiting)).rejects.toBeInstanceOf(BackendClosedError);
  });

  it('a finished job past its retention age is unknown to a new waiter, as it is to get', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const store = new InMemoryJobStateStore({ retention: { completed: { ageMs: 1000 } } });
      await store.completed('q', record('done'), null);
      jest.setSystemTime(Date.now() + 1001);
      await expect(store.waitForFinished('done', new AbortController().signal)).rejects.toMatchObject({ name: 'JobNotFoundError' });
      await store.close();
    } finally {
      jest.useRealTimers();
    }
  });
});
