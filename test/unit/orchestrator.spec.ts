import { IsString } from 'class-validator';
import {
  Consumer,
  InvalidOptionError,
  Job,
  JobBatchValidationError,
  JobInput,
  JobSchema,
  JobValidationError,
  LocalClient,
  Orchestrator,
  jobFromSchema,
  type PublishOptions,
} from '../../lib';

class Input extends JobInput {
  @IsString() label = '';
}

class Fails extends Consumer<Input> {
  run(): never {
    throw new Error('no');
  }
}

/** The error `promise` rejects with; fails the test if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error) => error,
  );
}

describe('Orchestrator', () => {
  let orchestrator: Orchestrator;
  const schema = new JobSchema({ name: 'object_detection', input: Input });
  beforeEach(async () => {
    orchestrator = new Orchestrator();
    await orchestrator.register(schema);
  });
  afterEach(() => orchestrator.close());

  it('runs on a new LocalClient when given no backend', async () => {
    expect(orchestrator.backend).toBeInstanceOf(LocalClient);
    const id = await orchestrator.publish('object_detection', { label: 'a' });
    expect((await orchestrator.receiveMessage('object_detection'))?.id).toBe(id);
    // Each orchestrator gets its own: nothing leaks between them.
    const other = new Orchestrator();
    expect(other.backend).not.toBe(orchestrator.backend);
    await other.close();
  });

  describe('queue names', () => {
    it.each([
      ['declareQueue', (o: Orchestrator, q: unknown) => o.declareQueue(q as string)],
      ['publish', (o: Orchestrator, q: unknown) => o.publish(q as string, jobFromSchema(schema, { label: 'a' }))],
      ['publishBatch', (o: Orchestrator, q: unknown) => o.publishBatch(q as string, [])],
    ])('%s refuses an empty, blank or non-string queue name', async (_method, call) => {
      for (const queue of ['', '   ', undefined, 42]) {
        const error = await rejectionOf(call(orchestrator, queue));
        expect(error).toBeInstanceOf(InvalidOptionError);
        expect(error).toMatchObject({ option: 'queue' });
        expect(error.message).toContain('non-empty string');
      }
    });
  });

  describe('publish options', () => {
    it('refuses { delayMs, attempts } instead of publishing at once without them', async () => {
      const error = await rejectionOf(
        orchestrator.publish('object_detection', { label: 'a' }, { delayMs: 5000, attempts: 3 } as PublishOptions),
      );
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error.message).toMatch(/"(delayMs|attempts)"/);
      expect(await orchestrator.queueStats('object_detection')).toMatchObject({ waiting: 0, delayed: 0 });
    });

    it('refuses an unknown option in a batch, publishing nothing', async () => {
      const error = await rejectionOf(orchestrator.publishBatch('object_detection', [{ label: 'a' }], { attempts: 3 } as PublishOptions));
      expect(error).toBeInstanceOf(JobBatchValidationError);
      expect(error.message).toContain('"attempts"');
      expect(await orchestrator.countQueueMessages('object_detection')).toBe(0);
    });
  });

  describe('publishBatch', () => {
    it('refuses the same job twice in one batch, naming both indexes and the id, and sends nothing', async () => {
      const publish = jest.spyOn(orchestrator.backend, 'publish');
      const [a, b] = [jobFromSchema(schema, { label: 'a' }), jobFromSchema(schema, { label: 'b' })];
      const error = await rejectionOf(orchestrator.publishBatch('object_detection', [a, b, b, a]));
      expect(error).toBeInstanceOf(JobBatchValidationError);
      expect((error as JobBatchValidationError).failures.map((f) => f.index)).toEqual([2, 3]);
      expect(error.message).toContain(`${b.id} is also at index 1`);
      expect(error.message).toContain(`${a.id} is also at index 0`);
      expect(publish).not.toHaveBeenCalled();
    });

    it("creates a batch's new jobs at one moment: they share createdAt however long validating them takes", async () => {
      let now = Date.parse('2026-01-01T00:00:00.000Z');
      const clock = jest.spyOn(Date, 'now').mockImplementation(() => now++);
      try {
        const { ids } = await orchestrator.publishBatch('object_detection', [{ label: 'a' }, { label: 'b' }, { label: 'c' }]);
        const created = await Promise.all(ids.map(async (id) => (await orchestrator.getJob(id))?.createdAt));
        expect(new Set(created)).toEqual(new Set([created[0]]));
      } finally {
        clock.mockRestore();
      }
    });
  });

  it('a JobValidationError from publish names the queue as well as the schema', async () => {
    const error = await rejectionOf(orchestrator.publish('object_detection', { label: 5 }));
    expect(error).toBeInstanceOf(JobValidationError);
    expect(error).toMatchObject({ queue: 'object_detection', schemaName: 'object_detection' });
    expect(error.message).toContain('queue "object_detection"');
    const job = new Job(
      '00000000-0000-4000-8000-000000000009',
      'object_detection',
      'object_detection',
      { label: 7 },
      new Date().toISOString(),
    );
    expect(await rejectionOf(orchestrator.publish('object_detection', job))).toMatchObject({ queue: 'object_detection' });
  });

  describe('dead letters', () => {
    beforeEach(async () => {
      await orchestrator.publish('object_detection', { label: 'dies' });
      const consumer = new Fails('object_detection');
      consumer.connect(orchestrator);
      await consumer.consume(1);
    });

    it.each([
      [{ ids: 'abc' }, 'ids', 'must be an array'],
      [{ ids: [42] }, 'ids', 'must be an array'],
      [{ ids: [''] }, 'ids', 'must be an array'],
      [{ id: ['abc'] }, 'id', 'known: ids'],
    ])('redrive(%p) is refused, naming %s, and moves nothing', async (options, option, problem) => {
      const error = await rejectionOf(orchestrator.redrive('object_detection', options as { ids?: string[] }));
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ option });
      expect(error.message).toContain(problem);
      expect((await orchestrator.queueStats('object_detection')).dead).toBe(1);
    });

    it.each([
      [{ max: 5 }, 'max'],
      [{ limit: 0 }, 'limit'],
      [{ limit: 2.5 }, 'limit'],
    ])('deadLetters(%p) is refused, naming %s', async (options, option) => {
      const error = await rejectionOf(orchestrator.deadLetters('object_detection', options as { limit?: number }));
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ option });
    });
  });

  it('register and waitForResult refuse unknown options', async () => {
    expect(await rejectionOf(orchestrator.register(schema, { type: 'priority' } as never))).toMatchObject({ option: 'type' });
    expect(await rejectionOf(orchestrator.waitForResult('x', { timeoutMs: 10 } as never))).toMatchObject({ option: 'timeoutMs' });
  });
});
