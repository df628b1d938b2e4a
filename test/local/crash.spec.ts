import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalClient, Orchestrator, type JobState } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { spawnFixture, type FixtureProcess } from '../support/fixture-process';

/**
 * At-least-once on a file, across real SIGKILLs: a worker process killed while it holds jobs (they run
 * again elsewhere after their lease; what it completed does not), a job that kills every worker
 * (dead-lettered once it stalled more than maxStalls), and a producer killed mid-stream (every job
 * whose publish had resolved is in the file).
 */
const dir = mkdtempSync(join(tmpdir(), 'jobs-crash-'));
const path = join(dir, 'queue.db');
const JOBS = 20;
const HANG_FROM = 5;
const CONCURRENCY = 4;

let child: FixtureProcess | null = null;
let orchestrator: Orchestrator;

beforeAll(() => {
  orchestrator = new Orchestrator(new LocalClient({ path }));
});

afterAll(async () => {
  await child?.kill();
  await orchestrator?.close();
  rmSync(dir, { recursive: true, force: true });
});

function worker(queue: string): FixtureProcess {
  child = spawnFixture(join(__dirname, 'fixtures', 'file-worker.ts'), {
    MT_PATH: path,
    MT_QUEUE: queue,
    MT_HANG_FROM: String(HANG_FROM),
    MT_CONCURRENCY: String(CONCURRENCY),
    MT_LEASE_MS: '1000',
  });
  return child;
}

it('jobs held by a SIGKILLed worker process are completed by another after their lease; finished ones are not run again', async () => {
  const queue = 'crash';
  await orchestrator.register(taskSchema(queue));
  const { ids } = await orchestrator.publishBatch(
    queue,
    Array.from({ length: JOBS }, (_, n) => ({ label: `job-${n}`, n })),
  );

  const first = worker(queue);
  const holding = (await first.next((m) => m.type === 'holding', 'the worker to hold 4 hanging runs')).ids as string[];
  first.child.kill('SIGKILL');
  expect(await first.exited).toBe('SIGKILL');

  const startedByFirst = first.messages.filter((m) => m.type === 'started').map((m) => m.id as string);
  const finishedByFirst = new Set(first.messages.filter((m) => m.type === 'completed').map((m) => m.id as string));
  expect(new Set(holding).size).toBe(CONCURRENCY);
  for (const id of holding) expect(finishedByFirst.has(id)).toBe(false);
  expect(finishedByFirst.size).toBeGreaterThan(0);
  // The dead worker's jobs are still held (their leases run for up to a second): nothing is lost.
  const stats = await orchestrator.queueStats(queue);
  expect(stats.active + stats.waiting + stats.completed).toBe(JOBS);

  const runs: { id: string; attempt: number }[] = [];
  const second = new FnConsumer(queue, (job) => void runs.push({ id: job.id, attempt: job.attempt }), { concurrency: 4, leaseMs: 1000 });
  second.connect(orchestrator);
  const consuming = second.consume();
  await Promise.all(ids.map((id) => orchestrator.waitForResult(id, { timeout: 15_000 })));
  const states: (JobState | null)[] = await Promise.all(ids.map((id) => orchestrator.getJob(id)));
  await second.stop();
  expect(await consuming).toBe(runs.length);

  expect(states.map((s) => s?.status)).toEqual(ids.map(() => 'completed'));
  const ranBySecond = runs.map((r) => r.id);
  expect(new Set(ranBySecond).size).toBe(ranBySecond.length);
  expect(ranBySecond.filter((id) => finishedByFirst.has(id))).toEqual([]);
  expect([...ranBySecond, ...finishedByFirst].sort()).toEqual([...ids].sort());
  // The held jobs came back as a second attempt, their first one having died with the worker.
  const attemptOf = new Map(runs.map((r) => [r.id, r.attempt]));
  for (const id of holding) expect(attemptOf.get(id)).toBe(2);
  for (const id of ids.filter((id) => !startedByFirst.includes(id))) expect(attemptOf.get(id)).toBe(1);
  expect(await orchestrator.queueStats(queue)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: JOBS, dead: 0, paused: false });
}, 60_000);

it('a job that kills its worker process every time is dead-lettered with JobStalledError once it stalled more than maxStalls', async () => {
  const queue = 'poison-crash';
  await orchestrator.register(taskSchema(queue));
  const id = await orchestrator.publish(queue, { label: 'kills its worker', n: HANG_FROM });
  for (let attempt = 1; attempt <= 2; attempt++) {
    const doomed = worker(queue);
    const started = await doomed.next((m) => m.type === 'started' && m.id === id, `the worker to start attempt ${attempt}`);
    expect(started.attempt).toBe(attempt);
    expect(await doomed.kill()).toBe('SIGKILL');
  }

  const runs: string[] = [];
  const third = new FnConsumer(queue, (job) => void runs.push(job.id), { maxStalls: 1, leaseMs: 1000 });
  third.connect(orchestrator);
  expect(await third.consume(1)).toBe(1);
  expect(runs).toEqual([]);
  const [dead] = await orchestrator.deadLetters(queue);
  expect(dead.job.id).toBe(id);
  expect(dead.error).toMatchObject({ name: 'JobStalledError', attempt: 3 });
  expect(await orchestrator.getJob(id)).toMatchObject({ status: 'dead' });
}, 60_000);

it('every job whose publish resolved in a producer SIGKILLed mid-stream is in the file', async () => {
  const queue = 'producer-crash';
  await orchestrator.register(taskSchema(queue));
  const producer = (child = spawnFixture(join(__dirname, 'fixtures', 'file-producer.ts'), {
    MT_PATH: path,
    MT_QUEUE: queue,
    MT_BATCH: '10',
  }));
  // Killed while it publishes: its tenth batch resolved, and more are on their way.
  await producer.next(
    (m) => m.type === 'published' && producer.messages.filter((p) => p.type === 'published').length >= 10,
    'ten published batches',
  );
  expect(await producer.kill()).toBe('SIGKILL');

  const published = producer.messages.filter((m) => m.type === 'published').flatMap((m) => m.ids as string[]);
  expect(published.length).toBeGreaterThanOrEqual(100);
  const states = await Promise.all(published.map((id) => orchestrator.getJob(id)));
  expect(states.filter((s) => s?.status !== 'waiting')).toEqual([]);
  // Nothing but whole batches: a batch cut off by the kill is either all there or not at all.
  const waiting = await orchestrator.countQueueMessages(queue);
  expect(waiting % 10).toBe(0);
  expect(waiting).toBeGreaterThanOrEqual(published.length);
}, 60_000);
