import { Logger } from '../logger/logger';
import type { Delivery } from '../backend/job-backend.interface';
import { InvalidOptionError, JobsError, JobStalledError, JobTimeoutError, ConsumerStateError, UnrecoverableError, LeaseLostError } from '../errors';
import { Job } from '../job/job';
import { dtoToWire, toValidDto, unvalidatedPayload } from '../job/dto-validation';
import { validationErrorOf } from '../job/payload-violation';
import { schemaNamed } from '../job/schema-registry';
import { toWireJson } from '../job/wire-json';
import type { JobEventMap, JobEvents, JobEventType } from '../orchestrator/job-events';
import type { Orchestrator } from '../orchestrator/orchestrator';
import { AbandonedRuns } from './abandoned-runs';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff';
import { wasGiven, type ResolvedConsumerOptions } from './consumer-options';
import { failureOf } from './job-failure';
import { LeaseKeeper } from './lease-keeper';

/** What a run gets besides the job. */
export interface RunContext {
  queue: string;
  /**
   * Fires when the run's timeout passes, its lease is lost (reason: LeaseLostError) or a shutdown
   * gives up waiting; stop work when it does.
   */
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
  /** Set when the run outlived its timeout: its job is failed at once, its slot waits for the run (up to timeoutGrace). */
  overrun: Overrun | null;
}

/** A run that timed out and has not returned yet. */
interface Overrun {
  timedOutAt: number;
  /** Resolves when the handler returns or throws, whatever it gives. */
  ended: Promise<void>;
  done: boolean;
  /** The settle of its job (failed with JobTimeoutError), once begun. */
  settling: Promise<void> | null;
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
  /** Deliveries whose lease the backend says we lost: never settled by us, reported once. */
  private readonly lost = new WeakSet<Delivery>();
  private readonly abandoned: AbandonedRuns;

  constructor(
    private readonly orchestrator: Orchestrator,
    readonly queue: string,
    private readonly handler: RunHandler,
    readonly options: ResolvedConsumerOptions,
    private readonly events: JobEvents,
    name = 'QueueWorker',
  ) {
    this.logger = new Logger(`${name}(${queue})`);
    this.leases = new LeaseKeeper(orchestrator.backend, options.leaseMs, this.logger, (delivery, error) => this.leaseLost(delivery, error));
    this.abandoned = new AbandonedRuns(options.maxAbandonedRuns, queue, this.logger, () => this.wakeLoop?.());
    const backend = orchestrator.backend;
    if (wasGiven(options, 'maxStalls') && !backend.capabilities.stallCount) {
      this.logger.warn(
        `maxStalls (${options.maxStalls}) has no effect on queue "${queue}": ${backend.name} does not count stalls ` +
          `(capabilities.stallCount), so no job is dead-lettered for stalling — see "Backends" in the README`,
      );
    }
  }

  get activeCount(): number {
    return this.running.size;
  }

  get isConsuming(): boolean {
    return this.consuming;
  }

