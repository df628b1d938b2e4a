import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalClient, Orchestrator } from '../../lib';
import { taskSchema } from '../conformance/conformance.fixtures';
import { spawnFixture, type FixtureProcess } from '../support/fixture-process';

/**
 * Processes of one host sharing a file: three worker processes wait on an empty queue (woken by the
 * wake file, not by polling), a producer process publishes, and this process awaits every result —
 * each job runs exactly once, in one of the workers.
 */
const dir = mkdtempSync(join(tmpdir(), 'jobs-pipeline-'));
const path = join(dir, 'queue.db');
const JOBS = 600;
const WORKERS = 3;

const children: FixtureProcess[] = [];
let orchestrator: Orchestrator;

afterAll(async () => {
  await Promise.all(children.map((c) => c.kill()));
  await orchestrator?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('a producer process and three worker processes on one file: every job runs exactly once', async () => {
  const queue = 'pipeline';
  orchestrator = new Orchestrator(new LocalClient({ path }));
  await orchestrator.register(taskSchema(queue));

  const env = { MT_PATH: path, MT_QUEUE: queue };
  const workers = Array.from({ length: WORKERS }, () =>
    spawnFixture(join(__dirname, 'fixtures', 'file-worker.ts'), { ...env, MT_CONCURRENCY: '4', MT_LEASE_MS: '30000' }),
  );
  children.push(...workers);
  await Promise.all(workers.map((w) => w.next((m) => m.type === 'ready', 'the worker to be ready')));

  const producer = spawnFixture(join(__dirname, 'fixtures', 'file-producer.ts'), { ...env, MT_BATCH: '50', MT_COUNT: String(JOBS) });
  children.push(producer);
  await producer.next((m) => m.type === 'done', 'the producer to publish every job');
  expect(await producer.exited).toBe(0);
  const published = producer.messages.filter((m) => m.type === 'published').flatMap((m) => m.ids as string[]);
  expect(published).toHaveLength(JOBS);

  // Results are awaited here, in a third kind of process: the finish wake file tells it.
  const results = await Promise.all(published.map((id) => orchestrator.waitForResult(id, { timeout: 30_000 })));
  expect(results).toHaveLength(JOBS);

  // The workers' reports travel on their stdout, which may lag behind the file: wait for each job's acknowledged completion.
  await Promise.all(
    published.map((id) => Promise.any(workers.map((w) => w.next((m) => m.type === 'completed' && m.id === id, `the completion of ${id}`)))),
  );
  const started = workers.flatMap((w) => w.messages.filter((m) => m.type === 'started'));
  expect(started.map((m) => m.id as string).sort()).toEqual([...published].sort());
  expect(started.filter((m) => m.attempt !== 1)).toEqual([]);
  expect(await orchestrator.queueStats(queue)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: JOBS, dead: 0, paused: false });
}, 120_000);
