import type { JobState } from '../../backend/job-state';
import type { ResolvedRetention } from '../../backend/retention-options';
import { FinishWaiters } from './finish-waiters';
import { FinishedList, type ListedJob } from './finished-list';
import { WakeUpTimer } from './wake-up-timer';

export type FinishedKind = 'completed' | 'dead';

/** What FinishedJobs reads and marks on a finished job: a job may carry it itself (see FinishedIndex). */
export interface FinishedEntry extends ListedJob {
  readonly queue: string;
  /** Its kind, while it is finished. */
  readonly status: string;
  /** Epoch ms, while it is finished. */
  readonly finishedAt: number | null;
}

/** An entry of its own for a job that does not carry one (FinishedJobs' default index). */
interface Wrapped<T> extends FinishedEntry {
  readonly id: string;
  readonly item: T;
}

type FinishedLists<E extends ListedJob> = Record<FinishedKind, FinishedList<E>>;

/** How FinishedJobs finds a finished job by id and tells its entry from the job. */
export interface FinishedIndex<T, E extends FinishedEntry> {
  /** The entry of the finished job with this id; undefined once it left (removed, forgotten, dropped). */
  find(id: string): E | undefined;
  /** The entry to list for `item`, just finished (find returns it from now on). */
  enter(id: string, queue: string, kind: FinishedKind, item: T, at: number): E;
  /** The entry left the lists: find no longer returns it, unless it is entered again. */
  leave(entry: E): void;
  idOf(entry: E): string;
  itemOf(entry: E): T;
}

export interface FinishedJobsOptions<T, E extends FinishedEntry = FinishedEntry> {
  retention: ResolvedRetention;
  /** The job's state as getJob shows it, for those waiting for it to finish. */
  snapshot(item: T): JobState;
  /** Retention dropped the job (and ended any wait for it): its owner forgets it everywhere else. */
  onDropped(id: string, item: T): void;
  /** Retention dropped these dead jobs of `queue`, oldest first. Without it they go silently. */
  onDeadDropped?(queue: string, ids: readonly string[]): void;
  /**
   * Where jobs carry their own entry and their owner finds them by id: no map and no object per
   * finished job (Local's hot path). Its find must return a job only while it is finished (status
   * completed or dead) and forget() must be called before the owner forgets the job. Without it,
   * FinishedJobs keeps an entry per job in a map of its own.
   */
  index?: FinishedIndex<T, E>;
}

/** The default index: an entry object per finished job, by id. */
function wrappingIndex<T>(): FinishedIndex<T, Wrapped<T>> {
  const byId = new Map<string, Wrapped<T>>();
  return {
    find: (id) => byId.get(id),
    enter: (id, queue, kind, item, at) => {
      const entry: Wrapped<T> = { id, queue, status: kind, finishedAt: at, item, removed: false };
      byId.set(id, entry);
      return entry;
    },
    leave: (entry) => void byId.delete(entry.id),
    idOf: (entry) => entry.id,
    itemOf: (entry) => entry.item,
  };
}

/**
 * The finished (completed and dead) jobs an in-memory backend or store keeps, per queue and oldest
 * first, and those waiting for a job to finish. Retention drops the oldest beyond `count` at each
 * finish, and those past `ageMs` both when read and, with one timer for the earliest expiry, on an idle
 * queue too, so memory is freed without anyone reading.
 */
export class FinishedJobs<T, E extends FinishedEntry = FinishedEntry> {
  private readonly index: FinishedIndex<T, E>;
  private readonly byQueue = new Map<string, FinishedLists<E>>();
  private readonly waiters = new FinishWaiters();
  private readonly timer = new WakeUpTimer(() => this.expireDue());

  constructor(private readonly options: FinishedJobsOptions<T, E>) {
    this.index = options.index ?? (wrappingIndex<T>() as unknown as FinishedIndex<T, E>);
  }

