import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalClient, Orchestrator, type JobState } from '../../lib';
import { buildCli, cli, cliJson } from './fixtures/built-cli';
import { deadQueue } from './fixtures/seed';

// The built binary on the durable Local backend's file (`--local PATH`), open in this process too,
// as an app's would be: both see and change the same queues.
const dir = mkdtempSync(join(tmpdir(), 'mindtrace-cli-'));
const path = join(dir, 'jobs.db');
const on = ['--local', path];
let orchestrator: Orchestrator;

beforeAll(async () => {
  await buildCli();
  orchestrator = new Orchestrator(new LocalClient({ path }));
}, 240_000);
afterAll(async () => {
  await orchestrator.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('mindtrace-jobs on a Local file', () => {
  it('stats, dead and job read the file; redrive --all changes its counts', async () => {
    const { queue, dead } = await deadQueue(orchestrator, 'q-fix', 2);
    expect(await cliJson(['stats', queue, ...on])).toEqual({ queue, waiting: 0, delayed: 0, active: 0, completed: 0, dead: 2 });
    const letters = await cliJson<{ deadLetters: { job: { id: string } }[] }>(['dead', queue, ...on]);
    expect(letters.deadLetters.map((letter) => letter.job.id)).toEqual(dead);
    expect(await cliJson<JobState>(['job', dead[1], ...on])).toMatchObject({
      id: dead[1],
      queue,
      status: 'dead',
      error: { message: 'boom 1' },
    });
    expect(await cliJson(['redrive', queue, '--all', ...on])).toEqual({ queue, redriven: 2 });
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 2, dead: 0 });
  });

  it('MINDTRACE_JOBS_LOCAL names the file when no flag does', async () => {
    const { queue } = await deadQueue(orchestrator, 'q-env', 1);
    expect(await cliJson(['stats', queue], { MINDTRACE_JOBS_LOCAL: path })).toMatchObject({ queue, dead: 1 });
  });

  it('purge-dead --yes deletes the dead letters', async () => {
    const { queue } = await deadQueue(orchestrator, 'q-purge', 2);
    expect(await cliJson(['purge-dead', queue, '--yes', ...on])).toEqual({ queue, purged: 2 });
    expect((await orchestrator.queueStats(queue)).dead).toBe(0);
  });

  it('queues and jobs list what the file holds', async () => {
    const { queue, dead } = await deadQueue(orchestrator, 'q-list', 2);
    const rows = await cliJson<{ name: string; type: string; stats: { dead: number } }[]>(['queues', ...on]);
    expect(rows.find((row) => row.name === queue)).toMatchObject({ name: queue, type: 'fifo', stats: { dead: 2 } });
    const page = await cliJson<{ total: number; jobs: JobState[] }>(['jobs', queue, '--state', 'dead', '--limit', '1', ...on]);
    expect({ total: page.total, ids: page.jobs.map((job) => job.id) }).toEqual({ total: 2, ids: [dead[0]] });
  });

  it('exits 4 for an undeclared queue or an unknown job', async () => {
    expect((await cli(['stats', 'no-such-queue', ...on])).code).toBe(4);
    expect((await cli(['job', 'no-such-job', ...on])).code).toBe(4);
  });
});
