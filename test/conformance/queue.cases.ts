import {
  InvalidOptionError,
  Job,
  JobBatchValidationError,
  JobValidationError,
  JobsError,
  QUEUE_TYPES,
  QueueNotDeclaredError,
  QueueTypeMismatchError,
  SchemaNotFoundError,
  jobFromSchema,
  type QueueType,
} from '../../lib';
import { itIf, type ConformanceContext } from './conformance-context';
import { recordingConsumer, taskSchema } from './conformance.fixtures';
import { outcomeOf } from './lifecycle.fixtures';

/** Declaring, publishing, ordering, counting, cleaning and deleting queues. */
export function queueCases(ctx: ConformanceContext): void {
  async function registered(queueType: QueueType = 'fifo', label?: string) {
    const queue = ctx.queueName(label ?? queueType);
    const schema = taskSchema(queue);
    await ctx.orchestrator().register(schema, { queueType });
    return { queue, schema, orchestrator: ctx.orchestrator() };
  }

  async function drainLabels(queue: string, count: number): Promise<string[]> {
    const { consumer, seen } = recordingConsumer(queue);
    consumer.connect(ctx.orchestrator());
    expect(await consumer.consume(count)).toBe(count);
    return seen;
  }

  it('round trip: the consumer gets the very job that was published', async () => {
    const { queue, schema, orchestrator } = await registered();
    const job = jobFromSchema(schema, { label: 'hello', n: 7 });
    const id = await orchestrator.publish(queue, job);
    expect(id).toBe(job.id);
    const got = await orchestrator.receiveMessage<{ label: string; n: number }>(queue);
    expect(got).toBeInstanceOf(Job);
    expect(got).toMatchObject({ id: job.id, name: queue, schemaName: queue, createdAt: job.createdAt, payload: { label: 'hello', n: 7 } });
    expect(await orchestrator.receiveMessage(queue)).toBeNull();
  });

  it('publishes a raw input through the registered schema', async () => {
    const { queue, orchestrator } = await registered();
    const id = await orchestrator.publish(queue, { label: 'raw' });
    expect((await orchestrator.receiveMessage(queue))?.id).toBe(id);
  });

  it('fifo delivers in publish order', async () => {
    const { queue, orchestrator } = await registered('fifo');
    for (const label of ['a', 'b', 'c', 'd']) await orchestrator.publish(queue, { label });
    expect(await drainLabels(queue, 4)).toEqual(['a', 'b', 'c', 'd']);
  });

  // A backend without stacks is held to refusing them, in 'a queue type the backend cannot do…'.
  itIf(ctx.capabilities.queueTypes.includes('stack'), 'no stack queues')('stack delivers last published first', async () => {
    const { queue, orchestrator } = await registered('stack');
    for (const label of ['a', 'b', 'c']) await orchestrator.publish(queue, { label });
    expect(await drainLabels(queue, 3)).toEqual(['c', 'b', 'a']);
  });

  itIf(ctx.capabilities.queueTypes.includes('priority'), 'no priority queues (capabilities.queueTypes)')(
    'priority delivers higher first, ties in publish order',
    async () => {
      const queue = ctx.queueName('priority');
      const orchestrator = ctx.orchestrator();
      await orchestrator.register(taskSchema(queue), { queueType: 'priority' });
      const max = Math.min(orchestrator.backend.capabilities.priorityRange[1], 9);
      const published: [string, number][] = [
        ['low-1', 1],
        ['high-1', max],
        ['mid-1', 5],
        ['low-2', 1],
        ['high-2', max],
        ['zero', 0],
        ['mid-2', 5],
      ];
      for (const [label, priority] of published) await orchestrator.publish(queue, { label }, { priority });
      expect(await drainLabels(queue, published.length)).toEqual(['high-1', 'high-2', 'mid-1', 'mid-2', 'low-1', 'low-2', 'zero']);
    },
  );

  itIf(ctx.capabilities.queueTypes.includes('priority'), 'no priority queues (capabilities.queueTypes)')(
    'identical payloads with identical priority stay distinct jobs',
    async () => {
      const { queue, orchestrator } = await registered('priority');
      const ids = [
        await orchestrator.publish(queue, { label: 'same' }, { priority: 3 }),
        await orchestrator.publish(queue, { label: 'same' }, { priority: 3 }),
      ];
      expect(await orchestrator.countQueueMessages(queue)).toBe(2);
      const got = [await orchestrator.receiveMessage(queue), await orchestrator.receiveMessage(queue)].map((j) => j?.id);
      expect(got).toEqual(ids);
    },
  );

  it('priority on a queue that is not a priority queue is an error naming the option', async () => {
    const { queue, orchestrator } = await registered('fifo');
    await expect(orchestrator.publish(queue, { label: 'x' }, { priority: 2 })).rejects.toThrow(InvalidOptionError);
    await expect(orchestrator.publish(queue, { label: 'x' }, { priority: 2 })).rejects.toThrow(/priority/);
    expect(await orchestrator.countQueueMessages(queue)).toBe(0);
  });

  it('keeps queues apart', async () => {
    const first = await registered('fifo', 'iso-a');
    const second = await registered('fifo', 'iso-b');
    await first.orchestrator.publish(first.queue, { label: 'for-a' });
    expect(await first.orchestrator.countQueueMessages(second.queue)).toBe(0);
    expect(await first.orchestrator.receiveMessage(second.queue)).toBeNull();
    expect((await first.orchestrator.receiveMessage(first.queue))?.payload).toMatchObject({ label: 'for-a' });
  });

  it('counts waiting jobs after publish, consume and clean', async () => {
    const { queue, orchestrator } = await registered();
    for (let i = 0; i < 5; i++) await orchestrator.publish(queue, { label: `j${i}` });
    expect(await orchestrator.countQueueMessages(queue)).toBe(5);
    await drainLabels(queue, 2);
    expect(await orchestrator.countQueueMessages(queue)).toBe(3);
    expect(await orchestrator.cleanQueue(queue)).toBe(3);
    expect(await orchestrator.countQueueMessages(queue)).toBe(0);
    expect(await orchestrator.receiveMessage(queue)).toBeNull();
  });

  it('a deleted queue cannot be used until declared again, and then starts empty', async () => {
    const { queue, schema, orchestrator } = await registered();
    await orchestrator.publish(queue, { label: 'doomed' });
    await orchestrator.deleteQueue(queue);
    await expect(orchestrator.countQueueMessages(queue)).rejects.toThrow(QueueNotDeclaredError);
    await expect(orchestrator.publish(queue, jobFromSchema(schema, { label: 'x' }))).rejects.toThrow(QueueNotDeclaredError);
    await orchestrator.register(schema);
    expect(await orchestrator.countQueueMessages(queue)).toBe(0);
    expect(await orchestrator.receiveMessage(queue)).toBeNull();
  });

  it('publishing to an undeclared queue names the queue and what to do', async () => {
    const queue = ctx.queueName('never-declared');
    const job = jobFromSchema(taskSchema('other'), { label: 'x' });
    await expect(ctx.orchestrator().publish(queue, job)).rejects.toThrow(new QueueNotDeclaredError(queue).message);
  });

  it('publishing a raw input to a queue without a schema is a SchemaNotFoundError', async () => {
    const queue = ctx.queueName('no-schema');
    await ctx.orchestrator().declareQueue(queue);
    await expect(ctx.orchestrator().publish(queue, { label: 'x' })).rejects.toThrow(SchemaNotFoundError);
  });

  itIf(ctx.capabilities.queueTypes.length > 1, 'one queue type only (capabilities.queueTypes)')(
    'declaring again with the same type is fine; with another type is an error',
    async () => {
      const { queue, schema, orchestrator } = await registered('fifo');
      await expect(orchestrator.register(schema, { queueType: 'fifo' })).resolves.toBe(queue);
      const other = orchestrator.backend.capabilities.queueTypes.find((t) => t !== 'fifo') as QueueType;
      await expect(orchestrator.register(schema, { queueType: other })).rejects.toThrow(QueueTypeMismatchError);
    },
  );

  it('an invalid payload is rejected at publish with every failing field, and nothing is enqueued', async () => {
    const { queue, orchestrator } = await registered();
    const error = await orchestrator.publish(queue, { label: 5, n: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobValidationError);
    expect((error as JobValidationError).violations.map((v) => v.path).sort()).toEqual(['label', 'n']);
    expect(await orchestrator.countQueueMessages(queue)).toBe(0);
  });

  it('batch publish returns ids in order and delivers them all', async () => {
    const { queue, schema, orchestrator } = await registered();
    const jobs = Array.from({ length: 50 }, (_, i) => jobFromSchema(schema, { label: `b${i}` }));
    const result = await orchestrator.publishBatch(queue, jobs);
    expect(result.count).toBe(50);
    expect(result.ids).toEqual(jobs.map((j) => j.id));
    expect(await orchestrator.countQueueMessages(queue)).toBe(50);
    expect(await drainLabels(queue, 50)).toEqual(jobs.map((j) => j.payload.label));
  });

  it('a batch with an invalid item publishes nothing and names the index', async () => {
    const { queue, orchestrator } = await registered();
    const error = await orchestrator.publishBatch(queue, [{ label: 'ok' }, { label: 42 }, { label: 'ok2' }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobBatchValidationError);
    expect((error as JobBatchValidationError).failures.map((f) => f.index)).toEqual([1]);
    expect((error as Error).message).toMatch(/index 1/);
    expect(await orchestrator.countQueueMessages(queue)).toBe(0);
  });

  it('a batch holding the same job twice is refused whole, naming the index and the id', async () => {
    const { queue, schema, orchestrator } = await registered();
    const [a, b] = [jobFromSchema(schema, { label: 'a' }), jobFromSchema(schema, { label: 'b' })];
    const error = await outcomeOf(orchestrator.publishBatch(queue, [a, b, a]));
    expect(error).toBeInstanceOf(JobBatchValidationError);
    expect((error as JobBatchValidationError).failures.map((f) => f.index)).toEqual([2]);
    expect((error as Error).message).toContain(a.id);
    expect((error as Error).message).toMatch(/index 0/);
    expect(await orchestrator.countQueueMessages(queue)).toBe(0);
  });

  itIf(ctx.capabilities.uniqueJobIds === true, 'a republished id is enqueued again (no capability uniqueJobIds)')(
    'publishing a job the backend still holds is refused, on any queue, and the job runs once',
    async () => {
      const { queue, schema, orchestrator } = await registered('fifo', 'dup');
      const other = await registered('fifo', 'dup-other');
      const job = jobFromSchema(schema, { label: 'once' });
      await orchestrator.publish(queue, job);

      const again = await outcomeOf(orchestrator.publish(queue, job));
      expect(again).toBeInstanceOf(InvalidOptionError);
      expect(again).toMatchObject({ option: 'job.id' });
      expect((again as Error).message).toContain(job.id);
      await expect(orchestrator.publish(other.queue, job)).rejects.toThrow(InvalidOptionError);
      await expect(orchestrator.publishBatch(queue, [jobFromSchema(schema, { label: 'new' }), job])).rejects.toThrow(job.id);
      expect(await orchestrator.countQueueMessages(queue)).toBe(1);
      expect(await orchestrator.countQueueMessages(other.queue)).toBe(0);

      expect(await drainLabels(queue, 1)).toEqual(['once']);
      // Still held once finished (retained for getJob): a publish now would run it a second time.
      await expect(orchestrator.publish(queue, job)).rejects.toThrow(InvalidOptionError);
      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
    },
  );

  it('the queue types it declares are exactly those it can make: each reads back, any other is refused up front with a typed error', async () => {
    const orchestrator = ctx.orchestrator();
    const declared = orchestrator.backend.capabilities.queueTypes;
    expect(new Set(declared).size).toBe(declared.length);
    // The default of register(): every backend must have it.
    expect(declared).toContain('fifo');
    for (const queueType of QUEUE_TYPES) {
      const queue = ctx.queueName(`type-${queueType}`);
      if (declared.includes(queueType)) {
        await expect(orchestrator.register(taskSchema(queue), { queueType })).resolves.toBe(queue);
        expect(await orchestrator.backend.queueType(queue)).toBe(queueType);
      } else {
        const refused = await outcomeOf(orchestrator.register(taskSchema(queue), { queueType }));
        expect(refused).toBeInstanceOf(InvalidOptionError);
        expect(refused).toMatchObject({ option: 'queueType' });
        // Refused by the backend too, for a caller that goes around the orchestrator; nothing is made.
        expect(await outcomeOf(orchestrator.backend.declareQueue(queue, queueType))).toBeInstanceOf(JobsError);
        expect(await orchestrator.backend.queueType(queue)).toBeNull();
      }
    }
  });
}
