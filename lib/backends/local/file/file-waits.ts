import type { RateLimit } from '../../../backend/flow-control';
import type { Delivery } from '../../../backend/job-backend.interface';
import type { JobState } from '../../../backend/job-state';
import { JobNotFoundError } from '../../../errors';
import { FinishWaiters } from '../finish-waiters';
import { DeadlineTimer } from './deadline-timer';
import { FetchWaiters, type FetchWaiter } from './fetch-waiters';
import { stateOf } from './file-job-row';
import type { FileJobReads } from './file-job-reads';
import type { MoveEffects } from './move-effects';
import { WakeFile } from './wake-file';

/**
 * Those in this process who wait for something to happen on the file — blocked fetches and
 * waitForFinished callers — and how they hear of it without polling: after a move, this process tells
 * its own waiters directly and the others through two wake files (WakeFile); a blocked fetch also has
 * one timer for the next due delayed job or lapsing lease, or the end of a hold or full rate window. The watches and the timer hold the process
 * open only while someone in it waits.
 */
export class FileWaits {
  /** Written after a move that makes work (or a nearer deadline) appear; blocked fetches watch it. */
  private readonly workFile: WakeFile;
  /** Written after a job finishes or is dropped; waitForFinished callers watch it. */
  private readonly finishFile: WakeFile;
  private readonly fetches = new FetchWaiters();
  private readonly finishes = new FinishWaiters();
  /** The ids this process's waitForFinished callers wait for (FinishWaiters answers whether any still do). */
  private readonly awaited = new Set<string>();
  private readonly deadline = new DeadlineTimer(() => this.serveFetches());
  private serving = false;
  private serveAgain = false;
  private closed = false;

  constructor(
    path: string,
    private readonly reads: FileJobReads,
    /** Takes up to `max` jobs of the queue in one move (and reports the move back through `moved`). */
    private readonly claim: (queue: string, max: number, leaseMs: number, rateLimit: RateLimit | undefined) => Delivery[],
    /** When a held queue, or one whose rate window is full, can hand out again (see FileFlowControl.reopensAt). */
    private readonly reopensAt: (queue: string, now: number, rateLimit: RateLimit | undefined) => number,
  ) {
    this.workFile = new WakeFile(`${path}-work`, () => this.serveFetches());
    this.finishFile = new WakeFile(`${path}-finished`, () => this.checkFinished());
    // Watching from the start: a move another process commits after any read of ours is then seen.
    this.workFile.watch();
  }

  /** A fetch that found nothing waits here until work appears, the signal aborts or the client closes. */
  fetch(
    queue: string,
    max: number,
    leaseMs: number,
    rateLimit: RateLimit | undefined,
    signal: AbortSignal | undefined,
    returnOnWake = false,
  ): Promise<Delivery[]> {
    const waiting = this.fetches.wait(queue, max, leaseMs, rateLimit, signal, returnOnWake);
    this.waitersChanged();
    return waiting.finally(() => this.waitersChanged());
  }

  /** Resolves once the job is completed or dead (at once if it is); JobNotFoundError if it is unknown or dropped. */
  waitForFinished(id: string, signal: AbortSignal): Promise<JobState> {
    // Watching before reading: a finish committed after the read below is then seen.
    this.finishFile.watch();
    const row = this.reads.get(id, Date.now());
    if (!row) return Promise.reject(new JobNotFoundError(id));
    if (row.place === 'completed' || row.place === 'dead') return Promise.resolve(stateOf(row));
    const finished = this.finishes.wait(id, signal);
    this.awaited.add(id);
    this.waitersChanged();
    return finished.finally(() => this.waitersChanged());
  }

  /** Tells the other processes (through the wake files) and this one's waiters what a move changed. */
  moved(effects: MoveEffects): void {
    const workAppeared = effects.readyQueues.size > 0 || effects.deadlineSet;
    if (workAppeared) this.workFile.notify();
    if (effects.finished.length > 0 || effects.gone.length > 0) {
      this.finishFile.notify();
      if (this.awaited.size > 0) this.checkFinished();
    }
    if (workAppeared && this.fetches.size > 0) this.serveFetches();
  }

  close(reason: Error): void {
    this.closed = true;
    this.fetches.settleAll([]);
    this.finishes.closeAll(reason);
    this.deadline.clear();
    this.workFile.close();
    this.finishFile.close();
  }

  /** Gives work to the blocked fetches, oldest first, then sets the timer for the next due moment. */
  private serveFetches(): void {
    if (this.closed) return;
    // A claim below may itself make work appear (promoting due jobs): served again by the loop, not by recursion.
    if (this.serving) {
      this.serveAgain = true;
      return;
    }
    this.serving = true;
    try {
      do {
        this.serveAgain = false;
        for (const waiter of this.fetches.list()) this.serve(waiter);
      } while (this.serveAgain && this.fetches.size > 0);
    } finally {
      this.serving = false;
    }
    this.waitersChanged();
  }

  private serve(waiter: FetchWaiter): void {
    if (!this.fetches.has(waiter)) return;
    try {
      // A deleted queue ends its waits empty-handed; the next fetch reports it undeclared.
      if (this.reads.typeOf(waiter.queue) === null) return waiter.settle([]);
      const now = Date.now();
      const taken = this.reads.hasWork(waiter.queue, now) ? this.claim(waiter.queue, waiter.max, waiter.leaseMs, waiter.rateLimit) : [];
      if (taken.length > 0) return waiter.settle(taken);
      // returnOnWake: the wake files are shared by every queue, so only a wake that finds this queue
      // empty or handing out again (resumed, hold over) ends the wait.
      if (waiter.returnOnWake && (!this.reads.stopped(waiter.queue, now) || this.reads.count(waiter.queue, 'waiting', now) === 0))
        waiter.settle([]);
    } catch (err) {
      waiter.settle(err as Error);
    }
  }

  /** Answers the waitForFinished callers whose job finished or is gone. */
  private checkFinished(): void {
    if (this.closed) return;
    const now = Date.now();
    for (const id of [...this.awaited]) {
      const row = this.reads.get(id, now);
      if (!row) this.finishes.gone(id);
      else if (row.place === 'completed' || row.place === 'dead') this.finishes.finished(id, () => stateOf(row));
    }
    this.waitersChanged();
  }

  private waitersChanged(): void {
    if (this.closed) return;
    for (const id of [...this.awaited]) if (!this.finishes.has(id)) this.awaited.delete(id);
    const fetching = this.fetches.size > 0;
    this.workFile.hold(fetching);
    this.finishFile.hold(this.awaited.size > 0);
    if (fetching) this.deadline.set(this.nextDeadline());
    else this.deadline.clear();
  }

  /** The next due job or lapsing lease, or the end of a hold or a full rate window a waiting fetch is stopped by. */
  private nextDeadline(): number {
    const now = Date.now();
    let at = this.reads.nextDeadline();
    for (const waiter of this.fetches.list()) {
      let reopens = this.reopensAt(waiter.queue, now, waiter.rateLimit);
      // A window that was full when this fetch tried to claim may have freed a slot since (an entry left
      // it between that claim and now): with work waiting, nothing else would wake the fetch — serve it now.
      if (reopens === Infinity && waiter.rateLimit !== undefined && this.reads.hasWork(waiter.queue, now)) reopens = now;
      at = Math.min(at, reopens);
    }
    return at;
  }
}
