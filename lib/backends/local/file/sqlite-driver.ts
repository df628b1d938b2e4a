/**
 * The few calls the file engine makes of SQLite, so one engine runs on either binding: `node:sqlite`
 * where the runtime has it, else `better-sqlite3`. Both are synchronous, which keeps every move of a
 * job one uninterrupted step inside this process; only `?` parameters are used (the bindings differ
 * in how they name named ones).
 */
export type SqliteValue = string | number | null;

export interface SqliteStatement {
  run(...params: SqliteValue[]): { changes: number | bigint };
  get(...params: SqliteValue[]): Record<string, unknown> | undefined;
  all(...params: SqliteValue[]): Record<string, unknown>[];
}

export interface SqliteDatabase {
  /** Which binding it is, for messages and tests. */
  readonly driver: SqliteDriverName;
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  close(): void;
  /** Whether `err` is SQLITE_BUSY: another connection holds the lock a call needed. */
  isBusy(err: unknown): boolean;
}

export type SqliteDriverName = 'node:sqlite' | 'better-sqlite3';

export const SQLITE_DRIVERS: readonly SqliteDriverName[] = ['node:sqlite', 'better-sqlite3'];
