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
    const aged = this.statements.sql('SELECT id FROM jobs WHERE place = ? AND due_at < ? AND queue = ? ORDER BY due_at').all(place, this.keptSince(place, now), queue);
    this.drop(queue, place, aged, effects);
    const { count } = this.rules[place];
    if (!Number.isFinite(count)) return;
    const kept = this.statements.sql('SELECT count(*) AS n FROM jobs WHERE queue = ? AND place = ?').get(queue, place)?.n as number;
    if (kept <= count) return;
    this.drop(queue, place, this.statements.sql('SELECT id FROM jobs WHERE queue = ? AND place = ? ORDER BY rank, seq LIMIT ?').all(queue, place, kept - count), effects);
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
