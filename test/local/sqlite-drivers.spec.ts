import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidOptionError } from '../../lib';
import { nodeSqlite } from '../../lib/backends/local/file/node-sqlite.driver';
import { openSqlite } from '../../lib/backends/local/file/open-sqlite';
import { FileLocalEngine } from '../../lib/backends/local/file/file-local.engine';
import { DEFAULT_RETENTION } from '../../lib/backend/retention-options';
import { thrownBy } from '../support/thrown';

/**
 * The file engine runs on node:sqlite where the runtime has it (Node 22.13+, 24: CI's second run) and
 * on better-sqlite3 elsewhere (Node 20). Each run checks the choice and drives the chosen binding
 * through a whole job; the other binding is checked by the run on the other runtime (a native
 * addon built for one Node does not load in another).
 */
const dir = mkdtempSync(join(tmpdir(), 'jobs-drivers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hasNodeSqlite = nodeSqlite() !== null;
const expected = hasNodeSqlite ? 'node:sqlite' : 'better-sqlite3';

it(`uses node:sqlite when the runtime has it, else better-sqlite3 (here: ${expected}, Node ${process.version})`, async () => {
  const engine = new FileLocalEngine({ path: join(dir, 'choice.db'), durability: 'normal', retention: DEFAULT_RETENTION });
  expect(engine.driver).toBe(expected);
  await engine.close();
});

it(`runs a job from publish to result on ${expected}, with each statement kind of the driver seam`, async () => {
  const db = openSqlite('test', join(dir, 'seam.db'));
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)');
  expect(Number(db.prepare('INSERT INTO t VALUES (?, ?)').run('a', 1).changes)).toBe(1);
  db.prepare('INSERT INTO t VALUES (?, ?)').run('b', null);
  expect({ ...db.prepare('SELECT v FROM t WHERE k = ?').get('a') }).toEqual({ v: 1 });
  expect(
    db
      .prepare('SELECT k FROM t ORDER BY k')
      .all()
      .map((row) => row.k),
  ).toEqual(['a', 'b']);
  expect(db.prepare('SELECT v FROM t WHERE k = ?').get('zzz')).toBeUndefined();
  db.close();

  const engine = new FileLocalEngine({ path: join(dir, 'job.db'), durability: 'full', retention: DEFAULT_RETENTION });
  await engine.declareQueue('q', 'priority');
  const job = {
    id: 'job-1',
    name: 'q',
    schemaName: 'q',
    payload: { x: 'ü' },
    createdAt: new Date().toISOString(),
    priority: 3,
    attempt: 0,
  };
  await engine.publish('q', [{ job }]);
  const [delivery] = await engine.fetch('q', 1, { wait: false, leaseMs: 30_000 });
  expect(delivery.job).toEqual({ ...job, attempt: 1 });
  await engine.complete(delivery, { ok: true });
  expect(await engine.getJob('job-1')).toMatchObject({ status: 'completed', result: { ok: true }, payload: { x: 'ü' } });
  await engine.close();
});

it('forcing node:sqlite where the runtime lacks it is an InvalidOptionError naming the option', () => {
  if (hasNodeSqlite) {
    expect(openSqlite('test', join(dir, 'forced.db'), 'node:sqlite').driver).toBe('node:sqlite');
    return;
  }
  expect(thrownBy(InvalidOptionError, () => openSqlite('LocalClient', join(dir, 'forced.db'), 'node:sqlite')).option).toBe('driver');
});
