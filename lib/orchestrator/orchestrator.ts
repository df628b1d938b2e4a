import type { JobBackend, JobPage, PublishItem, QueueSummary } from '../backend/job-backend.interface';
import type { JobRecord } from '../backend/job-record';
import type { DeadLetter, JobState, QueueStats } from '../backend/job-state';
import { checkOptionKeys } from '../backend/option-keys';
import type { QueueType } from '../backend/queue-type';
import { LocalClient } from '../backends/local/local.client';
import {
  InvalidOptionError,
  JobBatchValidationError,
  JobFailedError,
  JobNotFoundError,
  JobValidationError,
  SchemaNotFoundError,
  UnsupportedCapabilityError,
  WaitTimeoutError,
} from '../errors';
import { failureOf } from '../backend/job-failure';
import { dtoToWire, toValidDto, unvalidatedPayload } from '../job/dto-validation';
import { Job } from '../job/job';
import { validatedWireInput } from '../job/job-from-schema';
import { isoNow } from '../job/iso-now';
import { newJobId } from '../job/job-id';
import { validatedWire } from '../job/validated-payloads';
import type { JobInput, JobOutput } from '../job/job-input';
import type { JobSchema } from '../job/job-schema';
import { checkWireSize, type WireJson } from '../job/wire-json';
import { validationErrorOf } from '../job/payload-violation';
import { JobEvents } from './job-events';
import { resolveListJobsOptions, type ListJobsQuery } from './list-jobs-options';
import { resolveOrchestratorOptions, type OrchestratorOptions, type ResolvedOrchestratorOptions } from './orchestrator-options';
import { checkPriority, checkPublishOptions, dueTimeOf, type PublishOptions } from './publish-options';
import { checkQueueName } from '../backend/queue-name';
import type { ConsumerLoopStatus } from '../consumer/consumer-loop-status';
import { hooksOf, type InstrumentationHooks } from '../observability/instrumentation-hooks';
import { checkHealth } from '../observability/health/check-health';
import type { HealthOptions, JobsHealthReport } from '../observability/health/jobs-health-report';
import type { ScheduleSpec, ScheduleTemplate } from '../backend/schedule-record';
import { checkScheduleSpec } from '../schedule/schedule-spec';
import { scheduleInfoOf, type ScheduleInfo } from '../schedule/schedule-info';
import { checkScheduleArguments, type ScheduleOptions } from '../schedule/schedule-options';
import { upsertSchedule } from '../schedule/schedule-upsert';
import { advanceSchedule } from '../schedule/schedule-advance';
import { Logger } from '../logger/logger';
import { checkDeduplication } from './deduplication-options';
import { requireCapability } from './required-capability';

export interface RegisterOptions {
  /** Default 'fifo'. */
  queueType?: QueueType;
}

/** What publishBatch returns: `ids[i]` is the id of `jobs[i]`. */
export interface BatchPublishResult {
  ids: string[];
  count: number;
}

/** Anything that can stop and drain: the consumers this orchestrator's close() must wait for. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * The one entry point for producers: registers job schemas, declares queues, validates and publishes
 * jobs, and looks up their state. Works the same over every backend.
 */
export class Orchestrator {
  /** Lifecycle events of every job consumed through this orchestrator in this process. */
  readonly events = new JobEvents();
  private readonly schemas = new Map<string, JobSchema<JobInput, JobOutput>>();
  private readonly consumers = new Set<Stoppable>();
  /** The checked options, defaults filled in. */
  readonly options: ResolvedOrchestratorOptions;
  /** The instrumentation's hooks, combined once here (a null object without any); consumers call them too. */
  readonly hooks: InstrumentationHooks;
  /** Queues declared or registered through this orchestrator, for health checks and gauges. */
  private readonly declared = new Set<string>();
  /** The loops of the consumers running on this orchestrator, for health checks. */
  private readonly loops = new Set<ConsumerLoopStatus>();

