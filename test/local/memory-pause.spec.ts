import { LocalClient, QueueNotDeclaredError } from '../../lib';
import { isPending, LEASE, record, settledWithin } from './fixtures/memory-kit';

/** Pause in memory: the in-process waiters stay blocked while paused and are handed jobs the moment resume is called. */
describe('LocalClient in memory: pause', () => {
  let client: LocalClient;
  beforeEach(async () => {
    client = new LocalClient();
    await client.declareQueue('q', 'fifo');
  });
  afterEach(() => client.close());

  it('a fetch waiting while paused stays blocked through publishes and wakes on resume with the first job', async () => {
    await client.pauseQueue('q');
    const waiting = client.fetch('q', 2, { wait: true, ...LEASE });
    await client.publish('q', [{ job: record('a') }, { job: record('b') }, { job: record('c') }]);
    expect(await isPending(waiting)).toBe(true);
    expect(await client.queueStats('q')).toMatchObject({ waiting: 3, active: 0, paused: true });

    // Resume dispatches in the same call: no timer needs to run for the waiter to be served.
    await client.resumeQueue('q');
    expect(await isPending(waiting)).toBe(false);
    expect((await waiting).map((d) => d.job.id)).toEqual(['a', 'b']);
    expect(await client.queueStats('q')).toMatchObject({ waiting: 1, active: 2, paused: false });
  });

  it('a non-waiting fetch while paused takes nothing; settling and release go on, and a released job waits for resume', async () => {
    await client.publish('q', [{ job: record('a') }, { job: record('b') }]);
    const [taken] = await client.fetch('q', 1, { wait: false, ...LEASE });
    await client.pauseQueue('q');
    await client.pauseQueue('q'); // pausing a paused queue does nothing
    expect(await client.fetch('q', 5, { wait: false, ...LEASE })).toEqual([]);
    await client.release(taken);
    expect(await client.fetch('q', 5, { wait: false, ...LEASE })).toEqual([]);
    expect(await client.countWaiting('q')).toBe(2);
    await client.resumeQueue('q');
    expect((await client.fetch('q', 5, { wait: false, ...LEASE })).map((d) => d.job.id)).toEqual(['a', 'b']);
  });

  it('a pause touches only its queue; pausing or resuming an undeclared queue is refused', async () => {
    await client.declareQueue('other', 'fifo');
    await client.pauseQueue('q');
    await client.publish('other', [{ job: record('x') }]);
    expect((await client.fetch('other', 1, { wait: false, ...LEASE })).map((d) => d.job.id)).toEqual(['x']);
    expect((await client.queueStats('other')).paused).toBe(false);
    await expect(client.pauseQueue('nope')).rejects.toThrow(QueueNotDeclaredError);
    await expect(client.resumeQueue('nope')).rejects.toThrow(QueueNotDeclaredError);
  });

  it('close ends a fetch waiting on a paused queue with nothing, and deleteQueue forgets the pause', async () => {
    await client.pauseQueue('q');
    await client.publish('q', [{ job: record('a') }]);
    const waiting = client.fetch('q', 1, { wait: true, ...LEASE });
    await client.deleteQueue('q');
    expect(await settledWithin(waiting)).toEqual([]);
    await client.declareQueue('q', 'fifo');
    expect((await client.queueStats('q')).paused).toBe(false);

    await client.pauseQueue('q');
    const again = client.fetch('q', 1, { wait: true, ...LEASE });
    await client.close();
    expect(await settledWithin(again)).toEqual([]);
  });

  it('an aborted fetch on a paused queue takes no job: resume hands it to the next fetcher', async () => {
    await client.pauseQueue('q');
    await client.publish('q', [{ job: record('a') }]);
    const abort = new AbortController();
    const aborted = client.fetch('q', 1, { wait: true, signal: abort.signal, ...LEASE });
    abort.abort();
    expect(await aborted).toEqual([]);
    await client.resumeQueue('q');
    expect((await client.fetch('q', 1, { wait: false, ...LEASE })).map((d) => d.job.id)).toEqual(['a']);
  });
});
