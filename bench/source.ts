import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Which code was measured: the commit, and lib/ files that differ from it (uncommitted work). */
export interface SourceVersion {
  commit: string | null;
  /** Files under lib/ with uncommitted changes when the run started; empty when lib/ is the commit's. */
  libChanges: string[];
}

export function describeSource(): SourceVersion {
  const root = join(__dirname, '..');
  const git = (...args: string[]): string | null => {
    try {
      // Not trim(): porcelain lines start with a space that is part of the status.
      return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).replace(/\n+$/, '');
    } catch {
      return null;
    }
  };
  const commit = git('rev-parse', '--short', 'HEAD');
  const status = git('status', '--porcelain', '--', 'lib');
  return { commit, libChanges: status ? status.split('\n').map((line) => line.slice(3)) : [] };
}
