import type { Delivery } from '../backend/job-backend.interface';
import type { JobProgress } from '../backend/job-state';
import { JobStalledError, RateLimitedError, UnrecoverableError } from '../errors';
import { Job } from '../job/job';
import { dtoToWire, toValidDto, unvalidatedPayload } from '../job/dto-validation';
import { validationErrorOf } from '../job/payload-violation';
import { schemaNamed } from '../job/schema-registry';
import { toWireJson } from '../job/wire-json';
import type { Logger } from '../logger/logger';
import type { Orchestrator } from '../orchestrator/orchestrator';
import type { AbandonedRuns } from './abandoned-runs';
import type { ResolvedConsumerOptions } from './consumer-options';
import type { HeldJob, Overrun } from './held-job';
import type { HeldJobs } from './held-jobs';
import type { JobSettler } from './job-settler';
import type { LeaseKeeper } from './lease-keeper';
import { endsWithin, withinTimeout } from './run-timeout';
import { JobRunContext } from './job-run-context';

/** What a run gets besides the job. */
export interface RunContext {
  queue: string;
  /**
   * Fires when the run's timeout passes, its lease is lost (reason: LeaseLostError) or a shutdown
   * gives up waiting; stop work when it does.
   */
  signal: AbortSignal;
  /**
   * Reports how far the run got: a finite number (a percentage, a count) or a plain JSON object of at
   * most 64 KiB. The backend keeps the last value (`getJob(id).progress`, with `capabilities.progress`),
   * the `progress` event fires on the consumer and the orchestrator, and traces and metrics record it.
   * Rejects with InvalidOptionError for another value, LeaseLostError once the job is no longer this run's.
   */
  progress(value: JobProgress): Promise<void>;
}

export type RunHandler = (job: Job<any>, context: RunContext) => unknown;

/** Completes a job; the worker may ask for its next job in the same round trip. */
export type CompleteStep = (delivery: Delivery, output: unknown) => Promise<void>;

/** What the pipeline works with: the worker's parts. */
export interface RunPipelineParts {
  readonly orchestrator: Orchestrator;
  readonly queue: string;
  readonly handler: RunHandler;
  readonly options: ResolvedConsumerOptions;
  readonly jobs: HeldJobs;
  readonly settler: JobSettler;
  readonly leases: LeaseKeeper;
  readonly abandoned: AbandonedRuns;
  readonly logger: Logger;
  readonly complete: CompleteStep;
  /** A run was rate limited: the queue is about to be held until `heldUntil` (called before the hold's round trip). */
  readonly holding: (heldUntil: number) => void;
  /** A job given back without being settled, the queue held until `heldUntil` (its run was rate limited). */
  readonly released: (heldUntil: number) => void;
}

/**
 * One job's run, from a free slot to its outcome: input validation, the handler within its timeout,
 * output validation, then complete, retry or dead-letter. It moves the job from `running` on (see
 * HeldJobState) and resolves when the run has returned or been abandoned, with the job settled if it
 * was still ours; the worker then lets the job go.
 */
export class RunPipeline {
  constructor(private readonly parts: RunPipelineParts) {}

  async run(job: HeldJob): Promise<void> {
    const { queue, options, settler, jobs } = this.parts;
    const record = job.delivery.job;
    const stalls = job.delivery.stalls ?? 0;
    if (stalls > options.maxStalls) {
      // Its earlier holders died with it: running it again would likely take this worker down too.
      jobs.move(job, 'settling');
      await settler.fail(job, new JobStalledError(queue, record.id, stalls, options.maxStalls), true);
      return;
    }
    // Two events a job, each an object: made only for a listener.
    if (settler.listened('active')) settler.emit('active', { queue, job: record });
    // The instrumentation's view of this run (a span); a shared do-nothing scope without instrumentation.
    const scope = this.parts.orchestrator.hooks.running(queue, record);

    // The queue's registered schema; else one made in this process under the queue's name (register()
    // names queues after schemas), so a job cannot dodge it by naming another; else the job's own.
    const schema = this.parts.orchestrator.schemaFor(queue) ?? schemaNamed(queue) ?? schemaNamed(record.schemaName);
    let payload: unknown;
    try {
      payload = schema
        ? toValidDto(schema.input, record.payload, schema.name, 'input')
        : unvalidatedPayload(record.payload, record.schemaName);
    } catch (err) {
      scope.end(err);
      // A payload that fails validation will fail every time: dead-letter it without retrying.
      jobs.move(job, 'settling');
      await settler.fail(job, err, true);
      return;
    }

    let output: unknown;
    try {
      const context = new JobRunContext(queue, job, this.parts.orchestrator.backend, settler, scope);
      // The handler runs in a later microtask, never inside start(); a synchronous throw lands in the
      // catch below like a rejection, and a synchronous result is not wrapped in promises.
      await undefined;
      let result = scope.within(this.parts.handler, Job.fromRecord(record, payload), context);
      if (isThenable(result)) {
        const timeout = options.timeout;
        result = await (timeout === undefined ? result : withinTimeout(queue, job, result, timeout));
      }
      // Given back at shutdown, or taken from us with the lease: the job is no longer ours to settle.
      if (job.state !== 'running') return scope.end();
      output = schema?.output
        ? dtoToWire(toValidDto(schema.output, result ?? {}, schema.name, 'output'), schema.name, 'output').value
        : resultAsJson(result, schema?.name ?? record.schemaName);
    } catch (err) {
      scope.end(err);
      const overrun = job.overrun;
      if (overrun && !overrun.returned) {
        await this.outlived(job, overrun, err);
        return;
      }
      if (job.state !== 'running') return;
      jobs.move(job, 'settling');
      if (err instanceof RateLimitedError) return this.rateLimited(job, err);
      await settler.fail(job, err, err instanceof UnrecoverableError);
      return;
    }
    jobs.move(job, 'settling');
    try {
      await this.parts.complete(job.delivery, output);
    } catch (err) {
      scope.end(err);
      settler.settleFailed(job, err);
      return;
    }
    scope.end();
    if (settler.listened('completed')) settler.emit('completed', { queue, job: record, result: output });
  }

