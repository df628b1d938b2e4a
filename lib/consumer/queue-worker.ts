import { Logger } from '@nestjs/common';
import type { Delivery } from '../backend/job-backend.interface';
import { InvalidOptionError, JobsError, JobStalledError, JobTimeoutError, ConsumerStateError, UnrecoverableError, LeaseLostError } from '../errors';
import { Job } from '../job/job';
import { dtoToPlain, toValidDto } from '../job/dto-validation';
import type { JobEventMap, JobEvents, JobEventType } from '../orchestrator/job-events';
import type { Orchestrator } from '../orchestrator/orchestrator';
import { backoffDelay } from './backoff';
import type { ResolvedConsumerOptions } from './consumer-options';
import { failureOf } from './job-failure';
import { LeaseKeeper } from './lease-keeper';

/** What a run gets besides the job. */
export interface RunContext {
  queue: string;
  /** Fires when the run's timeout passes or a shutdown gives up waiting; stop work when it does. */
  signal: AbortSignal;
}

export type RunHandler = (job: Job<any>, context: RunContext) => unknown;

interface Running {
  delivery: Delivery;
  /** Made on first use: most runs never read their signal, and an AbortController per job is costly. */
  controller: AbortController | null;
  /** Set when shutdown gave the job back: the run's outcome must not be settled any more. */
  released: boolean;
  /** Stops waiting for a released run that ignores its signal, so consume() can return. */
  abandon: () => void;
  /** The run has ended; the job is being settled. */
  runEnded: boolean;
}

const RECONNECT_DELAYS_MS = [100, 250, 500, 1000, 2000, 5000];

/**
 * The engine behind every consumer, standalone or Nest: fetches jobs (blocking, never polling), runs
 * up to `concurrency` at once, validates input and output, and settles each job exactly once —
 * completed, retried after its backoff, or dead-lettered with its error.
 *
 * A job is held from the fetch that took it until it is settled: first prefetched (waiting for a
 * slot), then running, then settling. `concurrency` bounds the runs; `concurrency + prefetch` bounds
 * the jobs held, so with a prefetch the next runs start while earlier ones are still being settled.
 */
export class QueueWorker {
  private readonly logger: Logger;
  /** Every started job until it is settled, by the promise of its whole processing. */
  private readonly running = new Map<Promise<void>, Running>();
  /** Started jobs whose run (and output validation) has not ended: what concurrency counts. */
  private runs = 0;
  private fetchAbort: AbortController | null = null;
  /** Resolves the consume loop's wait when a run ends or a job settles. */
  private wakeLoop: (() => void) | null = null;
  /** Jobs taken but not started: a prefetch, or the next job taken with a completion (completeAndFetch). */
  private readonly prefetched: Delivery[] = [];
  private readonly leases: LeaseKeeper;
  private fetching = false;
  /** Completions in flight that will each bring the next job (completeAndFetch). */
  private refills = 0;
  /** Jobs this consume() may still take, and has taken. */
  private budget = Infinity;
  private taken = 0;
  /** Of those, jobs given back without being started (prefetched when the consumer stopped). */
  private returned = 0;
  private consuming = false;
  private stopping = false;

  constructor(
    private readonly orchestrator: Orchestrator,
    readonly queue: string,
    private readonly handler: RunHandler,
    readonly options: ResolvedConsumerOptions,
    private readonly events: JobEvents,
    name = 'QueueWorker',
  ) {
    this.logger = new Logger(`${name}(${queue})`);
    this.leases = new LeaseKeeper(orchestrator.backend, options.leaseMs, this.logger);
  }

  get activeCount(): number {
    return this.running.size;
  }

  get isConsuming(): boolean {
    return this.consuming;
  }

