import type { SqliteDatabase, SqliteStatement } from './sqlite-driver';

interface NodeSqlite {
  DatabaseSync: new (path: string) => { exec(sql: string): void; prepare(sql: string): SqliteStatement; close(): void };
}

/** The runtime's own SQLite (Node 22.13+ and 24), or null on a runtime without it (Node 20). */
export function nodeSqlite(): NodeSqlite | null {
  // getBuiltinModule answers undefined for a module this runtime lacks, instead of throwing.
  const getBuiltin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  return (getBuiltin?.call(process, 'node:sqlite') as NodeSqlite | undefined) ?? null;
}

export function openNodeSqlite(sqlite: NodeSqlite, path: string): SqliteDatabase {
  const db = new sqlite.DatabaseSync(path);
  return {
    driver: 'node:sqlite',
    exec: (sql) => db.exec(sql),
    prepare: (sql) => db.prepare(sql),
    close: () => db.close(),
    // node:sqlite reports SQLite's result code as `errcode`; the low byte is the primary code (5: BUSY).
    isBusy: (err) => ((err as { errcode?: number } | null)?.errcode ?? 0) % 256 === 5,
  };
}
