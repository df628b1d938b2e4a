import { ConsumerDefinitionError, ConsumerStateError } from '../errors';
import type { Job } from '../job/job';
import { Logger } from '../logger/logger';
import { JobEvents, type JobEventListener, type JobEventType } from '../orchestrator/job-events';
import type { Orchestrator } from '../orchestrator/orchestrator';
import { ConsumeUntilEmpty } from './consume-until-empty';
import { consumerDecorator, consumerMetadataOf } from './consumer-metadata';
import { resolveConsumerOptions, type ConsumerOptions, type ResolvedConsumerOptions } from './consumer-options';
import { QueueWorker, type RunContext } from './queue-worker';

/**
 * A standalone consumer: subclass it, implement `run`, connect it to an orchestrator and consume.
 * `I` is the input DTO the run receives as `job.payload`; `O` what it returns.
 */
export abstract class ConsumerBase<I extends object = any, O = unknown> {
  /** Lifecycle events of the jobs this consumer handles. */
  readonly events = new JobEvents();
  readonly queueName: string;
  readonly options: ResolvedConsumerOptions;
  private worker: QueueWorker | null = null;
  private orchestrator: Orchestrator | null = null;
  private untrack: (() => void) | null = null;
  /** The consumeUntilEmpty under way, which stop() must end between its passes too. */
  private drain: ConsumeUntilEmpty | null = null;

  /**
   * Without a queue (Nest constructing a `@Consumer('q')` class that has no constructor of its own, or a
   * `super()` without arguments), the queue and options come from the class's `@Consumer` decorator.
   */
  constructor(queueName?: string, options?: ConsumerOptions) {
    const decorated = queueName === undefined ? consumerMetadataOf(new.target) : undefined;
    const queue = queueName ?? decorated?.queue;
    if (typeof queue !== 'string' || queue.length === 0) {
      throw new ConsumerDefinitionError(
        new.target.name,
        `${new.target.name} was constructed without a queue name (got ${JSON.stringify(queue) ?? 'undefined'}) — ` +
          `pass it: new ${new.target.name}('queue', options), or decorate the class @Consumer('queue') and call super() without arguments`,
      );
    }
    this.queueName = queue;
    this.options = resolveConsumerOptions(`${new.target.name}("${queue}")`, options ?? decorated?.options ?? {});
  }

  /** Processes one job; what it returns is the job's result. Throw to fail the attempt. */
  abstract run(job: Job<I>, context: RunContext): Promise<O | void> | O | void;

  /** Attaches the consumer to an orchestrator (and so to its backend and schemas). Once only. */
  connect(orchestrator: Orchestrator): void {
    if (this.worker)
      throw new ConsumerStateError(`${this.constructor.name}("${this.queueName}") is already connected — a consumer connects once`);
    this.worker = new QueueWorker(
      orchestrator,
      this.queueName,
      (job, context) => this.run(job, context),
      this.options,
      this.events,
      this.constructor.name,
    );
    this.orchestrator = orchestrator;
    this.untrack = orchestrator.track(this);
  }

  /** Takes and settles `numMessages` jobs, waiting for them as needed; without a number, runs until stop(). Resolves with how many it settled. */
  consume(numMessages?: number): Promise<number> {
    return this.connected().consume(numMessages);
  }

  /**
   * Takes and settles jobs until none is waiting and none is running. A queue paused, held or at its
   * rate limit (by any process) with jobs waiting is not empty: it waits until they can be taken (logging
   * a warning once), or until stop().
   */
  async consumeUntilEmpty(): Promise<number> {
    const worker = this.connected();
    const drain = new ConsumeUntilEmpty(
      this.orchestrator!.backend,
      this.queueName,
      new Logger(`${this.constructor.name}(${this.queueName})`),
    );
    this.drain = drain;
    try {
      return await drain.run((waitForWake) => worker.consume(undefined, true, waitForWake));
    } finally {
      if (this.drain === drain) this.drain = null;
    }
  }

  /**
   * Runs abandoned after `timeout + timeoutGrace` (they ignored their AbortSignal) that have not
   * returned yet. More than zero means a handler to fix; at `maxAbandonedRuns` the consumer takes no jobs.
   */
  get abandonedRuns(): number {
    return this.worker?.abandonedRuns ?? 0;
  }

  /**
   * Stops taking jobs; resolves when the running ones have settled. A run that ignores its
   * AbortSignal delays this by at most `timeout + timeoutGrace` (without a `timeout`, runs are waited for).
   */
  async stop(): Promise<void> {
    this.drain?.stop();
    await this.worker?.stop();
  }

  /** Stops, and detaches from the orchestrator. */
  async close(): Promise<void> {
    await this.stop();
    this.worker?.forgetLoop();
    this.untrack?.();
  }

  /** Subscribes to this consumer's job events; returns an unsubscribe function. */
  on<K extends JobEventType>(type: K, listener: JobEventListener<K>): () => void {
    return this.events.on(type, listener);
  }

  private connected(): QueueWorker {
    if (!this.worker)
      throw new ConsumerStateError(`${this.constructor.name}("${this.queueName}") is not connected — call connect(orchestrator) first`);
    return this.worker;
  }
}

type ConsumerDecoratorFactory = (queue: string, options?: ConsumerOptions) => ClassDecorator;

/**
 * One export, two uses: `@Consumer('queue', options)` marks a Nest provider whose `@Run()` method
 * processes the queue, and `class X extends Consumer<In, Out>` makes a standalone consumer. Calling it
 * gives the decorator; constructing (through `super`) makes the consumer.
 */
export const Consumer = new Proxy(ConsumerBase, {
  apply: (_target, _this, args: Parameters<ConsumerDecoratorFactory>) => consumerDecorator(...args),
}) as typeof ConsumerBase & ConsumerDecoratorFactory;

/** The instance type, so `Consumer<In, Out>` also works in type positions. */
export type Consumer<I extends object = any, O = unknown> = ConsumerBase<I, O>;
