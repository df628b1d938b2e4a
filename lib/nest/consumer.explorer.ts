import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { ConsumerBase } from '../consumer/consumer';
import { resolveConsumerOptions, type ResolvedConsumerOptions } from '../consumer/consumer-options';
import { QueueWorker, type RunHandler } from '../consumer/queue-worker';
import { schemaNamed } from '../job/schema-registry';
import { consoleJobsLogger } from '../logger/console-jobs-logger';
import { setDefaultJobsLogger } from '../logger/logger';
import { ConsumerDefinitionError } from '../errors';
import { JOB_EVENT_TYPES, JobEvents, type JobEventType } from '../orchestrator/job-events';
import { Orchestrator } from '../orchestrator/orchestrator';
import { ConsumerMetadataAccessor } from './consumer-metadata.accessor';
import type { ResolvedJobsModuleOptions } from './interfaces';
import { JOBS_RESOLVED_OPTIONS } from './jobs.constants';
import { JobsMessages } from './jobs.messages';
import { resolveDecoratedSchedule, type DeclaredSchedule } from './schedule-registration.resolver';
import { ScheduleRegistrar } from './schedule.registrar';

/** A @Consumer provider found at start-up, checked and ready to start. */
interface FoundConsumer {
  className: string;
  queue: string;
  options: ResolvedConsumerOptions;
  handler: RunHandler;
  /** Where the worker emits; a class that extends Consumer brings its own, so its on() listeners hear them. */
  events: JobEvents;
  eventHandlers: { type: JobEventType; handle: (event: unknown) => unknown }[];
  /** Its @Schedule decorators, checked. */
  schedules: DeclaredSchedule[];
}

type ConsumerInstance = Record<string, (...args: unknown[]) => unknown>;

/** Nest apps of this process not shut down yet: the library logs through Nest's Logger while any is. */
let openApps = 0;

/**
 * Finds every @Consumer provider (onModuleInit); at onApplicationBootstrap declares their queues,
 * upserts the app's schedules (so a refused one fails start-up before any job is taken), then starts
 * a worker for each consumer;
 * drains them (beforeApplicationShutdown) and closes the backend (onApplicationShutdown).
 * It only wires: the queue logic lives in QueueWorker.
 */
