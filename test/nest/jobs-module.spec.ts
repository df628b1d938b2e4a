import { Injectable, Logger, Module, Scope } from '@nestjs/common';
import {
  Consumer,
  ConsumerDefinitionError,
  InvalidOptionError,
  jobFromSchema,
  JobValidationError,
  JobsModule,
  LocalClient,
  OnJobEvent,
  Orchestrator,
  Run,
  type Job,
  type JobBackend,
  type JobEventMap,
  type JobsModuleOptions,
} from '../../lib';
import { ConsumerExplorer } from '../../lib/nest/consumer.explorer';
import { bootJobsApp, closeAll, closeApp } from './support/jobs-test-app';
import { tickSchema, TickInput } from './support/tick.schema';

/** Resolves once `orchestrator` has seen `count` 'completed' events, with their job ids in order. */
function completions(orchestrator: Orchestrator, count: number): Promise<string[]> {
  const ids: string[] = [];
  return new Promise((resolve) => {
    const off = orchestrator.events.on('completed', (event) => {
      ids.push(event.job.id);
      if (ids.length === count) {
        off();
        resolve(ids);
      }
    });
  });
}

/** Publishes `{ n }` for each n, in order; resolves with the ids. */
async function publishAll(orchestrator: Orchestrator, queue: string, ns: number[]): Promise<string[]> {
  const ids: string[] = [];
  for (const n of ns) ids.push(await orchestrator.publish(queue, { n }));
  return ids;
}

/** A dependency for consumers to receive through their constructor. */
@Injectable()
class Doubler {
  double(n: number): number {
    return n * 2;
  }
}

afterEach(closeAll);

describe('JobsModule.forRoot / forRootAsync', () => {
  it('forRoot(backend) makes an Orchestrator over that backend injectable everywhere', async () => {
    const backend = new LocalClient();

    @Injectable()
    class Producer {
      constructor(readonly orchestrator: Orchestrator) {}
    }

    const app = await bootJobsApp(JobsModule.forRoot(backend), [Producer]);
    const orchestrator = app.get(Orchestrator);
    expect(orchestrator).toBeInstanceOf(Orchestrator);
    expect(orchestrator.backend).toBe(backend);
    expect(app.get(Producer).orchestrator).toBe(orchestrator);

    await orchestrator.register(tickSchema('forroot-backend'));
    const id = await orchestrator.publish('forroot-backend', { n: 1 });
    expect((await orchestrator.getJob(id))?.status).toBe('waiting');
    await closeApp(app);
  });

  it('forRoot({ backend, maxPayloadBytes }) gives the Orchestrator that limit: a larger payload is refused', async () => {
    const app = await bootJobsApp(
      JobsModule.forRoot({ backend: new LocalClient(), schemas: [tickSchema('forroot-max-bytes')], maxPayloadBytes: 8 }),
    );
    const orchestrator = app.get(Orchestrator);
    expect(orchestrator.options.maxPayloadBytes).toBe(8);
    await orchestrator.publish('forroot-max-bytes', { n: 1 }); // {"n":1}: 7 bytes
    const refused = await orchestrator.publish('forroot-max-bytes', { n: 12345 }).catch((err: unknown) => err); // 11 bytes
    expect(refused).toBeInstanceOf(JobValidationError);
    expect((refused as JobValidationError).violations[0].constraints.maxPayloadBytes).toContain('11 bytes as JSON, over the limit of 8');
    expect(await orchestrator.countQueueMessages('forroot-max-bytes')).toBe(1);
    await closeApp(app);
  });

  it('forRoot({ backend, schemas }) registers the schemas (and declares their queues) at bootstrap', async () => {
    const backend = new LocalClient();
    const fifo = tickSchema('forroot-options-fifo');
    const stack = tickSchema('forroot-options-stack');

    const app = await bootJobsApp(JobsModule.forRoot({ backend, schemas: [fifo, { schema: stack, queueType: 'stack' }] }));
    const orchestrator = app.get(Orchestrator);
    expect(orchestrator.backend).toBe(backend);
    expect(orchestrator.schemaFor(fifo.name)).toBe(fifo);
    expect(orchestrator.schemaFor(stack.name)).toBe(stack);
    expect(await backend.queueType(fifo.name)).toBe('fifo');
    expect(await backend.queueType(stack.name)).toBe('stack');

    // A registered schema is what lets a raw input be published.
    const id = await orchestrator.publish(fifo.name, { n: 3 });
    expect((await orchestrator.getJob(id))?.payload).toEqual({ n: 3 });
    await closeApp(app);
  });

  it('forRootAsync({ imports, inject, useFactory }) builds the options from an injected provider', async () => {
    const JOBS_CONFIG = Symbol('JOBS_CONFIG');
    const backend = new LocalClient();
    const schema = tickSchema('forroot-async');
    const factoryCalls: unknown[] = [];

    @Module({ providers: [{ provide: JOBS_CONFIG, useValue: { backend, queue: schema } }], exports: [JOBS_CONFIG] })
    class JobsConfigModule {}

    @Injectable()
    class Producer {
      constructor(readonly orchestrator: Orchestrator) {}
    }

    const app = await bootJobsApp(
      JobsModule.forRootAsync({
        imports: [JobsConfigModule],
        inject: [JOBS_CONFIG],
        useFactory: (config: { backend: JobBackend; queue: typeof schema }): JobsModuleOptions => {
          factoryCalls.push(config);
          return { backend: config.backend, schemas: [config.queue] };
        },
      }),
      [Producer],
    );
    const orchestrator = app.get(Orchestrator);
    expect(factoryCalls).toEqual([{ backend, queue: schema }]);
    expect(orchestrator.backend).toBe(backend);
    expect(orchestrator.schemaFor(schema.name)).toBe(schema);
    expect(app.get(Producer).orchestrator).toBe(orchestrator);
    await closeApp(app);
  });
});

