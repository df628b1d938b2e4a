import type { JobState } from '../../backend/job-state';
import type { ResolvedRetention } from '../../backend/retention-options';
import { FinishWaiters } from './finish-waiters';
import { FinishedList } from './finished-list';
import { WakeUpTimer } from './wake-up-timer';

export type FinishedKind = 'completed' | 'dead';

interface Finished<T> {
  readonly id: string;
  readonly queue: string;
  readonly kind: FinishedKind;
  readonly item: T;
  /** Epoch ms. */
  readonly at: number;
  /** Its queue's lists, so leaving them needs no lookup. */
  readonly lists: FinishedLists<T>;
  removed: boolean;
}

type FinishedLists<T> = Record<FinishedKind, FinishedList<Finished<T>>>;

export interface FinishedJobsOptions<T> {
  retention: ResolvedRetention;
  /** The job's state as getJob shows it, for those waiting for it to finish. */
  snapshot(item: T): JobState;
  /** Retention dropped the job (and ended any wait for it): its owner forgets it everywhere else. */
  onDropped(id: string, item: T): void;
  /** Retention dropped these dead jobs of `queue`, oldest first. Without it they go silently. */
  onDeadDropped?(queue: string, ids: readonly string[]): void;
}

/**
 * The finished (completed and dead) jobs an in-memory backend or store keeps, per queue and oldest
 * first, and those waiting for a job to finish. Retention drops the oldest beyond `count` at each
 * finish, and those past `ageMs` both when read and, with one timer for the earliest expiry, on an idle
 * queue too, so memory is freed without anyone reading.
 */
export class FinishedJobs<T> {
  private readonly byId = new Map<string, Finished<T>>();
  private readonly byQueue = new Map<string, FinishedLists<T>>();
  private readonly waiters = new FinishWaiters();
  private readonly timer = new WakeUpTimer(() => this.expireDue());

  constructor(private readonly options: FinishedJobsOptions<T>) {}

  /** Records the job as finished at `at`; those waiting for it get its state, then retention applies to its queue. */
  add(queue: string, kind: FinishedKind, id: string, item: T, at = Date.now()): void {
    this.remove(id);
    const lists = this.listsOf(queue);
    const finished: Finished<T> = { id, queue, kind, item, at, lists, removed: false };
    this.byId.set(id, finished);
    lists[kind].push(finished);
    if (this.waiters.has(id)) this.waiters.finished(id, () => this.options.snapshot(item));
    this.pruneLists(queue, lists, at);
    // +1: a job is kept while `now - at <= ageMs`, so it is due to go one millisecond later.
    this.timer.setNoLaterThan(at + this.options.retention[kind].ageMs + 1);
  }

  /** The job is no longer finished (it runs again, or was redriven): retention leaves it alone. */
  remove(id: string): void {
    const finished = this.byId.get(id);
    if (!finished) return;
    this.byId.delete(id);
    const { lists } = finished;
    lists[finished.kind].remove(finished);
    if (lists.completed.size === 0 && lists.dead.size === 0) this.byQueue.delete(finished.queue);
  }

  /** The job is gone for good (deleted, cleaned, purged, dropped): anyone waiting for it gets JobNotFoundError. */
  forget(id: string): void {
    this.remove(id);
    this.waiters.gone(id);
  }

  /** Whether the job is one of the queue's finished jobs of this kind (not checking its age: see `refresh`). */
  has(queue: string, kind: FinishedKind, id: string): boolean {
    const finished = this.byId.get(id);
    return finished !== undefined && finished.queue === queue && finished.kind === kind;
  }

  /** How many of the queue's jobs of this kind retention keeps at `now`. */
  count(queue: string, kind: FinishedKind, now = Date.now()): number {
    this.prune(queue, now);
    return this.byQueue.get(queue)?.[kind].size ?? 0;
  }

  /** The queue's jobs of this kind that retention keeps at `now`, oldest first. */
  list(queue: string, kind: FinishedKind, now = Date.now()): T[] {
    this.prune(queue, now);
    return (
      this.byQueue
        .get(queue)
        ?.[kind].toArray()
        .map((finished) => finished.item) ?? []
    );
  }

  /** If the job is finished, drops what retention no longer keeps in its queue: a read never sees an expired job. */
  refresh(id: string, now = Date.now()): void {
    const finished = this.byId.get(id);
    if (finished) this.prune(finished.queue, now);
  }

  /**
   * Resolves with the job's state once it finishes, at once if it has; rejects when it is forgotten
   * or `signal` aborts. The caller checks first that it knows the job.
   */
  waitFor(id: string, signal: AbortSignal): Promise<JobState> {
    const finished = this.byId.get(id);
    if (finished) return Promise.resolve(this.options.snapshot(finished.item));
    return this.waiters.wait(id, signal);
  }

  /** Clears the timer (a later finish sets it again) and ends every wait with `reason`. */
  close(reason: Error): void {
    this.timer.clear();
    this.waiters.closeAll(reason);
  }

  private listsOf(queue: string): FinishedLists<T> {
    let lists = this.byQueue.get(queue);
    if (!lists) {
      lists = { completed: new FinishedList(), dead: new FinishedList() };
      this.byQueue.set(queue, lists);
    }
    return lists;
  }

  /** Drops the queue's finished jobs that the retention rules no longer keep at `now`, oldest first. */
  private prune(queue: string, now: number): void {
    const lists = this.byQueue.get(queue);
    if (lists) this.pruneLists(queue, lists, now);
  }

  private pruneLists(queue: string, lists: FinishedLists<T>, now: number): void {
    const { completed, dead } = this.options.retention;
    for (
      let oldest = lists.completed.oldest();
      oldest && !keeps(completed, lists.completed.size, now - oldest.at);
      oldest = lists.completed.oldest()
    ) {
      this.drop(oldest);
    }
    if (lists.dead.size === 0) return;
    const dropped: string[] = [];
    for (let oldest = lists.dead.oldest(); oldest && !keeps(dead, lists.dead.size, now - oldest.at); oldest = lists.dead.oldest()) {
      dropped.push(this.drop(oldest));
    }
    if (dropped.length > 0) this.options.onDeadDropped?.(queue, dropped);
  }

  /** forget() for the oldest job of its list, which retention drops at every finish: no lookup by id, off the list at once. */
  private drop(finished: Finished<T>): string {
    const { id, lists } = finished;
    this.byId.delete(id);
    lists[finished.kind].dropOldest();
    if (lists.completed.size === 0 && lists.dead.size === 0) this.byQueue.delete(finished.queue);
    this.waiters.gone(id);
    this.options.onDropped(id, finished.item);
    return id;
  }

  private expireDue(): void {
    const now = Date.now();
    const { retention } = this.options;
    let next = Infinity;
    for (const [queue, lists] of [...this.byQueue]) {
      this.prune(queue, now);
      for (const kind of ['completed', 'dead'] as const) {
        const oldest = lists[kind].oldest();
        if (oldest) next = Math.min(next, oldest.at + retention[kind].ageMs + 1);
      }
    }
    this.timer.setNoLaterThan(next);
  }
}

/** Whether a rule keeps the oldest of `size` jobs, finished `age` ms ago. */
function keeps(rule: ResolvedRetention[FinishedKind], size: number, age: number): boolean {
  return size <= rule.count && age <= rule.ageMs;
}
