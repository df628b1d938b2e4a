import { fileEngineKit, jobItem } from './file-engine-kit';

/** Deduplication keys on the file engine: taken with the publish, free once the holder is gone or the window ends. */
const kit = fileEngineKit('dedup');
const LEASE = 30_000;

it('a key held by an unfinished job makes a publish a duplicate; once the holder completes the key is free', async () => {
  const engine = kit.open(kit.newPath());
  await engine.declareQueue('q', 'fifo');
  const first = jobItem();
  expect(await engine.publishDeduplicated('q', first, { key: 'doc-7' })).toEqual({ id: first.job.id, duplicate: false });
  expect(await engine.publishDeduplicated('q', jobItem(), { key: 'doc-7' })).toEqual({ id: first.job.id, duplicate: true });
  // Keys are per queue.
  await engine.declareQueue('other', 'fifo');
  expect((await engine.publishDeduplicated('other', jobItem(), { key: 'doc-7' })).duplicate).toBe(false);

  const [held] = await engine.fetch('q', 1, { wait: false, leaseMs: LEASE });
  expect(await engine.publishDeduplicated('q', jobItem(), { key: 'doc-7' })).toEqual({ id: first.job.id, duplicate: true });
  await engine.complete(held, null);
  const second = jobItem();
  expect(await engine.publishDeduplicated('q', second, { key: 'doc-7' })).toEqual({ id: second.job.id, duplicate: false });
  expect(await engine.countWaiting('q')).toBe(1);
});

it('with ttlMs the key is free once the window ends, even if the holder still waits', async () => {
  const engine = kit.open(kit.newPath());
  await engine.declareQueue('q', 'fifo');
  const first = jobItem();
  await engine.publishDeduplicated('q', first, { key: 'k', ttlMs: 150 });
  expect((await engine.publishDeduplicated('q', jobItem(), { key: 'k', ttlMs: 150 })).duplicate).toBe(true);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const second = jobItem();
  expect(await engine.publishDeduplicated('q', second, { key: 'k', ttlMs: 150 })).toEqual({ id: second.job.id, duplicate: false });
  expect(await engine.countWaiting('q')).toBe(2);
});

it('replace withdraws a holder that has not started and takes the key; a started holder keeps running beside the new job', async () => {
  const engine = kit.open(kit.newPath());
  await engine.declareQueue('q', 'fifo');
  const first = jobItem();
  const second = jobItem();
  await engine.publishDeduplicated('q', first, { key: 'k', ttlMs: 60_000 });
  expect(await engine.publishDeduplicated('q', second, { key: 'k', ttlMs: 60_000, replace: true })).toEqual({
    id: second.job.id,
    duplicate: false,
    replaced: first.job.id,
  });
  expect(await engine.getJob(first.job.id)).toBeNull();

  const [running] = await engine.fetch('q', 1, { wait: false, leaseMs: LEASE });
  expect(running.job.id).toBe(second.job.id);
  const third = jobItem();
  expect(await engine.publishDeduplicated('q', third, { key: 'k', replace: true })).toEqual({ id: third.job.id, duplicate: false });
  expect((await engine.getJob(second.job.id))?.status).toBe('active');
  expect(await engine.publishDeduplicated('q', jobItem(), { key: 'k' })).toEqual({ id: third.job.id, duplicate: true });
});

it('a holder cleaned, or its queue deleted, frees the key', async () => {
  const engine = kit.open(kit.newPath());
  await engine.declareQueue('q', 'fifo');
  await engine.publishDeduplicated('q', jobItem(), { key: 'k' });
  await engine.cleanQueue('q');
  expect((await engine.publishDeduplicated('q', jobItem(), { key: 'k' })).duplicate).toBe(false);
  await engine.deleteQueue('q');
  await engine.declareQueue('q', 'fifo');
  expect((await engine.publishDeduplicated('q', jobItem(), { key: 'k' })).duplicate).toBe(false);
});
