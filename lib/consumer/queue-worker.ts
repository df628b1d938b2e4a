import type { Delivery } from '../backend/job-backend.interface';
import { ConsumerStateError, InvalidOptionError, TransientBackendError, type LeaseLostError } from '../errors';
import { Logger } from '../logger/logger';
import type { JobEvents } from '../orchestrator/job-events';
import type { Orchestrator } from '../orchestrator/orchestrator';
import { AbandonedRuns } from './abandoned-runs';
import { ConsumerLoopStatus } from './consumer-loop-status';
import { wasGiven, type ResolvedConsumerOptions } from './consumer-options';
import type { HeldJob, HeldJobState } from './held-job';
import { HeldJobs } from './held-jobs';
import { JobSettler } from './job-settler';
import { LeaseKeeper } from './lease-keeper';
import { RunPipeline, type RunHandler } from './run-pipeline';
import { ScheduleAdvancer } from '../schedule/schedule-advancer';
import { TakeAhead } from './take-ahead';
import { requireCapability } from '../orchestrator/required-capability';

export type { RunContext, RunHandler } from './run-pipeline';

const RECONNECT_DELAYS_MS = [100, 250, 500, 1000, 2000, 5000];

/**
 * With prefetch 'auto': when no run slot has freed for this long while jobs wait taken ahead, those jobs
 * go back to the queue (another worker may be idle) — the runs turned long after the mean said short.
 * Longer than the work 'auto' takes ahead (AHEAD_WORK_MS), so runs as short as the mean said never trip it.
 */
const STUCK_AHEAD_MS = 50;

/**
 * The engine behind every consumer, standalone or Nest: fetches jobs (blocking, never polling), runs
 * up to `concurrency` at once through the RunPipeline (input validation, run, output validation,
 * outcome), and settles each job exactly once — completed, retried after its backoff, or
 * dead-lettered with its error.
 *
 * Each job taken is one HeldJob whose state (prefetched, running, settling…) says where it stands;
 * the counts the loop reads derive from those states (HeldJobs). `concurrency` bounds the runs;
 * `concurrency + prefetch` bounds the jobs held, so with a prefetch the next runs start while earlier
 * ones are still being settled. This file is the fetch/dispatch loop and its stopping.
 */
export class QueueWorker {
  private readonly logger: Logger;
  private readonly jobs: HeldJobs;
  private readonly leases: LeaseKeeper;
  private readonly settler: JobSettler;
  private readonly abandoned: AbandonedRuns;
  private readonly pipeline: RunPipeline;
  /** Moves a schedule on when this worker takes one of its occurrences. */
  private readonly schedules: ScheduleAdvancer;
  private fetchAbort: AbortController | null = null;
  /** Resolves the consume loop's wait when a slot or a held job frees, or stop() is called. */
  private wakeLoop: (() => void) | null = null;
  /** A wake-up that came while the loop was not waiting (a fetch in flight): its next wait returns at once. */
  private woken = false;
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
  /** Until when a run of this worker held the queue (RateLimitedError), epoch ms. */
  private heldUntil = 0;
  /** How many jobs to take ahead of the free slots: the prefetch option, fixed or following the runs ('auto'). */
  private readonly takeAhead: TakeAhead;
  /** With 'auto', watches jobs taken ahead behind runs that hold every slot (see STUCK_AHEAD_MS). */
  private stuckWatch: NodeJS.Timeout | null = null;
  /** Jobs that watch is giving back: consume() ends only once they are back. */
  private givingBack: Promise<void> = Promise.resolve();
  /** What health checks read about this loop; watched by the orchestrator from the first consume(). */
  private readonly loop: ConsumerLoopStatus;
  private unwatchLoop: (() => void) | null = null;

