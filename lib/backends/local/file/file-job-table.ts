import type { Delivery, ListJobsOptions, PublishItem, QueueSummary } from '../../../backend/job-backend.interface';
import type { JobFailure, JobStatus, QueueStats } from '../../../backend/job-state';
import type { QueueType } from '../../../backend/queue-type';
import type { ResolvedRetention } from '../../../backend/retention-options';
import { checkPriorityAllowed, duplicateJobIdError, notDeadLettersError } from '../../../backend/backend-rules';
import { LeaseLostError, QueueNotDeclaredError, QueueTypeMismatchError } from '../../../errors';
import type { FileJobRow, JobPlace } from './file-job-row';
import { storedRecord } from './file-job-row';
import type { SqliteDatabase, SqliteStatement, SqliteValue } from './sqlite-driver';

type FinishedPlace = 'completed' | 'dead';

/** What a move tells the engine beyond its answer, so it can wake the right waiters. */
export interface MoveEffects {
  /** Jobs became waiting in these queues (publish, retry at once, release, redrive, promotion). */
  readyQueues: Set<string>;
  /** These jobs finished (completed or dead). */
  finished: string[];
  /** These jobs are gone (deleted, cleaned, purged, dropped by retention). */
  gone: string[];
  /** Dead letters retention dropped, by queue, oldest first (each is logged). */
  deadDropped: Map<string, string[]>;
  /** A delayed job or a lease deadline was set: the next deadline may be earlier. */
  deadlineSet: boolean;
  /** Queues whose completed or dead jobs grew: retention is applied to them once, before the commit. */
  grewFinished: Map<string, Set<FinishedPlace>>;
}

const OLDEST = Number.MIN_SAFE_INTEGER;

/**
 * Every move of a job through the file, each in one IMMEDIATE transaction: the write lock is taken at
 * BEGIN, so two processes never both read the same waiting job, and a process killed half-way leaves
 * the file as it was before the move (SQLite rolls the unfinished transaction back).
 */
export class FileJobTable {
  private readonly statements = new Map<string, SqliteStatement>();

  constructor(
    private readonly db: SqliteDatabase,
    private readonly retention: ResolvedRetention,
  ) {}