describe('@Consumer providers', () => {
  it('a @Consumer with a constructor-injected dependency processes every job', async () => {
    const queue = 'consumer-with-dependency';

    @Injectable()
    @Consumer(queue)
    class DoublingConsumer {
      constructor(private readonly doubler: Doubler) {}

      @Run()
      async run(job: Job<TickInput>): Promise<{ doubled: number }> {
        return { doubled: this.doubler.double(job.payload.n) };
      }
    }

    const app = await bootJobsApp(JobsModule.forRoot({ backend: new LocalClient(), schemas: [tickSchema(queue)] }), [
      Doubler,
      DoublingConsumer,
    ]);
    const orchestrator = app.get(Orchestrator);
    const ids = await publishAll(orchestrator, queue, [1, 2, 3]);
    const results = await Promise.all(ids.map((id) => orchestrator.waitForResult(id, { timeout: 5000 })));
    expect(results).toEqual([{ doubled: 2 }, { doubled: 4 }, { doubled: 6 }]);
    await closeApp(app);
  });

  it('@OnJobEvent("completed") receives the events of its own queue only', async () => {
    const queueA = 'events-queue-a';
    const queueB = 'events-queue-b';
    const seenByA: JobEventMap['completed'][] = [];
    const seenByB: JobEventMap['completed'][] = [];

    @Injectable()
    @Consumer(queueA)
    class ConsumerA {
      @Run()
      run(job: Job<TickInput>): { n: number } {
        return { n: job.payload.n };
      }

      @OnJobEvent('completed')
      onCompleted(event: JobEventMap['completed']): void {
        seenByA.push(event);
      }
    }

    @Injectable()
    @Consumer(queueB)
    class ConsumerB {
      @Run()
      run(job: Job<TickInput>): { n: number } {
        return { n: job.payload.n };
      }

      @OnJobEvent('completed')
      onCompleted(event: JobEventMap['completed']): void {
        seenByB.push(event);
      }
    }

    const app = await bootJobsApp(JobsModule.forRoot({ backend: new LocalClient(), schemas: [tickSchema(queueA), tickSchema(queueB)] }), [
      ConsumerA,
      ConsumerB,
    ]);
    const orchestrator = app.get(Orchestrator);
    const allDone = completions(orchestrator, 5);
    const idsA = await publishAll(orchestrator, queueA, [1, 2]);
    const idsB = await publishAll(orchestrator, queueB, [3, 4, 5]);
    await allDone;

    expect(seenByA.map((e) => e.job.id).sort()).toEqual([...idsA].sort());
    expect(seenByA.every((e) => e.queue === queueA)).toBe(true);
    expect(seenByB.map((e) => e.job.id).sort()).toEqual([...idsB].sort());
    expect(seenByB.every((e) => e.queue === queueB)).toBe(true);
    expect(seenByB.map((e) => e.result).sort((x, y) => (x as { n: number }).n - (y as { n: number }).n)).toEqual([
      { n: 3 },
      { n: 4 },
      { n: 5 },
    ]);
    await closeApp(app);
  });

  it('an @OnJobEvent handler that throws (or rejects) does not stop consumption', async () => {
    const queue = 'events-throwing-handler';
    const calls = { active: 0, completed: 0 };

    @Injectable()
    @Consumer(queue)
    class BrittleListener {
      @Run()
      run(job: Job<TickInput>): { n: number } {
        return { n: job.payload.n };
      }

      @OnJobEvent('active')
      async onActive(): Promise<void> {
        calls.active++;
        throw new Error('async listener failure');
      }

      @OnJobEvent('completed')
      onCompleted(): void {
        calls.completed++;
        throw new Error('listener failure');
      }
    }

    const app = await bootJobsApp(JobsModule.forRoot({ backend: new LocalClient(), schemas: [tickSchema(queue)] }), [BrittleListener]);
    const orchestrator = app.get(Orchestrator);
    const allDone = completions(orchestrator, 4);
    const ids = await publishAll(orchestrator, queue, [1, 2, 3, 4]);
    expect((await allDone).sort()).toEqual([...ids].sort());

    const states = await Promise.all(ids.map((id) => orchestrator.getJob(id)));
    expect(states.map((s) => s?.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(states.map((s) => s?.result)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
    expect(calls).toEqual({ active: 4, completed: 4 });
    await closeApp(app);
  });

  it('with JobsModule.forRoot(backend) and no schemas (the README example), @Run gets the input DTO of the JobSchema made in this process, without the no-schema warning', async () => {
    const queue = 'schema-made-not-registered';
    const schema = tickSchema(queue); // made, as a controller module would, but never registered
    const seen: unknown[] = [];

    @Consumer(queue)
    class TickConsumer {
      @Run()
      run(job: Job<TickInput>): void {
        seen.push(job.payload);
      }
    }

    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const app = await bootJobsApp(JobsModule.forRoot(new LocalClient()), [TickConsumer]);
      const orchestrator = app.get(Orchestrator);
      expect(orchestrator.schemaFor(queue)).toBeUndefined();
      const id = await orchestrator.publish(queue, jobFromSchema(schema, { n: 7 }));
      await orchestrator.waitForResult(id, { timeout: 5000 });
      expect(seen).toHaveLength(1);
      expect(seen[0]).toBeInstanceOf(TickInput);
      expect(seen[0]).toEqual(Object.assign(new TickInput(), { n: 7 }));
      expect(warn.mock.calls.flat().filter((message) => String(message).includes('No schema'))).toEqual([]);
      await closeApp(app);
    } finally {
      warn.mockRestore();
    }
  });

  it('a @Consumer on a queue with no schema registered nor made in this process is warned about at bootstrap, naming the queue', async () => {
    const queue = 'no-schema-anywhere';

    @Consumer(queue)
    class Unchecked {
      @Run()
      run(): void {}
    }

    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const app = await bootJobsApp(JobsModule.forRoot(new LocalClient()), [Unchecked]);
      expect(
        warn.mock.calls.flat().filter((message) => String(message).includes(`No schema is registered or named "${queue}"`)),
      ).toHaveLength(1);
      await closeApp(app);
    } finally {
      warn.mockRestore();
    }
  });

  it('two @Consumer providers on one queue share the jobs: each job is processed exactly once', async () => {
    const queue = 'competing-consumers';
    const processed: { by: string; id: string }[] = [];
    const yieldToOthers = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

    @Injectable()
    @Consumer(queue, { concurrency: 1 })
    class FirstWorker {
      @Run()
      async run(job: Job<TickInput>): Promise<{ n: number }> {
        await yieldToOthers();
        processed.push({ by: 'first', id: job.id });
        return { n: job.payload.n };
      }
    }

    @Injectable()
    @Consumer(queue, { concurrency: 1 })
    class SecondWorker {
      @Run()
      async run(job: Job<TickInput>): Promise<{ n: number }> {
        await yieldToOthers();
        processed.push({ by: 'second', id: job.id });
        return { n: job.payload.n };
      }
    }

    const app = await bootJobsApp(JobsModule.forRoot({ backend: new LocalClient(), schemas: [tickSchema(queue)] }), [
      FirstWorker,
      SecondWorker,
    ]);
    const orchestrator = app.get(Orchestrator);
    const total = 30;
    const ids = await publishAll(
      orchestrator,
      queue,
      Array.from({ length: total }, (_, i) => i),
    );
    const results = await Promise.all(ids.map((id) => orchestrator.waitForResult(id, { timeout: 5000 })));
    expect(results).toEqual(ids.map((_, i) => ({ n: i })));

    await closeApp(app);
    expect(processed).toHaveLength(total);
    expect(new Set(processed.map((p) => p.id))).toEqual(new Set(ids));
  });

  it('a provider that extends Consumer and has no @Run() is run through its run() method', async () => {
    const queue = 'extends-consumer';

    @Injectable()
    @Consumer(queue)
    class DoublingConsumer extends Consumer<TickInput, { doubled: number }> {
      constructor(private readonly doubler: Doubler) {
        super(queue);
      }

      async run(job: Job<TickInput>): Promise<{ doubled: number }> {
        return { doubled: this.doubler.double(job.payload.n) };
      }
    }

    const app = await bootJobsApp(JobsModule.forRoot({ backend: new LocalClient(), schemas: [tickSchema(queue)] }), [
      Doubler,
      DoublingConsumer,
    ]);
    const orchestrator = app.get(Orchestrator);
    const ids = await publishAll(orchestrator, queue, [5, 6]);
    const results = await Promise.all(ids.map((id) => orchestrator.waitForResult(id, { timeout: 5000 })));
    expect(results).toEqual([{ doubled: 10 }, { doubled: 12 }]);
    await closeApp(app);
  });

  it('a provider that extends Consumer keeps the options it gave super() when @Consumer gives none', async () => {
    const queue = 'extends-consumer-options';
    let running = 0;
    let peak = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));

    @Injectable()
    @Consumer(queue)
    class WideConsumer extends Consumer<TickInput> {
      constructor() {
        super(queue, { concurrency: 3 });
      }

      async run(job: Job<TickInput>): Promise<{ n: number }> {
        peak = Math.max(peak, ++running);
        if (running === 3) release();
        await gate;
        running--;
        return { n: job.payload.n };
      }
    }

    const app = await bootJobsApp(JobsModule.forRoot({ backend: new LocalClient(), schemas: [tickSchema(queue)] }), [WideConsumer]);
    const orchestrator = app.get(Orchestrator);
    const ids = await publishAll(orchestrator, queue, [1, 2, 3]);
    await Promise.all(ids.map((id) => orchestrator.waitForResult(id, { timeout: 5000 })));
    expect(peak).toBe(3);
    await closeApp(app);
  });

  it('a provider that extends Consumer receives its own events through on()', async () => {
    const queue = 'extends-consumer-events';
    const completed: string[] = [];

    @Injectable()
    @Consumer(queue)
    class ListeningConsumer extends Consumer<TickInput> {
      constructor() {
        super(queue);
        this.on('completed', (event) => void completed.push(event.job.id));
      }

      run(job: Job<TickInput>): { n: number } {
        return { n: job.payload.n };
      }
    }

    const app = await bootJobsApp(JobsModule.forRoot({ backend: new LocalClient(), schemas: [tickSchema(queue)] }), [ListeningConsumer]);
    const orchestrator = app.get(Orchestrator);
    const allDone = completions(orchestrator, 2);
    const ids = await publishAll(orchestrator, queue, [1, 2]);
    await allDone;
    expect(completed.sort()).toEqual([...ids].sort());
    await closeApp(app);
  });
});

