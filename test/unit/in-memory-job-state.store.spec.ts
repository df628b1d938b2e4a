import { InMemoryJobStateStore, type JobRecord } from '../../lib';

const record = (id: string): JobRecord => ({ id, name: 'n', schemaName: 'n', payload: {}, createdAt: new Date().toISOString(), priority: 0, attempt: 1 });
const failure = { name: 'Error', message: 'x', attempt: 1, failedAt: new Date().toISOString() };

describe('InMemoryJobStateStore retention on an idle queue', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** The states the store still holds in memory, whether or not anyone reads them. */
  const held = (store: InMemoryJobStateStore): number => (store as unknown as { jobs: Map<string, unknown> }).jobs.size;

  it('one timer frees expired completed and dead states without any read, then stops', async () => {
    const store = new InMemoryJobStateStore({ retention: { completed: { ageMs: 1000 }, dead: { ageMs: 3000 } } });
    await store.published('q', [{ job: record('done'), runAt: null }, { job: record('dead'), runAt: null }, { job: record('waits'), runAt: null }]);
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
