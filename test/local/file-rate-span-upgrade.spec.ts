import { openSqlite } from '../../lib/backends/local/file/open-sqlite';
import { fileEngineKit, jobItem } from './file-engine-kit';

/**
 * A queue.db made before `queue_flow.rate_span_ms` (how long the rate window keeps an entry) gains the
 * column when opened, and a fetch with a shorter interval then trims nothing a longer limit still counts.
 */
const kit = fileEngineKit('rate-span');

it('a file whose queue_flow lacks rate_span_ms opens with it, and mixed limits count each other’s jobs', async () => {
  const path = kit.newPath();
  const first = kit.open(path);
  await first.declareQueue('q', 'fifo');
  await first.pauseQueue('q');
  await first.resumeQueue('q');
  await first.close();
  const old = openSqlite('test', path);
  old.exec('ALTER TABLE queue_flow DROP COLUMN rate_span_ms');
  old.close();

  const engine = kit.open(path);
  await engine.publish('q', [jobItem(), jobItem(), jobItem()]);
  const hourly = { max: 2, intervalMs: 3_600_000 };
  const brief = { max: 5, intervalMs: 20 };
  expect(await engine.fetch('q', 1, { wait: false, leaseMs: 30_000, rateLimit: hourly })).toHaveLength(1);
  await new Promise((resolve) => setTimeout(resolve, 2 * brief.intervalMs));
  expect(await engine.fetch('q', 1, { wait: false, leaseMs: 30_000, rateLimit: brief })).toHaveLength(1);
  expect(await engine.fetch('q', 1, { wait: false, leaseMs: 30_000, rateLimit: hourly })).toEqual([]);
  const db = openSqlite('test', path);
  try {
    expect(db.prepare(`SELECT rate_span_ms AS span FROM queue_flow WHERE queue = 'q'`).get()?.span).toBe(hourly.intervalMs);
  } finally {
    db.close();
  }
});