  constructor(
    private readonly orchestrator: Orchestrator,
    readonly queue: string,
    handler: RunHandler,
    readonly options: ResolvedConsumerOptions,
    events: JobEvents,
    name = 'QueueWorker',
  ) {
    const logger = (this.logger = new Logger(`${name}(${queue})`));
    const backend = orchestrator.backend;
    const leases = (this.leases = new LeaseKeeper(backend, options.leaseMs, logger, (delivery, error) => this.leaseLost(delivery, error)));
    // 'auto' takes ahead only where a job taken ahead and never started counts no stall (the backend
    // marks it started: startTakenAhead), and not under a rate limit (it would start outside its window).
    const takeAhead = (this.takeAhead = new TakeAhead(
      options.prefetch,
      options.concurrency,
      backend.startTakenAhead !== undefined && options.rateLimit === undefined,
    ));
    const jobs = (this.jobs = new HeldJobs(
      () => this.wake(),
      (delivery) => leases.forget(delivery),
      takeAhead.adaptive ? (ms) => takeAhead.ran(ms) : null,
    ));
    const settler = (this.settler = new JobSettler(backend, queue, options, logger, [events, orchestrator.events]));
    const abandoned = (this.abandoned = new AbandonedRuns(options.maxAbandonedRuns, queue, logger, jobs));
    const complete = (delivery: Delivery, output: unknown) => this.complete(delivery, output);
    // Given back by a rate-limited run: not settled, so consume(n) may take another in its place.
    // The queue is being held: jobs taken ahead must not start before its end either (they would call
    // what said back off); they go back to their places for whoever takes them after the hold.
    const holding = (heldUntil: number) => {
      this.heldUntil = Math.max(this.heldUntil, heldUntil);
      if (this.jobs.prefetched > 0) this.startGivingBack();
    };
    const released = (heldUntil: number) => {
      this.taken--;
      this.heldUntil = Math.max(this.heldUntil, heldUntil);
    };
    this.pipeline = new RunPipeline({
      orchestrator,
      queue,
      handler,
      options,
      jobs,
      settler,
      leases,
      abandoned,
      logger,
      complete,
      holding,
      released,
    });
    this.schedules = new ScheduleAdvancer(backend, queue, logger);
    this.loop = new ConsumerLoopStatus(
      queue,
      name,
      options.concurrency,
      () => jobs.held + jobs.prefetched,
      () => jobs.abandoned,
      options.maxAbandonedRuns,
    );
    if (wasGiven(options, 'maxStalls') && !backend.capabilities.stallCount) {
      logger.warn(
        `maxStalls (${options.maxStalls}) has no effect on queue "${queue}": ${backend.name} does not count stalls ` +
          `(capabilities.stallCount), so no job is dead-lettered for stalling — see "Backends" in the README`,
      );
    }
  }

