import type { RateLimit } from '../../../backend/flow-control';
import type { Delivery, PublishItem } from '../../../backend/job-backend.interface';
import type { JobFailure, JobProgress } from '../../../backend/job-state';
import type { QueueType } from '../../../backend/queue-type';
import { checkPriorityAllowed, duplicateJobIdError, notDeadLettersError } from '../../../backend/backend-rules';
import { QueueTypeMismatchError } from '../../../errors';
import { storedRecord, type FileJobRow } from './file-job-row';
import type { FileFlowControl } from './file-flow-control';
import type { FileJobReads } from './file-job-reads';
import type { FileRetention } from './file-retention';
import { orderOf, rankOf } from './job-order';
import { noEffects, type FinishedPlace, type MoveEffects } from './move-effects';
import type { StatementCache } from './statement-cache';

/**
 * Every move of a job through the file, each in one IMMEDIATE transaction: the write lock is taken at
 * BEGIN, so two processes never both read the same waiting job, and a process killed half-way leaves
 * the file as it was before the move (SQLite rolls the unfinished transaction back). FILE-FORMAT.md
 * describes each move.
 */
export class FileJobMoves {
  constructor(
    private readonly statements: StatementCache,
    private readonly reads: FileJobReads,
    private readonly retention: FileRetention,
    private readonly flow: FileFlowControl,
  ) {}