describe('bootstrap fails with a message naming the class', () => {
  const boot = (provider: Function): Promise<unknown> => bootJobsApp(JobsModule.forRoot(new LocalClient()), [provider as never]);

  it('for a @Consumer without a @Run() method', async () => {
    @Injectable()
    @Consumer('bad-no-run')
    class NoRunConsumer {
      process(): void {}
    }
    const failure = boot(NoRunConsumer);
    await expect(failure).rejects.toThrow(ConsumerDefinitionError);
    await expect(failure).rejects.toMatchObject({ consumer: 'NoRunConsumer', message: expect.stringMatching(/NoRunConsumer.*@Run\(\)/) });
  });

  it('for a @Consumer with two @Run() methods', async () => {
    @Injectable()
    @Consumer('bad-two-runs')
    class TwoRunsConsumer {
      @Run()
      first(): void {}

      @Run()
      second(): void {}
    }
    const failure = boot(TwoRunsConsumer);
    await expect(failure).rejects.toThrow(ConsumerDefinitionError);
    await expect(failure).rejects.toThrow(/TwoRunsConsumer has 2 @Run\(\) methods \(first, second\)/);
  });

  it('for an invalid option, naming the option too', async () => {
    @Injectable()
    @Consumer('bad-options', { concurrency: 0 })
    class ZeroConcurrencyConsumer {
      @Run()
      run(): void {}
    }
    const failure = boot(ZeroConcurrencyConsumer);
    await expect(failure).rejects.toThrow(/ZeroConcurrencyConsumer/);
    await expect(failure).rejects.toThrow(/concurrency/);
  });

  it('for an unknown option', async () => {
    @Injectable()
    @Consumer('bad-unknown-option', { concurency: 2 } as never)
    class TypoConsumer {
      @Run()
      run(): void {}
    }
    await expect(boot(TypoConsumer)).rejects.toThrow(/TypoConsumer.*concurency/);
  });

  it('for a class whose super() names another queue than its @Consumer', async () => {
    @Injectable()
    @Consumer('decorated-queue')
    class ConfusedConsumer extends Consumer {
      constructor() {
        super('constructed-queue');
      }

      run(): void {}
    }
    const failure = boot(ConfusedConsumer);
    await expect(failure).rejects.toThrow(ConsumerDefinitionError);
    await expect(failure).rejects.toThrow(/ConfusedConsumer.*decorated-queue.*constructed-queue/);
  });

  it('for a request-scoped @Consumer', async () => {
    @Injectable({ scope: Scope.REQUEST })
    @Consumer('bad-request-scoped')
    class RequestScopedConsumer {
      @Run()
      run(): void {}
    }
    const failure = boot(RequestScopedConsumer);
    await expect(failure).rejects.toThrow(ConsumerDefinitionError);
    await expect(failure).rejects.toThrow(/RequestScopedConsumer.*request-scoped/);
  });

  it('for a transient @Consumer', async () => {
    @Injectable({ scope: Scope.TRANSIENT })
    @Consumer('bad-transient')
    class TransientConsumer {
      @Run()
      run(): void {}
    }
    const failure = boot(TransientConsumer);
    await expect(failure).rejects.toThrow(ConsumerDefinitionError);
    await expect(failure).rejects.toThrow(/TransientConsumer.*transient/);
  });

  it('for an @OnJobEvent of an unknown event type, naming the class and the method', async () => {
    @Injectable()
    @Consumer('bad-event')
    class TypoEventConsumer {
      @Run()
      run(): void {}

      @OnJobEvent('complete' as never)
      onDone(): void {}
    }
    const failure = boot(TypoEventConsumer);
    await expect(failure).rejects.toThrow(ConsumerDefinitionError);
    await expect(failure).rejects.toThrow(
      "TypoEventConsumer.onDone is decorated @OnJobEvent('complete'), which is not a job event — use one of: active, progress, completed, failed, retrying, dead",
    );
  });
});