  /**
   * Takes and settles `limit` jobs (waiting for them as needed), or consumes until `stop()` when no
   * limit is given. With `untilEmpty` it returns once no job is waiting and none is running.
   * Resolves with how many jobs it took and settled.
   */
  async consume(limit?: number, untilEmpty = false): Promise<number> {
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
      throw new InvalidOptionError(`consume on "${this.queue}"`, 'numMessages', `must be a whole number >= 0, got ${String(limit)}`);
    }
    if (this.consuming) throw new ConsumerStateError(`Consumer of "${this.queue}" is already consuming — await the running consume() or call stop() first`);
    this.consuming = true;
    this.stopping = false;
    this.fetchAbort = new AbortController();
    this.budget = limit ?? Infinity;
    this.taken = 0;
    this.returned = 0;
    const backend = this.orchestrator.backend;
    const { concurrency, prefetch } = this.options;
    let failures = 0;
    try {
      while (!this.stopping) {
        while (this.runs < concurrency && this.prefetched.length > 0) this.start(this.prefetched.shift()!);
        if (this.taken >= this.budget && this.prefetched.length === 0) break;
        const capacity = Math.min(concurrency + prefetch - this.running.size - this.prefetched.length, this.budget - this.taken);
        // Take more when a slot is free and nothing waits for it, or, with a prefetch, when the jobs
        // taken ahead run low. Fetching ahead never blocks: a slot that frees meanwhile must not wait.
        const ahead = this.prefetched.length > 0 || this.runs >= concurrency;
        if (capacity <= 0 || (ahead && this.prefetched.length > prefetch / 2)) {
          await this.nextEvent();
          continue;
        }
        let deliveries: Delivery[];
        try {
          this.fetching = true;
          deliveries = await backend.fetch(this.queue, capacity, { wait: !untilEmpty && !ahead, signal: this.fetchAbort.signal, leaseMs: this.options.leaseMs });
          failures = 0;
        } catch (err) {
          if (err instanceof JobsError) throw err;
          // A connection problem: wait and try again, so a worker outlives a broker restart.
          const delay = RECONNECT_DELAYS_MS[Math.min(failures++, RECONNECT_DELAYS_MS.length - 1)];
          this.logger.warn(`fetch failed (${(err as Error).message}); retrying in ${delay} ms`);
          await sleep(delay, this.fetchAbort.signal);
          continue;
        } finally {
          this.fetching = false;
        }
        if (deliveries.length > 0) {
          this.taken += deliveries.length;
          for (const delivery of deliveries) this.leases.hold(delivery);
          this.prefetched.push(...deliveries);
          continue;
        }
        if (ahead) {
          // Nothing more to take ahead: try again when a run ends, not before.
          await this.nextEvent();
          continue;
        }
        if (!untilEmpty) continue;
        if (this.running.size === 0) break;
        await this.nextEvent();
      }
    } finally {
      await Promise.all(this.running.keys());
      await this.releasePrefetched();
      this.consuming = false;
      this.fetchAbort = null;
    }
    return this.taken - this.returned;
  }

  /** Starts a taken job in a free slot. */
  private start(delivery: Delivery): void {
    this.runs++;
    const entry: Running = { delivery, controller: null, released: false, abandon: noop, runEnded: false };
    // One promise per job, settled by whichever comes first: the processing, or shutdown abandoning a
    // released run (Promise.race + finally cost four more promises and as many closures per job).
    const done = new Promise<void>((resolve, reject) => {
      let finished = false;
      const finish = (): boolean => {
        if (finished) return false;
        finished = true;
        this.running.delete(done);
        this.leases.forget(delivery);
        this.wakeLoop?.();
        return true;
      };
      entry.abandon = () => {
        if (finish()) resolve();
      };
      this.process(entry).then(
        () => {
          if (finish()) resolve();
        },
        (err: unknown) => {
          if (finish()) reject(err);
        },
      );
    });
    this.running.set(done, entry);
  }

  /** A run (and its output validation) ended: its slot is free, though its job may still be settling. */
  private runEnded(): void {
    this.runs--;
    this.wakeLoop?.();
  }

  /** Stops taking jobs; resolves when the running ones have settled. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.fetchAbort?.abort();
    this.wakeLoop?.();
    await Promise.all(this.running.keys());
    await this.releasePrefetched();
  }

  /** Jobs taken ahead but not started go back to the queue untouched (their attempt not counted). */
  private async releasePrefetched(): Promise<void> {
    const left = this.prefetched.splice(0);
    this.returned += left.length;
    await Promise.all(
      left.map(async (delivery) => {
        await this.settle(delivery, () => this.orchestrator.backend.release(delivery));
        this.leases.forget(delivery);
      }),
    );
  }

  /**
   * Stops taking jobs and waits up to `timeoutMs` for the running ones. Those still running then are
   * aborted and given back to the queue (their attempt not counted), so no taken job is lost.
   * Resolves true if everything finished in time.
   */
  async shutdown(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    this.fetchAbort?.abort();
    this.wakeLoop?.();
    if (this.running.size === 0) {
      await this.releasePrefetched();
      return true;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const outcome = await Promise.race([Promise.all(this.running.keys()), timedOut]);
    clearTimeout(timer);
    if (outcome !== 'timeout') {
      await this.releasePrefetched();
      return true;
    }
    // Runs still going are given back; jobs whose run ended are being settled and finish that.
    const left = [...this.running.values()].filter((entry) => !entry.runEnded);
    this.logger.warn(`shutdown timeout of ${timeoutMs} ms passed with ${left.length} job(s) running; giving them back to the queue`);
    await Promise.all([
      ...left.map(async (entry) => {
        entry.released = true;
        controllerOf(entry).abort(new ConsumerStateError(`Consumer of "${this.queue}" is shutting down`));
        await this.settle(entry.delivery, () => this.orchestrator.backend.release(entry.delivery));
        entry.abandon();
      }),
      this.releasePrefetched(),
    ]);
    await Promise.all(this.running.keys());
    return false;
  }

  /** Waits until a run ends, a job settles, or stop() is called. */
  private nextEvent(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeLoop = () => {
        this.wakeLoop = null;
        resolve();
      };
    });
  }

  private async process(entry: Running): Promise<void> {
    const endRun = (): void => {
      if (entry.runEnded) return;
      entry.runEnded = true;
      this.runEnded();
    };
    try {
      await this.runAndSettle(entry, endRun);
    } finally {
      endRun();
    }
  }

  /** Validates the input, runs the handler, validates its output, then (after `endRun`) settles. */
  private async runAndSettle(entry: Running, endRun: () => void): Promise<void> {
    const { delivery } = entry;
    const record = delivery.job;
    const stalls = delivery.stalls ?? 0;
    if (stalls > this.options.maxStalls) {
      // Its earlier holders died with it: running it again would likely take this worker down too.
      endRun();
      await this.fail(entry, new JobStalledError(this.queue, record.id, stalls, this.options.maxStalls), true);
      return;
    }
    this.emit('active', { queue: this.queue, job: record });

    const schema = this.orchestrator.schemaFor(this.queue);
    let payload: unknown;
    try {
      payload = schema ? toValidDto(schema.input, record.payload, schema.name, 'input') : record.payload;
    } catch (err) {
      // A payload that fails validation will fail every time: dead-letter it without retrying.
      endRun();
      await this.fail(entry, err, true);
      return;
    }

    let timer: NodeJS.Timeout | undefined;
    let output: unknown;
    try {
      const context: RunContext = {
        queue: this.queue,
        get signal() {
          return controllerOf(entry).signal;
        },
      };
      // The handler runs in a later microtask, never inside start(); a synchronous throw lands in the
      // catch below like a rejection, and a synchronous result is not wrapped in promises.
      await undefined;
      let result = this.handler(Job.fromRecord(record, payload), context);
      const timeout = this.options.timeout;
      if (timeout === undefined) {
        if (isThenable(result)) result = await result;
      } else {
        result = await Promise.race([
          result,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              const error = new JobTimeoutError(this.queue, record.id, timeout);
              controllerOf(entry).abort(error);
              reject(error);
            }, timeout);
          }),
        ]);
      }
      if (entry.released) return;
      output = schema?.output ? dtoToPlain(toValidDto(schema.output, result ?? {}, schema.name, 'output')) : asJson(result);
    } catch (err) {
      if (entry.released) return;
      endRun();
      await this.fail(entry, err, err instanceof UnrecoverableError);
      return;
    } finally {
      clearTimeout(timer);
    }
    endRun();
    try {
      await this.complete(delivery, output);
    } catch (err) {
      this.settleFailed(delivery, err);
      return;
    }
    this.emit('completed', { queue: this.queue, job: record, result: output });
  }

  /**
   * Completes a job. Without a prefetch, a slot frees only once its job is settled, and the loop would
   * then fetch for it: one round trip after the other. When the loop is not fetching already and the
   * backend can, the completion asks for the next job itself (completeAndFetch), which the Redis
   * backend sends in the same script call as the batch of completions it joins: one round trip per
   * batch instead of two (serial consumer: 3.5k -> 5.5k jobs/s when it was introduced). With a
   * prefetch the loop has taken the next jobs already.
   */
  private async complete(delivery: Delivery, output: unknown): Promise<void> {
    const backend = this.orchestrator.backend;
    const wanted =
      this.options.prefetch === 0 && this.consuming && !this.stopping && !this.fetching && this.prefetched.length === 0 && this.taken + this.refills < this.budget;
    if (!wanted || !backend.completeAndFetch) return backend.complete(delivery, output);
    this.refills++;
    let next: Delivery[];
    try {
      next = await backend.completeAndFetch(delivery, output, { max: 1, leaseMs: this.options.leaseMs });
    } finally {
      this.refills--;
    }
    if (next.length === 0) return;
    this.taken += next.length;
    for (const taken of next) this.leases.hold(taken);
    this.prefetched.push(...next);
  }

  private async fail(entry: Running, error: unknown, unrecoverable: boolean): Promise<void> {
    const { delivery } = entry;
    const failure = failureOf(error, delivery.job.attempt);
    const backend = this.orchestrator.backend;
    this.emit('failed', { queue: this.queue, job: delivery.job, error: failure });
    if (unrecoverable || delivery.job.attempt >= this.options.attempts) {
      if (await this.settle(delivery, () => backend.deadLetter(delivery, failure))) {
        this.emit('dead', { queue: this.queue, job: delivery.job, error: failure });
      }
      return;
    }
    const delayMs = backoffDelay(this.options.backoff, delivery.job.attempt, error);
    if (await this.settle(delivery, () => backend.retry(delivery, failure, delayMs))) {
      this.emit('retrying', { queue: this.queue, job: delivery.job, error: failure, delayMs });
    }
  }

  /** Settles a delivery; a failure to settle is logged, since the backend will hand the job out again. */
  private async settle(delivery: Delivery, step: () => Promise<void>): Promise<boolean> {
    try {
      await step();
      return true;
    } catch (err) {
      this.settleFailed(delivery, err);
      return false;
    }
  }

  private settleFailed(delivery: Delivery, err: unknown): void {
    const why = err instanceof LeaseLostError ? err.message : `could not settle job ${delivery.job.id}: ${(err as Error).message}`;
    this.logger.error(`${why} — it will be delivered again`);
  }

  private emit<K extends JobEventType>(type: K, event: JobEventMap[K]): void {
    this.events.emit(type, event);
    this.orchestrator.events.emit(type, event);
  }
}

function noop(): void {}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

function controllerOf(entry: Running): AbortController {
  return (entry.controller ??= new AbortController());
}

/** A result must survive the wire: plain JSON, detached from the objects the run still holds. */
function asJson(result: unknown): unknown {
  return result === undefined ? null : JSON.parse(JSON.stringify(result));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
