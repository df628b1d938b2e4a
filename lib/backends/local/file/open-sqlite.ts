import { InvalidOptionError } from '../../../errors';
import { betterSqlite3, openBetterSqlite3 } from './better-sqlite3.driver';
import { retryingWhileBusy } from './busy-retry';
import { nodeSqlite, openNodeSqlite } from './node-sqlite.driver';
import type { SqliteDatabase, SqliteDriverName } from './sqlite-driver';

/**
 * Opens the database with the runtime's node:sqlite when it has one (nothing to install, no native
 * addon to rebuild per Node version), else with the optional peer better-sqlite3. `driver` forces one.
 * Every call waits (briefly) for another process's lock instead of failing: see busy-retry.ts.
 */
export function openSqlite(neededBy: string, path: string, driver?: SqliteDriverName): SqliteDatabase {
  return retryingWhileBusy(openBinding(neededBy, path, driver));
}

function openBinding(neededBy: string, path: string, driver?: SqliteDriverName): SqliteDatabase {
  const builtin = driver === 'better-sqlite3' ? null : nodeSqlite();
  if (builtin) return openNodeSqlite(builtin, path);
  if (driver === 'node:sqlite') {
    throw new InvalidOptionError(
      neededBy,
      'driver',
      `is "node:sqlite", which this Node.js (${process.version}) lacks — use Node 22.13+, or leave \`driver\` out to use better-sqlite3`,
    );
  }
  const why = driver === 'better-sqlite3' ? 'driver: "better-sqlite3"' : `this Node.js, ${process.version}, has no node:sqlite`;
  return openBetterSqlite3(betterSqlite3(`${neededBy} on a file (${why})`), path);
}