  constructor(
    readonly backend: JobBackend = new LocalClient(),
    options: OrchestratorOptions = {},
  ) {
    this.options = resolveOrchestratorOptions(options);
    this.hooks = hooksOf(this.options.instrumentation);
    for (const instrumentation of this.options.instrumentation) instrumentation.attach?.(this);
  }

  /** Declares a queue named after the schema and remembers the schema for publish and consume. */
  async register<I extends JobInput, O extends JobOutput>(schema: JobSchema<I, O>, options: RegisterOptions = {}): Promise<string> {
    checkOptionKeys(`register "${schema?.name}"`, '', options, ['queueType']);
    checkQueueName(`register(schema)`, schema?.name);
    await this.backend.declareQueue(schema.name, this.queueTypeOf(schema.name, options.queueType));
    this.declared.add(schema.name);
    this.schemas.set(schema.name, schema as JobSchema<JobInput, JobOutput>);
    return schema.name;
  }

  /** Declares a queue without a schema (its jobs are then not validated on consume). */
  async declareQueue(queue: string, queueType?: QueueType): Promise<void> {
    checkQueueName('declareQueue', queue);
    await this.backend.declareQueue(queue, this.queueTypeOf(queue, queueType));
    this.declared.add(queue);
  }

  /** The schema registered for a queue in this process, if any. */
  schemaFor(queue: string): JobSchema<JobInput, JobOutput> | undefined {
    return this.schemas.get(queue);
  }

  /**
   * Validates and enqueues a Job (from jobFromSchema) or a raw input for the queue's registered schema.
   * Resolves with the job's id once the backend holds it.
   */
  async publish(queue: string, job: Job<object> | object, options: PublishOptions = {}): Promise<string> {
    checkQueueName('publish', queue);
    checkPublishOptions(queue, options);
    if (options.deduplication !== undefined) return this.publishDeduplicated(queue, job, options);
    const items = [this.toPublishItem(queue, this.schemas.get(queue), job, dueTimeOf(queue, options), options.priority)];
    // send()'s steps written out: one async frame less on the path every single publish takes.
    const published = this.hooks.publishing(queue, items);
    try {
      await this.backend.publish(queue, items);
    } catch (error) {
      published(error);
      throw error;
    }
    published();
    return items[0].job.id;
  }

  /** Validates every job first; if any is invalid nothing is published and JobBatchValidationError names each. */
  async publishBatch(queue: string, jobs: readonly (Job<object> | object)[], options: PublishOptions = {}): Promise<BatchPublishResult> {
    checkQueueName('publishBatch', queue);
    if (!Array.isArray(jobs)) throw new InvalidOptionError(`publishBatch to "${queue}"`, 'jobs', 'must be an array');
    if (options?.deduplication !== undefined) {
      throw new InvalidOptionError(
        `publishBatch to "${queue}"`,
        'deduplication',
        'applies to single publishes only — publish each job with orchestrator.publish(queue, job, { deduplication })',
      );
    }
    const items: PublishItem[] = new Array(jobs.length);
    const failures: { index: number; error: Error }[] = [];
    // The options are the same for every job: checked once, and if bad, every job fails with the error.
    let runAt: number | undefined;
    let optionsError: Error | null = null;
    try {
      checkPublishOptions(queue, options);
      runAt = dueTimeOf(queue, options);
    } catch (error) {
      optionsError = error as Error;
    }
    const schema = this.schemas.get(queue);
    // One clock read for the batch, whose new jobs are created together: a read per job cost ~1% of a Local job.
    const createdAt = isoNow();
    // The same job twice in one batch would run twice, or be refused half-way by a backend with
    // unique ids: refused here, on every backend, before anything is sent.
    const firstIndexOf = new Map<string, number>();
    for (let index = 0; index < jobs.length; index++) {
      try {
        if (optionsError) throw optionsError;
        const input = jobs[index];
        items[index] = this.toPublishItem(queue, schema, input, runAt, options.priority, createdAt);
        // A raw input gets a new id here; only a Job brings its own, which may be in the batch twice.
        if (!(input instanceof Job)) continue;
        const id = items[index].job.id;
        const first = firstIndexOf.get(id);
        if (first !== undefined) {
          throw new InvalidOptionError(
            `publishBatch to "${queue}"`,
            'job.id',
            `${id} is also at index ${first}: a batch must not hold the same job twice — publish each job once`,
          );
        }
        firstIndexOf.set(id, index);
      } catch (error) {
        failures.push({ index, error: error as Error });
      }
    }
    if (failures.length > 0) throw new JobBatchValidationError(queue, failures);
    if (items.length > 0) await this.send(queue, items);
    return { ids: items.map((item) => item.job.id), count: items.length };
  }

