import { DEFAULT_RETENTION, JobNotFoundError, type JobState, type ResolvedRetention } from '../../lib';
import { FinishedJobs } from '../../lib/backends/local/finished-jobs';
import { FinishedList } from '../../lib/backends/local/finished-list';

/** The component under test holds plain states, as InMemoryJobStateStore does. */
const state = (id: string, queue = 'q'): JobState => ({
  id,
  queue,
  name: 'n',
  status: 'completed',
  attempt: 1,
  priority: 0,
  payload: {},
  result: { id },
  error: null,
  createdAt: new Date(0).toISOString(),
  startedAt: null,
  finishedAt: null,
  runAt: null,
  progress: null,
});

function setUp(retention: Partial<ResolvedRetention> = {}) {
  const dropped: string[] = [];
  const deadDropped: [string, string[]][] = [];
  const finished = new FinishedJobs<JobState>({
    retention: { ...DEFAULT_RETENTION, ...retention },
    snapshot: (s) => ({ ...s }),
    onDropped: (id) => dropped.push(id),
    onDeadDropped: (queue, ids) => deadDropped.push([queue, [...ids]]),
  });
  return { finished, dropped, deadDropped };
}

/** Rejects instead of hanging when a wait the test expects to end never does. */
function settledWithin<T>(promise: Promise<T>, ms = 5000): Promise<T> {
  let guard: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => (guard = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms)));
  return Promise.race([promise, hang]).finally(() => clearTimeout(guard));
}

describe('FinishedJobs retention by count', () => {
  it('keeps the newest `count` of each kind per queue, dropping the oldest first', () => {
    const { finished, dropped } = setUp({ completed: { count: 2, ageMs: Infinity }, dead: { count: 1, ageMs: Infinity } });
    for (const id of ['c1', 'c2', 'c3', 'c4']) finished.add('q', 'completed', id, state(id));
    finished.add('other', 'completed', 'o1', state('o1', 'other'));
    finished.add('q', 'dead', 'd1', state('d1'));
    finished.add('q', 'dead', 'd2', state('d2'));
    expect(dropped).toEqual(['c1', 'c2', 'd1']);
    expect(finished.list('q', 'completed').map((s) => s.id)).toEqual(['c3', 'c4']);
    expect(finished.list('q', 'dead').map((s) => s.id)).toEqual(['d2']);
    expect(finished.count('other', 'completed')).toBe(1);
  });

  it('reports dropped dead jobs once per pruning, naming the queue; dropped completed ones silently', () => {
    const { finished, deadDropped } = setUp({ completed: { count: 0, ageMs: Infinity }, dead: { count: 1, ageMs: Infinity } });
    finished.add('q', 'completed', 'c1', state('c1'));
    finished.add('q', 'dead', 'd1', state('d1'));
    finished.add('q', 'dead', 'd2', state('d2'));
    expect(deadDropped).toEqual([['q', ['d1']]]);
  });

  it('leaves a job that was removed (run again, redriven) alone, and counts it no more', () => {
    const { finished, dropped } = setUp({ dead: { count: 1, ageMs: Infinity } });
    finished.add('q', 'dead', 'd1', state('d1'));
    finished.remove('d1');
    finished.add('q', 'dead', 'd2', state('d2'));
    expect(dropped).toEqual([]);
    expect(finished.has('q', 'dead', 'd1')).toBe(false);
    expect(finished.has('q', 'dead', 'd2')).toBe(true);
    expect(finished.has('other', 'dead', 'd2')).toBe(false);
    expect(finished.count('q', 'dead')).toBe(1);
  });

  it('a job finishing again goes to the back of the line', () => {
    const { finished, dropped } = setUp({ completed: { count: 2, ageMs: Infinity } });
    for (const id of ['a', 'b', 'a', 'c']) finished.add('q', 'completed', id, state(id));
    expect(dropped).toEqual(['b']);
    expect(finished.list('q', 'completed').map((s) => s.id)).toEqual(['a', 'c']);
  });
});

