import { Orchestrator, RedisJobStateStore, type JobState, type RabbitMQClient } from '../../lib';
import { RabbitMQTestClients, testPrefix } from '../rabbitmq/fixtures/rabbitmq-test-kit';
import { adminConnection, closedPort, deleteKeysUnder } from '../redis/fixtures/redis-test-kit';
import { RABBITMQ_URL, REDIS_URL, requireServer } from '../support/servers';
import { buildCli, cli, cliJson } from './fixtures/built-cli';
import { deadQueue } from './fixtures/seed';

// The built binary against the real RabbitMQ: what it can show without a job store (dead letters,
// counts) and with one (a job's state), and the clear refusals for the rest (exit 5).
const prefix = testPrefix('cli');
const clients = new RabbitMQTestClients({ prefix });
const on = ['--amqp', RABBITMQ_URL, '--prefix', prefix];
let orchestrator: Orchestrator;

beforeAll(async () => {
  await requireServer('rabbitmq');
  await requireServer('redis');
  await buildCli();
  // The app keeps its job states in Redis under the same prefix, so `--job-store` finds them.
  orchestrator = new Orchestrator(clients.create({ jobStore: new RedisJobStateStore(REDIS_URL, { prefix }) }) as RabbitMQClient);
}, 240_000);
afterAll(async () => {
  await orchestrator.close();
  await clients.deleteDeclaredQueues();
  const admin = adminConnection();
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

describe('mindtrace-jobs on RabbitMQ', () => {
  it('stats, dead and jobs --state dead read a queue; redrive changes its counts', async () => {
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
    const letters = await cliJson<{ deadLetters: { job: { id: string } }[] }>(['dead', queue, ...on]);
    expect(letters.deadLetters.map((letter) => letter.job.id)).toEqual(dead);
    const page = await cliJson<{ total: number; jobs: JobState[] }>(['jobs', queue, '--state', 'dead', '--offset', '2', ...on]);
    expect({ total: page.total, ids: page.jobs.map((job) => job.id) }).toEqual({ total: 3, ids: [dead[2]] });

    expect(await cliJson(['redrive', queue, '--id', dead[0], ...on])).toEqual({ queue, redriven: 1 });
    expect(await cliJson(['stats', queue, ...on])).toMatchObject({ waiting: 1, dead: 2 });
    expect((await cli(['redrive', queue, '--all', ...on])).stdout).toBe(`redrove 2 dead letters of "${queue}"\n`);
    expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 3, dead: 0 });
  });

  it('purge-dead --yes deletes the dead letters', async () => {
    const { queue } = await deadQueue(orchestrator, 'q-purge', 2);
    expect(await cliJson(['purge-dead', queue, '--yes', ...on])).toEqual({ queue, purged: 2 });
    expect((await orchestrator.queueStats(queue)).dead).toBe(0);
  });

  it('queues and jobs of other states exit 5, saying what RabbitMQ can show instead', async () => {
    const { queue } = await deadQueue(orchestrator, 'q-refused', 1);
    const queues = await cli(['queues', ...on]);
    expect(queues.code).toBe(5);
    expect(queues.stderr).toContain('name the queue instead: mindtrace-jobs stats <queue>');
    const waiting = await cli(['jobs', queue, '--state', 'waiting', ...on]);
    expect(waiting.code).toBe(5);
    expect(waiting.stderr).toContain('it lists dead jobs only');
  });

  it('job <id> needs the job store: exit 5 without --job-store, the state with it', async () => {
    const { queue, dead } = await deadQueue(orchestrator, 'q-job', 1);
    const without = await cli(['job', dead[0], ...on]);
    expect(without.code).toBe(5);
    expect(without.stderr).toContain('--job-store REDIS_URL');
    expect(await cliJson(['job', dead[0], ...on, '--job-store', REDIS_URL])).toMatchObject({
      id: dead[0],
      queue,
      status: 'dead',
      error: { message: 'boom 0' },
    });
    expect((await cli(['job', 'no-such-job', ...on, '--job-store', REDIS_URL])).code).toBe(4);
  });

  it('schedules exits 5: RabbitMQ keeps no schedules', async () => {
    const { code, stderr } = await cli(['schedules', ...on]);
    expect(code).toBe(5);
    expect(stderr).toContain('schedules');
  });

  it('pause and resume: stats shows the pause the broker keeps', async () => {
    const { queue } = await deadQueue(orchestrator, 'q-pause', 0);
    expect(await cliJson(['pause', queue, ...on])).toEqual({ queue, paused: true });
    expect(await cliJson(['stats', queue, ...on])).toMatchObject({ queue, paused: true });
    expect(await cliJson(['resume', queue, ...on])).toEqual({ queue, paused: false });
    expect(await cliJson(['stats', queue, ...on])).toMatchObject({ queue, paused: false });
  });

  it('exits 4 for an undeclared queue and 3 when the broker cannot be reached', async () => {
    expect((await cli(['stats', 'no-such-queue', ...on])).code).toBe(4);
    const port = await closedPort();
    const down = await cli(['stats', 'q', '--amqp', `amqp://guest:guest@127.0.0.1:${port}`]);
    expect(down.code).toBe(3);
    expect(down.stderr).toContain(`127.0.0.1:${port}`);
  });
});
