import type { PublishItem } from '../../../backend/job-backend.interface';
import { withdrawableOccurrenceIds, type ScheduleRecord } from '../../../backend/schedule-record';
import type { FileJobMoves } from './file-job-moves';
import type { FileJobReads } from './file-job-reads';
import type { MoveEffects } from './move-effects';
import type { StatementCache } from './statement-cache';

/**
 * Repeatable jobs on the file: the `schedules` table, one row per (queue, key), and the one occurrence
 * each keeps enqueued. The writes run inside a move's transaction, so the compare-and-set, the stored
 * record and the occurrence's publish are one step for every process on the file.
 */
export class FileSchedules {
  constructor(
    private readonly statements: StatementCache,
    private readonly reads: FileJobReads,
    private readonly moves: FileJobMoves,
  ) {}

  get(queue: string, key: string): ScheduleRecord | null {
    this.reads.typeOrThrow(queue);
    const row = this.statements.sql('SELECT record FROM schedules WHERE queue = ? AND key = ?').get(queue, key);
    return row ? (JSON.parse(row.record as string) as ScheduleRecord) : null;
  }

  /** Every schedule, or the queue's, sorted by queue then key (by the caller: JavaScript's string order). */
  list(queue: string | undefined): ScheduleRecord[] {
    if (queue !== undefined) this.reads.typeOrThrow(queue);
    const rows =
      queue === undefined
        ? this.statements.sql('SELECT record FROM schedules').all()
        : this.statements.sql('SELECT record FROM schedules WHERE queue = ?').all(queue);
    return rows.map((row) => JSON.parse(row.record as string) as ScheduleRecord);
  }

  /** JobBackend.putSchedule, inside the caller's transaction. */
  put(
    record: ScheduleRecord,
    occurrence: PublishItem,
    expect: number | null,
    withdrawPrevious: boolean,
    now: number,
    effects: MoveEffects,
  ): boolean {
    const { queue, key } = record;
    this.reads.typeOrThrow(queue);
    const stored = this.stored(queue, key);
    if (expect === null ? stored !== undefined : stored?.nextRunAt !== expect) return false;
    if (withdrawPrevious && stored) this.withdrawOccurrences(stored, effects);
    this.statements
      .sql(
        `INSERT INTO schedules (queue, key, next_run_at, record) VALUES (?, ?, ?, ?)
         ON CONFLICT (queue, key) DO UPDATE SET next_run_at = excluded.next_run_at, record = excluded.record`,
      )
      .run(queue, key, record.nextRunAt, JSON.stringify(record));
    // An id still held in any place (the tick ran already, or is running) is not published again.
    if (!this.moves.holds(occurrence.job.id, now)) this.moves.enqueue(queue, [occurrence], now, effects);
    return true;
  }

  /** Removes the schedule and withdraws its occurrences that wait unrun; whether it existed. */
  delete(queue: string, key: string, effects: MoveEffects): boolean {
    this.reads.typeOrThrow(queue);
    const stored = this.stored(queue, key);
    if (!stored) return false;
    this.withdrawOccurrences(stored, effects);
    this.statements.sql('DELETE FROM schedules WHERE queue = ? AND key = ?').run(queue, key);
    return true;
  }

  private stored(queue: string, key: string): ScheduleRecord | undefined {
    const row = this.statements.sql('SELECT record FROM schedules WHERE queue = ? AND key = ?').get(queue, key);
    return row ? (JSON.parse(row.record as string) as ScheduleRecord) : undefined;
  }

  /** Withdraws the stored schedule's occurrences that wait unrun (withdraw leaves a started one). */
  private withdrawOccurrences(stored: ScheduleRecord, effects: MoveEffects): void {
    for (const id of withdrawableOccurrenceIds(stored)) this.moves.withdraw(stored.queue, id, effects);
  }
}
