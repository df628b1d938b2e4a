import { Orchestrator, RedisClient, type JobRecord, type JobState, type QueueStats } from '../../lib';
import { adminConnection, closedPort, deleteKeysUnder, uniquePrefix } from '../redis/fixtures/redis-test-kit';
import { REDIS_URL, requireServer } from '../support/servers';
import { buildCli, cli, cliJson } from './fixtures/built-cli';
import { deadQueue, publishWaiting, schemaQueue } from './fixtures/seed';

// The built binary against the real Redis, on queues this test fills through the library.
const prefix = uniquePrefix();
const on = ['--redis', REDIS_URL, '--prefix', prefix];
let orchestrator: Orchestrator;

beforeAll(async () => {
  await requireServer('redis');
  await buildCli();
  orchestrator = new Orchestrator(new RedisClient(REDIS_URL, { prefix }));
}, 240_000);
afterAll(async () => {
  await orchestrator.close();
  const admin = adminConnection();
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

describe('mindtrace-jobs on Redis', () => {
  it('queues: every declared queue with its type and counts, as a table and as JSON', async () => {
    const { queue, dead } = await deadQueue(orchestrator, 'q-list', 2);
    await publishWaiting(orchestrator, queue, 1);
    const rows = await cliJson<{ name: string; type: string; stats: QueueStats }[]>(['queues', ...on]);
    expect(rows.find((row) => row.name === queue)).toEqual({
      name: queue,
      type: 'fifo',
      stats: { waiting: 1, delayed: 0, active: 0, completed: 0, dead: dead.length, paused: false },
    });
    const { code, stdout } = await cli(['queues', ...on]);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(/^QUEUE +TYPE +WAITING +DELAYED +ACTIVE +COMPLETED +DEAD +PAUSED$/);
    expect(stdout).toMatch(new RegExp(`^${queue} +fifo +1 +0 +0 +0 +2 +no$`, 'm'));
  });

  it('stats, dead and jobs read a queue; redrive --id and --all change its counts', async () => {
    const { queue, dead } = await deadQueue(orchestrator, 'q-fix', 3);
    expect(await cliJson(['stats', queue, ...on])).toEqual({
      queue,
      paused: false,
      waiting: 0,
      delayed: 0,
      active: 0,
      completed: 0,
      dead: 3,
    });

    const letters = await cliJson<{ deadLetters: { job: JobRecord; error: { message: string } }[] }>(['dead', queue, ...on]);
    expect(letters.deadLetters.map((letter) => letter.job.id)).toEqual(dead);
    expect(letters.deadLetters[0].error.message).toBe('boom 0');
    const table = await cli(['dead', queue, ...on]);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID +NAME +ATTEMPT +FAILED AT +ERROR$/);
    expect(table.stdout).toContain(`${dead[2]}  task`);

    const page = await cliJson<{ total: number; jobs: JobState[] }>([
      'jobs',
      queue,
      '--state',
      'dead',
      '--offset',
      '1',
      '--limit',
      '1',
      ...on,
    ]);
    expect({ total: page.total, ids: page.jobs.map((job) => job.id) }).toEqual({ total: 3, ids: [dead[1]] });

    expect(await cliJson(['redrive', queue, '--id', dead[1], ...on])).toEqual({ queue, redriven: 1 });
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 1, dead: 2 });
    const all = await cli(['redrive', queue, '--all', ...on]);
    expect(all).toMatchObject({ code: 0, stdout: `redrove 2 dead letters of "${queue}"\n` });
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 3, dead: 0 });
    expect((await orchestrator.listJobs(queue, { state: 'waiting' })).jobs.map((job) => [job.id, job.attempt])).toEqual(
      [dead[1], dead[0], dead[2]].map((id) => [id, 0]),
    );
  });

  it('redrive of an id that is no dead letter moves nothing and exits 2', async () => {
    const { queue } = await deadQueue(orchestrator, 'q-wrong-id', 1);
    const { code, stderr } = await cli(['redrive', queue, '--id', 'not-a-dead-letter', ...on]);
    expect(code).toBe(2);
    expect(stderr).toContain('not-a-dead-letter');
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, dead: 1 });
  });

  it('purge-dead deletes the dead letters only with --yes', async () => {
    const { queue } = await deadQueue(orchestrator, 'q-purge', 2);
    expect((await cli(['purge-dead', queue, ...on])).code).toBe(2);
    expect((await orchestrator.queueStats(queue)).dead).toBe(2);
    expect(await cliJson(['purge-dead', queue, '--yes', ...on])).toEqual({ queue, purged: 2 });
    expect((await orchestrator.queueStats(queue)).dead).toBe(0);
  });

  it('job <id>: the whole state as JSON; as text, user data shown inert (no terminal escapes)', async () => {
    // A payload and an error message (user data both) that would clear an operator's screen.
    const { queue, dead } = await deadQueue(orchestrator, 'q-job', 1, { label: 'clear\u001b[2Jscreen' }, 'boom\u001b[2J');
    const state = await cliJson<JobState>(['job', dead[0], ...on]);
    expect(state).toMatchObject({
      id: dead[0],
      queue,
      status: 'dead',
      attempt: 1,
      payload: { label: 'clear\u001b[2Jscreen' },
      error: { message: 'boom\u001b[2J 0' },
    });
    const { code, stdout } = await cli(['job', dead[0], ...on]);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^status: +dead$`, 'm'));
    expect(stdout).toContain('clear\\u001b[2Jscreen');
    expect(stdout).toContain('Error: boom\\u001b[2J 0 (attempt 1');
    expect(stdout).not.toContain('\u001b');
    expect((await cli(['dead', queue, ...on])).stdout).not.toContain('\u001b');
  });

  it('pause, resume and schedules act on what Redis keeps', async () => {
    const { queue } = await deadQueue(orchestrator, 'q-pause', 0);
    expect(await cliJson(['pause', queue, ...on])).toEqual({ queue, paused: true });
    expect(await cliJson(['stats', queue, ...on])).toMatchObject({ queue, paused: true });
    expect(await cliJson(['resume', queue, ...on])).toEqual({ queue, paused: false });
    expect((await orchestrator.queueStats(queue)).paused).toBe(false);

    const scheduled = await schemaQueue(orchestrator, 'q-scheduled');
    const info = await orchestrator.schedule(scheduled, 'hourly', { cron: '0 * * * *' }, { label: 'x' });
    const listed = await cliJson<{ schedules: { key: string; cron: string; tz: string; nextRunAt: string }[] }>([
      'schedules',
      scheduled,
      ...on,
    ]);
    expect(listed.schedules.map(({ key, cron, tz, nextRunAt }) => ({ key, cron, tz, nextRunAt }))).toEqual([
      { key: 'hourly', cron: '0 * * * *', tz: 'UTC', nextRunAt: info.nextRunAt.toISOString() },
    ]);
  });

  it('exits 4 for an unknown job or an undeclared queue', async () => {
    const job = await cli(['job', 'no-such-job', ...on]);
    expect(job.code).toBe(4);
    expect(job.stderr).toContain('Job no-such-job is unknown');
    const queue = await cli(['stats', 'no-such-queue', ...on]);
    expect(queue.code).toBe(4);
    expect(queue.stderr).toContain('"no-such-queue" is not declared');
  });

  it('exits 3 when Redis cannot be reached, naming it', async () => {
    const port = await closedPort();
    const { code, stderr } = await cli(['stats', 'q', '--redis', `redis://127.0.0.1:${port}`]);
    expect(code).toBe(3);
    expect(stderr).toContain(`127.0.0.1:${port}`);
  });

  it('reads REDIS_URL and MINDTRACE_JOBS_PREFIX when no flag names the backend', async () => {
    const { queue } = await deadQueue(orchestrator, 'q-env', 1);
    expect(await cliJson(['stats', queue], { REDIS_URL, MINDTRACE_JOBS_PREFIX: prefix })).toMatchObject({ queue, dead: 1 });
  });
});
