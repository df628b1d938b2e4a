import { Orchestrator, RateLimitedError, RedisClient, type Delivery, type FetchOptions } from '../../lib';
import { RUNS_MEANT, SHORT_RUN_MS } from '../../lib/consumer/take-ahead';
import { FnConsumer, taskSchema, type RunFn } from '../conformance/conformance.fixtures';
import { REDIS_URL, requireServer } from '../support/servers';
import { adminConnection, deleteKeysUnder, uniquePrefix } from './fixtures/redis-test-kit';

/**
 * A consumer on defaults (prefetch 'auto') takes jobs ahead on Redis while its runs are short, none
 * while they are long, none under a rate limit; whatever it took ahead and did not start goes back
 * unrun — at stop(), and when its runs turn long while those jobs wait. Counts only: which jobs were
 * taken ahead, which ran, with what attempt.
 */
const prefix = uniquePrefix();
const admin = adminConnection();
const client = new RedisClient(REDIS_URL, { prefix });
const orchestrator = new Orchestrator(client);

/** What the client handed out: every fetch's max, and the ids of the jobs taken ahead. */
const fetchedMax: number[] = [];
const takenAhead = new Set<string>();
const fetch = client.fetch.bind(client);
client.fetch = async (queue: string, max: number, options: FetchOptions): Promise<Delivery[]> => {
  fetchedMax.push(max);
  const deliveries = await fetch(queue, max, options);
  for (const delivery of deliveries) if (delivery.takenAhead) takenAhead.add(delivery.job.id);
  return deliveries;
};

beforeAll(() => requireServer('redis'));

beforeEach(() => {
  fetchedMax.length = 0;
  takenAhead.clear();
});

afterAll(async () => {
  await orchestrator.close();
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

/** A queue with `count` jobs labelled j0…; their ids in order. */
async function queueWithJobs(queue: string, count: number): Promise<string[]> {
  await orchestrator.register(taskSchema(queue));
  const { ids } = await orchestrator.publishBatch(
    queue,
    Array.from({ length: count }, (_, i) => ({ label: `j${i}` })),
  );
  return ids;
}

/** A consumer on default options (but `extra`) recording each run's label and attempt. */
function recording(queue: string, run: RunFn = () => undefined, extra = {}) {
  const runs: { label: string; attempt: number }[] = [];
  const consumer = new FnConsumer(
    queue,
    (job, context) => {
      runs.push({ label: job.payload.label, attempt: job.attempt });
      return run(job, context);
    },
    extra,
  );
  consumer.connect(orchestrator);
  return { consumer, runs };
}

/** Jobs of the cases that need 'auto' to have taken ahead: enough runs past the first RUNS_MEANT that a loaded machine's stretched runs cannot keep the mean long throughout. */
const JOBS = 20 * RUNS_MEANT;

const labels = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `j${from + i}`);
const sorted = (runs: { label: string }[]) => runs.map((r) => r.label).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));

it('takes jobs ahead once its runs have been short, never before it has timed a few; each job runs once', async () => {
  const queue = 'auto-short';
  // Many runs: on a loaded machine a few runs stretched by the scheduler can keep the mean long for a while.
  const ids = await queueWithJobs(queue, JOBS);
  const { consumer, runs } = recording(queue);
  expect(await consumer.consume(JOBS)).toBe(JOBS);
  expect(sorted(runs)).toEqual(labels(0, JOBS));
  expect(runs.every((r) => r.attempt === 1)).toBe(true);
  // The first RUNS_MEANT jobs were taken one per free slot; later ones ahead of the slot.
  expect(ids.slice(0, RUNS_MEANT).filter((id) => takenAhead.has(id))).toEqual([]);
  expect(takenAhead.size).toBeGreaterThan(0);
  expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, completed: JOBS });
});

it('takes nothing ahead while its runs are long', async () => {
  const queue = 'auto-long';
  await queueWithJobs(queue, RUNS_MEANT + 5);
  // Each run waits on a timer past SHORT_RUN_MS: long, as far as 'auto' is concerned.
  const { consumer, runs } = recording(queue, () => new Promise((resolve) => setTimeout(resolve, 4 * SHORT_RUN_MS)), { concurrency: 2 });
  expect(await consumer.consume(RUNS_MEANT + 5)).toBe(RUNS_MEANT + 5);
  expect(sorted(runs)).toEqual(labels(0, RUNS_MEANT + 5));
  expect(takenAhead.size).toBe(0);
  expect(Math.max(...fetchedMax)).toBeLessThanOrEqual(2);
});