  /**
   * Takes the next waiting job off the queue and hands it to you, or null if none is waiting. The job is
   * marked completed at once: from here on it is yours, so use a Consumer when you need retries.
   */
  async receiveMessage<I extends object = Record<string, unknown>>(queue: string): Promise<Job<I> | null> {
    for (;;) {
      const [delivery] = await this.backend.fetch(queue, 1, { wait: false, leaseMs: 30_000 });
      if (!delivery) return null;
      if (delivery.job.schedule !== undefined) await this.advanceTaken(queue, delivery.job.schedule);
      const schema = this.schemas.get(queue);
      try {
        const payload = schema
          ? toValidDto(schema.input, delivery.job.payload, schema.name, 'input')
          : unvalidatedPayload(delivery.job.payload, delivery.job.schemaName);
        await this.backend.complete(delivery, null);
        return Job.fromRecord(delivery.job, payload as I);
      } catch (err) {
        await this.backend.deadLetter(delivery, failureOf(err, delivery.job.attempt));
      }
    }
  }

  /** Jobs waiting to be delivered now. */
  countQueueMessages(queue: string): Promise<number> {
    return this.backend.countWaiting(queue);
  }

  /** Drops the waiting and delayed jobs; resolves with how many. */
  cleanQueue(queue: string): Promise<number> {
    return this.backend.cleanQueue(queue);
  }

  /** Deletes the queue and everything in it, and forgets its schema. */
  async deleteQueue(queue: string): Promise<void> {
    await this.backend.deleteQueue(queue);
    this.schemas.delete(queue);
    this.declared.delete(queue);
  }

  /** The job's state, or null if unknown. */
  getJob(id: string): Promise<JobState | null> {
    return this.backend.getJob(id);
  }

