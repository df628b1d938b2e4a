import { Injectable } from '@nestjs/common';
import { Consumer, JobsModule, Orchestrator, RedisClient, Run, type Job, type RunContext } from '../../lib';
import { deleteKeysUnder, adminConnection, uniquePrefix } from '../redis/fixtures/redis-test-kit';
import { spawnFixture } from '../support/fixture-process';
import { REDIS_URL, requireServer } from '../support/servers';
import { bootJobsApp, closeAll, closeApp } from './support/jobs-test-app';
import { tickSchema, type TickInput } from './support/tick.schema';

const prefix = uniquePrefix();
const admin = adminConnection();

beforeAll(() => requireServer('redis'));
afterEach(closeAll);
afterAll(async () => {
  await deleteKeysUnder(admin, prefix);
  admin.disconnect();
});

/** An orchestrator of our own over the same Redis keys, to publish and to look at what the app left. */
async function observer(queue: string): Promise<Orchestrator> {
  const orchestrator = new Orchestrator(new RedisClient(REDIS_URL, { prefix }));
  await orchestrator.register(tickSchema(queue));
  return orchestrator;
}

describe('JobsModule shutdown on Redis, seen from outside the app', () => {
  it('SIGTERM with enableShutdownHooks: the running job finishes before the process exits, and is completed', async () => {
    const queue = 'sigterm-finishes';
    const child = spawnFixture(`${__dirname}/fixtures/sigterm-app.ts`, { REDIS_URL, MT_PREFIX: prefix, MT_QUEUE: queue });
    const outside = await observer(queue);
    try {
      await child.next((m) => m.type === 'ready', 'ready');
      const id = await outside.publish(queue, { n: 7 });
      await child.next((m) => m.type === 'running' && m.id === id, 'the job to start');
      expect((await outside.getJob(id))?.status).toBe('active');

      child.child.kill('SIGTERM');
      const exit = await child.exited;
      // Nest re-raises the signal once the app is closed.
      expect(exit).toBe('SIGTERM');
      expect(child.messages.map((m) => m.type)).toEqual(['ready', 'running', 'sigterm', 'finished']);
      const state = await outside.getJob(id);
      expect(state).toMatchObject({ status: 'completed', attempt: 1, result: { n: 7 } });
      expect(await outside.queueStats(queue)).toMatchObject({ waiting: 0, active: 0, completed: 1, dead: 0 });
    } finally {
      await child.kill();
      await outside.close();
    }
  }, 60_000);

  it('a job still running after shutdownTimeout is given back: waiting again, its attempt not counted', async () => {
    const queue = 'shutdown-gives-back';
    const signals: AbortSignal[] = [];
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));

    @Injectable()
    @Consumer(queue)
    class NeverFinishes {
      @Run()
      run(_job: Job<TickInput>, context: RunContext): Promise<never> {
        signals.push(context.signal);
        started();
        return new Promise<never>(() => undefined);
      }
    }

    const app = await bootJobsApp(
      JobsModule.forRoot({ backend: new RedisClient(REDIS_URL, { prefix }), schemas: [tickSchema(queue)], shutdownTimeout: 50 }),
      [NeverFinishes],
    );
    const outside = await observer(queue);
    try {
      const id = await outside.publish(queue, { n: 1 });
      await running;
      expect((await outside.getJob(id))?.status).toBe('active');

      await closeApp(app);
      expect(signals.map((signal) => signal.aborted)).toEqual([true]);
      expect(await outside.getJob(id)).toMatchObject({ status: 'waiting', attempt: 0 });
      expect(await outside.countQueueMessages(queue)).toBe(1);
      // And it is really there to be taken again, not merely unsettled.
      const taken = await outside.receiveMessage(queue);
      expect(taken?.id).toBe(id);
    } finally {
      await outside.close();
    }
  });
});
