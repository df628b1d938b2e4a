import { join } from 'node:path';
import { Orchestrator, RedisClient, type JobState } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { REDIS_URL, requireServer } from '../support/servers';
import { adminConnection, deleteKeysUnder, uniquePrefix } from './fixtures/redis-test-kit';
import { spawnFixture, type FixtureProcess } from '../support/fixture-process';

/**
 * At-least-once across a SIGKILL: a worker in another process holds four jobs under a 1 s lease when
 * it is killed; a second worker here must complete every job — the held ones again, after their lease
 * ran out — and must not run again the ones the dead worker had already completed. And the other side of
 * that promise: a job that takes down every worker that runs it is not redelivered forever.
 */
const prefix = uniquePrefix();
const JOBS = 20;
const HANG_FROM = 5;

const admin = adminConnection();
let worker: FixtureProcess | null = null;
let orchestrator: Orchestrator;

beforeAll(async () => {
  await requireServer('redis');
  orchestrator = new Orchestrator(new RedisClient(REDIS_URL, { prefix }));
});

afterAll(async () => {
  await worker?.kill();
  await orchestrator?.close();
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

it('jobs held by a SIGKILLed worker are completed by another after their lease; finished ones are not run again', async () => {
  const queue = 'crash';
  const schema = taskSchema(queue);
  await orchestrator.register(schema);
  const { ids } = await orchestrator.publishBatch(
    queue,
    Array.from({ length: JOBS }, (_, n) => ({ label: `job-${n}`, n })),
  );

  worker = spawnFixture(join(__dirname, 'fixtures', 'crash-worker.ts'), {
    REDIS_URL,
    MT_PREFIX: prefix,
    MT_QUEUE: queue,
    MT_HANG_FROM: String(HANG_FROM),
  });
  const holding = (await worker.next((m) => m.type === 'holding', 'the worker to hold 4 hanging runs')).ids as string[];
  worker.child.kill('SIGKILL');
  expect(await worker.exited).toBe('SIGKILL');

  const startedByFirst = worker.messages.filter((m) => m.type === 'started').map((m) => m.id as string);
  const finishedByFirst = new Set(worker.messages.filter((m) => m.type === 'completed').map((m) => m.id as string));
  expect(holding).toHaveLength(4);
  expect(new Set(holding).size).toBe(4);
  for (const id of holding) expect(finishedByFirst.has(id)).toBe(false);
  // The first jobs in FIFO order ran to completion before any hanging run filled the last slot.
  expect(finishedByFirst.size).toBeGreaterThan(0);
  for (const id of finishedByFirst) expect(startedByFirst).toContain(id);
  // The dead worker's jobs are still held (their leases run for up to a second): nothing is lost yet.
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
  // Nothing the dead worker had completed ran again …
  expect(ranBySecond.filter((id) => finishedByFirst.has(id))).toEqual([]);
  // … everything else ran here, exactly once: together, the two workers completed each job once.
  expect([...ranBySecond, ...finishedByFirst].sort()).toEqual([...ids].sort());
  // The held jobs came back as a second attempt, since their first one died with the worker.
  const attemptOf = new Map(runs.map((r) => [r.id, r.attempt]));
  for (const id of holding) expect(attemptOf.get(id)).toBe(2);
  const heldStates = states.filter((s): s is JobState => s !== null && holding.includes(s.id));
  expect(heldStates.map((s) => s.attempt)).toEqual([2, 2, 2, 2]);
  // Jobs the dead worker never started ran once, as their first attempt.
  for (const id of ids.filter((id) => !startedByFirst.includes(id))) expect(attemptOf.get(id)).toBe(1);

  expect(await orchestrator.queueStats(queue)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: JOBS, dead: 0, paused: false });
}, 30_000);

it('a job that kills its worker every time is dead-lettered with JobStalledError once it stalled more than maxStalls', async () => {
  const queue = 'poison-crash';
  await orchestrator.register(taskSchema(queue));
  // n >= HANG_FROM: each worker that takes it hangs in its run and is then SIGKILLed, as if the job crashed it.
  const id = await orchestrator.publish(queue, { label: 'kills its worker', n: HANG_FROM });
  for (let attempt = 1; attempt <= 2; attempt++) {
    worker = spawnFixture(join(__dirname, 'fixtures', 'crash-worker.ts'), {
      REDIS_URL,
      MT_PREFIX: prefix,
      MT_QUEUE: queue,
      MT_HANG_FROM: String(HANG_FROM),
    });
    const started = await worker.next((m) => m.type === 'started' && m.id === id, `the worker to start attempt ${attempt}`);
    expect(started.attempt).toBe(attempt);
    expect(await worker.kill()).toBe('SIGKILL');
  }

  // Two holders died with it. With maxStalls 1 the next consumer does not run it a third time.
  const runs: string[] = [];
  const third = new FnConsumer(queue, (job) => void runs.push(job.id), { maxStalls: 1, leaseMs: 1000 });
  third.connect(orchestrator);
  expect(await third.consume(1)).toBe(1);
  expect(runs).toEqual([]);
  const [dead] = await orchestrator.deadLetters(queue);
  expect(dead.job.id).toBe(id);
  expect(dead.error).toMatchObject({ name: 'JobStalledError', attempt: 3 });
  expect(await orchestrator.getJob(id)).toMatchObject({ status: 'dead' });
}, 30_000);
