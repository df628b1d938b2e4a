import type { Delivery, ListJobsOptions, QueueSummary } from '../../../backend/job-backend.interface';
import type { JobStatus, QueueStats } from '../../../backend/job-state';
import type { QueueType } from '../../../backend/queue-type';
import { LeaseLostError, QueueNotDeclaredError } from '../../../errors';
import type { FileJobRow, JobPlace } from './file-job-row';
import type { FileRetention } from './file-retention';
import type { SqliteValue } from './sqlite-driver';
import type { StatementCache } from './statement-cache';

const PLACES = ['waiting', 'delayed', 'active', 'completed', 'dead'] as const;

/** What the engine reads off the file outside a move (and inside one, to check before it writes). */
export class FileJobReads {
  constructor(
    private readonly statements: StatementCache,
    private readonly retention: FileRetention,
  ) {}

  typeOf(queue: string): QueueType | null {
    const row = this.statements.sql('SELECT type FROM queues WHERE name = ?').get(queue);
    return row ? (row.type as QueueType) : null;
  }

  typeOrThrow(queue: string): QueueType {
    const type = this.typeOf(queue);
    if (!type) throw new QueueNotDeclaredError(queue);
    return type;
  }

  /** Every declared queue (sorted by the caller). */
  queues(): QueueSummary[] {
    return this.statements.sql('SELECT name, type FROM queues').all() as unknown as QueueSummary[];
  }

  /** The job's row, unless retention no longer keeps it. */
  get(id: string, now: number): FileJobRow | null {
    const row = this.statements.sql('SELECT * FROM jobs WHERE id = ?').get(id) as FileJobRow | undefined;
    return row && !this.retention.expired(row, now) ? row : null;
  }

  /** The row of a delivery its holder still holds, or LeaseLostError. */
  held(delivery: Delivery): FileJobRow {
    const row = this.statements
      .sql(`SELECT * FROM jobs WHERE id = ? AND place = 'active' AND token = ?`)
      .get(delivery.job.id, delivery.token) as FileJobRow | undefined;
    if (!row || row.queue !== delivery.queue) throw new LeaseLostError(delivery.queue, delivery.job.id);
    return row;
  }

  count(queue: string, place: JobPlace, now: number): number {
    this.typeOrThrow(queue);
    if (place === 'completed' || place === 'dead') {
      return this.statements
        .sql('SELECT count(*) AS n FROM jobs WHERE queue = ? AND place = ? AND due_at >= ?')
        .get(queue, place, this.retention.keptSince(place, now))?.n as number;
    }
    return this.statements.sql('SELECT count(*) AS n FROM jobs WHERE queue = ? AND place = ?').get(queue, place)?.n as number;
  }

  stats(queue: string, now: number): QueueStats {
    const counts = Object.fromEntries(PLACES.map((place) => [place, this.count(queue, place, now)])) as Omit<QueueStats, 'paused'>;
    return { ...counts, paused: this.statements.sql('SELECT paused FROM queue_flow WHERE queue = ?').get(queue)?.paused === 1 };
  }

  /** The queue's dead letters still kept, oldest first. */
  listDead(queue: string, limit: number, now: number): FileJobRow[] {
    this.typeOrThrow(queue);
    const rows = this.statements
      .sql(`SELECT * FROM jobs WHERE queue = ? AND place = 'dead' AND due_at >= ? ORDER BY rank, seq LIMIT ?`)
      .all(queue, this.retention.keptSince('dead', now), Math.min(limit, Number.MAX_SAFE_INTEGER));
    return rows as unknown as FileJobRow[];
  }

  /** A page of the queue's jobs in one state, in the order the state keeps them (see JobBackend.listJobs). */
  listJobs(queue: string, { state, offset, limit }: ListJobsOptions, now: number): { total: number; rows: FileJobRow[] } {
    this.typeOrThrow(queue);
    const { where, order, params } = this.listing(state, now);
    const total = this.statements.sql(`SELECT count(*) AS n FROM jobs WHERE queue = ? AND ${where}`).get(queue, ...params)?.n as number;
    const rows = this.statements
      .sql(`SELECT * FROM jobs WHERE queue = ? AND ${where} ORDER BY ${order} LIMIT ? OFFSET ?`)
      .all(queue, ...params, limit, offset);
    return { total, rows: rows as unknown as FileJobRow[] };
  }

  /** Whether a fetch of the queue could take something now (a cheap read before taking the write lock). */
  hasWork(queue: string, now: number): boolean {
    if (!this.stopped(queue, now) && this.statements.sql(`SELECT 1 FROM jobs WHERE queue = ? AND place = 'waiting' LIMIT 1`).get(queue))
      return true;
    // Something due is promoted by any claim, of a stopped queue too: else a waiting fetch's timer would fire again at once.
    return this.nextDeadline() <= now;
  }

  /** Paused, or held until a moment still to come: the queue hands out nothing now. */
  stopped(queue: string, now: number): boolean {
    const flow = this.statements.sql('SELECT paused, held_until FROM queue_flow WHERE queue = ?').get(queue);
    return flow !== undefined && (flow.paused === 1 || ((flow.held_until as number | null) ?? 0) > now);
  }

  /** The earliest moment a delayed job falls due or a lease runs out (Infinity: none). */
  nextDeadline(): number {
    const delayed = this.statements.sql(`SELECT min(due_at) AS at FROM jobs WHERE place = 'delayed'`).get()?.at as
      number | null | undefined;
    const active = this.statements.sql(`SELECT min(due_at) AS at FROM jobs WHERE place = 'active'`).get()?.at as number | null | undefined;
    return Math.min(delayed ?? Infinity, active ?? Infinity);
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
        return {
          where: `status = 'failed' AND place IN ('waiting', 'delayed')`,
          order: `place = 'delayed', coalesce(due_at, 0), rank, seq`,
          params: [],
        };
      case 'completed':
      case 'dead':
        return { where: 'place = ? AND due_at >= ?', order: 'rank, seq', params: [state, this.retention.keptSince(state, now)] };
    }
  }
}
