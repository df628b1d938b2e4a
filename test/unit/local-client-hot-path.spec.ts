import { LeaseLostError, LocalClient, type Delivery, type JobRecord } from '../../lib';

const record = (id: string, priority = 0): JobRecord => ({
  id,
  name: 'n',
  schemaName: 'n',
  payload: { id },
  createdAt: new Date().toISOString(),
  priority,
  attempt: 0,
});
const failure = { name: 'Error', message: 'x', attempt: 1, failedAt: new Date().toISOString() };
const take = (client: LocalClient, max: number): Promise<Delivery[]> => client.fetch('q', max, { wait: false, leaseMs: 1000 });
const activeIds = async (client: LocalClient): Promise<string[]> =>
  (await client.listJobs('q', { state: 'active', offset: 0, limit: 100 })).jobs.map((job) => job.id);

/** What the in-memory LocalClient does on the path every job takes: admitting a batch, finding a held job by its token. */
describe('LocalClient in memory: publish and settle bookkeeping', () => {
  let client: LocalClient;
  beforeEach(async () => {
    client = new LocalClient();
    await client.declareQueue('q', 'fifo');
  });
  afterEach(() => client.close());

  it('leaves no trace of a batch refused half-way: its ids are free again and nothing was enqueued', async () => {
    await client.publish('q', [{ job: record('held') }]);
    const refusals: JobRecord[][] = [
      [record('a'), record('b'), record('a')],
      [record('a'), record('b'), record('held')],
      // A fifo queue refuses a priority: the third item fails after two were checked.
      [record('a'), record('b'), record('c', 5)],
    ];
    for (const batch of refusals) {
      await expect(
        client.publish(
          'q',
          batch.map((job) => ({ job })),
        ),
      ).rejects.toThrow();
      for (const id of ['a', 'b', 'c']) expect(await client.getJob(id)).toBeNull();
      expect(await client.countWaiting('q')).toBe(1);
    }
    await client.publish('q', [{ job: record('a') }, { job: record('b') }, { job: record('c') }]);
    expect((await take(client, 10)).map((delivery) => delivery.job.id)).toEqual(['held', 'a', 'b', 'c']);
  });

  it('lists active jobs in the order they were taken, and counts them through every way a job stops being active', async () => {
    await client.publish(
      'q',
      ['j1', 'j2', 'j3', 'j4', 'j5'].map((id) => ({ job: record(id) })),
    );
    const [d1, d2, d3] = await take(client, 3);
    expect(await activeIds(client)).toEqual(['j1', 'j2', 'j3']);
    // j1 goes back and is taken again after j4: it is now the last taken.
    await client.release(d1);
    const [again, d4] = await take(client, 2);
    expect([again.job.id, d4.job.id]).toEqual(['j1', 'j4']);
    expect(await activeIds(client)).toEqual(['j2', 'j3', 'j1', 'j4']);
    expect((await client.queueStats('q')).active).toBe(4);
    await client.complete(d2, null);
    await client.retry(d3, failure, 60_000);
    await client.deadLetter(d4, failure);
    expect(await activeIds(client)).toEqual(['j1']);
    expect(await client.queueStats('q')).toMatchObject({ active: 1, waiting: 1, delayed: 1, completed: 1, dead: 1 });
    await client.release(again);
    expect((await client.queueStats('q')).active).toBe(0);
  });

  it('refuses a settle from a delivery that no longer holds its job, or that names another queue', async () => {
    await client.declareQueue('other', 'fifo');
    await client.publish('q', [{ job: record('j') }]);
    const [first] = await take(client, 1);
    await client.release(first);
    const [second] = await take(client, 1);
    // The first delivery's token was given up: the job is held by the second now.
    await expect(client.complete(first, null)).rejects.toThrow(LeaseLostError);
    await expect(client.complete({ ...second, queue: 'other' }, null)).rejects.toThrow(LeaseLostError);
    await expect(client.complete({ ...second, token: 'forged' }, null)).rejects.toThrow(LeaseLostError);
    await client.complete(second, 'done');
    await expect(client.complete(second, null)).rejects.toThrow(LeaseLostError);
    expect(await client.getJob('j')).toMatchObject({ status: 'completed', result: 'done', attempt: 1 });
  });
});