  /**
   * Resolves with the job's result once it completes; rejects with JobFailedError if it ends dead,
   * JobNotFoundError if it is unknown, WaitTimeoutError after `timeout` ms (default: no limit).
   */
  async waitForResult<R = unknown>(id: string, options: { timeout?: number } = {}): Promise<R> {
    checkOptionKeys(`waitForResult(${id})`, '', options, ['timeout']);
    const { timeout } = options;
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) {
      throw new InvalidOptionError(`waitForResult(${id})`, 'timeout', `must be a number of milliseconds > 0, got ${String(timeout)}`);
    }
    const abort = new AbortController();
    const timer = timeout === undefined ? undefined : setTimeout(() => abort.abort(), timeout);
    try {
      const state = await this.backend.waitForFinished(id, abort.signal);
      if (state.status === 'dead') throw new JobFailedError(state.queue, id, state.error);
      return state.result as R;
    } catch (err) {
      if (!abort.signal.aborted) throw err;
      const last = await this.backend.getJob(id);
      if (!last) throw new JobNotFoundError(id);
      throw new WaitTimeoutError(last.queue, id, timeout as number, last.status);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The queue's dead letters, oldest first (default limit 100). */
  async deadLetters(queue: string, options: { limit?: number } = {}): Promise<DeadLetter[]> {
    checkOptionKeys(`deadLetters("${queue}")`, '', options, ['limit']);
    const limit = options.limit ?? 100;
    if (!(Number.isInteger(limit) && limit > 0))
      throw new InvalidOptionError(`deadLetters("${queue}")`, 'limit', `must be a positive integer, got ${String(limit)}`);
    return this.backend.listDeadLetters(queue, limit);
  }

  /** Puts dead letters (all, or those in `ids`) back on the queue with a fresh attempt count. */
  async redrive(queue: string, options: { ids?: readonly string[] } = {}): Promise<number> {
    const where = `redrive("${queue}")`;
    checkOptionKeys(where, '', options, ['ids']);
    const { ids } = options;
    if (ids !== undefined && !(Array.isArray(ids) && ids.every((id) => typeof id === 'string' && id.length > 0))) {
      throw new InvalidOptionError(
        where,
        'ids',
        `must be an array of job ids (non-empty strings), got ${JSON.stringify(ids)} — e.g. { ids: [job.id] }, or no ids to redrive every dead letter`,
      );
    }
    const count = await this.backend.redrive(queue, ids);
    if (count > 0) this.hooks.redriven(queue, count);
    return count;
  }

  purgeDeadLetters(queue: string): Promise<number> {
    return this.backend.purgeDeadLetters(queue);
  }

  queueStats(queue: string): Promise<QueueStats> {
    return this.backend.queueStats(queue);
  }

  /**
   * Stops every consumer of the queue, in every process, from taking its jobs until resume(); jobs
   * keep being published and those already running finish. Jobs a consumer had taken ahead (prefetch)
   * may still run. `queueStats(queue).paused` tells.
   */
  async pause(queue: string): Promise<void> {
    checkQueueName('pause', queue);
    requireCapability(this.backend, 'pause', 'pause');
    await this.backend.pauseQueue!(queue);
  }

  /** Ends a pause: consumers waiting on the queue take its jobs at once. */
  async resume(queue: string): Promise<void> {
    checkQueueName('resume', queue);
    requireCapability(this.backend, 'pause', 'resume');
    await this.backend.resumeQueue!(queue);
  }

  /**
   * Creates or updates the repeatable job `key` of the queue: at each tick of `when` (`{ cron, tz? }` or
   * `{ every: ms }`) one job with `input` is enqueued, however many processes consume the queue. The
   * input is validated like a publish. Idempotent, so every process may call it at start-up: the same
   * schedule again leaves its ticks as they are; a changed one starts over from the next tick.
   * Resolves with the schedule as stored.
   */
  async schedule(
    queue: string,
    key: string,
    when: ScheduleSpec,
    input: Job<object> | object,
    options: ScheduleOptions = {},
  ): Promise<ScheduleInfo> {
    const where = `schedule("${queue}", "${key}")`;
    checkQueueName('schedule', queue);
    checkScheduleArguments(where, key, options);
    const spec = checkScheduleSpec(where, when);
    requireCapability(this.backend, 'schedules', 'schedule (repeatable jobs)');
    const { job } = this.toPublishItem(queue, this.schemas.get(queue), input, undefined, options.priority);
    const template: ScheduleTemplate = { name: job.name, schemaName: job.schemaName, payload: job.payload, priority: job.priority };
    return scheduleInfoOf(await upsertSchedule(this.schedulesOf(), queue, key, spec, template));
  }

  /** Removes the repeatable job and withdraws its next occurrence if it has not started; resolves whether it existed. */
  async unschedule(queue: string, key: string): Promise<boolean> {
    checkQueueName('unschedule', queue);
    checkScheduleArguments(`unschedule("${queue}", "${key}")`, key, {});
    requireCapability(this.backend, 'schedules', 'unschedule (repeatable jobs)');
    return this.backend.deleteSchedule!(queue, key);
  }

  /** The repeatable jobs of a queue, or of every queue; sorted by queue then key. */
  async schedules(queue?: string): Promise<ScheduleInfo[]> {
    if (queue !== undefined) checkQueueName('schedules', queue);
    requireCapability(this.backend, 'schedules', 'schedules (repeatable jobs)');
    return (await this.backend.listSchedules!(queue)).map(scheduleInfoOf);
  }

  /** Every queue the backend holds, sorted by name (what a dashboard or `mindtrace-jobs queues` shows). */
  async listQueues(): Promise<QueueSummary[]> {
    if (!this.backend.listQueues || !this.backend.capabilities.queueListing) {
      throw new UnsupportedCapabilityError(
        this.backend.name,
        'listQueues',
        'it cannot name the queues it holds; use knownQueues for the queues this process declared',
      );
    }
    return this.backend.listQueues();
  }

  /**
   * A page of the queue's jobs in one state, oldest first, and how many the state holds:
   * `listJobs('emails', { state: 'dead', offset: 0, limit: 50 })`. Default limit 50, at most 1000.
   */
  async listJobs(queue: string, options: ListJobsQuery): Promise<JobPage> {
    checkQueueName('listJobs', queue);
    const resolved = resolveListJobsOptions(queue, options);
    const listable = this.backend.capabilities.jobListing ?? [];
    if (!this.backend.listJobs || !listable.includes(resolved.state)) {
      const can = listable.length > 0 ? `it lists ${listable.join(', ')} jobs only` : 'it cannot list jobs';
      throw new UnsupportedCapabilityError(
        this.backend.name,
        `listJobs of ${resolved.state} jobs`,
        `${can}; queueStats counts every state, getJob reads one job by id`,
      );
    }
    return this.backend.listJobs(queue, resolved);
  }

  /**
   * Whether the backend answers and every consumer on this orchestrator is taking jobs: the facts a
   * health endpoint reports (JobsHealthIndicator gives them to @nestjs/terminus). A part that is down
   * is reported, not thrown; only options it cannot use are refused (InvalidOptionError).
   */
  health(options: HealthOptions = {}): Promise<JobsHealthReport> {
    return checkHealth(this, options);
  }

  /** Queues declared or registered through this orchestrator, and those its consumers take from. */
  get knownQueues(): string[] {
    return [...new Set([...this.declared, ...[...this.loops].map((loop) => loop.queue)])];
  }

  /** The loops of the consumers running on this orchestrator. */
  get consumerLoops(): readonly ConsumerLoopStatus[] {
    return [...this.loops];
  }

  /** Called by a consumer's worker when it starts consuming; the function returned forgets it. */
  watchLoop(loop: ConsumerLoopStatus): () => void {
    this.loops.add(loop);
    return () => this.loops.delete(loop);
  }

  /** Called by consumers on connect, so close() can stop them first. */
  track(consumer: Stoppable): () => void {
    this.consumers.add(consumer);
    return () => this.consumers.delete(consumer);
  }

  /** Stops every connected consumer, waits for their running jobs, then closes the backend. */
  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.stop()));
    await this.backend.close();
  }

  /** A publish with `deduplication`: the backend checks and takes the key with the enqueue, in one step. */
  private async publishDeduplicated(queue: string, job: Job<object> | object, options: PublishOptions): Promise<string> {
    const deduplication = checkDeduplication(`publish to "${queue}"`, options.deduplication);
    requireCapability(this.backend, 'deduplication', 'publish with deduplication');
    const item = this.toPublishItem(queue, this.schemas.get(queue), job, dueTimeOf(queue, options), options.priority);
    const published = this.hooks.publishing(queue, [item]);
    let outcome;
    try {
      outcome = await this.backend.publishDeduplicated!(queue, item, deduplication);
    } catch (error) {
      published(error);
      throw error;
    }
    published(undefined, outcome.duplicate);
    return outcome.id;
  }

  /** The backend's schedule methods, checked present once its capability is. */
  private schedulesOf(): Required<Pick<JobBackend, 'getSchedule' | 'putSchedule'>> & Pick<JobBackend, 'getJob'> {
    const backend = this.backend;
    return {
      getSchedule: (queue, key) => backend.getSchedule!(queue, key),
      putSchedule: (record, occurrence, expect, withdrawPrevious) => backend.putSchedule!(record, occurrence, expect, withdrawPrevious),
      getJob: (id) => backend.getJob(id),
    };
  }

  /** receiveMessage took a schedule's occurrence: move the schedule on (a failure is logged, the job still returned). */
  private async advanceTaken(queue: string, tick: NonNullable<JobRecord['schedule']>): Promise<void> {
    try {
      await advanceSchedule(this.backend, queue, tick);
    } catch (error) {
      new Logger(`Orchestrator(${queue})`).error(
        `could not move schedule "${tick.key}" past its tick ${new Date(tick.at).toISOString()}: ${(error as Error).message} — ` +
          'call orchestrator.schedule() for it again to re-arm it',
      );
    }
  }

  /** Hands validated items to the backend, telling the instrumentation before and after. */
  private async send(queue: string, items: PublishItem[]): Promise<void> {
    const published = this.hooks.publishing(queue, items);
    try {
      await this.backend.publish(queue, items);
    } catch (error) {
      published(error);
      throw error;
    }
    published();
  }

  private queueTypeOf(queue: string, queueType: QueueType = 'fifo'): QueueType {
    if (!this.backend.capabilities.queueTypes.includes(queueType)) {
      throw new InvalidOptionError(
        `register "${queue}"`,
        'queueType',
        `'${queueType}' is not supported by ${this.backend.name} (supported: ${this.backend.capabilities.queueTypes.join(', ')}) — ` +
          `use one of those, or a backend that has ${queueType} queues (LocalClient and RedisClient have every type)`,
      );
    }
    return queueType;
  }

  /**
   * The record to enqueue for `input`: validated, in the JSON form every backend carries, within
   * `maxPayloadBytes`. A validation error it raises names the queue too.
   */
  private toPublishItem(
    queue: string,
    schema: JobSchema<JobInput, JobOutput> | undefined,
    input: Job<object> | object,
    runAt: number | undefined,
    priorityOption: number | undefined,
    createdAt?: string,
  ): PublishItem {
    try {
      const job = this.jobRecordOf(queue, schema, input, priorityOption, createdAt);
      if (runAt !== undefined) job.dueAt = new Date(runAt).toISOString();
      return { job, runAt };
    } catch (error) {
      throw error instanceof JobValidationError ? error.onQueue(queue) : error;
    }
  }

  private jobRecordOf(
    queue: string,
    schema: JobSchema<JobInput, JobOutput> | undefined,
    input: Job<object> | object,
    priorityOption: number | undefined,
    /** For a raw input, which becomes a new job; default now. */
    createdAt?: string,
  ): JobRecord {
    let job: JobRecord;
    if (input instanceof Job) {
      // A payload jobFromSchema validated (and froze) for this schema needs no second look; any other
      // is validated against the queue's schema now.
      const schemaName = schema?.name ?? input.schemaName;
      const wire =
        validatedWire(input.payload, schema?.input) ??
        dtoToWire(schema ? toValidDto(schema.input, input.payload, schema.name, 'input') : input.payload, schemaName, 'input');
      this.checkSize(wire, schemaName);
      job = {
        id: input.id,
        name: input.name,
        schemaName: input.schemaName,
        payload: wire.value as Record<string, unknown>,
        createdAt: input.createdAt,
        priority: priorityOption ?? input.priority,
        attempt: 0,
      };
    } else {
      if (!schema) throw new SchemaNotFoundError(queue);
      // A raw input becomes a new job: only its record travels, so no Job object is made for it.
      const wire = validatedWireInput(schema, input);
      this.checkSize(wire, schema.name);
      job = {
        id: newJobId(),
        name: schema.name,
        schemaName: schema.name,
        payload: wire.value as Record<string, unknown>,
        createdAt: createdAt ?? isoNow(),
        priority: priorityOption ?? 0,
        attempt: 0,
      };
    }
    if (job.priority !== 0) checkPriority(queue, job.priority, this.backend.capabilities.priorityRange);
    return job;
  }

  private checkSize(wire: WireJson, schemaName: string): void {
    try {
      checkWireSize(wire, this.options.maxPayloadBytes, 'payload');
    } catch (error) {
      throw validationErrorOf(error, schemaName, 'input');
    }
  }
}
