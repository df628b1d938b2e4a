import { Logger } from '@nestjs/common';
import type { Delivery } from '../backend/job-backend.interface';
import { InvalidOptionError, JobsError, JobTimeoutError, ConsumerStateError, UnrecoverableError, LeaseLostError } from '../errors';
import { Job } from '../job/job';
import { dtoToPlain, toValidDto } from '../job/dto-validation';
import type { JobEventMap, JobEvents, JobEventType } from '../orchestrator/job-events';
import type { Orchestrator } from '../orchestrator/orchestrator';
import { backoffDelay } from './backoff';
import type { ResolvedConsumerOptions } from './consumer-options';
import { failureOf } from './job-failure';

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
}

const RECONNECT_DELAYS_MS = [100, 250, 500, 1000, 2000, 5000];

/**
 * The engine behind every consumer, standalone or Nest: fetches jobs (blocking, never polling), runs
 * up to `concurrency` at once, validates input and output, and settles each job exactly once —
 * completed, retried after its backoff, or dead-lettered with its error.
 */
export class QueueWorker {
  private readonly logger: Logger;
  private readonly running = new Map<Promise<void>, Running>();
  private fetchAbort: AbortController | null = null;
  /** Resolves the consume loop's wait for a free slot when a running job settles. */
  private slotFreed: (() => void) | null = null;
  /** Jobs taken in the same round trip as a completion (completeAndFetch), for the loop to start next. */
  private readonly prefetched: Delivery[] = [];
  private fetching = false;
  /** Jobs this consume() may still start, and has started. */
  private budget = Infinity;
  private taken = 0;
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
    const backend = this.orchestrator.backend;
    const concurrency = this.options.concurrency;
    let failures = 0;
    try {
      while (!this.stopping && this.taken < this.budget) {
        if (this.running.size >= concurrency) {
          await this.nextSettle();
          continue;
        }
        const want = Math.min(concurrency - this.running.size, this.budget - this.taken);
        let deliveries: Delivery[];
        if (this.prefetched.length > 0) {
          deliveries = this.prefetched.splice(0, want);
        } else {
          try {
            this.fetching = true;
            deliveries = await backend.fetch(this.queue, want, { wait: !untilEmpty, signal: this.fetchAbort.signal, leaseMs: this.options.leaseMs });
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
        }
        if (deliveries.length === 0) {
          if (!untilEmpty) continue;
          if (this.running.size === 0 && this.prefetched.length === 0) break;
          if (this.running.size > 0) await this.nextSettle();
          continue;
        }
        for (const delivery of deliveries) {
          this.taken++;
          const entry: Running = { delivery, controller: null, released: false, abandon: () => undefined };
          const abandoned = new Promise<void>((resolve) => (entry.abandon = resolve));
          const done: Promise<void> = Promise.race([this.process(entry), abandoned]).finally(() => {
            this.running.delete(done);
            this.slotFreed?.();
          });
          this.running.set(done, entry);
        }
      }
    } finally {
      await Promise.all(this.running.keys());
      await this.releasePrefetched();
      this.consuming = false;
      this.fetchAbort = null;
    }
    return this.taken;
  }

  /** Stops taking jobs; resolves when the running ones have settled. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.fetchAbort?.abort();
    await Promise.all(this.running.keys());
    await this.releasePrefetched();
  }

  /** Jobs taken ahead but not started go back to the queue untouched (their attempt not counted). */
  private async releasePrefetched(): Promise<void> {
    const left = this.prefetched.splice(0);
    await Promise.all(left.map((delivery) => this.settle(delivery, () => this.orchestrator.backend.release(delivery))));
  }