  /**
   * The run said the service it calls wants the queue to back off: the queue is held for that long in
   * every process and the job goes back to its place, its attempt not counted. A backend that cannot
   * hold a queue retries the job after that long instead, counting the attempt.
   */
  private async rateLimited(job: HeldJob, error: RateLimitedError): Promise<void> {
    const { orchestrator, queue, settler, logger } = this.parts;
    const backend = orchestrator.backend;
    const waitMs = Number.isFinite(error.retryAfterMs) && error.retryAfterMs > 0 ? error.retryAfterMs : 0;
    if (waitMs === 0) {
      // No wait to hold for (a missing Retry-After read as NaN, say): giving the job back uncounted would
      // take it again at once, for ever. It fails like any other error, its attempt counted.
      await settler.fail(job, error, false);
      return;
    }
    if (!backend.capabilities.rateLimit || !backend.holdQueue) {
      await settler.fail(job, error, false, waitMs);
      return;
    }
    const until = Date.now() + waitMs;
    // Before the round trip: a slot this run freed must not start a job taken ahead meanwhile.
    this.parts.holding(until);
    try {
      await backend.holdQueue(queue, until);
    } catch (holdError) {
      logger.warn(
        `could not hold queue "${queue}" for ${waitMs} ms (${(holdError as Error).message}); retrying job ${job.delivery.job.id} after that long`,
      );
      await settler.fail(job, error, false, waitMs);
      return;
    }
    this.parts.released(until);
    await settler.release(job);
  }

  /**
   * A run that timed out and has not returned: its job fails now (if still ours), but its slot stays
   * taken until the run returns, or a handler that ignores its signal would let more than
   * `concurrency` runs go on at once — for `timeoutGrace` at most: then the run is abandoned (counted
   * until it returns) and its slot given back, so one run that never returns cannot stop the queue,
   * nor stop() and close(). A late return is logged either way, since it is a handler to fix.
   */
  private async outlived(job: HeldJob, overrun: Overrun, timeoutError: unknown): Promise<void> {
    const { queue, options, jobs } = this.parts;
    if (job.state === 'running') {
      jobs.move(job, 'overrun');
      overrun.failing = this.parts.settler.fail(job, timeoutError, false);
      await overrun.failing;
      this.parts.leases.forget(job.delivery);
    }
    if (overrun.returned) return;
    const { timeout, timeoutGrace } = options;
    if (!(await endsWithin(overrun.ended, overrun.timedOutAt + timeoutGrace - Date.now()))) {
      this.parts.abandoned.abandon(job, overrun, timeout as number, timeoutGrace);
      return;
    }
    this.parts.logger.warn(
      `the run of job ${job.delivery.job.id} on queue "${queue}" returned ${Date.now() - overrun.timedOutAt} ms after its timeout of ` +
        `${String(timeout)} ms (its result is discarded: the job had failed with JobTimeoutError) and held its ` +
        'concurrency slot until then — make run stop when context.signal aborts',
    );
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

/**
 * A result must survive the wire: plain JSON, detached from the objects the run still holds. One JSON
 * cannot carry (a BigInt, a cycle, nesting too deep) fails the attempt with a JobValidationError naming it.
 */
function resultAsJson(result: unknown, schemaName: string): unknown {
  try {
    return toWireJson(result, 'result').value;
  } catch (error) {
    throw validationErrorOf(error, schemaName, 'output');
  }
}
