import type { INestApplicationContext } from '@nestjs/common';
import type { JobEventMap } from '../orchestrator/job-events';
import { Orchestrator } from '../orchestrator/orchestrator';
import { ConsumerExplorer } from '../nest/consumer.explorer';
import { DrainTimeoutError } from './drain-timeout.error';

/** The events that end a run: the job completed, will be retried, or is dead. */
const SETTLED_EVENTS = ['completed', 'retrying', 'dead'] as const;
type SettledEventType = (typeof SETTLED_EVENTS)[number];

/** One run that ended, as its event told it: `{ type: 'completed', queue, job, result }`, 'retrying' or 'dead'. */
export type SettledJob = { [K in SettledEventType]: { type: K } & JobEventMap[K] }[SettledEventType];

export interface DrainOptions {
  /** How long to wait for the queues to empty before failing with DrainTimeoutError. Default 10000 ms. */
  timeout?: number;
}

const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

/**
 * Runs a Nest app's jobs to completion in a test. Make it from the compiled TestingModule before
 * `init()`, so it sees every job the app's consumers run:
 *
 *   const jobs = new JobsTester(moduleRef);
 *   const app = await moduleRef.createNestApplication().init();
 *   // … publish (an HTTP request, a service call) …
 *   expect(await jobs.drain()).toMatchObject([{ type: 'completed', result: { … } }]);
 *
 * Delayed jobs and retries in backoff run when they are due: with Jest's fake timers, advance the
 * clock past their delay, then drain again.
 */
export class JobsTester {
  private readonly orchestrator: Orchestrator;
  private readonly settled: SettledJob[] = [];
  private readonly wakers = new Set<() => void>();

  constructor(private readonly app: Pick<INestApplicationContext, 'get'>) {
    this.orchestrator = app.get(Orchestrator, { strict: false });
    for (const type of SETTLED_EVENTS) {
      this.orchestrator.events.on(type, (event) => {
        this.settled.push({ type, ...event } as SettledJob);
        for (const wake of this.wakers) wake();
      });
    }
  }

  /**
   * Waits until no job is waiting or running in any queue the app's consumers take from (jobs those
   * runs publish included), then gives every run that ended since the tester was made or last
   * drained, in the order they ended. Jobs not yet due (delayed, or retries in backoff) and the waiting
   * jobs of a paused queue are left.
   */
  async drain(options: DrainOptions = {}): Promise<SettledJob[]> {
    const timeoutMs = options.timeout ?? DEFAULT_DRAIN_TIMEOUT_MS;
    const queues = this.app.get(ConsumerExplorer, { strict: false }).consumedQueues;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        resolve();
      }, timeoutMs);
    });
    try {
      for (;;) {
        // Armed before looking, so a run that ends while the stats are read still wakes us.
        const runEnded = this.nextSettled();
        const busy = await this.busyQueues(queues);
        if (busy.length === 0) return this.settled.splice(0);
        if (timedOut) throw new DrainTimeoutError(timeoutMs, busy);
        await Promise.race([runEnded.promise, deadline]);
        runEnded.cancel();
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private nextSettled(): { promise: Promise<void>; cancel: () => void } {
    let wake = (): void => undefined;
    const promise = new Promise<void>((resolve) => {
      wake = () => {
        this.wakers.delete(wake);
        resolve();
      };
      this.wakers.add(wake);
    });
    return { promise, cancel: () => this.wakers.delete(wake) };
  }

  private async busyQueues(queues: string[]): Promise<{ queue: string; waiting: number; active: number }[]> {
    const stats = await Promise.all(queues.map(async (queue) => ({ queue, ...(await this.orchestrator.queueStats(queue)) })));
    // A paused queue's waiting jobs run only after resume: they are not work the drain can wait for.
    return stats
      .filter(({ waiting, active, paused }) => (paused ? active : waiting + active) > 0)
      .map(({ queue, waiting, active }) => ({ queue, waiting, active }));
  }
}
