import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scriptSource } from '../../lib/backends/redis/redis-scripts';
import { requireServer } from '../support/servers';
import { SCRIPTS_DIR as SCRIPTS, adminConnection, luaFiles } from './fixtures/redis-test-kit';

/**
 * The Lua scripts as a reader finds them: every file opens with a header (what it does, KEYS, ARGV,
 * what it returns, its error codes), and names the shared pieces it includes. Loaded, each shared
 * piece is in place once, and Redis compiles every script.
 */
const admin = adminConnection();

const scripts = luaFiles().filter((file) => !file.split('/').pop()!.startsWith('_'));

beforeAll(() => requireServer('redis'));
afterAll(() => admin.disconnect());

it('every script opens with a header naming what it does, its KEYS, ARGV, what it returns and its errors', () => {
  expect(scripts.length).toBeGreaterThan(15);
  const missing = scripts.filter((file) => {
    const text = readFileSync(join(SCRIPTS, file), 'utf8');
    const header = /^--\[\[\n([\s\S]*?)\n\]\]/.exec(text)?.[1] ?? '';
    return !(
      header.startsWith(`  ${file.replace(/\.lua$/, '')}`) &&
      /KEYS\[1/.test(header) &&
      /ARGV\[1|ARGV\[2/.test(header) &&
      /Returns /.test(header) &&
      /Errors /.test(header)
    );
  });
  expect(missing).toEqual([]);
});

it('each shared piece is included once, in place of its @include line, and Redis compiles every script', async () => {
  for (const file of scripts) {
    const lua = scriptSource(join(SCRIPTS, file));
    expect(lua).not.toMatch(/^--- @include/m);
    const usesShared = readFileSync(join(SCRIPTS, file), 'utf8').includes('@include');
    expect([file, lua.match(/^local function job_key\(/gm)?.length ?? 0]).toEqual([file, usesShared ? 1 : 0]);
    expect(await admin.script('LOAD', lua)).toMatch(/^[0-9a-f]{40}$/);
  }
});
