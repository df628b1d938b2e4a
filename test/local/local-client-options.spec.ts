import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidOptionError, LocalClient, type LocalClientOptions } from '../../lib';
import { thrownBy } from '../support/thrown';

/** LocalClient's options are checked like every other options object: nothing is silently ignored. */
const dir = mkdtempSync(join(tmpdir(), 'jobs-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function refusal(options: unknown): InvalidOptionError {
  return thrownBy(InvalidOptionError, () => new LocalClient(options as LocalClientOptions));
}

describe('LocalClient options', () => {
  it("refuses an unknown key, naming it and the known ones, and points the original's `dir` to `path`", () => {
    expect(refusal({ retries: 3 })).toMatchObject({ option: 'retries' });
    expect(refusal({ retries: 3 }).message).toContain('known: retention, path, durability, driver');
    const dirError = refusal({ dir: './jobs' });
    expect(dirError.option).toBe('dir');
    expect(dirError.message).toContain('path');
  });

  it('refuses options that are not an object', () => {
    expect(refusal('./jobs').option).toBe('options');
  });

  it('refuses an empty or non-string path, an unknown durability or driver', () => {
    expect(refusal({ path: '' }).option).toBe('path');
    expect(refusal({ path: 42 }).option).toBe('path');
    expect(refusal({ path: join(dir, 'a.db'), durability: 'paranoid' }).message).toContain('normal, full');
    expect(refusal({ path: join(dir, 'a.db'), driver: 'sqlite3' }).message).toContain('node:sqlite, better-sqlite3');
  });

  it('refuses durability or driver without a path, where they would mean nothing', () => {
    expect(refusal({ durability: 'full' })).toMatchObject({ option: 'durability' });
    expect(refusal({ driver: 'better-sqlite3' })).toMatchObject({ option: 'driver' });
  });

  it('with a path the client keeps its queues in that file (creating its folder): another client on it sees them', async () => {
    const path = join(dir, 'nested', 'folder', 'queue.db');
    const first = new LocalClient({ path, durability: 'full' });
    await first.declareQueue('kept', 'stack');
    await first.close();
    const second = new LocalClient({ path });
    expect(await second.queueType('kept')).toBe('stack');
    await second.close();
    const inMemory = new LocalClient();
    expect(await inMemory.queueType('kept')).toBeNull();
    await inMemory.close();
  });
});
