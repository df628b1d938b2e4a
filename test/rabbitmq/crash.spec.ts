import { join } from 'node:path';
import { Orchestrator, RabbitMQClient } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { RABBITMQ_URL, requireServer } from '../support/servers';
import { testPrefix } from './fixtures/rabbitmq-test-kit';
import { spawnFixture, type FixtureProcess } from '../support/fixture-process';

/**
 * At-least-once across a SIGKILL: a worker in another process holds unacknowledged jobs when it is
 * killed; the broker gives them back at once (no lease to wait for) and a second worker completes
 * every job. Jobs the dead worker had acknowledged do not run again.
 */
const prefix = testPrefix('crash');
const JOBS = 20;
const HANG_FROM = 5;
const CONCURRENCY = 4;

let worker: FixtureProcess | null = null;
let orchestrator: Orchestrator;

beforeAll(async () => {
  await requireServer('rabbitmq');
  orchestrator = new Orchestrator(new RabbitMQClient({ url: RABBITMQ_URL, prefix }));
});

afterAll(async () => {
  await worker?.kill();
  await orchestrator?.deleteQueue('crash').catch(() => undefined);
  await orchestrator?.close();
});

it('jobs held by a SIGKILLed worker are completed by another; acknowledged ones are not run again', async () => {
  const queue = 'crash';
  await orchestrator.register(taskSchema(queue));
  const { ids } = await orchestrator.publishBatch(
    queue,
    Array.from({ length: JOBS }, (_, n) => ({ label: `job-${n}`, n })),
  );

  worker = spawnFixture(join(__dirname, 'fixtures', 'crash-worker.ts'), {
    RABBITMQ_URL,
    MT_PREFIX: prefix,
    MT_QUEUE: queue,
    MT_HANG_FROM: String(HANG_FROM),
    MT_CONCURRENCY: String(CONCURRENCY),
  });
  const holding = (await worker.next((m) => m.type === 'holding', 'all its slots holding a job')).ids as string[];
  expect(await worker.kill()).toBe('SIGKILL');

  const startedByFirst = worker.messages.filter((m) => m.type === 'started').map((m) => m.id as string);
  const finishedByFirst = new Set(worker.messages.filter((m) => m.type === 'completed').map((m) => m.id as string));
  expect(new Set(holding).size).toBe(CONCURRENCY);
  for (const id of holding) expect(finishedByFirst.has(id)).toBe(false);
  expect(finishedByFirst.size).toBe(HANG_FROM);

  const runs: { id: string; attempt: number }[] = [];
  const second = new FnConsumer(queue, (job) => void runs.push({ id: job.id, attempt: job.attempt }), { concurrency: CONCURRENCY });
  second.connect(orchestrator);
  expect(await second.consume(JOBS - finishedByFirst.size)).toBe(JOBS - finishedByFirst.size);

  const ranBySecond = runs.map((r) => r.id);
  expect(new Set(ranBySecond).size).toBe(ranBySecond.length);
  // Together the two workers completed every job, each once: nothing lost, nothing acknowledged ran again.
  expect([...ranBySecond, ...finishedByFirst].sort()).toEqual([...ids].sort());
  // The held jobs come back as their second attempt (RabbitMQ marks them redelivered); the rest as their first.
  const attemptOf = new Map(runs.map((r) => [r.id, r.attempt]));
  for (const id of holding) expect(attemptOf.get(id)).toBe(2);
  for (const id of ids.filter((id) => !startedByFirst.includes(id))) expect(attemptOf.get(id)).toBe(1);
  expect(await orchestrator.queueStats(queue)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, dead: 0, paused: false });
}, 30_000);