  /** Records the job as finished at `at`; those waiting for it get its state, then retention applies to its queue. */
  add(queue: string, kind: FinishedKind, id: string, item: T, at = Date.now()): void {
    if (!this.options.index) this.remove(id);
    const lists = this.listsOf(queue);
    const entry = this.index.enter(id, queue, kind, item, at);
    // Left before, it may still sit marked on a list: compacting clears that, so it is listed once.
    if (entry.removed) for (const list of [lists.completed, lists.dead]) list.compact();
    entry.removed = false;
    lists[kind].push(entry);
    if (this.waiters.has(id)) this.waiters.finished(id, () => this.options.snapshot(item));
    this.pruneLists(queue, lists, at);
    // +1: a job is kept while `now - at <= ageMs`, so it is due to go one millisecond later.
    this.timer.setNoLaterThan(at + this.options.retention[kind].ageMs + 1);
  }

  /** The job is no longer finished (it runs again, or was redriven): retention leaves it alone. */
  remove(id: string): void {
    const entry = this.index.find(id);
    if (!entry) return;
    this.index.leave(entry);
    const lists = this.byQueue.get(entry.queue);
    if (!lists) return;
    lists[kindOf(entry)].remove(entry);
    if (lists.completed.size === 0 && lists.dead.size === 0) this.byQueue.delete(entry.queue);
  }

  /** The job is gone for good (deleted, cleaned, purged, dropped): anyone waiting for it gets JobNotFoundError. */
  forget(id: string): void {
    this.remove(id);
    this.waiters.gone(id);
  }

  /** Whether the job is one of the queue's finished jobs of this kind (not checking its age: see `refresh`). */
  has(queue: string, kind: FinishedKind, id: string): boolean {
    const entry = this.index.find(id);
    return entry !== undefined && entry.queue === queue && entry.status === kind;
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
        .map((entry) => this.index.itemOf(entry)) ?? []
    );
  }

  /** If the job is finished, drops what retention no longer keeps in its queue: a read never sees an expired job. */
  refresh(id: string, now = Date.now()): void {
    const entry = this.index.find(id);
    if (entry) this.prune(entry.queue, now);
  }

  /**
   * Resolves with the job's state once it finishes, at once if it has; rejects when it is forgotten
   * or `signal` aborts. The caller checks first that it knows the job.
   */
  waitFor(id: string, signal: AbortSignal): Promise<JobState> {
    const entry = this.index.find(id);
    if (entry) return Promise.resolve(this.options.snapshot(this.index.itemOf(entry)));
    return this.waiters.wait(id, signal);
  }

  /** Clears the timer (a later finish sets it again) and ends every wait with `reason`. */
  close(reason: Error): void {
    this.timer.clear();
    this.waiters.closeAll(reason);
  }

  private listsOf(queue: string): FinishedLists<E> {
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

  private pruneLists(queue: string, lists: FinishedLists<E>, now: number): void {
    const { completed, dead } = this.options.retention;
    for (
      let oldest = lists.completed.oldest();
      oldest && !keeps(completed, lists.completed.size, now - oldest.finishedAt!);
      oldest = lists.completed.oldest()
    ) {
      this.drop(oldest);
    }
    if (lists.dead.size === 0) return;
    const dropped: string[] = [];
    for (
      let oldest = lists.dead.oldest();
      oldest && !keeps(dead, lists.dead.size, now - oldest.finishedAt!);
      oldest = lists.dead.oldest()
    ) {
      dropped.push(this.drop(oldest));
    }
    if (dropped.length > 0) this.options.onDeadDropped?.(queue, dropped);
  }

  /** forget() for the oldest job of its list, which retention drops at every finish: no lookup by id, off the list at once. */
  private drop(entry: E): string {
    const id = this.index.idOf(entry);
    const lists = this.byQueue.get(entry.queue)!;
    this.index.leave(entry);
    lists[kindOf(entry)].dropOldest();
    if (lists.completed.size === 0 && lists.dead.size === 0) this.byQueue.delete(entry.queue);
    this.waiters.gone(id);
    this.options.onDropped(id, this.index.itemOf(entry));
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
        if (oldest) next = Math.min(next, oldest.finishedAt! + retention[kind].ageMs + 1);
      }
    }
    this.timer.setNoLaterThan(next);
  }
}

function kindOf(entry: FinishedEntry): FinishedKind {
  return entry.status as FinishedKind;
}

/** Whether a rule keeps the oldest of `size` jobs, finished `age` ms ago. */
function keeps(rule: ResolvedRetention[FinishedKind], size: number, age: number): boolean {
  return size <= rule.count && age <= rule.ageMs;
}
