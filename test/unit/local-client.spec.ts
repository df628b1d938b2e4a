import { InvalidOptionError, LocalClient, type JobRecord } from '../../lib';

const record = (id: string): JobRecord => ({ id, name: 'n', schemaName: 'n', payload: {}, createdAt: new Date().toISOString(), priority: 0, attempt: 0 });

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
    await client.publish('a', [{ job: record('waiting') }, { job: record('delayed'), runAt: Date.now() + 60_000 }, { job: record('active') }, { job: record('done') }, { job: record('dead') }]);
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
});
