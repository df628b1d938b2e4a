import { cpSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { runOk } from './command';

const ROOT = join(__dirname, '../../..');
/** What a clone holds that installing and packing read: the sources and the build config, no dist/. */
const SOURCES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'lib'];

/**
 * The working tree as a fresh clone would have it, in `dir`. `JOBS_PACK_SOURCE` names another checkout
 * to copy instead (an older commit, to see these tests fail on it).
 */
function copySources(dir: string): void {
  const source = process.env.JOBS_PACK_SOURCE ?? ROOT;
  mkdirSync(dir, { recursive: true });
  for (const entry of SOURCES) cpSync(join(source, entry), join(dir, entry), { recursive: true });
}

/**
 * `npm pack` on a fresh clone: the tarball holds only what the pack's own build (the `prepare` script)
 * made. node_modules is linked, standing in for the clone's `npm install`. Returns the tarball's path.
 */
export async function packFreshClone(workDir: string): Promise<string> {
  const clone = join(workDir, 'clone');
  copySources(clone);
  symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
  const out = await runOk('npm', ['pack', '--json', '--pack-destination', workDir], clone);
  // npm prints the prepare script's output on stderr; stdout is the JSON report alone.
  const report = JSON.parse(out) as { filename: string }[];
  return join(workDir, report[0].filename);
}
