import { InvalidOptionError, JobNotFoundError, LocalClient } from '../../lib';
import { failure, LEASE, record, settledWithin } from './fixtures/memory-kit';

/** publishDeduplicated in memory: who holds a key, what replace withdraws, and when a key is free again. */
describe('LocalClient in memory: deduplication', () => {
  let client: LocalClient;
  beforeEach(async () => {
    client = new LocalClient();
    await client.declareQueue('q', 'fifo');
  });
  afterEach(() => client.close());

  it('replace withdraws the waiting holder: gone from the queue and from getJob, its waiters told, the new job in its stead', async () => {
    expect(await client.publishDeduplicated('q', { job: record('old') }, { key: 'k', ttlMs: 60_000 })).toEqual({
      id: 'old',
      duplicate: false,
    });
    await client.publish('q', [{ job: record('other') }]);
    // Caught at once, so a failing assertion below cannot leave its rejection unhandled at close.
    const waitingForOld = client.waitForFinished('old', new AbortController().signal).catch((error: unknown) => error);
    expect(await client.publishDeduplicated('q', { job: record('new') }, { key: 'k', replace: true })).toEqual({
      id: 'new',
      duplicate: false,
      replaced: 'old',
    });
    expect(await client.getJob('old')).toBeNull();
    expect(await settledWithin(waitingForOld)).toBeInstanceOf(JobNotFoundError);
    expect(await client.countWaiting('q')).toBe(2);
    const taken = await client.fetch('q', 5, { wait: false, ...LEASE });
    expect(taken.map((d) => d.job.id)).toEqual(['other', 'new']);
    // The key is the new job's now: a plain duplicate names it.
    expect(await client.publishDeduplicated('q', { job: record('third') }, { key: 'k' })).toEqual({ id: 'new', duplicate: true });
  });

  it('replace withdraws a delayed holder too, and that holder never comes due', async () => {
    await client.publishDeduplicated('q', { job: record('old'), runAt: Date.now() + 100 }, { key: 'k' });
    await client.publishDeduplicated('q', { job: record('new'), runAt: Date.now() + 100 }, { key: 'k', replace: true });
    expect(await client.queueStats('q')).toMatchObject({ waiting: 0, delayed: 1 });
    const first = await settledWithin(client.fetch('q', 5, { wait: true, ...LEASE }));
    expect(first.map((d) => d.job.id)).toEqual(['new']);
    expect(await client.fetch('q', 5, { wait: false, ...LEASE })).toEqual([]);
  });

  it('a holder waiting for a retry has started: replace enqueues beside it and takes the key', async () => {
    await client.publishDeduplicated('q', { job: record('old') }, { key: 'k' });
    const [held] = await client.fetch('q', 1, { wait: false, ...LEASE });
    await client.retry(held, failure, 60_000);
    expect(await client.publishDeduplicated('q', { job: record('new') }, { key: 'k', replace: true })).toEqual({
      id: 'new',
      duplicate: false,
    });
    expect(await client.getJob('old')).toMatchObject({ status: 'failed' });
    expect(await client.publishDeduplicated('q', { job: record('x') }, { key: 'k' })).toEqual({ id: 'new', duplicate: true });
  });

  it('a replace whose new job is refused changes nothing: the holder keeps its place and its key', async () => {
    await client.publish('q', [{ job: record('taken-id') }]);
    await client.publishDeduplicated('q', { job: record('old') }, { key: 'k' });
    await expect(client.publishDeduplicated('q', { job: record('taken-id') }, { key: 'k', replace: true })).rejects.toThrow(
      InvalidOptionError,
    );
    expect(await client.getJob('old')).toMatchObject({ status: 'waiting' });
    expect(await client.publishDeduplicated('q', { job: record('x') }, { key: 'k' })).toEqual({ id: 'old', duplicate: true });
  });

  it('the key is free once its holder finished, and its window is the one taken with it', async () => {
    await client.publishDeduplicated('q', { job: record('a') }, { key: 'k' });
    const [held] = await client.fetch('q', 1, { wait: false, ...LEASE });
    expect((await client.publishDeduplicated('q', { job: record('dup') }, { key: 'k' })).duplicate).toBe(true);
    await client.complete(held, null);
    expect(await client.publishDeduplicated('q', { job: record('b') }, { key: 'k', ttlMs: 60_000 })).toEqual({ id: 'b', duplicate: false });
    // A later publish's own short ttl does not end the window the holder took.
    expect(await client.publishDeduplicated('q', { job: record('c') }, { key: 'k', ttlMs: 1 })).toEqual({ id: 'b', duplicate: true });
  });

  it('keys are per queue, cleaning the queue frees them, and deleteQueue forgets them', async () => {
    await client.declareQueue('other', 'fifo');
    await client.publishDeduplicated('q', { job: record('a') }, { key: 'k' });
    expect(await client.publishDeduplicated('other', { job: record('b') }, { key: 'k' })).toEqual({ id: 'b', duplicate: false });
    await client.cleanQueue('q');
    expect(await client.publishDeduplicated('q', { job: record('c') }, { key: 'k' })).toEqual({ id: 'c', duplicate: false });
    await client.deleteQueue('other');
    await client.declareQueue('other', 'fifo');
    expect(await client.publishDeduplicated('other', { job: record('d') }, { key: 'k' })).toEqual({ id: 'd', duplicate: false });
  });
});
