import type { ResolvedRetention } from '../../../backend/retention-options';
import type { FileJobRow } from './file-job-row';
import type { FinishedPlace, MoveEffects } from './move-effects';
import type { StatementCache } from './statement-cache';

const OLDEST = Number.MIN_SAFE_INTEGER;

/**
 * The client's retention rules on the file. Reads hide a finished job past its age at once; the rows
 * go when retention next runs on their queue (after a finish) or when their id is published again.
 * Each client applies its own rules: processes sharing a file should agree on them.
 */
export class FileRetention {
  constructor(
    private readonly statements: StatementCache,
    private readonly rules: ResolvedRetention,
  ) {}

  /** Finished jobs of this kind are kept while `now - finishedAt <= ageMs`: those finished at or after this moment. */
  keptSince(place: FinishedPlace, now: number): number {
    const { ageMs } = this.rules[place];
    return Number.isFinite(ageMs) ? now - ageMs : OLDEST;
  }

  /** Whether the row is a finished job retention no longer keeps. */
  expired(row: Pick<FileJobRow, 'place' | 'due_at'>, now: number): boolean {
    return (row.place === 'completed' || row.place === 'dead') && (row.due_at as number) < this.keptSince(row.place, now);
  }

  /** Drops the queue's finished jobs of this kind past the rule's age, then its oldest beyond the count. */
  apply(queue: string, place: FinishedPlace, now: number, effects: MoveEffects): void {
    this.dropAged(queue, place, this.keptSince(place, now), effects);
    const { count } = this.rules[place];
    if (!Number.isFinite(count)) return;
    const kept =
      (this.statements.sql('SELECT n FROM finished_counts WHERE queue = ? AND place = ?').get(queue, place)?.n as number | undefined) ?? 0;
    if (kept > count) this.drop(queue, place, this.oldest(queue, place, kept - count), effects);
  }

  /** Finished jobs are listed in the order they finished, so the aged ones are the oldest: taken until the first one kept. */
  private dropAged(queue: string, place: FinishedPlace, keptSince: number, effects: MoveEffects): void {
    for (
      let [oldest] = this.oldest(queue, place, 1);
      oldest && (oldest.due_at as number) < keptSince;
      [oldest] = this.oldest(queue, place, 1)
    ) {
      this.drop(queue, place, [oldest], effects);
    }
  }

  private oldest(queue: string, place: FinishedPlace, n: number): Record<string, unknown>[] {
    // A literal LIMIT: SQLite plans the seek faster than with a bound one.
    return this.statements
      .sql(`SELECT id, due_at FROM jobs WHERE queue = ? AND place = ? ORDER BY rank, seq LIMIT ${Math.floor(n)}`)
      .all(queue, place);
  }

  private drop(queue: string, place: FinishedPlace, rows: readonly Record<string, unknown>[], effects: MoveEffects): void {
    const remove = this.statements.sql('DELETE FROM jobs WHERE id = ?');
    for (const row of rows) {
      const id = row.id as string;
      remove.run(id);
      effects.gone.push(id);
      if (place === 'dead') effects.deadDropped.set(queue, [...(effects.deadDropped.get(queue) ?? []), id]);
    }
  }
}
