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

  it('keeps every dead letter by default, and only `dead.count` when told', async () => {
    for (const [retention, kept] of [[undefined, 4], [{ dead: { count: 2 } }, 2]] as const) {
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

  it('rejects a negative or non-numeric rule, naming it', () => {
    expect(() => new LocalClient({ retention: { completed: { count: -1 } } })).toThrow(InvalidOptionError);
    expect(() => new LocalClient({ retention: { dead: { ageMs: Number.NaN } } })).toThrow(/retention\.dead\.ageMs/);
  });
});