it('takes nothing ahead under a rate limit', async () => {
  const queue = 'auto-limited';
  await queueWithJobs(queue, 40);
  const { consumer, runs } = recording(queue, undefined, { rateLimit: { max: 1000, intervalMs: 60_000 } });
  expect(await consumer.consume(40)).toBe(40);
  expect(sorted(runs)).toEqual(labels(0, 40));
  expect(takenAhead.size).toBe(0);
  expect(Math.max(...fetchedMax)).toBe(1);
});

it('stop() gives the jobs it took ahead back unrun: they wait again, attempt 0, and run once elsewhere', async () => {
  const queue = 'auto-stop';
  const ids = await queueWithJobs(queue, JOBS);
  const stopAt = JOBS / 2;
  let stopped: Promise<void> | undefined;
  const first = recording(queue, (job) => {
    if (job.payload.label === `j${stopAt - 1}`) stopped = first.consumer.stop();
  });
  expect(await first.consumer.consume()).toBe(stopAt);
  await stopped;
  expect(sorted(first.runs)).toEqual(labels(0, stopAt));
  // It had taken jobs ahead of the one it stopped in, and they are back.
  expect(ids.slice(stopAt).filter((id) => takenAhead.has(id)).length).toBeGreaterThan(0);
  expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: JOBS - stopAt, active: 0, completed: stopAt });
  for (const id of ids.slice(stopAt)) expect(await orchestrator.getJob(id)).toMatchObject({ status: 'waiting', attempt: 0 });
  const again = recording(queue);
  expect(await again.consumer.consume(JOBS - stopAt)).toBe(JOBS - stopAt);
  expect(sorted(again.runs)).toEqual(labels(stopAt, JOBS));
  expect(again.runs.every((r) => r.attempt === 1)).toBe(true);
  await first.consumer.close();
  await again.consumer.close();
});

it('gives the jobs waiting ahead back while a run holds its only slot, and goes on with nothing lost or run twice', async () => {
  const queue = 'auto-stuck';
  const ids = await queueWithJobs(queue, JOBS);
  const holdAt = JOBS / 2;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let holding!: () => void;
  const held = new Promise<void>((resolve) => (holding = resolve));
  const { consumer, runs } = recording(queue, async (job) => {
    if (job.payload.label !== `j${holdAt}`) return;
    holding();
    await gate;
  });
  const consuming = consumer.consume(JOBS);
  try {
    await held;
    // It held jobs ahead of the long run; they go back to the queue while that run goes on.
    expect(ids.slice(holdAt + 1).filter((id) => takenAhead.has(id)).length).toBeGreaterThan(0);
    await until(async () => (await orchestrator.countQueueMessages(queue)) === JOBS - holdAt - 1);
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: JOBS - holdAt - 1, active: 1 });
    for (const id of ids.slice(holdAt + 1)) expect(await orchestrator.getJob(id)).toMatchObject({ status: 'waiting', attempt: 0 });
  } finally {
    // A failed check must not leave the run (and so the orchestrator's close) waiting for ever.
    open();
  }
  expect(await consuming).toBe(JOBS);
  expect(sorted(runs)).toEqual(labels(0, JOBS));
  expect(runs.every((r) => r.attempt === 1)).toBe(true);
  await consumer.close();
});

it('a RateLimitedError gives the jobs taken ahead back: none of them starts while the queue is held', async () => {
  const queue = 'auto-held';
  const ids = await queueWithJobs(queue, JOBS);
  const limitedAt = JOBS / 2;
  const HOLD_MS = 1500;
  let heldSince = 0;
  const startedDuringHold: string[] = [];
  let limited = false;
  const { consumer, runs } = recording(queue, (job) => {
    if (heldSince > 0 && Date.now() < heldSince + HOLD_MS - 200) startedDuringHold.push(job.payload.label);
    if (job.payload.label === `j${limitedAt}` && !limited) {
      limited = true;
      heldSince = Date.now();
      throw new RateLimitedError(HOLD_MS);
    }
  });
  expect(await consumer.consume(JOBS)).toBe(JOBS);
  // It had jobs taken ahead of the limited one; none ran before the hold's end (200 ms spared for clocks).
  expect(ids.slice(limitedAt + 1).filter((id) => takenAhead.has(id)).length).toBeGreaterThan(0);
  expect(startedDuringHold).toEqual([]);
  // Each ran once as attempt 1; the limited one twice (given back without counting an attempt).
  expect(sorted(runs)).toEqual([...labels(0, limitedAt + 1), `j${limitedAt}`, ...labels(limitedAt + 1, JOBS)]);
  expect(runs.every((r) => r.attempt === 1)).toBe(true);
  expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, completed: JOBS, dead: 0 });
  await consumer.close();
});

/** Waits for `condition`, checked every 10 ms up to 500 times; fails if it is never met. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the condition was never met');
}