  /** Started jobs not settled yet. */
  get activeCount(): number {
    return this.jobs.held;
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
   * limit is given. With `untilEmpty` it returns once no job is waiting and none is running; with
   * `waitForWake` too, its first fetch waits until the backend wakes it (FetchOptions.returnOnWake).
   * Resolves with how many jobs it took and settled.
   */
  async consume(limit?: number, untilEmpty = false, waitForWake = false): Promise<number> {
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
      throw new InvalidOptionError(`consume on "${this.queue}"`, 'numMessages', `must be a whole number >= 0, got ${String(limit)}`);
    }
    if (this.consuming)
      throw new ConsumerStateError(`Consumer of "${this.queue}" is already consuming — await the running consume() or call stop() first`);
    if (this.options.rateLimit)
      requireCapability(this.orchestrator.backend, 'rateLimit', `the consumer option rateLimit (queue "${this.queue}")`);
    this.consuming = true;
    this.stopping = false;
    this.fetchAbort = new AbortController();
    this.budget = limit ?? Infinity;
    this.taken = 0;
    this.returned = 0;
    const backend = this.orchestrator.backend;
    const jobs = this.jobs;
    const concurrency = this.options.concurrency;
    const takeAhead = this.takeAhead;
    const loop = this.loop;
    this.unwatchLoop ??= this.orchestrator.watchLoop(loop);
    loop.running();
    // An operator's lines: a consumer that runs until stopped says when it starts and stops; a batch (consume(n)) does not.
    const endless = limit === undefined && !untilEmpty;
    if (endless)
      this.logger.log(
        `started consuming "${this.queue}" (concurrency ${concurrency}, prefetch ${takeAhead.describe()}) on ${backend.name}`,
      );
    let crashed = false;
    let crash: unknown;
    let failures = 0;
    // consumeUntilEmpty on a queue it could not take from: wait for a resume or a hold's end, pushed.
    let wakeFirst = untilEmpty && waitForWake;
    try {
      while (!this.stopping) {
        // Each pass reads the counts afresh, so a wake-up that came before it is answered.
        this.woken = false;
        if (this.abandoned.isFull) {
          // Too many runs that hang are still going: take nothing (and hold nothing) until one returns.
          this.abandoned.reportFull();
          await this.releasePrefetched();
          // Checked again: one may have returned while the prefetched jobs went back.
          if (this.abandoned.isFull) await this.nextEvent();
          continue;
        }
        this.startPrefetched();
        if (this.taken >= this.budget && jobs.prefetched === 0) {
          // Wait for the jobs still held: one given back unsettled (a rate-limited run) leaves room for another.
          if (jobs.held === 0) break;
          await this.nextEvent();
          continue;
        }
        const prefetch = takeAhead.size;
        const capacity = Math.min(concurrency + prefetch - jobs.held - jobs.prefetched, this.budget - this.taken);
        // Take more when a slot is free and nothing waits for it, or, with a prefetch, when the jobs
        // taken ahead run low. Fetching ahead never blocks: a slot that frees meanwhile must not wait.
        const ahead = jobs.prefetched > 0 || jobs.runs >= concurrency;
        if (capacity <= 0 || (ahead && jobs.prefetched > prefetch / 2)) {
          await this.nextEvent();
          continue;
        }
        let deliveries: Delivery[];
        const wakeFetch = wakeFirst;
        try {
          this.fetching = true;
          deliveries = await backend.fetch(this.queue, capacity, {
            wait: (!untilEmpty || wakeFetch) && !ahead,
            returnOnWake: wakeFetch,
            signal: this.fetchAbort.signal,
            leaseMs: this.options.leaseMs,
            rateLimit: this.options.rateLimit,
            // The rest wait for a slot: taken ahead, so an unstarted one whose lease runs out is no stall.
            startNow: Math.max(0, concurrency - jobs.runs - jobs.prefetched),
          });
          failures = 0;
          wakeFirst = false;
          if (loop.state === 'reconnecting') loop.running();
        } catch (err) {
          if (!(err instanceof TransientBackendError)) throw err;
          // The connection dropped as we stopped (the fetch was aborted): nothing to retry.
          if (this.stopping) break;
          loop.reconnecting(err);
          // A connection problem: wait and try again, so a worker outlives a broker restart.
          const delay = RECONNECT_DELAYS_MS[Math.min(failures++, RECONNECT_DELAYS_MS.length - 1)];
          this.logger.warn(`fetch failed (${(err as Error).message}); retrying in ${delay} ms`);
          await sleep(delay, this.fetchAbort.signal);
          continue;
        } finally {
          this.fetching = false;
        }
        if (deliveries.length > 0) {
          this.hold(deliveries);
          continue;
        }
        if (ahead) {
          // Nothing more to take ahead: try again when a run ends, not before.
          await this.nextEvent();
          continue;
        }
        // Woken with nothing (a resume others got to first): look again without waiting before the pass ends.
        if (!untilEmpty || wakeFetch) continue;
        if (jobs.held === 0) {
          const wait = await this.flowWait();
          if (wait === 0) break;
          await sleep(wait, this.fetchAbort.signal);
          continue;
        }
        await this.nextEvent();
      }
    } catch (err) {
      crashed = true;
      crash = err;
    }
    try {
      // A bug in the worker that reached no caller is raised here, unless the loop crashed first.
      await jobs.allSettled();
      await this.schedules.idle();
    } catch (err) {
      if (!crashed) {
        crashed = true;
        crash = err;
      }
    } finally {
      this.unwatchStuck();
      try {
        await this.givingBack;
        await this.releasePrefetched();
      } finally {
        this.consuming = false;
        this.fetchAbort = null;
        loop.ended(crashed ? crash : undefined);
      }
    }
    if (crashed) throw crash;
    if (endless) this.logger.log(`stopped consuming "${this.queue}" after settling ${this.taken - this.returned} job(s)`);
    // A bounded consume that ended is done, not dead; an endless one that stopped, or any that crashed, stays in view.
    if (limit !== undefined || untilEmpty) this.forgetLoop();
    return this.taken - this.returned;
  }