  /**
   * Runs given up on after `timeout + timeoutGrace` that have not returned yet: each is a handler
   * ignoring its AbortSignal. At `maxAbandonedRuns` the worker takes no more jobs until one returns.
   */
  get abandonedRuns(): number {
    return this.abandoned.count;
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
        if (this.abandoned.isFull) {
          // Too many runs that hang are still going: take nothing (and hold nothing) until one returns.
          this.abandoned.reportFull();
          await this.releasePrefetched();
          // Checked again: one may have returned while the prefetched jobs went back.
          if (this.abandoned.isFull) await this.nextEvent();
          continue;
        }
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
    const entry: Running = { delivery, controller: null, released: false, abandon: noop, runEnded: false, overrun: null };
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
        if (entry.overrun) {
          // Timed out, its job failed already: only its run goes on, and nothing is left to give back.
          await entry.overrun.settling;
          entry.abandon();
          return;
        }
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

    // The queue's registered schema; else one made in this process under the queue's name (register()
    // names queues after schemas), so a job cannot dodge it by naming another; else the job's own.
    const schema = this.orchestrator.schemaFor(this.queue) ?? schemaNamed(this.queue) ?? schemaNamed(record.schemaName);
    let payload: unknown;
    try {
      payload = schema ? toValidDto(schema.input, record.payload, schema.name, 'input') : unvalidatedPayload(record.payload, record.schemaName);
    } catch (err) {
      // A payload that fails validation will fail every time: dead-letter it without retrying.
      endRun();
      await this.fail(entry, err, true);
      return;
    }

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
      if (isThenable(result)) {
        const timeout = this.options.timeout;
        result = await (timeout === undefined ? result : this.withinTimeout(entry, result, timeout));
      }
      if (entry.released || this.lost.has(delivery)) return;
      output = schema?.output
        ? dtoToWire(toValidDto(schema.output, result ?? {}, schema.name, 'output'), schema.name, 'output').value
        : resultAsJson(result, schema?.name ?? record.schemaName);
    } catch (err) {
      const overrun = entry.overrun;
      // Given back at shutdown, or taken from us with the lease: the job is no longer ours to settle.
      const ours = !entry.released && !this.lost.has(delivery);
      if (ours && (!overrun || overrun.done)) {
        endRun();
        await this.fail(entry, err, err instanceof UnrecoverableError);
        return;
      }
      if (overrun) await this.outlived(entry, overrun, err, ours);
      return;
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
   * A run that timed out and has not returned: its job fails now, but its slot stays taken until the
   * run returns, or a handler that ignores its signal would let more than `concurrency` runs go on at
   * once — for `timeoutGrace` at most: then the run is abandoned (counted until it returns) and its
   * slot given back, so one run that never returns cannot stop the queue, nor stop() and close().
   * A late return is logged either way, since it is a handler to fix.
   */
  private async outlived(entry: Running, overrun: Overrun, timeoutError: unknown, ours: boolean): Promise<void> {
    const { delivery } = entry;
    if (ours) {
      overrun.settling = this.fail(entry, timeoutError, false);
      await overrun.settling;
      this.leases.forget(delivery);
    }
    if (overrun.done) return;
    const { timeout, timeoutGrace } = this.options;
    if (!(await endsWithin(overrun.ended, overrun.timedOutAt + timeoutGrace - Date.now()))) {
      this.abandoned.add(delivery.job.id, timeout as number, timeoutGrace, overrun.ended, overrun.timedOutAt);
      return;
    }
    this.logger.warn(
      `the run of job ${delivery.job.id} on queue "${this.queue}" returned ${Date.now() - overrun.timedOutAt} ms after its timeout of ` +
        `${String(this.options.timeout)} ms (its result is discarded: the job had failed with JobTimeoutError) and held its ` +
        'concurrency slot until then — make run stop when context.signal aborts',
    );
  }

  /**
   * The run's outcome, or JobTimeoutError once `timeout` passes: then the run's signal aborts and
   * `entry.overrun` tracks the run until it returns (its late outcome is ignored).
   */
  private withinTimeout(entry: Running, run: PromiseLike<unknown>, timeout: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let overrunEnded = noop;
      const timer = setTimeout(() => {
        let end = noop;
        const overrun: Overrun = { timedOutAt: Date.now(), ended: new Promise<void>((r) => (end = r)), done: false, settling: null };
        overrunEnded = () => {
          overrun.done = true;
          end();
        };
        entry.overrun = overrun;
        const error = new JobTimeoutError(this.queue, entry.delivery.job.id, timeout);
        controllerOf(entry).abort(error);
        reject(error);
      }, timeout);
      const ended = (outcome: () => void): void => {
        clearTimeout(timer);
        if (entry.overrun) overrunEnded();
        else outcome();
      };
      run.then(
        (value) => ended(() => resolve(value)),
        (err: unknown) => ended(() => reject(err)),
      );
    });
  }

  /**
   * The backend says we no longer hold this delivery. A prefetched job is dropped (it was never
   * started); a running one has its signal aborted with the LeaseLostError. Either way nothing
   * settles it here: the backend hands it out again.
   */
  private leaseLost(delivery: Delivery, error: LeaseLostError): void {
    const waiting = this.prefetched.indexOf(delivery);
    const entry = waiting >= 0 ? undefined : [...this.running.values()].find((e) => e.delivery === delivery);
    // Being settled (or given back) already: that settle tells whether the job was still ours.
    if (waiting < 0 && (!entry || entry.runEnded || entry.overrun)) return;
    if (this.lost.has(delivery)) return;
    this.lost.add(delivery);
    // Not ours after all: consume(n) counts the jobs it settled, and may take another in its place.
    this.taken--;
    if (entry) {
      controllerOf(entry).abort(error);
      this.logger.warn(`${error.message}; its run is aborted and its outcome will not be settled — the backend delivers it again`);
      return;
    }
    this.prefetched.splice(waiting, 1);
    this.logger.warn(`${error.message}; it had been taken ahead and not started, and is left to the backend to deliver again`);
    this.wakeLoop?.();
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
    // The loop may be blocked in a fetch for a slot freed meanwhile: it would see these only when that
    // fetch returns (on Redis, up to 10 s later). Start them now if a run slot is free.
    if (this.fetching && !this.stopping) {
      while (this.runs < this.options.concurrency && this.prefetched.length > 0) this.start(this.prefetched.shift()!);
    }
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
    const delayMs = this.retryDelay(delivery, error);
    if (await this.settle(delivery, () => backend.retry(delivery, failure, delayMs))) {
      this.emit('retrying', { queue: this.queue, job: delivery.job, error: failure, delayMs });
    }
  }

  /**
   * The wait before a retry. A backoff function that throws is a bug in the consumer, not in the job:
   * like Sidekiq's `retry_in`, the job keeps its remaining attempts under the default backoff, and
   * the error is logged — it must never leave the job unsettled.
   */
  private retryDelay(delivery: Delivery, error: unknown): number {
    const attempt = delivery.job.attempt;
    try {
      return backoffDelay(this.options.backoff, attempt, error);
    } catch (thrown) {
      const delayMs = backoffDelay(DEFAULT_BACKOFF, attempt, error);
      const why = thrown instanceof Error ? thrown.message : String(thrown);
      this.logger.error(
        `the backoff function of the consumer of queue "${this.queue}" threw for job ${delivery.job.id} (attempt ${attempt}): ${why}; ` +
          `retrying the job after the default backoff (${delayMs} ms) instead — fix the backoff function`,
      );
      return delayMs;
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
    if (this.lost.has(delivery)) return; // reported when the lease was lost
    if (err instanceof LeaseLostError) {
      this.lost.add(delivery);
      this.logger.error(`${err.message} — it will be delivered again`);
      return;
    }
    this.logger.error(`could not settle job ${delivery.job.id} on queue "${this.queue}": ${(err as Error).message} — it will be delivered again`);
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

/** Whether `ended` resolves within `ms` (at once if it already has, or when `ms` is not positive). */
function endsWithin(ended: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(ms, 0));
    // Bounded by timeoutGrace; must not keep a process that has nothing else to do alive.
    timer.unref();
    void ended.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
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
