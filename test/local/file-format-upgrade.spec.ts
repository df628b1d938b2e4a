import { openSqlite } from '../../lib/backends/local/file/open-sqlite';
import { fileEngineKit, jobItem } from './file-engine-kit';

/**
 * A queue.db made by the version before flow control (no progress column, no flow, schedule or
 * deduplication tables) opens, gains them, and keeps its jobs; and deleteQueue leaves none of a
 * queue's rows in the new tables.
 */
const kit = fileEngineKit('upgrade');

/** The tables as the previous version created them (its file-schema.ts), with one declared queue and one waiting job. */
const PREVIOUS_VERSION = `
CREATE TABLE queues (name TEXT PRIMARY KEY, type TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('seq', 1);
CREATE TABLE jobs (
  id TEXT PRIMARY KEY, queue TEXT NOT NULL, place TEXT NOT NULL, status TEXT NOT NULL, rank INTEGER NOT NULL, seq INTEGER NOT NULL,
  due_at INTEGER, record TEXT NOT NULL, attempt INTEGER NOT NULL, stalls INTEGER NOT NULL DEFAULT 0, token TEXT, result TEXT,
  error TEXT, started_at INTEGER, finished_at INTEGER, run_at INTEGER
);
CREATE INDEX jobs_in_order ON jobs (queue, place, rank, seq);
CREATE INDEX jobs_delayed_due ON jobs (due_at) WHERE place = 'delayed';
CREATE INDEX jobs_lease_due ON jobs (due_at) WHERE place = 'active';
CREATE TABLE finished_counts (queue TEXT NOT NULL, place TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (queue, place)) WITHOUT ROWID;
INSERT INTO queues (name, type) VALUES ('q', 'fifo');
INSERT INTO jobs (id, queue, place, status, rank, seq, record, attempt)
  VALUES ('old-job', 'q', 'waiting', 'waiting', 0, 1, '{"id":"old-job","name":"task","schemaName":"task","payload":{"n":1},"priority":0,"createdAt":"2026-01-01T00:00:00.000Z"}', 0);
`;

const NEW_TABLES = ['queue_flow', 'rate_handouts', 'schedules', 'dedup_keys'];

function rowsOf(path: string, queue: string): Record<string, number> {
  const db = openSqlite('test', path);
  try {
    return Object.fromEntries(
      NEW_TABLES.map((table) => [table, db.prepare(`SELECT count(*) AS n FROM ${table} WHERE queue = ?`).get(queue)?.n as number]),
    );
  } finally {
    db.close();
  }
}

it('a file of the previous version opens: its job is still there with no progress, and pause, progress, schedules and keys work on it', async () => {
  const path = kit.newPath();
  const old = openSqlite('test', path);
  old.exec(PREVIOUS_VERSION);
  old.close();

  const engine = kit.open(path);
  expect(await engine.getJob('old-job')).toMatchObject({ status: 'waiting', progress: null, payload: { n: 1 } });
  expect(await engine.queueStats('q')).toEqual({ waiting: 1, delayed: 0, active: 0, completed: 0, dead: 0, paused: false });
  await engine.pauseQueue('q');
  expect((await engine.queueStats('q')).paused).toBe(true);
  await engine.resumeQueue('q');
  const [delivery] = await engine.fetch('q', 1, { wait: false, leaseMs: 30_000, rateLimit: { max: 5, intervalMs: 60_000 } });
  await engine.reportProgress(delivery, 7);
  expect((await engine.getJob('old-job'))?.progress).toBe(7);
  expect((await engine.publishDeduplicated('q', jobItem(), { key: 'k' })).duplicate).toBe(false);
  expect(await engine.listSchedules('q')).toEqual([]);

  // Opened again (the schema step runs on a file that has everything): nothing is lost or added twice.
  await engine.close();
  const again = kit.open(path);
  expect((await again.getJob('old-job'))?.progress).toBe(7);
});

it('deleteQueue removes the queue’s flow state, rate window, schedules and deduplication keys from the file', async () => {
  const path = kit.newPath();
  const engine = kit.open(path);
  await engine.declareQueue('q', 'fifo');
  await engine.declareQueue('kept', 'fifo');
  for (const queue of ['q', 'kept']) {
    await engine.pauseQueue(queue);
    await engine.resumeQueue(queue);
    await engine.publish(queue, [jobItem()]);
    await engine.fetch(queue, 1, { wait: false, leaseMs: 30_000, rateLimit: { max: 5, intervalMs: 60_000 } });
    await engine.publishDeduplicated(queue, jobItem(), { key: 'k' });
    const at = Date.now() + 60_000;
    const record = {
      queue,
      key: 's',
      spec: { every: 1000 },
      template: { name: 'task', schemaName: 'task', payload: {}, priority: 0 },
      nextRunAt: at,
      updatedAt: new Date().toISOString(),
    };
    await engine.putSchedule(record, { ...jobItem({ id: `schedule:${queue}:s:${at}` }), runAt: at }, null, true);
  }
  expect(rowsOf(path, 'q')).toEqual({ queue_flow: 1, rate_handouts: 1, schedules: 1, dedup_keys: 1 });
  await engine.deleteQueue('q');
  expect(rowsOf(path, 'q')).toEqual({ queue_flow: 0, rate_handouts: 0, schedules: 0, dedup_keys: 0 });
  expect(rowsOf(path, 'kept')).toEqual({ queue_flow: 1, rate_handouts: 1, schedules: 1, dedup_keys: 1 });
});