  /** Runs `fn` as one transaction that holds the file's write lock from its start. */
  transaction<T>(fn: (effects: MoveEffects) => T): { value: T; effects: MoveEffects } {
    const effects: MoveEffects = { readyQueues: new Set(), finished: [], gone: [], deadDropped: new Map(), deadlineSet: false, grewFinished: new Map() };
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const value = fn(effects);
      const now = Date.now();
      for (const [queue, places] of effects.grewFinished) for (const place of places) this.applyRetention(queue, place, now, effects);
      this.db.exec('COMMIT');
      return { value, effects };
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  typeOf(queue: string): QueueType | null {
    const row = this.sql('SELECT type FROM queues WHERE name = ?').get(queue);
    return row ? (row.type as QueueType) : null;
  }

  declare(queue: string, type: QueueType): void {
    this.transaction(() => {
      const existing = this.typeOf(queue);
      if (existing && existing !== type) throw new QueueTypeMismatchError(queue, existing, type);
      if (!existing) this.sql('INSERT INTO queues (name, type) VALUES (?, ?)').run(queue, type);
    });
  }

  deleteQueue(queue: string): MoveEffects {
    return this.transaction((effects) => {
      effects.gone.push(...this.ids('SELECT id FROM jobs WHERE queue = ?', queue));
      this.sql('DELETE FROM jobs WHERE queue = ?').run(queue);
      this.sql('DELETE FROM queues WHERE name = ?').run(queue);
      // Blocked fetches of the queue wake and find it gone.
      effects.readyQueues.add(queue);
    }).effects;
  }

  /** Drops the waiting and delayed jobs. */
  clean(queue: string): { value: number; effects: MoveEffects } {
    return this.transaction((effects) => {
      this.typeOrThrow(queue);
      const ids = this.ids(`SELECT id FROM jobs WHERE queue = ? AND place IN ('waiting', 'delayed')`, queue);
      this.sql(`DELETE FROM jobs WHERE queue = ? AND place IN ('waiting', 'delayed')`).run(queue);
      effects.gone.push(...ids);
      return ids.length;
    });
  }

  count(queue: string, place: JobPlace, now: number): number {
    this.typeOrThrow(queue);
    if (place === 'completed' || place === 'dead') {
      return this.sql('SELECT count(*) AS n FROM jobs WHERE queue = ? AND place = ? AND due_at >= ?').get(queue, place, this.keptSince(place, now))?.n as number;
    }
    return this.sql('SELECT count(*) AS n FROM jobs WHERE queue = ? AND place = ?').get(queue, place)?.n as number;
  }

  stats(queue: string, now: number): QueueStats {
    const places = ['waiting', 'delayed', 'active', 'completed', 'dead'] as const;
    return Object.fromEntries(places.map((place) => [place, this.count(queue, place, now)])) as unknown as QueueStats;
  }

  publish(queue: string, items: readonly PublishItem[], now: number): MoveEffects {
    return this.transaction((effects) => {
      const type = this.typeOrThrow(queue);
      // The whole batch is checked before anything is written, so a bad item enqueues none.
      const ids = new Set<string>();
      for (const { job } of items) {
        checkPriorityAllowed(queue, type, job.priority);
        if (ids.has(job.id) || this.known(job.id, now)) throw duplicateJobIdError(queue, job.id);
        ids.add(job.id);
      }
      let seq = this.takeSeqs(items.length);
      const insert = this.sql(
        `INSERT OR REPLACE INTO jobs (id, queue, place, status, rank, seq, due_at, record, attempt, run_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const { job, runAt } of items) {
        const delayed = runAt !== undefined && runAt > now;
        const place = delayed ? 'delayed' : 'waiting';
        const dueAt = delayed ? runAt : null;
        insert.run(job.id, queue, place, place, rankOf(type, job.priority), orderOf(type, seq++), dueAt, storedRecord(job), job.attempt, dueAt);
        if (delayed) effects.deadlineSet = true;
        else effects.readyQueues.add(queue);
      }
    }).effects;
  }

  /** Takes up to `max` waiting jobs of the queue under a lease, first making due delayed jobs and lapsed leases waiting. */
  claim(queue: string, max: number, leaseMs: number, now: number, token: () => string, effects: MoveEffects): FileJobRow[] {
    this.typeOrThrow(queue);
    this.promoteDue(now, effects);
    const rows = this.sql(`SELECT * FROM jobs WHERE queue = ? AND place = 'waiting' ORDER BY rank, seq LIMIT ?`).all(queue, max) as unknown as FileJobRow[];
    const take = this.sql(`UPDATE jobs SET place = 'active', status = 'active', attempt = attempt + 1, token = ?, due_at = ?, started_at = ? WHERE id = ?`);
    for (const row of rows) {
      row.token = token();
      row.attempt += 1;
      row.place = 'active';
      take.run(row.token, now + leaseMs, now, row.id);
    }
    if (rows.length > 0) effects.deadlineSet = true;
    return rows;
  }

  /** Whether a fetch of the queue could take something now (a cheap read before taking the write lock). */
  hasWork(queue: string, now: number): boolean {
    if (this.sql(`SELECT 1 FROM jobs WHERE queue = ? AND place = 'waiting' LIMIT 1`).get(queue)) return true;
    return this.nextDeadline() <= now;
  }

  /** The earliest moment a delayed job falls due or a lease runs out (Infinity: none). */
  nextDeadline(): number {
    const delayed = this.sql(`SELECT min(due_at) AS at FROM jobs WHERE place = 'delayed'`).get()?.at;
    const active = this.sql(`SELECT min(due_at) AS at FROM jobs WHERE place = 'active'`).get()?.at;
    return Math.min((delayed as number | null) ?? Infinity, (active as number | null) ?? Infinity);
  }

  /** The row of a delivery its holder still holds, or LeaseLostError. */
  held(delivery: Delivery): FileJobRow {
    const row = this.sql(`SELECT * FROM jobs WHERE id = ? AND place = 'active' AND token = ?`).get(delivery.job.id, delivery.token) as FileJobRow | undefined;
    if (!row || row.queue !== delivery.queue) throw new LeaseLostError(delivery.queue, delivery.job.id);
    return row;
  }

  extend(delivery: Delivery, leaseMs: number, now: number): void {
    this.transaction((effects) => {
      this.held(delivery);
      this.sql('UPDATE jobs SET due_at = ? WHERE id = ?').run(now + leaseMs, delivery.job.id);
      effects.deadlineSet = true;
    });
  }

  complete(delivery: Delivery, result: unknown, now: number, effects: MoveEffects): void {
    this.held(delivery);
    this.finish(delivery, 'completed', now, JSON.stringify(result === undefined ? null : result), null, effects);
  }

  deadLetter(delivery: Delivery, failure: JobFailure, now: number, effects: MoveEffects): void {
    this.held(delivery);
    this.finish(delivery, 'dead', now, null, JSON.stringify(failure), effects);
  }

  retry(delivery: Delivery, failure: JobFailure, delayMs: number, now: number): MoveEffects {
    return this.transaction((effects) => {
      const row = this.held(delivery);
      const type = this.typeOrThrow(row.queue);
      const delayed = delayMs > 0;
      const dueAt = delayed ? now + delayMs : null;
      this.sql(`UPDATE jobs SET place = ?, status = 'failed', seq = ?, token = NULL, due_at = ?, run_at = ?, error = ? WHERE id = ?`).run(
        delayed ? 'delayed' : 'waiting',
        orderOf(type, this.takeSeqs(1)),
        dueAt,
        dueAt,
        JSON.stringify(failure),
        row.id,
      );
      if (delayed) effects.deadlineSet = true;
      else effects.readyQueues.add(row.queue);
    }).effects;
  }

  /** Back to its old place (its seq is unchanged while active), its attempt uncounted. */
  release(delivery: Delivery): MoveEffects {
    return this.transaction((effects) => {
      const row = this.held(delivery);
      this.sql(`UPDATE jobs SET place = 'waiting', status = CASE WHEN error IS NULL THEN 'waiting' ELSE 'failed' END, attempt = attempt - 1, token = NULL, due_at = NULL WHERE id = ?`).run(row.id);
      effects.readyQueues.add(row.queue);
    }).effects;
  }

  /** The job's row, unless retention should have dropped it by now. */
  get(id: string, now: number): FileJobRow | null {
    const row = this.sql('SELECT * FROM jobs WHERE id = ?').get(id) as FileJobRow | undefined;
    if (!row) return null;
    if ((row.place === 'completed' || row.place === 'dead') && (row.due_at as number) < this.keptSince(row.place, now)) return null;
    return row;
  }

  /** Several jobs' rows at once (those the file still has), for the finish waiters of this process. */
  getMany(ids: readonly string[], now: number): Map<string, FileJobRow> {
    const found = new Map<string, FileJobRow>();
    for (const id of ids) {
      const row = this.get(id, now);
      if (row) found.set(id, row);
    }
    return found;
  }

  /** The queue's dead letters still kept, oldest first. */
  listDead(queue: string, limit: number, now: number): FileJobRow[] {
    this.typeOrThrow(queue);
    return this.sql(`SELECT * FROM jobs WHERE queue = ? AND place = 'dead' AND due_at >= ? ORDER BY rank, seq LIMIT ?`).all(
      queue,
      this.keptSince('dead', now),
      Math.min(limit, Number.MAX_SAFE_INTEGER),
    ) as unknown as FileJobRow[];
  }

  redrive(queue: string, ids: readonly string[] | undefined, now: number): { value: number; effects: MoveEffects } {
    return this.transaction((effects) => {
      const type = this.typeOrThrow(queue);
      let chosen = this.listDead(queue, Number.MAX_SAFE_INTEGER, now).map((row) => row.id);
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

  purgeDead(queue: string): { value: number; effects: MoveEffects } {
    return this.transaction((effects) => {
      this.typeOrThrow(queue);
      const ids = this.ids(`SELECT id FROM jobs WHERE queue = ? AND place = 'dead'`, queue);
      this.sql(`DELETE FROM jobs WHERE queue = ? AND place = 'dead'`).run(queue);
      effects.gone.push(...ids);
      // Only those retention still kept count as purged.
      return ids.length;
    });
  }

  /** Every declared queue (sorted by the caller). */
  queues(): QueueSummary[] {
    return this.sql('SELECT name, type FROM queues').all() as unknown as QueueSummary[];
  }

  /** A page of the queue's jobs in one state, in the order the state keeps them (see JobBackend.listJobs). */
  listJobs(queue: string, { state, offset, limit }: ListJobsOptions, now: number): { total: number; rows: FileJobRow[] } {
    this.typeOrThrow(queue);
    const { where, order, params } = this.listing(state, now);
    const total = this.sql(`SELECT count(*) AS n FROM jobs WHERE queue = ? AND ${where}`).get(queue, ...params)?.n as number;
    const rows = this.sql(`SELECT * FROM jobs WHERE queue = ? AND ${where} ORDER BY ${order} LIMIT ? OFFSET ?`).all(queue, ...params, limit, offset);
    return { total, rows: rows as unknown as FileJobRow[] };
  }

  private listing(state: JobStatus, now: number): { where: string; order: string; params: SqliteValue[] } {
    switch (state) {
      case 'waiting':
        return { where: `place = 'waiting'`, order: 'rank, seq', params: [] };
      case 'delayed':
        return { where: `place = 'delayed'`, order: 'due_at, seq', params: [] };
      case 'active':
        return { where: `place = 'active'`, order: 'started_at, rank, seq', params: [] };
      case 'failed':
        // In the order they will run: those due again first, then those in backoff by due time.
        return { where: `status = 'failed' AND place IN ('waiting', 'delayed')`, order: `place = 'delayed', coalesce(due_at, 0), rank, seq`, params: [] };
      case 'completed':
      case 'dead':
        return { where: 'place = ? AND due_at >= ?', order: 'rank, seq', params: [state, this.keptSince(state, now)] };
    }
  }

  typeOrThrow(queue: string): QueueType {
    const type = this.typeOf(queue);
    if (!type) throw new QueueNotDeclaredError(queue);
    return type;
  }

  private finish(delivery: Delivery, place: FinishedPlace, now: number, result: string | null, error: string | null, effects: MoveEffects): void {
    // Finished jobs are listed oldest first by (rank 0, seq): a fresh seq puts it last.
    this.sql(`UPDATE jobs SET place = ?, status = ?, rank = 0, seq = ?, token = NULL, due_at = ?, finished_at = ?, result = ?, error = coalesce(?, error) WHERE id = ?`).run(
      place,
      place,
      this.takeSeqs(1),
      now,
      now,
      result,
      error,
      delivery.job.id,
    );
    effects.finished.push(delivery.job.id);
    const places = effects.grewFinished.get(delivery.queue) ?? new Set<FinishedPlace>();
    effects.grewFinished.set(delivery.queue, places.add(place));
  }

  /**
   * Drops the queue's finished jobs of this kind past the rule's age, then its oldest beyond the count.
   * (Each client applies its own rule: processes sharing a file should agree on retention.)
   */
  private applyRetention(queue: string, place: FinishedPlace, now: number, effects: MoveEffects): void {
    const aged = this.sql('SELECT id, queue FROM jobs WHERE place = ? AND due_at < ? AND queue = ? ORDER BY due_at').all(place, this.keptSince(place, now), queue);
    this.drop(place, aged as { id: string; queue: string }[], effects);
    const { count } = this.retention[place];
    if (!Number.isFinite(count)) return;
    const kept = this.sql('SELECT count(*) AS n FROM jobs WHERE queue = ? AND place = ?').get(queue, place)?.n as number;
    if (kept <= count) return;
    const oldest = this.sql('SELECT id, queue FROM jobs WHERE queue = ? AND place = ? ORDER BY rank, seq LIMIT ?').all(queue, place, kept - count);
    this.drop(place, oldest as { id: string; queue: string }[], effects);
  }

  private drop(place: FinishedPlace, jobs: readonly { id: string; queue: string }[], effects: MoveEffects): void {
    const remove = this.sql('DELETE FROM jobs WHERE id = ?');
    for (const { id, queue } of jobs) {
      remove.run(id);
      effects.gone.push(id);
      if (place === 'dead') effects.deadDropped.set(queue, [...(effects.deadDropped.get(queue) ?? []), id]);
    }
  }

  /** A job the file still holds in any place (one retention should have dropped by now is dropped). */
  private known(id: string, now: number): boolean {
    const row = this.sql('SELECT place, due_at FROM jobs WHERE id = ?').get(id) as Pick<FileJobRow, 'place' | 'due_at'> | undefined;
    if (!row) return false;
    if ((row.place === 'completed' || row.place === 'dead') && (row.due_at as number) < this.keptSince(row.place, now)) {
      this.sql('DELETE FROM jobs WHERE id = ?').run(id);
      return false;
    }
    return true;
  }

  /** Delayed jobs now due and jobs whose lease ran out (their holder died or stalled) become waiting. */
  private promoteDue(now: number, effects: MoveEffects): void {
    const due = this.sql(
      `SELECT j.id, j.queue, q.type FROM jobs j JOIN queues q ON q.name = j.queue WHERE j.place = 'delayed' AND j.due_at <= ? ORDER BY j.due_at, j.seq`,
    ).all(now) as { id: string; queue: string; type: QueueType }[];
    if (due.length > 0) {
      let seq = this.takeSeqs(due.length);
      const promote = this.sql(`UPDATE jobs SET place = 'waiting', status = CASE WHEN status = 'delayed' THEN 'waiting' ELSE status END, seq = ?, due_at = NULL, run_at = NULL WHERE id = ?`);
      for (const job of due) {
        promote.run(orderOf(job.type, seq++), job.id);
        effects.readyQueues.add(job.queue);
      }
    }
    // A lapsed lease is a stall, which consumers limit (maxStalls); the job keeps its place in the order.
    const lapsed = this.ids(`SELECT id FROM jobs WHERE place = 'active' AND due_at <= ?`, now);
    const requeue = this.sql(
      `UPDATE jobs SET place = 'waiting', status = CASE WHEN error IS NULL THEN 'waiting' ELSE 'failed' END, stalls = stalls + 1, token = NULL, due_at = NULL WHERE id = ? RETURNING queue`,
    );
    for (const id of lapsed) effects.readyQueues.add(requeue.get(id)?.queue as string);
  }

  /** Reserves `n` numbers of the shared sequence; returns the first. */
  private takeSeqs(n: number): number {
    const end = this.sql(`UPDATE counters SET value = value + ? WHERE name = 'seq' RETURNING value`).get(n)?.value as number;
    return end - n + 1;
  }

  /** Finished jobs of this kind are kept while `now - finishedAt <= ageMs`. */
  private keptSince(place: FinishedPlace, now: number): number {
    const { ageMs } = this.retention[place];
    return Number.isFinite(ageMs) ? now - ageMs : OLDEST;
  }

  private ids(sql: string, ...params: SqliteValue[]): string[] {
    return this.sql(sql)
      .all(...params)
      .map((row) => row.id as string);
  }

  /** Each statement is prepared once per connection. */
  private sql(text: string): SqliteStatement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }
}

function rankOf(type: QueueType, priority: number): number {
  return type === 'priority' ? -priority : 0;
}

/** A stack takes the newest first, so its order key runs backwards. */
function orderOf(type: QueueType, seq: number): number {
  return type === 'stack' ? -seq : seq;
}
