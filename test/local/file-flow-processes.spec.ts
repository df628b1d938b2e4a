import type { Delivery } from '../../lib/backend/job-backend.interface';
import type { DeduplicatedPublish } from '../../lib/backend/flow-control';
import { fileEngineKit, jobItem } from './file-engine-kit';

/**
 * Flow control shared by processes on one file: this process is A, a peer process (fixtures/
 * file-engine-peer.ts) is B. Waits in B are woken by A through the wake file or end at a timer B
 * sets for the hold's end; nothing in B polls, so a missing wake-up hangs the test (hang guards below).
 */
const kit = fileEngineKit('flow-procs');
const LEASE = 30_000;

it('a fetch waiting in B on a paused queue takes the job once A resumes it', async () => {
  const path = kit.newPath();
  const a = kit.open(path);
  await a.declareQueue('q', 'fifo');
  await a.pauseQueue('q');
  const item = jobItem();
  await a.publish('q', [item]);
  const b = await kit.peer(path);

  const fetched = b.call<Delivery[]>('fetch', 'q', 1, { wait: true });
  // B's first try found the queue paused: the job is still waiting once B has tried (its stats read comes after).
  expect((await b.call('queueStats', 'q')).value).toMatchObject({ waiting: 1, paused: true });
  expect(await a.countWaiting('q')).toBe(1);
  await a.resumeQueue('q');
  expect((await fetched).value.map((d) => d.job.id)).toEqual([item.job.id]);
}, 60_000);

it('a hold set in A stops B: B takes nothing before its end, then takes the job without anyone waking it', async () => {
  const path = kit.newPath();
  const a = kit.open(path);
  await a.declareQueue('q', 'fifo');
  const b = await kit.peer(path);
  const until = Date.now() + 1500;
  await a.holdQueue('q', until);
  const item = jobItem();
  await a.publish('q', [item]);

  expect((await b.call<Delivery[]>('fetch', 'q', 1, { wait: false })).value).toEqual([]);
  const { value, at } = await b.call<Delivery[]>('fetch', 'q', 1, { wait: true });
  expect(value.map((d) => d.job.id)).toEqual([item.job.id]);
  expect(at).toBeGreaterThanOrEqual(until);
}, 60_000);

it('a rate limit counts the jobs A and B take in one window', async () => {
  const path = kit.newPath();
  const a = kit.open(path);
  await a.declareQueue('q', 'fifo');
  await a.publish(
    'q',
    Array.from({ length: 5 }, () => jobItem()),
  );
  const b = await kit.peer(path);
  const rateLimit = { max: 3, intervalMs: 60_000 };
  expect(await a.fetch('q', 2, { wait: false, leaseMs: LEASE, rateLimit })).toHaveLength(2);
  expect((await b.call<Delivery[]>('fetch', 'q', 5, { wait: false, rateLimit })).value).toHaveLength(1);
  expect(await a.fetch('q', 5, { wait: false, leaseMs: LEASE, rateLimit })).toEqual([]);
  expect(await a.countWaiting('q')).toBe(2);
}, 60_000);

it('deduplication across two clients: A and B publishing the same keys at once enqueue one job per key', async () => {
  const path = kit.newPath();
  const a = kit.open(path);
  await a.declareQueue('q', 'fifo');
  const b = await kit.peer(path);
  const KEYS = 40;
  const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}`);

  // B goes through the keys forwards and A backwards, a move at a time, so the two meet somewhere in the middle.
  const fromB = keys.map((key) => b.call<DeduplicatedPublish>('publishDeduplicated', 'q', jobItem({ id: `b-${key}` }), { key }));
  const answersA: DeduplicatedPublish[] = [];
  for (const key of [...keys].reverse()) {
    answersA.unshift(await a.publishDeduplicated('q', jobItem({ id: `a-${key}` }), { key }));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const answersB = (await Promise.all(fromB)).map((r) => r.value);

  expect(await a.countWaiting('q')).toBe(KEYS);
  keys.forEach((key, i) => {
    // Exactly one of the two took the key, and both name the same holder.
    expect([answersA[i].duplicate, answersB[i].duplicate].sort()).toEqual([false, true]);
    expect(answersA[i].id).toBe(answersB[i].id);
    expect([`a-${key}`, `b-${key}`]).toContain(answersA[i].id);
  });
}, 60_000);
