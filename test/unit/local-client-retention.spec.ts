import { Logger } from '../../lib/logger/logger';
import { IsString } from 'class-validator';
import { Consumer, InvalidOptionError, Job, JobInput, JobSchema, LocalClient, Orchestrator } from '../../lib';

class Input extends JobInput {
  @IsString() label = '';
}

class Succeeds extends Consumer<Input> {
  run(job: Job<Input>) {
    return { label: job.payload.label };
  }
}

class Fails extends Consumer<Input> {
  run(): never {
    throw new Error('no');
  }
}

describe('LocalClient retention', () => {
  let orchestrator: Orchestrator;
  afterEach(() => orchestrator.close());

  async function setUp(client: LocalClient) {
    orchestrator = new Orchestrator(client);
    return orchestrator.register(new JobSchema({ name: 'kept', input: Input }));
  }

  it('keeps only the newest `completed.count` completed jobs', async () => {
    const queue = await setUp(new LocalClient({ retention: { completed: { count: 3 } } }));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await orchestrator.publish(queue, { label: `j${i}` }));
    const consumer = new Succeeds(queue);
    consumer.connect(orchestrator);
    await consumer.consume(5);
    const states = await Promise.all(ids.map((id) => orchestrator.getJob(id)));
    expect(states.map((s) => s?.status ?? null)).toEqual([null, null, 'completed', 'completed', 'completed']);
    expect((await orchestrator.queueStats(queue)).completed).toBe(3);
  });

  it('drops completed jobs older than `completed.ageMs` when the next one completes', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const queue = await setUp(new LocalClient({ retention: { completed: { ageMs: 1000 } } }));
      const old = await orchestrator.publish(queue, { label: 'old' });
      const consumer = new Succeeds(queue);
      consumer.connect(orchestrator);
      await consumer.consume(1);
      jest.setSystemTime(Date.now() + 5000);
      const fresh = await orchestrator.publish(queue, { label: 'fresh' });
      await consumer.consume(1);
      expect(await orchestrator.getJob(old)).toBeNull();
      expect((await orchestrator.getJob(fresh))?.status).toBe('completed');
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps dead letters by default, and only `dead.count` when told', async () => {
    for (const [retention, kept] of [
      [undefined, 4],
      [{ dead: { count: 2 } }, 2],
    ] as const) {
      const queue = await setUp(new LocalClient({ retention }));
      for (let i = 0; i < 4; i++) await orchestrator.publish(queue, { label: `d${i}` });
      const consumer = new Fails(queue);
      consumer.connect(orchestrator);
      await consumer.consume(4);
      const dead = await orchestrator.deadLetters(queue);
      expect(dead.map((d) => d.job.payload.label)).toEqual(['d0', 'd1', 'd2', 'd3'].slice(4 - kept));
      await orchestrator.close();
    }
    orchestrator = new Orchestrator(new LocalClient());
  });

  describe('on an idle queue (nothing else finishes)', () => {
    beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] }));
    afterEach(() => jest.useRealTimers());

    /** The jobs the client still holds in memory, whether or not anyone reads them. */
    const held = (client: LocalClient): number => (client as unknown as { jobs: Map<string, unknown> }).jobs.size;

    it('a read after `ageMs` no longer sees an expired completed job, with no timer having run', async () => {
      const client = new LocalClient({ retention: { completed: { ageMs: 1000 } } });
      const queue = await setUp(client);
      const id = await orchestrator.publish(queue, { label: 'old' });
      const consumer = new Succeeds(queue);
      consumer.connect(orchestrator);
      await consumer.consume(1);
      expect((await orchestrator.getJob(id))?.status).toBe('completed');
      // The clock moves on, timers stay put: only the read itself can prune.
      jest.setSystemTime(Date.now() + 1001);
      expect((await orchestrator.queueStats(queue)).completed).toBe(0);
      expect(await orchestrator.getJob(id)).toBeNull();
      expect(held(client)).toBe(0);
    });

    it('one timer frees expired completed jobs and dead letters without any read, then stops', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const client = new LocalClient({ retention: { completed: { ageMs: 1000 }, dead: { ageMs: 3000 } } });
      const queue = await setUp(client);
      await orchestrator.publish(queue, { label: 'done' });
      await orchestrator.publish(queue, { label: 'dies' });
      const succeeds = new Succeeds(queue);
      succeeds.connect(orchestrator);
      await succeeds.consume(1);
      const fails = new Fails(queue);
      fails.connect(orchestrator);
      await fails.consume(1);
      expect(held(client)).toBe(2);

      jest.advanceTimersByTime(1001);
      expect(held(client)).toBe(1);
      expect(warn).not.toHaveBeenCalled();
      jest.advanceTimersByTime(2000);
      expect(held(client)).toBe(0);
      // The dropped dead letter is a job that never completed: said aloud, naming its queue.
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toContain(`dead letter(s) of queue "${queue}"`);
      expect(jest.getTimerCount()).toBe(0);
      warn.mockRestore();
    });

    it('an expired job frees its id: the same job may be published again', async () => {
      const queue = await setUp(new LocalClient({ retention: { completed: { ageMs: 1000 } } }));
      const job = await orchestrator.publish(queue, { label: 'again' }).then((id) => orchestrator.getJob(id));
      const consumer = new Succeeds(queue);
      consumer.connect(orchestrator);
      await consumer.consume(1);
      const record = new Job(job!.id, job!.name, queue, job!.payload, job!.createdAt);
      await expect(orchestrator.publish(queue, record)).rejects.toThrow(InvalidOptionError);
      jest.setSystemTime(Date.now() + 1001);
      await expect(orchestrator.publish(queue, record)).resolves.toBe(job!.id);
    });
  });

  it('warns, naming the queue, whenever a count rule drops a dead letter', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const queue = await setUp(new LocalClient({ retention: { dead: { count: 1 } } }));
      for (let i = 0; i < 3; i++) await orchestrator.publish(queue, { label: `d${i}` });
      const consumer = new Fails(queue);
      consumer.connect(orchestrator);
      await consumer.consume(3);
      expect(warn).toHaveBeenCalledTimes(2);
      for (const [message] of warn.mock.calls) expect(String(message)).toMatch(new RegExp(`queue "${queue}".*the newest 1`));
    } finally {
      warn.mockRestore();
    }
  });

  it('rejects a negative or non-numeric rule, naming it', () => {
    expect(() => new LocalClient({ retention: { completed: { count: -1 } } })).toThrow(InvalidOptionError);
    expect(() => new LocalClient({ retention: { dead: { ageMs: Number.NaN } } })).toThrow(/retention\.dead\.ageMs/);
  });
});