@Injectable()
export class ConsumerExplorer implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('JobsModule');
  private found: FoundConsumer[] = [];
  private readonly workers: QueueWorker[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: ConsumerMetadataAccessor,
    private readonly orchestrator: Orchestrator,
    private readonly schedules: ScheduleRegistrar,
    @Inject(JOBS_RESOLVED_OPTIONS) private readonly options: ResolvedJobsModuleOptions,
  ) {
    // In a Nest app the library's lines go through Nest's Logger, so app.useLogger() and logger: false apply.
    if (openApps++ === 0) setDefaultJobsLogger(Logger);
  }

  onModuleInit(): void {
    // One instance can sit behind several tokens (useExisting aliases): it consumes once.
    const seen = new Set<unknown>();
    this.found = this.discovery.getProviders().flatMap((wrapper) => {
      const target = this.classOf(wrapper);
      if (!target) return [];
      const metadata = this.accessor.consumerOf(target);
      const className = target.name;
      if (!metadata) {
        if (this.accessor.schedulesOf(target).length > 0)
          throw new ConsumerDefinitionError(className, JobsMessages.scheduleWithoutConsumer(className));
        return [];
      }
      if (wrapper.isTransient) throw new ConsumerDefinitionError(className, JobsMessages.notStatic(className, 'transient'));
      if (!wrapper.isDependencyTreeStatic())
        throw new ConsumerDefinitionError(className, JobsMessages.notStatic(className, 'request-scoped'));
      const instance = wrapper.instance as ConsumerInstance | undefined;
      if (!instance || seen.has(instance)) return [];
      seen.add(instance);
      const schedules = this.accessor.schedulesOf(target).map((schedule) => resolveDecoratedSchedule(className, metadata.queue, schedule));
      return [{ ...this.inspect(className, metadata.queue, metadata.options, instance), schedules }];
    });
  }

  /**
   * The class a provider's decorators sit on. For a class provider it is its metatype; a useFactory /
   * useValue / useExisting provider has a factory or nothing there, so its instance's constructor is
   * read instead (as @nestjs/bullmq does).
   */
  private classOf(wrapper: InstanceWrapper): Function | undefined {
    const isClassProvider = typeof wrapper.metatype === 'function' && !wrapper.inject;
    const target = isClassProvider ? wrapper.metatype : (wrapper.instance as object | null | undefined)?.constructor;
    return typeof target === 'function' ? target : undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const registration of this.options.schemas) {
      const { schema, queueType } = 'schema' in registration ? registration : { schema: registration, queueType: undefined };
      await this.orchestrator.register(schema, { queueType });
    }
    for (const queue of this.consumedQueues) {
      if (!this.orchestrator.schemaFor(queue)) {
        // A JobSchema created in this process under the queue's name validates its payloads all the same.
        if (!schemaNamed(queue)) this.logger.warn(JobsMessages.noSchema(queue));
        if ((await this.orchestrator.backend.queueType(queue)) === null) await this.orchestrator.declareQueue(queue);
      }
    }
    await this.schedules.upsert(this.found.flatMap((consumer) => consumer.schedules));
    for (const consumer of this.found) {
      for (const { type, handle } of consumer.eventHandlers) consumer.events.on(type, handle);
      const worker = new QueueWorker(
        this.orchestrator,
        consumer.queue,
        consumer.handler,
        consumer.options,
        consumer.events,
        consumer.className,
      );
      this.workers.push(worker);
      worker.consume().catch((err: unknown) => this.logger.error(JobsMessages.loopEnded(consumer.className, consumer.queue, err)));
    }
  }

  /** The queues this app's consumers take jobs from (each once), known from onModuleInit on. */
  get consumedQueues(): string[] {
    return [...new Set(this.found.map((consumer) => consumer.queue))];
  }

  /** Stop taking jobs, wait for running ones up to the timeout, give back the rest. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.shutdown(this.options.shutdownTimeout)));
  }

  async onApplicationShutdown(): Promise<void> {
    try {
      await this.orchestrator.close();
    } finally {
      // Plain-library code still running in this process logs to the console again, not to a closed app.
      if (--openApps === 0) setDefaultJobsLogger(consoleJobsLogger);
    }
  }

  private inspect(className: string, queue: string, rawOptions: object, instance: ConsumerInstance): Omit<FoundConsumer, 'schedules'> {
    const where = `@Consumer('${queue}') on ${className}`;
    let options = resolveConsumerOptions(where, rawOptions);
    if (instance instanceof ConsumerBase) {
      // A class that extends Consumer also names its queue and options in super(): they must agree.
      if (instance.queueName !== queue)
        throw new ConsumerDefinitionError(className, JobsMessages.queueMismatch(className, queue, instance.queueName));
      if (Object.keys(rawOptions).length === 0) options = instance.options;
    }
    const prototype = Object.getPrototypeOf(instance) as object;
    const methods = this.scanner.getAllMethodNames(prototype);
    const runMethods = methods.filter((name) => this.accessor.isRun(instance[name]));
    if (runMethods.length > 1) throw new ConsumerDefinitionError(className, JobsMessages.twoRunMethods(className, runMethods));
    // A class that extends Consumer may rely on its run() instead of a @Run() method.
    const runName = runMethods[0] ?? (instance instanceof ConsumerBase ? 'run' : undefined);
    if (!runName) throw new ConsumerDefinitionError(className, JobsMessages.noRunMethod(className, queue));
    const eventHandlers = methods.flatMap((name) =>
      this.accessor.jobEventsOf(instance[name]).map((type) => {
        if (!(JOB_EVENT_TYPES as readonly string[]).includes(type))
          throw new ConsumerDefinitionError(className, JobsMessages.unknownEvent(className, name, type));
        return { type: type as JobEventType, handle: (event: unknown) => instance[name](event) };
      }),
    );
    const events = instance instanceof ConsumerBase ? instance.events : new JobEvents();
    return { className, queue, options, handler: (job, context) => instance[runName](job, context), events, eventHandlers };
  }
}
