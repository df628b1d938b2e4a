import { LeaseLostError, LocalClient } from '../../lib';
import { failure, LEASE, record } from './fixtures/memory-kit';

/** reportProgress in memory: checked against the delivery's token, kept on the job through retries and redrive. */
describe('LocalClient in memory: progress', () => {
  let client: LocalClient;
  beforeEach(async () => {
    client = new LocalClient();
    await client.declareQueue('q', 'fifo');
    await client.publish('q', [{ job: record('j') }]);
  });
  afterEach(() => client.close());

  it('keeps the last report, a copy of it, across a retry and a redrive, until a new report', async () => {
    expect((await client.getJob('j'))?.progress).toBeNull();
    const [first] = await client.fetch('q', 1, { wait: false, ...LEASE });
    const reported = { stage: 'upload', done: 3 };
    await client.reportProgress(first, 10);
    await client.reportProgress(first, reported);
    reported.done = 99;
    await client.retry(first, failure, 0);
    expect(await client.getJob('j')).toMatchObject({ status: 'failed', progress: { stage: 'upload', done: 3 } });

    const [second] = await client.fetch('q', 1, { wait: false, ...LEASE });
    expect((await client.getJob('j'))?.progress).toEqual({ stage: 'upload', done: 3 });
    await client.reportProgress(second, 50);
    await client.deadLetter(second, { ...failure, attempt: 2 });
    await client.redrive('q');
    expect(await client.getJob('j')).toMatchObject({ status: 'waiting', progress: 50 });
  });

  it('refuses a report from a delivery no longer held, leaving the stored value alone', async () => {
    const [first] = await client.fetch('q', 1, { wait: false, ...LEASE });
    await client.reportProgress(first, 1);
    await client.release(first);
    await expect(client.reportProgress(first, 2)).rejects.toThrow(LeaseLostError);
    const [second] = await client.fetch('q', 1, { wait: false, ...LEASE });
    await expect(client.reportProgress(first, 3)).rejects.toThrow(LeaseLostError);
    await client.complete(second, null);
    await expect(client.reportProgress(second, 4)).rejects.toThrow(LeaseLostError);
    expect(await client.getJob('j')).toMatchObject({ status: 'completed', progress: 1 });
  });
});