describe('JobsModule options are checked, naming the option', () => {
  /** The InvalidOptionError a call throws (synchronously or as a rejection), for matching its fields. */
  async function invalidOption(action: () => unknown): Promise<InvalidOptionError> {
    try {
      await action();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidOptionError);
      return err as InvalidOptionError;
    }
    throw new Error('expected an InvalidOptionError, nothing was thrown');
  }

  it('forRootAsync whose factory gives no backend fails bootstrap instead of falling back to memory', async () => {
    const err = await invalidOption(() => bootJobsApp(JobsModule.forRootAsync({ useFactory: () => ({ backend: undefined as never }) })));
    expect(err).toMatchObject({ where: 'JobsModule', option: 'backend' });
    expect(err.message).toMatch(/option "backend" is required — pass new LocalClient\(\)/);
  });

  it('forRoot({ schemas }) without a backend says the backend is missing', async () => {
    const err = await invalidOption(() => JobsModule.forRoot({ schemas: [tickSchema('no-backend')] } as never));
    expect(err).toMatchObject({ option: 'backend' });
    expect(err.message).toContain('is required');
  });

  it('forRoot(undefined) says what forRoot takes', async () => {
    const err = await invalidOption(() => JobsModule.forRoot(undefined as never));
    expect(err).toMatchObject({ where: 'JobsModule', option: 'options' });
    expect(err.message).toContain('must be a backend or { backend, schemas?, shutdownTimeout?, httpErrors? }, got undefined');
  });

  it('a backend that does not implement JobBackend is refused, listing what it lacks', async () => {
    class NotABackend {
      readonly name = 'NotABackend';
      publish(): void {}
    }
    const err = await invalidOption(() => JobsModule.forRoot(new NotABackend() as never));
    expect(err).toMatchObject({ option: 'backend' });
    expect(err.message).toMatch(
      /must implement JobBackend .*a NotABackend lacks declareQueue\(\), queueType\(\), .*close\(\), capabilities/,
    );
    const viaOptions = await invalidOption(() => JobsModule.forRoot({ backend: { name: 'x' } as never }));
    expect(viaOptions.message).toContain('a plain object lacks declareQueue()');
  });

  it.each([
    [-5, 'number -5'],
    ['abc', 'string "abc"'],
    [Number.NaN, 'number null'],
  ])('shutdownTimeout %p is refused', async (shutdownTimeout, shown) => {
    const err = await invalidOption(() => JobsModule.forRoot({ backend: new LocalClient(), shutdownTimeout: shutdownTimeout as never }));
    expect(err).toMatchObject({ option: 'shutdownTimeout' });
    expect(err.message).toContain(`must be a number of milliseconds ≥ 0, got ${shown}`);
  });

  it('forRootAsync checks the factory result too (shutdownTimeout)', async () => {
    const err = await invalidOption(() =>
      bootJobsApp(JobsModule.forRootAsync({ useFactory: () => ({ backend: new LocalClient(), shutdownTimeout: -1 }) })),
    );
    expect(err).toMatchObject({ option: 'shutdownTimeout' });
  });

  it('an unknown key is refused, listing the known ones', async () => {
    const err = await invalidOption(() => JobsModule.forRoot({ backend: new LocalClient(), shutdownTimout: 5 } as never));
    expect(err).toMatchObject({ option: 'shutdownTimout' });
    expect(err.message).toContain(
      'is not a JobsModule option (known: backend, schemas, schedules, shutdownTimeout, httpErrors, maxPayloadBytes, instrumentation)',
    );
  });

  it('a schemas entry that is not a JobSchema is refused, naming its index', async () => {
    const err = await invalidOption(() =>
      JobsModule.forRoot({ backend: new LocalClient(), schemas: [tickSchema('ok'), { name: 'fake' } as never] }),
    );
    expect(err).toMatchObject({ option: 'schemas[1]' });
    const badType = await invalidOption(() =>
      JobsModule.forRoot({ backend: new LocalClient(), schemas: [{ schema: tickSchema('ok'), queueType: 'lifo' as never }] }),
    );
    expect(badType).toMatchObject({ option: 'schemas[0].queueType' });
  });

  it.each([0, 1.5, -1, 'big', 1024 ** 3])('maxPayloadBytes %p is refused, as new Orchestrator refuses it', async (maxPayloadBytes) => {
    const err = await invalidOption(() => JobsModule.forRoot({ backend: new LocalClient(), maxPayloadBytes: maxPayloadBytes as never }));
    expect(err).toMatchObject({ where: 'JobsModule', option: 'maxPayloadBytes' });
    expect(err.message).toContain('must be a whole number of bytes from 1 to 536870912 (512 MiB)');
  });

  it('httpErrors must be a boolean', async () => {
    const err = await invalidOption(() => JobsModule.forRoot({ backend: new LocalClient(), httpErrors: 'no' as never }));
    expect(err).toMatchObject({ option: 'httpErrors' });
  });

  it('forRootAsync without useFactory, useClass or useExisting is refused', async () => {
    const err = await invalidOption(() => JobsModule.forRootAsync(undefined as never));
    expect(err).toMatchObject({ where: 'JobsModule.forRootAsync', option: 'options' });
  });
});

