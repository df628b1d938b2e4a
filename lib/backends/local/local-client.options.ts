import { checkOptionKeys } from '../../backend/option-keys';
import type { RetentionOptions } from '../../backend/retention-options';
import { InvalidOptionError } from '../../errors';
import { DURABILITIES, type Durability } from './file/file-schema';
import { SQLITE_DRIVERS, type SqliteDriverName } from './file/sqlite-driver';

export interface LocalClientOptions {
  /** How many finished jobs to keep for getJob / waitForResult. */
  retention?: RetentionOptions;
  /**
   * A SQLite file to keep the queues in (created with its folder if missing), e.g. `.jobs/queue.db`:
   * jobs survive a restart, and every process of the host that opens the same file shares its queues.
   * Without it the queues live in this process's memory.
   */
  path?: string;
  /**
   * With `path`: `'normal'` (default) survives a crash of any process; a power loss or OS crash may
   * lose the last moves made before it (never corrupts the file). `'full'` survives those too, at
   * the cost of one disk flush per move.
   */
  durability?: Durability;
  /** With `path`: the SQLite binding; by default node:sqlite where the runtime has it, else better-sqlite3. */
  driver?: SqliteDriverName;
}

const KNOWN = ['retention', 'path', 'durability', 'driver'] as const;
const FILE_ONLY = ['durability', 'driver'] as const;

/** Refuses unknown keys and bad values, so `{ dir: './jobs' }` fails instead of quietly keeping jobs in memory. */
export function checkLocalClientOptions(options: LocalClientOptions): void {
  checkOptionKeys('LocalClient', '', options, KNOWN, { dir: 'the file is given as `path`, e.g. { path: ".jobs/queue.db" }' });
  const { path, durability, driver } = options;
  if (path !== undefined && (typeof path !== 'string' || path.trim() === '')) {
    throw new InvalidOptionError(
      'LocalClient',
      'path',
      `must be a non-empty file path such as ".jobs/queue.db", got ${JSON.stringify(path)}`,
    );
  }
  if (durability !== undefined && !DURABILITIES.includes(durability)) {
    throw new InvalidOptionError(
      'LocalClient',
      'durability',
      `must be one of ${DURABILITIES.join(', ')}, got ${JSON.stringify(durability)}`,
    );
  }
  if (driver !== undefined && !SQLITE_DRIVERS.includes(driver)) {
    throw new InvalidOptionError('LocalClient', 'driver', `must be one of ${SQLITE_DRIVERS.join(', ')}, got ${JSON.stringify(driver)}`);
  }
  for (const key of FILE_ONLY) {
    if (options[key] !== undefined && path === undefined) {
      throw new InvalidOptionError('LocalClient', key, 'applies to a file-backed client only — give `path` too, or leave it out');
    }
  }
}
