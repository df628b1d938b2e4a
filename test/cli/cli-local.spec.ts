import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalClient, Orchestrator, type JobState } from '../../lib';
import { buildCli, cli, cliJson } from './fixtures/built-cli';
import { deadQueue, publishWaiting, schemaQueue } from './fixtures/seed';

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
    expect(await cliJson(['stats', queue, ...on])).toEqual({
      queue,
      paused: false,
      waiting: 0,
      delayed: 0,
      active: 0,
      completed: 0,
      dead: 2,
    });
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
    expect((await cli(['pause', 'no-such-queue', ...on])).code).toBe(4);
  });

  it("pause stops the app's consumers taking the queue's jobs until resume; stats and queues show it", async () => {
    const { queue } = await deadQueue(orchestrator, 'q-pause', 0);
    const [id] = await publishWaiting(orchestrator, queue, 1);
    expect(await cliJson(['pause', queue, ...on])).toEqual({ queue, paused: true });
    // The pause is kept in the file: this process, another client of it, takes nothing.
    expect(await orchestrator.backend.fetch(queue, 1, { wait: false, leaseMs: 60_000 })).toEqual([]);
    expect(await cliJson(['stats', queue, ...on])).toEqual({
      queue,
      paused: true,
      waiting: 1,
      delayed: 0,
      active: 0,
      completed: 0,
      dead: 0,
    });
    expect((await cli(['stats', queue, ...on])).stdout).toContain(
      `paused: yes — its consumers take nothing until \`mindtrace-jobs resume ${queue}\``,
    );
    const rows = await cliJson<{ name: string; stats: { paused: boolean } }[]>(['queues', ...on]);
    expect(rows.find((row) => row.name === queue)?.stats.paused).toBe(true);
    expect((await cli(['queues', ...on])).stdout).toMatch(new RegExp(`^${queue} +fifo +1 +0 +0 +0 +0 +yes$`, 'm'));

    expect(await cliJson(['resume', queue, ...on])).toEqual({ queue, paused: false });
    const taken = await orchestrator.backend.fetch(queue, 1, { wait: false, leaseMs: 60_000 });
    expect(taken.map((delivery) => delivery.job.id)).toEqual([id]);
    expect((await cli(['stats', queue, ...on])).stdout).toContain('paused: no');
  });

  it("schedules lists the file's repeatable jobs, of one queue or of all, as JSON and as a table", async () => {
    const reports = await schemaQueue(orchestrator, 'q-reports');
    const pings = await schemaQueue(orchestrator, 'q-pings');
    const nightly = await orchestrator.schedule(reports, 'nightly', { cron: '0 3 * * *', tz: 'Europe/Berlin' }, { label: 'daily' });
    await orchestrator.schedule(pings, 'heartbeat', { every: 60_000 }, { label: 'ping' });

    const one = await cliJson<{ queue: string; schedules: Record<string, unknown>[] }>(['schedules', reports, ...on]);
    expect(one).toEqual({
      queue: reports,
      schedules: [
        {
          queue: reports,
          key: 'nightly',
          cron: '0 3 * * *',
          tz: 'Europe/Berlin',
          nextRunAt: nightly.nextRunAt.toISOString(),
          payload: { label: 'daily' },
          priority: 0,
          updatedAt: nightly.updatedAt.toISOString(),
        },
      ],
    });
    const all = await cliJson<{ schedules: { queue: string; key: string; every?: number }[] }>(['schedules', ...on]);
    expect(all.schedules.filter((s) => [reports, pings].includes(s.queue)).map(({ queue, key, every }) => ({ queue, key, every }))).toEqual(
      // Sorted by queue: q-pings-… before q-reports-….
      [
        { queue: pings, key: 'heartbeat', every: 60_000 },
        { queue: reports, key: 'nightly', every: undefined },
      ],
    );

    const table = await cli(['schedules', reports, ...on]);
    expect(table.stdout.split('\n')[0]).toMatch(/^QUEUE +KEY +WHEN +NEXT RUN +PRIORITY +PAYLOAD$/);
    expect(table.stdout).toContain(`nightly  cron 0 3 * * * (Europe/Berlin)  ${nightly.nextRunAt.toISOString()}`);
  });

  it('unschedule removes a schedule and its pending run; an unknown key exits 4', async () => {
    const reports = await schemaQueue(orchestrator, 'q-unschedule');
    const nightly = await orchestrator.schedule(reports, 'nightly', { every: 3_600_000 }, { label: 'hourly' });
    expect(await orchestrator.queueStats(reports)).toMatchObject({ delayed: 1 });

    expect(await cliJson(['unschedule', reports, 'nightly', ...on])).toEqual({ queue: reports, key: 'nightly', removed: true });
    expect(await orchestrator.schedules(reports)).toEqual([]);
    expect(await orchestrator.queueStats(reports)).toMatchObject({ delayed: 0, waiting: 0 });
    expect(nightly.key).toBe('nightly');

    const again = await cli(['unschedule', reports, 'nightly', ...on]);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain(`queue "${reports}" has no schedule "nightly"`);
  });
});
