import { Allow, IsString } from 'class-validator';
import {
  Consumer,
  Job,
  JobBatchValidationError,
  JobInput,
  JobSchema,
  JobValidationError,
  MAX_PAYLOAD_DEPTH,
  Orchestrator,
  jobFromSchema,
  type ConsumerOptions,
  type JobRecord,
  type RunContext,
} from '../../lib';
import type { ConformanceContext } from './conformance-context';
import { deferred, outcomeOf } from './lifecycle.fixtures';

/** A payload with a free-form part, where bad data can hide. */
class LooseInput extends JobInput {
  @IsString() label = '';
  @Allow() data?: unknown;
}

type LooseRun = (job: Job<LooseInput>, context: RunContext) => unknown;

class LooseConsumer extends Consumer<LooseInput> {
  constructor(
    queue: string,
    private readonly fn: LooseRun,
    options?: ConsumerOptions,
  ) {
    super(queue, options);
  }

  run(job: Job<LooseInput>, context: RunContext): unknown {
    return this.fn(job, context);
  }
}

/** `{ a: { a: … { leaf: true } } }`, `levels` objects deep. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

function circular(): Record<string, unknown> {
  const data: Record<string, unknown> = { inner: {} };
  (data.inner as Record<string, unknown>).back = data;
  return data;
}

/** Fails the case with `what` if `promise` has not settled after `ms` (a hang guard, not a timing assertion). */
async function settlesWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms: it hangs`)), ms)),
  );
  try {
    return await Promise.race([promise, hung]);
  } finally {
    clearTimeout(timer);
  }
}

const HANG_GUARD_MS = 15_000;

/**
 * Bad input never wedges a queue, on every backend alike: publish refuses what no backend can carry
 * (too deep, circular, not JSON, too large) with a JobValidationError naming the path; a job that
 * arrives that way from another producer is dead-lettered without a run; a run that ignores its
 * AbortSignal is abandoned after `timeout + timeoutGrace`, so neither the next job nor stop() waits for it.
 */
export function badInputCases(ctx: ConformanceContext): void {
  async function looseQueue(label: string, orchestrator = ctx.orchestrator()) {
    const queue = ctx.queueName(label);
    const schema = new JobSchema({ name: queue, input: LooseInput });
    await orchestrator.register(schema);
    return { queue, schema, orchestrator };
  }

  function connected(orchestrator: Orchestrator, queue: string, fn: LooseRun, options?: ConsumerOptions): LooseConsumer {
    const consumer = new LooseConsumer(queue, fn, options);
    consumer.connect(orchestrator);
    return consumer;
  }

  describe('publish refuses what no backend can carry, naming the path', () => {
    // The payload is level 1 and data level 2: the first container over the limit is data and 99 more.
    const deepPath = `data${'.a'.repeat(MAX_PAYLOAD_DEPTH - 1)}`;
    it.each<[string, () => unknown, string, string]>([
      [`nesting deeper than ${MAX_PAYLOAD_DEPTH} levels`, () => nested(MAX_PAYLOAD_DEPTH + 50), deepPath, 'maxDepth'],
      ['a circular reference', circular, 'data.inner.back', 'noCircularReference'],
      ['a BigInt', () => ({ count: 10n }), 'data.count', 'jsonCompatible'],
      ['a function', () => ({ callback: () => 1 }), 'data.callback', 'jsonCompatible'],
      ['a symbol', () => ['ok', Symbol('tag')], 'data[1]', 'jsonCompatible'],
      ['NaN', () => ({ score: NaN }), 'data.score', 'jsonCompatible'],
      ['Infinity', () => ({ score: Infinity }), 'data.score', 'jsonCompatible'],
      ['undefined inside an array', () => [1, undefined, 3], 'data[1]', 'jsonCompatible'],
      ['a Map', () => ({ lookup: new Map([['k', 1]]) }), 'data.lookup', 'jsonCompatible'],
    ])('%s: JobValidationError with the path and the queue, nothing enqueued', async (_label, data, path, constraint) => {
      const { queue, schema, orchestrator } = await looseQueue('refused');

      for (const publish of [
        () => orchestrator.publish(queue, { label: 'bad', data: data() }),
        async () => orchestrator.publish(queue, jobFromSchema(schema, { label: 'bad', data: data() })),
      ]) {
        const error = await outcomeOf(publish());
        expect(error).toBeInstanceOf(JobValidationError);
        const { violations, side } = error as JobValidationError;
        expect(side).toBe('input');
        expect(violations).toEqual([{ path, constraints: { [constraint]: expect.any(String) } }]);
        expect((error as Error).message).toContain(path);
      }
      expect(((await outcomeOf(orchestrator.publish(queue, { label: 'bad', data: data() }))) as JobValidationError).queue).toBe(queue);
      expect(await orchestrator.countQueueMessages(queue)).toBe(0);
      expect(await orchestrator.queueStats(queue)).toMatchObject({ waiting: 0, delayed: 0, active: 0, dead: 0 });
    });

    it(`nesting of exactly ${MAX_PAYLOAD_DEPTH} levels is accepted and arrives intact`, async () => {
      const { queue, orchestrator } = await looseQueue('deepest');
      // The payload is level 1, data level 2: data may nest MAX_PAYLOAD_DEPTH - 1 levels.
      const data = nested(MAX_PAYLOAD_DEPTH - 1);
      await orchestrator.publish(queue, { label: 'deepest', data });
      const seen: unknown[] = [];
      const consumer = connected(orchestrator, queue, (job) => void seen.push(job.payload.data));
      expect(await consumer.consume(1)).toBe(1);
      expect(seen).toEqual([data]);
    });

    it('publishBatch refuses the whole batch, naming the index and the path', async () => {
      const { queue, orchestrator } = await looseQueue('refused-batch');
      const error = await outcomeOf(
        orchestrator.publishBatch(queue, [{ label: 'ok' }, { label: 'bad', data: { big: 1n } }, { label: 'ok too' }]),
      );
      expect(error).toBeInstanceOf(JobBatchValidationError);
      const { failures } = error as JobBatchValidationError;
      expect(failures.map((f) => f.index)).toEqual([1]);
      expect(failures[0].error).toBeInstanceOf(JobValidationError);
      expect((failures[0].error as JobValidationError).violations.map((v) => v.path)).toEqual(['data.big']);
      expect(await orchestrator.countQueueMessages(queue)).toBe(0);
    });

    it('a payload whose JSON is over the default maxPayloadBytes (1 MiB) is refused', async () => {
      const { queue, orchestrator } = await looseQueue('too-large');
      const error = await outcomeOf(orchestrator.publish(queue, { label: 'large', data: 'x'.repeat(1024 * 1024) }));
      expect(error).toBeInstanceOf(JobValidationError);
      expect((error as JobValidationError).violations).toEqual([
        { path: '', constraints: { maxPayloadBytes: expect.stringContaining('1048576') } },
      ]);
      expect(await orchestrator.countQueueMessages(queue)).toBe(0);
    });

    it('maxPayloadBytes counts UTF-8 bytes of the JSON: one byte over is refused, exactly at the limit arrives intact', async () => {
      const limited = new Orchestrator(await ctx.factory.create(), { maxPayloadBytes: 1000 });
      try {
        const { queue } = await looseQueue('byte-limit', limited);
        const fill = (bytes: number) => 'é'.repeat(bytes / 2); // two bytes each in UTF-8
        const overhead = Buffer.byteLength(JSON.stringify({ label: 'edge', data: '' }));
        const atLimit = { label: 'edge', data: fill(1000 - overhead) };
        expect(Buffer.byteLength(JSON.stringify(atLimit))).toBe(1000);

        const over = await outcomeOf(limited.publish(queue, { label: 'edge', data: `${fill(1000 - overhead)}!` }));
        expect(over).toBeInstanceOf(JobValidationError);
        expect((over as JobValidationError).violations[0].constraints.maxPayloadBytes).toContain('1001 bytes');
        expect(await limited.countQueueMessages(queue)).toBe(0);

        await limited.publish(queue, atLimit);
        const seen: unknown[] = [];
        const consumer = connected(limited, queue, (job) => void seen.push({ label: job.payload.label, data: job.payload.data }));
        expect(await consumer.consume(1)).toBe(1);
        expect(seen).toEqual([atLimit]);
      } finally {
        await limited.close();
      }
    });

    it('a run gets the JSON form of what was published: a Date as its ISO string, undefined properties left out', async () => {
      const { queue, orchestrator } = await looseQueue('json-form');
      const when = new Date('2026-12-07T01:02:03.004Z');
      await orchestrator.publish(queue, { label: 'dated', data: { when, gone: undefined, kept: null } });
      const seen: unknown[] = [];
      const consumer = connected(orchestrator, queue, (job) => void seen.push(job.payload.data));
      expect(await consumer.consume(1)).toBe(1);
      expect(seen).toEqual([{ when: '2026-12-07T01:02:03.004Z', kept: null }]);
      expect(Object.keys(seen[0] as object)).toEqual(['when', 'kept']);
    });
  });

  // Far deeper bodies are a backend's to refuse as it decodes them (MalformedJobError); these are JSON
  // any backend reads, deeper than publish allows.
  describe('a job that arrives too deep (another producer) is dead-lettered without a run', () => {
    /** Enqueues a record straight through the backend, as a producer that skips publish's checks would. */
    async function foreignJob(
      orchestrator: Orchestrator,
      queue: string,
      schemaName: string,
      payload: Record<string, unknown>,
    ): Promise<string> {
      const id = `foreign-${ctx.queueName('id')}`;
      const record: JobRecord = { id, name: schemaName, schemaName, payload, createdAt: new Date().toISOString(), priority: 0, attempt: 0 };
      await orchestrator.backend.publish(queue, [{ job: record }]);
      return id;
    }

    it.each([
      ['with a schema', true],
      ['without a schema', false],
    ])('%s: JobValidationError naming the path; the next job runs', async (_label, withSchema) => {
      const orchestrator = ctx.orchestrator();
      const queue = ctx.queueName('arrives-deep');
      if (withSchema) await orchestrator.register(new JobSchema({ name: queue, input: LooseInput }));
      else await orchestrator.declareQueue(queue);
      const deepId = await foreignJob(orchestrator, queue, withSchema ? queue : 'foreign', {
        label: 'deep',
        data: nested(MAX_PAYLOAD_DEPTH + 50),
      });
      const healthyId = await foreignJob(orchestrator, queue, withSchema ? queue : 'foreign', { label: 'healthy' });
      const ran: string[] = [];
      const consumer = connected(orchestrator, queue, (job) => void ran.push(job.id), { attempts: 3 });

      expect(await settlesWithin(consumer.consume(2), HANG_GUARD_MS, 'consume(2)')).toBe(2);
      expect(ran).toEqual([healthyId]);
      const dead = await orchestrator.deadLetters(queue);
      expect(dead.map((d) => d.job.id)).toEqual([deepId]);
      // Refused before any run, and not retried: it would fail the same way every time.
      expect(dead[0].error).toMatchObject({ name: 'JobValidationError', attempt: 1 });
      expect(dead[0].error.message).toContain(`data${'.a'.repeat(MAX_PAYLOAD_DEPTH - 1)} [maxDepth]`);
    });
  });

  it('a result JSON cannot carry fails the attempt with JobValidationError naming it', async () => {
    const { queue, orchestrator } = await looseQueue('bad-result');
    const id = await orchestrator.publish(queue, { label: 'big result' });
    const consumer = connected(orchestrator, queue, () => ({ total: 2n ** 70n }));
    expect(await consumer.consume(1)).toBe(1);
    const dead = await orchestrator.deadLetters(queue);
    expect(dead.map((d) => d.job.id)).toEqual([id]);
    expect(dead[0].error.name).toBe('JobValidationError');
    expect(dead[0].error.message).toContain('total [jsonCompatible]');
  });

  describe('a run that ignores its abort signal', () => {
    const options: ConsumerOptions = { concurrency: 1, timeout: 50, timeoutGrace: 50 };

    it('with concurrency 1, a run that never returns does not stop the next job; its job dies once with JobTimeoutError', async () => {
      const { queue, orchestrator } = await looseQueue('never-returns');
      const stuckId = await orchestrator.publish(queue, { label: 'stuck' });
      const nextId = await orchestrator.publish(queue, { label: 'next' });
      const ran: string[] = [];
      const dead: string[] = [];
      const consumer = connected(
        orchestrator,
        queue,
        (job) => {
          ran.push(job.payload.label);
          return job.payload.label === 'stuck' ? new Promise(() => undefined) : { done: true };
        },
        options,
      );
      consumer.on('dead', (event) => void dead.push(event.job.id));

      expect(await settlesWithin(consumer.consume(2), HANG_GUARD_MS, 'consume(2) after a run that never returns')).toBe(2);
      expect(ran).toEqual(['stuck', 'next']);
      expect(dead).toEqual([stuckId]);
      const letters = await orchestrator.deadLetters(queue);
      expect(letters.map((d) => [d.job.id, d.error.name, d.error.attempt])).toEqual([[stuckId, 'JobTimeoutError', 1]]);
      expect(consumer.abandonedRuns).toBe(1);
      if (ctx.capabilities.jobState) expect((await orchestrator.getJob(nextId))?.status).toBe('completed');
    });

    it('stop() and close() resolve while a run never returns', async () => {
      const { queue, orchestrator } = await looseQueue('close-with-stuck');
      const consumer = connected(orchestrator, queue, () => new Promise(() => undefined), options);
      const timedOut = deferred();
      consumer.on('dead', () => timedOut.resolve());
      const consuming = consumer.consume();
      await orchestrator.publish(queue, { label: 'stuck' });
      await settlesWithin(timedOut.promise, HANG_GUARD_MS, 'the timeout of the stuck run');

      await settlesWithin(consumer.stop(), HANG_GUARD_MS, 'consumer.stop()');
      expect(await settlesWithin(consuming, HANG_GUARD_MS, 'consume()')).toBe(1);
      await settlesWithin(orchestrator.close(), HANG_GUARD_MS, 'orchestrator.close()');
      expect(consumer.abandonedRuns).toBe(1);
    });
  });
}
