import type { SqliteDatabase, SqliteStatement, SqliteValue } from './sqlite-driver';

/** How long a call waits for another process's write lock before its SQLITE_BUSY is thrown. */
export const BUSY_TIMEOUT_MS = 10_000;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * The database with every call retried while another process holds the write lock. SQLite's own busy
 * handler sleeps 1, 2, 5 … 100 ms between tries, far longer than a move holds the lock (tens of
 * microseconds), so processes sharing a file would mostly sleep; this one sleeps 20 µs at first,
 * doubling up to 2 ms, with jitter so that waiting processes do not retry in step. The sleep is
 * Atomics.wait — synchronous like SQLite's, as every call on the file is.
 */
export function retryingWhileBusy(db: SqliteDatabase, timeoutMs = BUSY_TIMEOUT_MS): SqliteDatabase {
  const patiently = <T>(call: () => T): T => {
    let delayMs = 0.02;
    let deadline = 0;
    for (;;) {
      try {
        return call();
      } catch (err) {
        if (!db.isBusy(err)) throw err;
        const now = Date.now();
        deadline ||= now + timeoutMs;
        if (now >= deadline) throw err;
        Atomics.wait(sleeper, 0, 0, delayMs * (0.5 + Math.random()));
        delayMs = Math.min(delayMs * 2, 2);
      }
    }
  };
  return {
    driver: db.driver,
    exec: (sql) => patiently(() => db.exec(sql)),
    prepare: (sql) => {
      const statement = patiently(() => db.prepare(sql));
      return {
        run: (...params: SqliteValue[]) => patiently(() => statement.run(...params)),
        get: (...params: SqliteValue[]) => patiently(() => statement.get(...params)),
        all: (...params: SqliteValue[]) => patiently(() => statement.all(...params)),
      } satisfies SqliteStatement;
    },
    close: () => db.close(),
    isBusy: (err) => db.isBusy(err),
  };
}
