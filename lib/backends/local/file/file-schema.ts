import type { SqliteDatabase } from './sqlite-driver';

/**
 * The file's tables (the data model, in one place — see FILE-FORMAT.md):
 * - `queues`: each declared queue and its type.
 * - `counters`: `seq`, the one sequence every ordering draws from, shared by every process on the file.
 * - `jobs`: one row per job, wherever it is. `place` says where (waiting, delayed, active, completed,
 *   dead); `status` is what getJob shows (a retry in backoff is place delayed, status failed).
 *   Waiting jobs are taken in (`rank`, `seq`) order: rank is -priority on a priority queue and 0
 *   elsewhere, seq is the publish sequence (negated on a stack). `due_at` is when a delayed job falls
 *   due, when an active job's lease runs out, and when a finished job finished. Two partial indexes
 *   find the next due delayed job and the next lapsing lease; the other places stay out of them, so a
 *   move rewrites as few index pages as it can (what a commit costs).
 * - `finished_counts`: how many completed and dead jobs each queue holds, kept by triggers, so
 *   retention by count needs no count(*) at every finish.
 * - `queue_flow`: a queue's pause flag, hold (no hand-out before `held_until`) and `rate_span_ms`, the
 *   longest rate-limit interval a fetch of it has used; one row per queue ever paused, held or limited.
 * - `rate_handouts`: when each job handed out under a rate limit was taken (the sliding window),
 *   trimmed to `rate_span_ms` by the fetch that reads it.
 * - `schedules`: one repeatable job per (queue, key); `dedup_keys`: which job holds a deduplication key.
 * `jobs.progress` and the tables after `finished_counts` came with flow control, `queue_flow.rate_span_ms`
 * later: a file made before gains them when it is opened (CREATE … IF NOT EXISTS, and the columns added
 * when missing).
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS queues (name TEXT PRIMARY KEY, type TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO counters (name, value) VALUES ('seq', 0);
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  queue TEXT NOT NULL,
  place TEXT NOT NULL,
  status TEXT NOT NULL,
  rank INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  due_at INTEGER,
  record TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  stalls INTEGER NOT NULL DEFAULT 0,
  token TEXT,
  result TEXT,
  error TEXT,
  started_at INTEGER,
  finished_at INTEGER,
  run_at INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_in_order ON jobs (queue, place, rank, seq);
DROP INDEX IF EXISTS jobs_by_due;
CREATE INDEX IF NOT EXISTS jobs_delayed_due ON jobs (due_at) WHERE place = 'delayed';
CREATE INDEX IF NOT EXISTS jobs_lease_due ON jobs (due_at) WHERE place = 'active';
CREATE TABLE IF NOT EXISTS finished_counts (queue TEXT NOT NULL, place TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (queue, place)) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS finished_in AFTER UPDATE OF place ON jobs
  WHEN new.place IN ('completed', 'dead') AND new.place IS NOT old.place
  BEGIN INSERT INTO finished_counts (queue, place, n) VALUES (new.queue, new.place, 1) ON CONFLICT (queue, place) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS finished_out AFTER UPDATE OF place ON jobs
  WHEN old.place IN ('completed', 'dead') AND new.place IS NOT old.place
  BEGIN UPDATE finished_counts SET n = n - 1 WHERE queue = old.queue AND place = old.place; END;
CREATE TRIGGER IF NOT EXISTS finished_deleted AFTER DELETE ON jobs
  WHEN old.place IN ('completed', 'dead')
  BEGIN UPDATE finished_counts SET n = n - 1 WHERE queue = old.queue AND place = old.place; END;
CREATE TABLE IF NOT EXISTS queue_flow (queue TEXT PRIMARY KEY, paused INTEGER NOT NULL DEFAULT 0, held_until INTEGER, rate_span_ms INTEGER) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rate_handouts (queue TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS rate_handouts_by_time ON rate_handouts (queue, at);
CREATE TABLE IF NOT EXISTS schedules (queue TEXT NOT NULL, key TEXT NOT NULL, next_run_at INTEGER NOT NULL, record TEXT NOT NULL, PRIMARY KEY (queue, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dedup_keys (queue TEXT NOT NULL, key TEXT NOT NULL, job_id TEXT NOT NULL, taken_at INTEGER NOT NULL, expires_at INTEGER, PRIMARY KEY (queue, key)) WITHOUT ROWID;
-- Counted again at every open, so the triggers always start from the truth.
DELETE FROM finished_counts;
INSERT INTO finished_counts (queue, place, n) SELECT queue, place, count(*) FROM jobs WHERE place IN ('completed', 'dead') GROUP BY queue, place;
`;

/** How much a commit survives: `normal`, a crash of any process; `full`, a power loss or OS crash too. */
export type Durability = 'normal' | 'full';

export const DURABILITIES: readonly Durability[] = ['normal', 'full'];

/**
 * WAL lets readers and one writer work at once across processes. busy_timeout 0: a locked file is
 * waited for by the caller's own retries (busy-retry.ts), not by SQLite's much longer sleeps.
 */
export function prepareDatabase(db: SqliteDatabase, durability: Durability): void {
  db.exec('PRAGMA busy_timeout = 0');
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(`PRAGMA synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(SCHEMA);
    addMissingColumns(db);
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}

/** Columns later versions added: ALTER TABLE has no IF NOT EXISTS, so each is added when the file lacks it. */
const LATER_COLUMNS = [
  { table: 'jobs', column: 'progress', type: 'TEXT' },
  { table: 'queue_flow', column: 'rate_span_ms', type: 'INTEGER' },
];

function addMissingColumns(db: SqliteDatabase): void {
  for (const { table, column, type } of LATER_COLUMNS) {
    const has = db.prepare(`SELECT 1 FROM pragma_table_info('${table}') WHERE name = '${column}'`).get();
    if (!has) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  }
}