  /** Runs `fn` as one transaction that holds the file's write lock from its start; retention runs before the commit. */
  transaction<T>(fn: (effects: MoveEffects) => T): { value: T; effects: MoveEffects } {
    const { db } = this.statements;
    const effects = noEffects();
    db.exec('BEGIN IMMEDIATE');
    try {
      const value = fn(effects);
      const now = Date.now();
      for (const [queue, places] of effects.grewFinished) for (const place of places) this.retention.apply(queue, place, now, effects);
      db.exec('COMMIT');
      return { value, effects };
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }

  declare(queue: string, type: QueueType): void {
    this.transaction(() => {
      const existing = this.reads.typeOf(queue);
      if (existing && existing !== type) throw new QueueTypeMismatchError(queue, existing, type);
      if (!existing) this.sql('INSERT INTO queues (name, type) VALUES (?, ?)').run(queue, type);
    });
  }

  deleteQueue(queue: string): MoveEffects {
    return this.transaction((effects) => {
      effects.gone.push(...this.statements.ids('SELECT id FROM jobs WHERE queue = ?', queue));
      this.sql('DELETE FROM jobs WHERE queue = ?').run(queue);
      this.sql('DELETE FROM queues WHERE name = ?').run(queue);
      this.sql('DELETE FROM schedules WHERE queue = ?').run(queue);
      this.sql('DELETE FROM dedup_keys WHERE queue = ?').run(queue);
      this.flow.forget(queue);
      // Blocked fetches of the queue wake and find it gone.
      effects.readyQueues.add(queue);
    }).effects;
  }

  /** Drops the waiting and delayed jobs. */
  clean(queue: string): { value: number; effects: MoveEffects } {
    return this.transaction((effects) => {
      this.reads.typeOrThrow(queue);
      const ids = this.statements.ids(`SELECT id FROM jobs WHERE queue = ? AND place IN ('waiting', 'delayed')`, queue);
      this.sql(`DELETE FROM jobs WHERE queue = ? AND place IN ('waiting', 'delayed')`).run(queue);
      effects.gone.push(...ids);
      return ids.length;
    });
  }

  publish(queue: string, items: readonly PublishItem[], now: number): MoveEffects {
    return this.transaction((effects) => this.enqueue(queue, items, now, effects)).effects;
  }

  /** Publishes inside the caller's transaction (publish, a deduplicated publish, a schedule's occurrence). */
  enqueue(queue: string, items: readonly PublishItem[], now: number, effects: MoveEffects): void {
    const type = this.reads.typeOrThrow(queue);
    // The whole batch is checked before anything is written, so a bad item enqueues none.
    const ids = new Set<string>();
    for (const { job } of items) {
      checkPriorityAllowed(queue, type, job.priority);
      if (ids.has(job.id) || this.holds(job.id, now)) throw duplicateJobIdError(queue, job.id);
      ids.add(job.id);
    }
    let seq = this.takeSeqs(items.length);
    const insert = this.sql(
      `INSERT INTO jobs (id, queue, place, status, rank, seq, due_at, record, attempt, run_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const { job, runAt } of items) {
      const delayed = runAt !== undefined && runAt > now;
      const place = delayed ? 'delayed' : 'waiting';
      const dueAt = delayed ? runAt : null;
      insert.run(
        job.id,
        queue,
        place,
        place,
        rankOf(type, job.priority),
        orderOf(type, seq++),
        dueAt,
        storedRecord(job),
        job.attempt,
        dueAt,
      );
      if (delayed) effects.deadlineSet = true;
      else effects.readyQueues.add(queue);
    }
  }

  /**
   * Deletes the job if it has not started (waiting or delayed, attempt 0) — a schedule's occurrence or a
   * deduplicated job replaced; answers whether it did.
   */
  withdraw(queue: string, id: string, effects: MoveEffects): boolean {
    const { changes } = this.sql(`DELETE FROM jobs WHERE id = ? AND queue = ? AND place IN ('waiting', 'delayed') AND attempt = 0`).run(
      id,
      queue,
    );
    if (Number(changes) === 0) return false;
    effects.gone.push(id);
    return true;
  }

  /** Records what a run reported, if its delivery is still held. */
  progress(delivery: Delivery, progress: JobProgress): void {
    this.transaction(() => {
      this.reads.held(delivery);
      this.sql('UPDATE jobs SET progress = ? WHERE id = ?').run(JSON.stringify(progress), delivery.job.id);
    });
  }

  /**
   * Takes up to `max` waiting jobs of the queue under a lease, first making due delayed jobs and lapsed
   * leases waiting; none while the queue is paused or held, and no more than its rate limit's window has left.
   */
  claim(
    queue: string,
    max: number,
    leaseMs: number,
    now: number,
    token: () => string,
    effects: MoveEffects,
    rateLimit?: RateLimit,
  ): FileJobRow[] {
    this.reads.typeOrThrow(queue);
    // Promoted even when nothing may be taken: the next deadline must move on, or a waiting fetch's timer would fire at once again.
    this.promoteDue(now, effects);
    max = this.flow.allowance(queue, max, now, rateLimit);
    if (max <= 0) return [];
    // A literal LIMIT: with a bound one SQLite plans this seek about three times slower (measured).
    const limit = Math.max(0, Math.min(Math.floor(max), Number.MAX_SAFE_INTEGER));
    const rows = this.sql(`SELECT * FROM jobs WHERE queue = ? AND place = 'waiting' ORDER BY rank, seq LIMIT ${limit}`).all(
      queue,
    ) as unknown as FileJobRow[];
    const take = this.sql(
      `UPDATE jobs SET place = 'active', status = 'active', attempt = attempt + 1, token = ?, due_at = ?, started_at = ? WHERE id = ?`,
    );
    for (const row of rows) {
      row.token = token();
      row.attempt += 1;
      row.place = 'active';
      take.run(row.token, now + leaseMs, now, row.id);
    }
    if (rows.length > 0) effects.deadlineSet = true;
    if (rateLimit) this.flow.handedOut(queue, rows.length, now);
    return rows;
  }

  /** A later deadline: nobody waiting needs to hear of it. */
  extend(delivery: Delivery, leaseMs: number, now: number): void {
    this.transaction(() => {
      this.reads.held(delivery);
      this.sql('UPDATE jobs SET due_at = ? WHERE id = ?').run(now + leaseMs, delivery.job.id);
    });
  }

  complete(delivery: Delivery, result: unknown, now: number, effects: MoveEffects): void {
    this.reads.held(delivery);
    this.finish(delivery, 'completed', now, JSON.stringify(result === undefined ? null : result), null, effects);
  }

  deadLetter(delivery: Delivery, failure: JobFailure, now: number, effects: MoveEffects): void {
    this.reads.held(delivery);
    this.finish(delivery, 'dead', now, null, JSON.stringify(failure), effects);
  }

  /** To the back of the line (a fresh seq), at once or after `delayMs`. */
  retry(delivery: Delivery, failure: JobFailure, delayMs: number, now: number): MoveEffects {
    return this.transaction((effects) => {
      const row = this.reads.held(delivery);
      const type = this.reads.typeOrThrow(row.queue);
      const dueAt = delayMs > 0 ? now + delayMs : null;
      this.sql(`UPDATE jobs SET place = ?, status = 'failed', seq = ?, token = NULL, due_at = ?, run_at = ?, error = ? WHERE id = ?`).run(
        dueAt === null ? 'waiting' : 'delayed',
        orderOf(type, this.takeSeqs(1)),
        dueAt,
        dueAt,
        JSON.stringify(failure),
        row.id,
      );
      if (dueAt === null) effects.readyQueues.add(row.queue);
      else effects.deadlineSet = true;
    }).effects;
  }

  /** Back to its old place (its seq is unchanged while active), its attempt uncounted. */
  release(delivery: Delivery): MoveEffects {
    return this.transaction((effects) => {
      const row = this.reads.held(delivery);
      this.sql(
        `UPDATE jobs SET place = 'waiting', status = CASE WHEN error IS NULL THEN 'waiting' ELSE 'failed' END, attempt = attempt - 1, token = NULL, due_at = NULL WHERE id = ?`,
      ).run(row.id);
      effects.readyQueues.add(row.queue);
    }).effects;
  }

  /** Dead letters (all, or those named) back to waiting in the order they died, attempt and stalls 0. */
  redrive(queue: string, ids: readonly string[] | undefined, now: number): { value: number; effects: MoveEffects } {
    return this.transaction((effects) => {
      const type = this.reads.typeOrThrow(queue);
      let chosen = this.reads.listDead(queue, Number.MAX_SAFE_INTEGER, now).map((row) => row.id);
      if (ids) {
        const wanted = new Set(ids);
        const missing = [...wanted].filter((id) => !chosen.includes(id));
        if (missing.length > 0) throw notDeadLettersError(queue, missing);
        chosen = chosen.filter((id) => wanted.has(id));
      }
      let seq = this.takeSeqs(chosen.length);
      const move = this.sql(
        `UPDATE jobs SET place = 'waiting', status = 'waiting', attempt = 0, stalls = 0, seq = ?, due_at = NULL, result = NULL, error = NULL,
         started_at = NULL, finished_at = NULL, run_at = NULL WHERE id = ?`,
      );
      for (const id of chosen) move.run(orderOf(type, seq++), id);
      if (chosen.length > 0) effects.readyQueues.add(queue);
      return chosen.length;
    });
  }

  /** Deletes the queue's dead letters; answers how many retention still kept (the others were gone already). */
  purgeDead(queue: string, now: number): { value: number; effects: MoveEffects } {
    return this.transaction((effects) => {
      const kept = this.reads.count(queue, 'dead', now);
      effects.gone.push(...this.statements.ids(`SELECT id FROM jobs WHERE queue = ? AND place = 'dead'`, queue));
      this.sql(`DELETE FROM jobs WHERE queue = ? AND place = 'dead'`).run(queue);
      return kept;
    });
  }

  private finish(
    delivery: Delivery,
    place: FinishedPlace,
    now: number,
    result: string | null,
    error: string | null,
    effects: MoveEffects,
  ): void {
    // Finished jobs are listed oldest first by (rank 0, seq): a fresh seq puts it last.
    this.sql(
      `UPDATE jobs SET place = ?, status = ?, rank = 0, seq = ?, token = NULL, due_at = ?, finished_at = ?, result = ?, error = coalesce(?, error) WHERE id = ?`,
    ).run(place, place, this.takeSeqs(1), now, now, result, error, delivery.job.id);
    effects.finished.push(delivery.job.id);
    effects.grewFinished.set(delivery.queue, (effects.grewFinished.get(delivery.queue) ?? new Set<FinishedPlace>()).add(place));
  }

  /** Whether the file holds the id in any place; a finished job retention no longer keeps is deleted here. */
  holds(id: string, now: number): boolean {
    const row = this.sql('SELECT place, due_at FROM jobs WHERE id = ?').get(id) as Pick<FileJobRow, 'place' | 'due_at'> | undefined;
    if (!row) return false;
    if (!this.retention.expired(row, now)) return true;
    this.sql('DELETE FROM jobs WHERE id = ?').run(id);
    return false;
  }

  /** Delayed jobs now due and jobs whose lease ran out (their holder died or hung) become waiting. */
  private promoteDue(now: number, effects: MoveEffects): void {
    const due = this.sql(
      `SELECT j.id, j.queue, q.type FROM jobs j JOIN queues q ON q.name = j.queue WHERE j.place = 'delayed' AND j.due_at <= ? ORDER BY j.due_at, j.seq`,
    ).all(now) as { id: string; queue: string; type: QueueType }[];
    let seq = this.takeSeqs(due.length);
    const promote = this.sql(
      `UPDATE jobs SET place = 'waiting', status = CASE WHEN status = 'delayed' THEN 'waiting' ELSE status END, seq = ?, due_at = NULL, run_at = NULL WHERE id = ?`,
    );
    for (const job of due) {
      promote.run(orderOf(job.type, seq++), job.id);
      effects.readyQueues.add(job.queue);
    }
    // A lapsed lease is a stall, which consumers limit (maxStalls); the job keeps its place in the order.
    const requeue = this.sql(
      `UPDATE jobs SET place = 'waiting', status = CASE WHEN error IS NULL THEN 'waiting' ELSE 'failed' END, stalls = stalls + 1, token = NULL, due_at = NULL WHERE id = ? RETURNING queue`,
    );
    for (const id of this.statements.ids(`SELECT id FROM jobs WHERE place = 'active' AND due_at <= ?`, now))
      effects.readyQueues.add(requeue.get(id)?.queue as string);
  }

  /** Reserves `n` numbers of the shared sequence; returns the first. */
  private takeSeqs(n: number): number {
    if (n === 0) return 0;
    const end = this.sql(`UPDATE counters SET value = value + ? WHERE name = 'seq' RETURNING value`).get(n)?.value as number;
    return end - n + 1;
  }

  private sql(text: string) {
    return this.statements.sql(text);
  }
}