  /** Takes this worker's loop out of the orchestrator's health checks (its consumer is closed). */
  forgetLoop(): void {
    this.unwatchLoop?.();
    this.unwatchLoop = null;
  }

  /** Stops taking jobs; resolves when the running ones have settled. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.fetchAbort?.abort();
    this.wake();
    // A bug in the worker is consume()'s to raise: stopping must still let close() close the backend.
    await this.jobs.noneHeld();
    await this.givingBack;
    await this.releasePrefetched();
    await this.schedules.idle();
  }

  /**
   * Stops taking jobs and waits up to `timeoutMs` for the running ones. Those still running then are
   * aborted and given back to the queue (their attempt not counted), so no taken job is lost.
   * Resolves true if everything finished in time.
   */
  async shutdown(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    this.fetchAbort?.abort();
    this.wake();
    if (this.jobs.held === 0) {
      await this.releasePrefetched();
      return true;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    let outcome: void | 'timeout';
    try {
      outcome = await Promise.race([this.jobs.noneHeld(), timedOut]);
    } finally {
      clearTimeout(timer);
    }
    if (outcome !== 'timeout') {
      await this.releasePrefetched();
      return true;
    }
    // Runs still going are given back; jobs whose run ended are being settled and finish that.
    const left = this.jobs.inState('running', 'overrun', 'lost');
    this.logger.warn(`shutdown timeout of ${timeoutMs} ms passed with ${left.length} job(s) running; giving them back to the queue`);
    await Promise.all([...left.map((job) => this.letGoAtShutdown(job)), this.releasePrefetched()]);
    await this.jobs.noneHeld();
    return false;
  }

  /** Stops waiting for a run at shutdown: its job goes back to the queue unless it is settled or not ours. */
  private async letGoAtShutdown(job: HeldJob): Promise<void> {
    if (job.state === 'overrun') {
      // Timed out, its job failed already: only its run goes on, and nothing is left to give back.
      await job.overrun!.failing;
      if (job.state === 'overrun') this.jobs.move(job, 'released');
      return;
    }
    if (job.state === 'lost') {
      // The backend took it back: nothing to give back, only its run to stop waiting for.
      this.jobs.move(job, 'released');
      return;
    }
    this.jobs.move(job, 'releasing');
    // Given back, not settled: consume() does not count it (leaseLost leaves `taken` alone for it).
    this.returned++;
    job.abort(new ConsumerStateError(`Consumer of "${this.queue}" is shutting down`));
    await this.settler.release(job);
    // Meanwhile its run may have returned, its lease been lost, or its grace passed.
    const state = job.state as HeldJobState;
    if (state === 'releasing' || state === 'lost') this.jobs.move(job, 'released');
  }

  /**
   * Starts prefetched jobs while run slots are free. One the backend took ahead is marked started
   * first (sent before its run sends anything), so only a run that started can count as a stall.
   */
  private startPrefetched(): void {
    const jobs = this.jobs;
    const concurrency = this.options.concurrency;
    const backend = this.orchestrator.backend;
    while (jobs.runs < concurrency && jobs.prefetched > 0) {
      const job = jobs.startNext();
      if (job.delivery.takenAhead) backend.startTakenAhead?.(job.delivery);
      void this.process(job);
    }
  }

  /**
   * Runs a started job through the pipeline, then lets it go (an abandoned run goes when it returns).
   * An error out of the pipeline is a bug (ours, or a part it calls): the job it left running fails
   * this attempt like any run that threw, so it is never lost; one left elsewhere is raised by consume().
   */
  private async process(job: HeldJob): Promise<void> {
    let bug: unknown;
    try {
      await this.pipeline.run(job);
    } catch (err) {
      const id = job.delivery.job.id;
      this.logger.error(
        `processing job ${id} on queue "${this.queue}" failed outside its run (in state ${job.state}): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
      bug = await this.failStillRunning(job, err);
    }
    if (job.state !== 'abandoned' && job.state !== 'done') this.jobs.move(job, 'done', bug);
    if (job.delivery.job.schedule !== undefined) this.schedules.afterRun(job.delivery);
  }

  /** Fails the attempt of a job the pipeline left running; resolves with the error if it could not. */
  private async failStillRunning(job: HeldJob, err: unknown): Promise<unknown> {
    if (job.state !== 'running') return err;
    try {
      this.jobs.move(job, 'settling');
      await this.settler.fail(job, err, false);
      return undefined;
    } catch (failed) {
      return failed;
    }
  }

  /** Deliveries just taken: held under a lease, in line to start. */
  private hold(deliveries: Delivery[]): void {
    this.taken += deliveries.length;
    this.loop.took();
    for (const delivery of deliveries) {
      this.leases.hold(delivery);
      if (delivery.job.schedule !== undefined) this.schedules.taken(delivery);
    }
    this.jobs.take(deliveries);
    if (this.takeAhead.adaptive && this.stuckWatch === null && this.jobs.prefetched > 0) this.watchStuck();
  }

  /** Looks every STUCK_AHEAD_MS/2 while jobs wait taken ahead (a timer on this worker's state, not the broker). */
  private watchStuck(): void {
    this.stuckWatch = setTimeout(() => {
      this.stuckWatch = null;
      if (this.jobs.prefetched === 0 || !this.consuming) return;
      const jobs = this.jobs;
      const since = performance.now() - jobs.latestRunStart();
      if (jobs.runs >= this.options.concurrency && since >= STUCK_AHEAD_MS) {
        // Counted as a run that long, so the mean turns long and no more are taken ahead for now.
        this.takeAhead.ran(since);
        this.startGivingBack();
        return;
      }
      this.watchStuck();
    }, STUCK_AHEAD_MS / 2);
    this.stuckWatch.unref();
  }

  private unwatchStuck(): void {
    if (this.stuckWatch !== null) clearTimeout(this.stuckWatch);
    this.stuckWatch = null;
  }

  /** Gives the jobs taken ahead back, chained after any give-back still under way (consume's end and stop() await them all). */
  private startGivingBack(): void {
    const previous = this.givingBack;
    const now = this.giveBackTakenAhead();
    this.givingBack = Promise.all([previous, now]).then(() => undefined);
  }

  /**
   * Jobs taken ahead go back to the queue while this worker goes on (its runs turned long, or the queue
   * is held): not taken
   * after all, so consume(n) may take others in their place. One the backend refuses to take back is
   * left to its lease, which runs out with neither a stall nor an attempt counted (it never started).
   */
  private async giveBackTakenAhead(): Promise<void> {
    const left = this.jobs.takeBackPrefetched();
    this.taken -= left.length;
    this.wake();
    await Promise.all(
      left.map(async (job) => {
        await this.settler.release(job);
        this.leases.forget(job.delivery);
      }),
    );
  }

  /**
   * consumeUntilEmpty found nothing to take: how long to wait before looking again (0: the queue is
   * empty). An empty fetch under a hold this worker set, or under a full rate-limit window while jobs
   * wait, does not mean the queue is empty: wait for the hold's end, or at most one window.
   */
  private async flowWait(): Promise<number> {
    const now = Date.now();
    if (this.heldUntil > now) return this.heldUntil - now;
    const rateLimit = this.options.rateLimit;
    if (rateLimit === undefined) return 0;
    return (await this.orchestrator.backend.countWaiting(this.queue)) > 0 ? rateLimit.intervalMs : 0;
  }

  /** Jobs taken ahead but not started go back to the queue untouched (their attempt not counted). */
  private async releasePrefetched(): Promise<void> {
    const left = this.jobs.takeBackPrefetched();
    this.returned += left.length;
    await Promise.all(
      left.map(async (job) => {
        await this.settler.release(job);
        this.leases.forget(job.delivery);
      }),
    );
  }

  /** Ends the loop's wait, or, when it is not waiting (a fetch in flight), its next one. */
  private wake(): void {
    if (this.wakeLoop) this.wakeLoop();
    else this.woken = true;
  }

  /** Waits until a slot or a held job frees, or stop() is called (returns at once if one did since the pass began). */
  private nextEvent(): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.wakeLoop = () => {
        this.wakeLoop = null;
        resolve();
      };
    });
  }

  /**
   * The backend says we no longer hold this delivery. A prefetched job is dropped (it was never
   * started); a running one has its signal aborted with the LeaseLostError. Either way nothing
   * settles it here: the backend hands it out again.
   */
  private leaseLost(delivery: Delivery, error: LeaseLostError): void {
    const job = this.jobs.find(delivery);
    // Being settled (or given back) already: that settle tells whether the job was still ours.
    if (!job || (job.state !== 'prefetched' && job.state !== 'running' && job.state !== 'releasing')) return;
    // Not ours after all: consume(n) counts the jobs it settled, and may take another in its place.
    // A job being given back at shutdown is counted as returned already.
    if (job.state !== 'releasing') this.taken--;
    if (job.state === 'prefetched') {
      this.jobs.move(job, 'done');
      this.logger.warn(`${error.message}; it had been taken ahead and not started, and is left to the backend to deliver again`);
      this.wake();
      return;
    }
    this.jobs.move(job, 'lost');
    job.abort(error);
    this.logger.warn(`${error.message}; its run is aborted and its outcome will not be settled — the backend delivers it again`);
  }

  /**
   * Completes a job. Without a prefetch, a slot frees only once its job is settled, and the loop would
   * then fetch for it: one round trip after the other. When the loop is not fetching already and the
   * backend can, the completion asks for the next job itself (completeAndFetch), which the Redis
   * backend sends in the same script call as the batch of completions it joins: one round trip per
   * batch instead of two. With a prefetch the loop has taken the next jobs already.
   */
  private complete(delivery: Delivery, output: unknown): Promise<void> {
    const backend = this.orchestrator.backend;
    // Under a rate limit the loop's fetch waits for a free slot in the window; a completion does not.
    const wanted =
      this.takeAhead.size === 0 &&
      this.options.rateLimit === undefined &&
      this.consuming &&
      !this.stopping &&
      !this.fetching &&
      this.jobs.prefetched === 0 &&
      this.taken + this.refills < this.budget;
    // Not an async function itself: most completions are the backend's promise as it is, with no frame of ours around it.
    if (!wanted || !backend.completeAndFetch) return backend.complete(delivery, output);
    return this.completeAndRefill(delivery, output);
  }

  /** complete() when the completion brings the next job too. */
  private async completeAndRefill(delivery: Delivery, output: unknown): Promise<void> {
    this.refills++;
    let next: Delivery[];
    try {
      next = await this.orchestrator.backend.completeAndFetch!(delivery, output, { max: 1, leaseMs: this.options.leaseMs });
    } finally {
      this.refills--;
    }
    if (next.length === 0) return;
    this.hold(next);
    // The loop may be blocked in a fetch for a slot freed meanwhile: it would see these only when that
    // fetch returns (on Redis, up to 10 s later). Start them now if a run slot is free.
    if (this.fetching && !this.stopping) this.startPrefetched();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
