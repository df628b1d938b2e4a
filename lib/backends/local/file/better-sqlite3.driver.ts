import { requireOptionalPeers } from '../../../peers/optional-peer';
import type { SqliteDatabase, SqliteStatement } from './sqlite-driver';

/** The part of better-sqlite3's API the engine uses (typed here, so its types need not be installed). */
type BetterSqlite3 = new (path: string) => { exec(sql: string): unknown; prepare(sql: string): SqliteStatement; close(): unknown };

/** better-sqlite3, loaded only when a file-backed LocalClient opens on a runtime without node:sqlite. */
export function betterSqlite3(neededBy: string): BetterSqlite3 {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, so a user without it never loads it
  return requireOptionalPeers(neededBy, ['better-sqlite3'], () => require('better-sqlite3') as BetterSqlite3);
}

export function openBetterSqlite3(Database: BetterSqlite3, path: string): SqliteDatabase {
  const db = new Database(path);
  return {
    driver: 'better-sqlite3',
    exec: (sql) => void db.exec(sql),
    prepare: (sql) => db.prepare(sql),
    close: () => void db.close(),
    isBusy: (err) => String((err as { code?: unknown } | null)?.code ?? '').startsWith('SQLITE_BUSY'),
  };
}