describe('@Consumer providers registered without a class provider', () => {
  @Injectable()
  class EchoConsumerBase {
    readonly seen: number[] = [];

    @Run()
    run(job: Job<TickInput>): { n: number } {
      this.seen.push(job.payload.n);
      return { n: job.payload.n };
    }
  }

  it('a useFactory provider is started (its class is read from the instance)', async () => {
    const queue = 'factory-consumer';
    @Consumer(queue)
    class FactoryConsumer extends EchoConsumerBase {}

    const TOKEN = 'FACTORY_CONSUMER';
    const app = await bootJobsApp(JobsModule.forRoot({ backend: new LocalClient(), schemas: [tickSchema(queue)] }), [
      { provide: TOKEN, useFactory: () => new FactoryConsumer() },
    ]);
    const orchestrator = app.get(Orchestrator);
    const ids = await publishAll(orchestrator, queue, [1, 2]);
    expect(await Promise.all(ids.map((id) => orchestrator.waitForResult(id, { timeout: 5000 })))).toEqual([{ n: 1 }, { n: 2 }]);
    expect(app.get<FactoryConsumer>(TOKEN).seen).toEqual([1, 2]);
    await closeApp(app);
  });

  it('a useValue provider is started, and an alias (useExisting) of it does not start it twice', async () => {
    const queue = 'value-consumer';
    @Consumer(queue)
    class ValueConsumer extends EchoConsumerBase {}

    const instance = new ValueConsumer();
    const app = await bootJobsApp(JobsModule.forRoot({ backend: new LocalClient(), schemas: [tickSchema(queue)] }), [
      { provide: 'VALUE_CONSUMER', useValue: instance },
      { provide: 'ALIAS', useExisting: 'VALUE_CONSUMER' },
    ]);
    const orchestrator = app.get(Orchestrator);
    // The instance sits behind two tokens; one worker must run it.
    expect((app.get(ConsumerExplorer) as unknown as { workers: unknown[] }).workers).toHaveLength(1);
    const ids = await publishAll(orchestrator, queue, [3, 4, 5]);
    await Promise.all(ids.map((id) => orchestrator.waitForResult(id, { timeout: 5000 })));
    await closeApp(app);
    expect(instance.seen.sort()).toEqual([3, 4, 5]);
  });

  it('a class that extends Consumer without a constructor takes the queue and options of its decorator', async () => {
    const queue = 'extends-no-constructor';
    let running = 0;
    let peak = 0;
    let release!: () => void;
    const allStarted = new Promise<void>((resolve) => (release = resolve));

    @Injectable()
    @Consumer(queue, { concurrency: 2 })
    class BareConsumer extends Consumer<TickInput> {
      async run(job: Job<TickInput>): Promise<{ n: number }> {
        peak = Math.max(peak, ++running);
        if (running === 2) release();
        await allStarted;
        running--;
        return { n: job.payload.n };
      }
    }

    const app = await bootJobsApp(JobsModule.forRoot({ backend: new LocalClient(), schemas: [tickSchema(queue)] }), [BareConsumer]);
    const consumer = app.get(BareConsumer);
    expect(consumer.queueName).toBe(queue);
    expect(consumer.options.concurrency).toBe(2);
    const orchestrator = app.get(Orchestrator);
    const ids = await publishAll(orchestrator, queue, [1, 2]);
    expect(await Promise.all(ids.map((id) => orchestrator.waitForResult(id, { timeout: 5000 })))).toEqual([{ n: 1 }, { n: 2 }]);
    expect(peak).toBe(2);
    await closeApp(app);
  });

  it('a Consumer subclass constructed with neither a queue nor a @Consumer decorator fails, saying how to name one', () => {
    class Nameless extends Consumer<TickInput> {
      run(): void {}
    }
    expect(() => new Nameless()).toThrow(ConsumerDefinitionError);
    expect(() => new Nameless()).toThrow(
      "Nameless was constructed without a queue name (got undefined) — pass it: new Nameless('queue', options), or decorate the class @Consumer('queue') and call super() without arguments",
    );
    expect(() => new Nameless('')).toThrow(/Nameless was constructed without a queue name \(got ""\)/);
  });

  it('stacked @OnJobEvent decorators on one method each deliver their events', async () => {
    const queue = 'stacked-events';
    const heard: string[] = [];

    @Injectable()
    @Consumer(queue)
    class StackedListener {
      @Run()
      run(job: Job<TickInput>): { n: number } {
        return { n: job.payload.n };
      }

      @OnJobEvent('active')
      @OnJobEvent('completed')
      onEither(event: JobEventMap['active'] | JobEventMap['completed']): void {
        heard.push(`${'result' in event ? 'completed' : 'active'}:${event.job.id}`);
      }
    }

    const app = await bootJobsApp(JobsModule.forRoot({ backend: new LocalClient(), schemas: [tickSchema(queue)] }), [StackedListener]);
    const orchestrator = app.get(Orchestrator);
    const done = completions(orchestrator, 1);
    const [id] = await publishAll(orchestrator, queue, [1]);
    await done;
    await closeApp(app);
    expect(heard).toEqual([`active:${id}`, `completed:${id}`]);
  });
});
