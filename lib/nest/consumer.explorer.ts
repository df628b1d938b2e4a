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
import { ConsumerBase } from '../consumer/consumer';
import { resolveConsumerOptions, type ResolvedConsumerOptions } from '../consumer/consumer-options';
import { QueueWorker, type RunHandler } from '../consumer/queue-worker';
import { JobEvents, type JobEventType } from '../orchestrator/job-events';
import { Orchestrator } from '../orchestrator/orchestrator';
import { ConsumerMetadataAccessor } from './consumer-metadata.accessor';
import type { JobsModuleOptions } from './interfaces';
import { JOBS_MODULE_OPTIONS } from './jobs.module-definition';
import { JobsMessages } from './jobs.messages';

/** A @Consumer provider found at start-up, checked and ready to start. */
interface FoundConsumer {
  className: string;
  queue: string;
  options: ResolvedConsumerOptions;
  handler: RunHandler;
  /** Where the worker emits; a class that extends Consumer brings its own, so its on() listeners hear them. */
  events: JobEvents;
  eventHandlers: { type: JobEventType; handle: (event: unknown) => unknown }[];
}

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Finds every @Consumer provider (onModuleInit), starts a worker for each (onApplicationBootstrap),
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
    @Inject(JOBS_MODULE_OPTIONS) private readonly options: JobsModuleOptions,
  ) {}

  onModuleInit(): void {
    this.found = this.discovery.getProviders().flatMap((wrapper) => {
      const metatype = wrapper.metatype;
      if (!metatype || typeof metatype !== 'function') return [];
      const metadata = this.accessor.consumerOf(metatype);
      if (!metadata) return [];
      const className = metatype.name;
      if (!wrapper.isDependencyTreeStatic()) throw new Error(JobsMessages.notStatic(className));
      const instance = wrapper.instance as Record<string, (...args: unknown[]) => unknown> | undefined;
      if (!instance) return [];
      return [this.inspect(className, metadata.queue, metadata.options, instance)];
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const registration of this.options.schemas ?? []) {
      const { schema, queueType } = 'schema' in registration ? registration : { schema: registration, queueType: undefined };
      await this.orchestrator.register(schema, { queueType });
    }
    for (const consumer of this.found) {
      if (!this.orchestrator.schemaFor(consumer.queue)) {
        this.logger.warn(JobsMessages.noSchema(consumer.queue));
        if ((await this.orchestrator.backend.queueType(consumer.queue)) === null) await this.orchestrator.declareQueue(consumer.queue);
      }
      for (const { type, handle } of consumer.eventHandlers) consumer.events.on(type, handle);
      const worker = new QueueWorker(this.orchestrator, consumer.queue, consumer.handler, consumer.options, consumer.events, consumer.className);
      this.workers.push(worker);
      worker.consume().catch((err: unknown) => this.logger.error(JobsMessages.loopEnded(consumer.className, consumer.queue, err)));
    }
  }

  /** Stop taking jobs, wait for running ones up to the timeout, give back the rest. */
  async beforeApplicationShutdown(): Promise<void> {
    const timeout = this.options.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
    await Promise.all(this.workers.map((worker) => worker.shutdown(timeout)));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.orchestrator.close();
  }

  private inspect(className: string, queue: string, rawOptions: object, instance: Record<string, (...args: unknown[]) => unknown>): FoundConsumer {
    const where = `@Consumer('${queue}') on ${className}`;
    let options = resolveConsumerOptions(where, rawOptions);
    if (instance instanceof ConsumerBase) {
      // A class that extends Consumer also names its queue and options in super(): they must agree.
      if (instance.queueName !== queue) throw new Error(JobsMessages.queueMismatch(className, queue, instance.queueName));
      if (Object.keys(rawOptions).length === 0) options = instance.options;
    }
    const prototype = Object.getPrototypeOf(instance) as object;
    const methods = this.scanner.getAllMethodNames(prototype);
    const runMethods = methods.filter((name) => this.accessor.isRun(instance[name]));
    if (runMethods.length > 1) throw new Error(JobsMessages.twoRunMethods(className, runMethods));
    // A class that extends Consumer may rely on its run() instead of a @Run() method.
    const runName = runMethods[0] ?? (instance instanceof ConsumerBase ? 'run' : undefined);
    if (!runName) throw new Error(JobsMessages.noRunMethod(className, queue));
    const eventHandlers = methods.flatMap((name) => {
      const type = this.accessor.jobEventOf(instance[name]);
      return type ? [{ type, handle: (event: unknown) => instance[name](event) }] : [];
    });
    const events = instance instanceof ConsumerBase ? instance.events : new JobEvents();
    return { className, queue, options, handler: (job, context) => instance[runName](job, context), events, eventHandlers };
  }
}
