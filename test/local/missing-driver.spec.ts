import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeSqlite } from '../../lib/backends/local/file/node-sqlite.driver';
import { spawnFixture } from '../support/fixture-process';

/**
 * In a process where better-sqlite3 is not installed: a runtime with node:sqlite needs nothing more,
 * one without says what to install (MissingPackageError).
 */
const dir = mkdtempSync(join(tmpdir(), 'jobs-driver-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hasNodeSqlite = nodeSqlite() !== null;

it(`without better-sqlite3 installed, a file-backed LocalClient ${hasNodeSqlite ? 'opens on node:sqlite' : 'is a MissingPackageError saying what to install'} (Node ${process.version})`, async () => {
  const child = spawnFixture(join(__dirname, 'fixtures', 'open-file-client.ts'), {
    MT_PATH: join(dir, 'queue.db'),
    NODE_OPTIONS: `--require ${join(__dirname, 'fixtures', 'hide-better-sqlite3.js')}`,
  });
  const outcome = await child.next((m) => m.type === 'opened' || m.type === 'refused', 'the client to open or be refused');
  expect(await child.exited).toBe(0);
  if (hasNodeSqlite) {
    expect(outcome).toEqual({ type: 'opened' });
  } else {
    expect(outcome).toMatchObject({ type: 'refused', name: 'MissingPackageError' });
    expect(outcome.message).toContain('has no node:sqlite');
    expect(outcome.message).toContain('run: npm install better-sqlite3');
  }
}, 60_000);