describe('FinishedJobs retention by age', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('a read never sees a job past its age, even before any timer ran', () => {
    const { finished, dropped } = setUp({ completed: { count: Infinity, ageMs: 1000 } });
    finished.add('q', 'completed', 'old', state('old'));
    jest.setSystemTime(Date.now() + 1000);
    expect(finished.count('q', 'completed')).toBe(1);
    jest.setSystemTime(Date.now() + 1);
    finished.refresh('old');
    expect(dropped).toEqual(['old']);
    expect(finished.count('q', 'completed')).toBe(0);
  });

  it('one timer for all queues frees expired jobs on idle queues, then stops', () => {
    const { finished, dropped, deadDropped } = setUp({
      completed: { count: Infinity, ageMs: 1000 },
      dead: { count: Infinity, ageMs: 3000 },
    });
    finished.add('a', 'completed', 'a1', state('a1', 'a'));
    finished.add('b', 'dead', 'b1', state('b1', 'b'));
    finished.add('b', 'completed', 'b2', state('b2', 'b'));
    expect(jest.getTimerCount()).toBe(1);

    jest.advanceTimersByTime(1001);
    expect(dropped).toEqual(['a1', 'b2']);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(2000);
    expect(dropped).toEqual(['a1', 'b2', 'b1']);
    expect(deadDropped).toEqual([['b', ['b1']]]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('an age beyond what setTimeout takes is reached in hops, not at once', () => {
    const day = 24 * 60 * 60 * 1000;
    const { finished, dropped } = setUp({ completed: { count: Infinity, ageMs: 30 * day } });
    finished.add('q', 'completed', 'c1', state('c1'));
    jest.advanceTimersByTime(29 * day);
    expect(dropped).toEqual([]);
    jest.advanceTimersByTime(day + 1);
    expect(dropped).toEqual(['c1']);
  });

  it('close() clears the timer', () => {
    const { finished } = setUp({ completed: { count: Infinity, ageMs: 1000 } });
    finished.add('q', 'completed', 'c1', state('c1'));
    expect(jest.getTimerCount()).toBe(1);
    finished.close(new Error('closed'));
    expect(jest.getTimerCount()).toBe(0);
  });
});

it('its timer never holds the process open', () => {
  const { finished } = setUp({ completed: { count: Infinity, ageMs: 60_000 } });
  const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  finished.add('q', 'completed', 'c1', state('c1'));
  expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
  finished.close(new Error('closed'));
});

describe('FinishedJobs waiters', () => {
  it('a waiter gets the state when the job finishes, each waiter its own copy', async () => {
    const { finished } = setUp();
    const first = finished.waitFor('j', new AbortController().signal);
    const second = finished.waitFor('j', new AbortController().signal);
    finished.add('q', 'completed', 'j', state('j'));
    const [a, b] = await settledWithin(Promise.all([first, second]));
    expect(a).toMatchObject({ id: 'j', result: { id: 'j' } });
    expect(b).toEqual(a);
    expect(b).not.toBe(a);
  });

  it('a waiter gets the state even when retention keeps none', async () => {
    const { finished, dropped } = setUp({ completed: { count: 0, ageMs: Infinity } });
    const waiting = finished.waitFor('j', new AbortController().signal);
    finished.add('q', 'completed', 'j', state('j'));
    await expect(settledWithin(waiting)).resolves.toMatchObject({ id: 'j' });
    expect(dropped).toEqual(['j']);
  });

  it('a finished job answers at once', async () => {
    const { finished } = setUp();
    finished.add('q', 'dead', 'j', { ...state('j'), status: 'dead' });
    await expect(settledWithin(finished.waitFor('j', AbortSignal.abort()))).resolves.toMatchObject({ id: 'j', status: 'dead' });
  });

  it('a forgotten job rejects its waiters with JobNotFoundError', async () => {
    const { finished } = setUp();
    const waiting = finished.waitFor('j', new AbortController().signal);
    finished.forget('j');
    await expect(settledWithin(waiting)).rejects.toBeInstanceOf(JobNotFoundError);
  });

  it('an abort rejects with the signal reason, also when it aborted before the call; other waiters keep waiting', async () => {
    const { finished } = setUp();
    const reason = new Error('gave up');
    await expect(settledWithin(finished.waitFor('j', AbortSignal.abort(reason)))).rejects.toBe(reason);
    const controller = new AbortController();
    const aborted = finished.waitFor('j', controller.signal);
    const kept = finished.waitFor('j', new AbortController().signal);
    controller.abort(reason);
    await expect(settledWithin(aborted)).rejects.toBe(reason);
    finished.add('q', 'completed', 'j', state('j'));
    await expect(settledWithin(kept)).resolves.toMatchObject({ id: 'j' });
  });

  it('close() ends every wait with its reason', async () => {
    const { finished } = setUp();
    const reason = new Error('closed');
    const waits = [finished.waitFor('a', new AbortController().signal), finished.waitFor('b', new AbortController().signal)];
    finished.close(reason);
    for (const wait of waits) await expect(settledWithin(wait)).rejects.toBe(reason);
  });
});

describe('FinishedList', () => {
  const job = (n: number) => ({ n, removed: false });

  it('gives the oldest job still on it, skipping those taken off from anywhere', () => {
    const list = new FinishedList<ReturnType<typeof job>>();
    const jobs = [0, 1, 2, 3].map(job);
    for (const j of jobs) list.push(j);
    list.remove(jobs[0]);
    list.remove(jobs[2]);
    expect(list.size).toBe(2);
    expect(list.oldest()).toBe(jobs[1]);
    expect(list.toArray().map((j) => j.n)).toEqual([1, 3]);
  });

  it('does not keep what was taken off: memory follows the jobs on it, not those that passed through', () => {
    const list = new FinishedList<ReturnType<typeof job>>();
    // A dead-letter queue kept for ever whose letters are all redriven: none reaches the head by retention.
    for (let n = 0; n < 10_000; n++) {
      const j = job(n);
      list.push(j);
      if (n % 100 !== 0) list.remove(j);
    }
    expect(list.size).toBe(100);
    expect((list as unknown as { fifo: { size: number } }).fifo.size).toBeLessThanOrEqual(2 * 100 + 64);
    expect(list.toArray().map((j) => j.n)).toEqual(Array.from({ length: 100 }, (_, i) => i * 100));
  });
});
