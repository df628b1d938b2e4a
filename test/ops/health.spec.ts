import 'reflect-metadata';
import { InvalidOptionError, LocalClient, Orchestrator, QueueNotDeclaredError } from '../../lib';
import { FnConsumer, taskSchema } from '../conformance/conformance.fixtures';
import { healthWhen } from './support/health-watch';

/**
 * orchestrator.health() on the embedded backend: the backend and every consumer's loop, judged apart —
 * a loop that is wedged, crashed or stopped reads down while the backend itself answers.
 */
describe('orchestrator.health()', () => {
  const orchestrators: Orchestrator[] = [];
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await Promise.all(orchestrators.splice(0).map((o) => o.close()));
  });

  async function withQueue(queue: string) {
    const orchestrator = new Orchestrator(new LocalClient());
    orchestrators.push(orchestrator);
    await orchestrator.register(taskSchema(queue));
    return orchestrator;
  }

  /** A consumer whose runs wait until released; `started` counts the runs begun. */
  function gatedConsumer(queue: string) {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let started = 0;
    const consumer = new FnConsumer(queue, async () => {
      started++;
      await gate;
    });
    cleanups.push(() => open());
    return { consumer, open: () => open(), started: () => started };
  }

  it('is up with a running consumer, and names the backend, the consumer and the queue', async () => {
    const orchestrator = await withQueue('healthy');
    const consumer = new FnConsumer('healthy', () => undefined, { concurrency: 3 });
    consumer.connect(orchestrator);
    const consuming = consumer.consume();
    cleanups.push(() => consumer.stop().then(() => consuming));
    await orchestrator.publish('healthy', { label: 'a' });
    const report = await healthWhen(orchestrator, (r) => r.status === 'up' && r.consumers.length === 1);
    expect(report).toMatchObject({
      status: 'up',
      backend: { name: 'LocalClient', status: 'up' },
      consumers: [{ queue: 'healthy', consumer: 'FnConsumer', status: 'up', state: 'running', concurrency: 3 }],
      queues: [{ queue: 'healthy', status: 'up' }],
    });
  });

  it('a wedged consumer (its only slot hangs while jobs wait) reads down while the backend reads up, and up again once it takes', async () => {
    const orchestrator = await withQueue('wedged');
    const { consumer, open, started } = gatedConsumer('wedged');
    consumer.connect(orchestrator);
    const consuming = consumer.consume();
    cleanups.push(() => consumer.stop().then(() => consuming));
    await orchestrator.publishBatch('wedged', [{ label: 'hangs' }, { label: 'waits' }]);
    const down = await healthWhen(orchestrator, (r) => r.status === 'down', { maxIdleMs: 50 });
    expect(started()).toBe(1);
    expect(down.backend.status).toBe('up');
    expect(down.queues).toEqual([expect.objectContaining({ queue: 'wedged', status: 'up', waiting: 1 })]);
    expect(down.consumers).toEqual([
      expect.objectContaining({
        queue: 'wedged',
        status: 'down',
        state: 'running',
        heldJobs: 1,
        reason: expect.stringContaining('has taken no job for'),
      }),
    ]);
    open();
    const up = await healthWhen(orchestrator, (r) => r.status === 'up', { maxIdleMs: 50 });
    expect(started()).toBe(2);
    expect(up.consumers).toEqual([expect.objectContaining({ queue: 'wedged', status: 'up', state: 'running' })]);
  });

  it('a consumer full of abandoned runs (maxAbandonedRuns reached) reads down, naming them, and up once one returns', async () => {
    const orchestrator = await withQueue('abandoning');
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    cleanups.push(() => open());
    // A run that ignores its signal: it times out at once, and is abandoned after its grace.
    const consumer = new FnConsumer('abandoning', () => gate, { timeout: 1, timeoutGrace: 1, maxAbandonedRuns: 1 });
    consumer.connect(orchestrator);
    const consuming = consumer.consume();
    cleanups.push(() => consumer.stop().then(() => consuming));
    await orchestrator.publishBatch('abandoning', [{ label: 'hangs' }, { label: 'waits' }]);
    const down = await healthWhen(orchestrator, (r) => r.status === 'down');
    expect(down.backend.status).toBe('up');
    expect(down.consumers).toEqual([
      expect.objectContaining({
        queue: 'abandoning',
        status: 'down',
        state: 'running',
        abandonedRuns: 1,
        reason: expect.stringContaining('maxAbandonedRuns 1'),
      }),
    ]);
    open();
    const up = await healthWhen(orchestrator, (r) => r.status === 'up' && r.consumers[0]?.abandonedRuns === 0);
    expect(up.consumers).toEqual([expect.objectContaining({ status: 'up', abandonedRuns: 0 })]);
  });

  it('a consumer whose loop crashed reads down, naming why, until it is closed', async () => {
    const orchestrator = new Orchestrator(new LocalClient());
    orchestrators.push(orchestrator);
    const consumer = new FnConsumer('never-declared', () => undefined);
    consumer.connect(orchestrator);
    await expect(consumer.consume()).rejects.toThrow(QueueNotDeclaredError);
    const report = await orchestrator.health();
    expect(report.status).toBe('down');
    expect(report.consumers).toEqual([
      expect.objectContaining({
        queue: 'never-declared',
        status: 'down',
        state: 'crashed',
        reason: expect.stringContaining('its loop crashed'),
      }),
    ]);
    await consumer.close();
    expect((await orchestrator.health()).consumers).toEqual([]);
  });

  it('a stopped consumer reads down; a finished consume(n) leaves the report', async () => {
    const orchestrator = await withQueue('stopping');
    const endless = new FnConsumer('stopping', () => undefined);
    endless.connect(orchestrator);
    const consuming = endless.consume();
    await healthWhen(orchestrator, (r) => r.consumers.some((c) => c.state === 'running'));
    await endless.stop();
    await consuming;
    expect((await orchestrator.health()).consumers).toEqual([expect.objectContaining({ status: 'down', state: 'stopped' })]);
    await endless.close();

    const bounded = new FnConsumer('stopping', () => undefined);
    bounded.connect(orchestrator);
    await orchestrator.publish('stopping', { label: 'one' });
    expect(await bounded.consume(1)).toBe(1);
    expect(await orchestrator.health()).toMatchObject({ status: 'up', consumers: [] });
  });

  it('a queue past maxWaiting or maxDead reads down, naming the count', async () => {
    const orchestrator = await withQueue('backlog');
    await orchestrator.publishBatch('backlog', [{ label: 'a' }, { label: 'b' }, { label: 'c' }]);
    const dying = new FnConsumer(
      'backlog',
      () => {
        throw new Error('no');
      },
      { attempts: 1 },
    );
    dying.connect(orchestrator);
    expect(await dying.consume(1)).toBe(1);
    await dying.close();
    expect((await orchestrator.health({ maxWaiting: 2, maxDead: 1 })).status).toBe('up');
    expect(await orchestrator.health({ maxWaiting: 1 })).toMatchObject({
      status: 'down',
      queues: [{ queue: 'backlog', status: 'down', waiting: 2, reason: '2 jobs wait, more than maxWaiting (1)' }],
    });
    expect(await orchestrator.health({ maxDead: 0 })).toMatchObject({
      status: 'down',
      queues: [{ queue: 'backlog', status: 'down', dead: 1, reason: '1 dead letters, more than maxDead (0)' }],
    });
  });

  it('refuses options it does not know or cannot use', async () => {
    const orchestrator = await withQueue('options');
    await expect(orchestrator.health({ maxIdle: 5 } as never)).rejects.toThrow(InvalidOptionError);
    await expect(orchestrator.health({ timeoutMs: -1 })).rejects.toThrow('health(): option "timeoutMs" must be a number >= 0, got -1');
  });
});