  /**
   * Stops taking jobs and waits up to `timeoutMs` for the running ones. Those still running then are
   * aborted and given back to the queue (their attempt not counted), so no taken job is lost.
   * Resolves true if everything finished in time.
   */
  async shutdown(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    this.fetchAbort?.abort();
    if (this.running.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const outcome = await Promise.race([Promise.all(this.running.keys()), timedOut]);
    clearTimeout(timer);
    if (outcome !== 'timeout') {
      await this.releasePrefetched();
      return true;
    }
    const left = [...this.running.values()];
    this.logger.warn(`shutdown timeout of ${timeoutMs} ms passed with ${left.length} job(s) running; giving them back to the queue`);
    await Promise.all(
      left.map(async (entry) => {
        entry.released = true;
        controllerOf(entry).abort(new ConsumerStateError(`Consumer of "${this.queue}" is shutting down`));
        await this.settle(entry.delivery, () => this.orchestrator.backend.release(entry.delivery));
        entry.abandon();
      }),
    );
    return false;
  }

  private nextSettle(): Promise<void> {
    return new Promise((resolve) => {
      this.slotFreed = () => {
        this.slotFreed = null;
        resolve();
      };
    });
  }

  private async process(entry: Running): Promise<void> {
    const { delivery } = entry;
    const record = delivery.job;
    const backend = this.orchestrator.backend;
    this.emit('active', { queue: this.queue, job: record });

    const schema = this.orchestrator.schemaFor(this.queue);
    let payload: unknown;
    try {
      payload = schema ? toValidDto(schema.input, record.payload, schema.name, 'input') : record.payload;
    } catch (err) {
      // A payload that fails validation will fail every time: dead-letter it without retrying.
      await this.fail(entry, err, true);
      return;
    }

    const stopLease = this.keepLease(delivery);
    let timer: NodeJS.Timeout | undefined;
    try {
      const context: RunContext = {
        queue: this.queue,
        get signal() {
          return controllerOf(entry).signal;
        },
      };
      const run = Promise.resolve().then(() => this.handler(Job.fromRecord(record, payload), context));
      const timeout = this.options.timeout;
      const result = await (timeout === undefined
        ? run
        : Promise.race([
            run,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => {
                const error = new JobTimeoutError(this.queue, record.id, timeout);
                controllerOf(entry).abort(error);
                reject(error);
              }, timeout);
            }),
          ]));
      if (entry.released) return;
      const output = schema?.output ? dtoToPlain(toValidDto(schema.output, result ?? {}, schema.name, 'output')) : asJson(result);
      if (await this.settle(delivery, () => this.complete(delivery, output))) {
        this.emit('completed', { queue: this.queue, job: record, result: output });
      }
    } catch (err) {
      if (entry.released) return;
      await this.fail(entry, err, err instanceof UnrecoverableError);
    } finally {
      clearTimeout(timer);
      stopLease();
    }
  }

  /**
   * Completes a job. When it is the only one running — the loop would then fetch for its slot alone —
   * and the backend can, the next job comes back in the same round trip. With more running, the
   * loop's own fetches take several jobs per round trip, which measured faster (Redis, c=50: 10.1k
   * against 8.6k jobs/s; c=1: 2.2k against 3.5k the other way round).
   */
  private async complete(delivery: Delivery, output: unknown): Promise<void> {
    const backend = this.orchestrator.backend;
    const wanted =
      backend.completeAndFetch && this.running.size === 1 && this.consuming && !this.stopping && !this.fetching && this.prefetched.length === 0 && this.taken < this.budget;
    if (!wanted || !backend.completeAndFetch) return backend.complete(delivery, output);
    const next = await backend.completeAndFetch(delivery, output, { max: 1, leaseMs: this.options.leaseMs });
    if (next.length === 0) return;
    this.prefetched.push(...next);
    this.slotFreed?.();
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
      const why = err instanceof LeaseLostError ? err.message : `could not settle job ${delivery.job.id}: ${(err as Error).message}`;
      this.logger.error(`${why} — it will be delivered again`);
      return false;
    }
  }

  /** For backends whose deliveries expire: keep the lease alive while the run goes on. */
  private keepLease(delivery: Delivery): () => void {
    const backend = this.orchestrator.backend;
    if (!backend.capabilities.leases) return () => undefined;
    const leaseMs = this.options.leaseMs;
    const interval = setInterval(() => {
      backend.extendLease(delivery, leaseMs).catch((err: Error) => this.logger.warn(`could not extend the lease of job ${delivery.job.id}: ${err.message}`));
    }, Math.max(Math.floor(leaseMs / 3), 1));
    interval.unref();
    return () => clearInterval(interval);
  }

  private emit<K extends JobEventType>(type: K, event: JobEventMap[K]): void {
    this.events.emit(type, event);
    this.orchestrator.events.emit(type, event);
  }
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
