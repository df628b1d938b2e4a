import { BackendClosedError, InvalidOptionError, JobNotFoundError, LocalClient, type JobRecord } from '../../lib';

const record = (id: string): JobRecord => ({
  id,
  name: 'n',
  schemaName: 'n',
  payload: {},
  createdAt: new Date().toISOString(),
  priority: 0,
  attempt: 0,
});
const failure = { name: 'Error', message: 'x', attempt: 1, failedAt: new Date().toISOString() };

/** Rejects instead of hanging when a wait the test expects to end never does. */
function settledWithin<T>(promise: Promise<T>, ms = 5000): Promise<T> {
  let guard: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => (guard = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms)));
  return Promise.race([promise, hang]).finally(() => clearTimeout(guard));
}

describe('LocalClient', () => {
  let client: LocalClient;
  beforeEach(async () => {
    client = new LocalClient();
    await client.declareQueue('a', 'fifo');
    await client.declareQueue('b', 'fifo');
  });
  afterEach(() => client.close());

  it('hands a published job to a consumer already waiting, with every timer faked and none run', async () => {
    jest.useFakeTimers();
    try {
      const waiting = client.fetch('a', 1, { wait: true, leaseMs: 1000 });
      await client.publish('a', [{ job: record('j1') }]);
      // No jest.advanceTimersByTime: the publish itself wakes the waiter.
      const [delivery] = await waiting;
      expect(delivery.job).toMatchObject({ id: 'j1', attempt: 1 });
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses an empty or non-string queue name when declaring', async () => {
    for (const queue of ['', ' ', null]) {
      await expect(client.declareQueue(queue as string, 'fifo')).rejects.toMatchObject({ name: 'InvalidOptionError', option: 'queue' });
    }
  });

  it('declares uniqueJobIds and refuses an id it holds, in whatever queue and state', async () => {
    expect(client.capabilities.uniqueJobIds).toBe(true);
    const refused = async (queue: string, id: string) => {
      await expect(client.publish(queue, [{ job: record(id) }])).rejects.toThrow(InvalidOptionError);
      await expect(client.publish(queue, [{ job: record(id) }])).rejects.toThrow(id);
    };
    await client.publish('a', [
      { job: record('waiting') },
      { job: record('delayed'), runAt: Date.now() + 60_000 },
      { job: record('active') },
      { job: record('done') },
      { job: record('dead') },
    ]);
    const [waitingJob, active, done, dead] = await client.fetch('a', 4, { wait: false, leaseMs: 1000 });
    await client.release(waitingJob);
    await client.complete(done, null);
    await client.deadLetter(dead, { name: 'Error', message: 'x', attempt: 1, failedAt: new Date().toISOString() });
    expect(active.job.id).toBe('active');
    for (const id of ['waiting', 'delayed', 'active', 'done', 'dead']) {
      await refused('a', id);
      await refused('b', id);
    }
    // Within one batch too, and then nothing of the batch is enqueued.
    await expect(client.publish('b', [{ job: record('fresh') }, { job: record('fresh') }])).rejects.toThrow('fresh');
    expect(await client.countWaiting('b')).toBe(0);
  });

  describe('waitForFinished', () => {
    it('gives the final state to a waiter even when retention keeps no completed job', async () => {
      const keepsNone = new LocalClient({ retention: { completed: { count: 0 } } });
      await keepsNone.declareQueue('a', 'fifo');
      await keepsNone.publish('a', [{ job: record('j') }]);
      const waiting = keepsNone.waitForFinished('j', new AbortController().signal);
      const [delivery] = await keepsNone.fetch('a', 1, { wait: false, leaseMs: 1000 });
      await keepsNone.complete(delivery, { done: true });
      await expect(settledWithin(waiting)).resolves.toMatchObject({ id: 'j', status: 'completed', result: { done: true } });
      expect(await keepsNone.getJob('j')).toBeNull();
      await keepsNone.close();
    });

    it('rejects at once with the reason of a signal that aborted before the call', async () => {
      await client.publish('a', [{ job: record('j') }]);
      const reason = new Error('gave up');
      await expect(settledWithin(client.waitForFinished('j', AbortSignal.abort(reason)))).rejects.toBe(reason);
    });

    it('ends with JobNotFoundError when the job is cleaned away, and with BackendClosedError at close', async () => {
      await client.publish('a', [{ job: record('cleaned') }]);
      const cleaned = client.waitForFinished('cleaned', new AbortController().signal);
      await client.cleanQueue('a');
      await expect(settledWithin(cleaned)).rejects.toBeInstanceOf(JobNotFoundError);
      await client.publish('b', [{ job: record('still') }]);
      const still = client.waitForFinished('still', new AbortController().signal);
      await client.close();
      await expect(settledWithin(still)).rejects.toBeInstanceOf(BackendClosedError);
    });
  });

  it('redrives the ids it is given in the order they died, as listDeadLetters lists them', async () => {
    await client.publish('a', [{ job: record('d1') }, { job: record('d2') }, { job: record('d3') }]);
    for (const delivery of await client.fetch('a', 3, { wait: false, leaseMs: 1000 })) await client.deadLetter(delivery, failure);
    expect((await client.listDeadLetters('a', 10)).map((d) => d.job.id)).toEqual(['d1', 'd2', 'd3']);
    expect(await client.redrive('a', ['d3', 'd1'])).toBe(2);
    expect((await client.fetch('a', 3, { wait: false, leaseMs: 1000 })).map((d) => d.job.id)).toEqual(['d1', 'd3']);
    expect((await client.listDeadLetters('a', 10)).map((d) => d.job.id)).toEqual(['d2']);
    await expect(client.redrive('a', ['d2', 'd1'])).rejects.toThrow(/not in its dead-letter queue: d1$/);
  });
});
