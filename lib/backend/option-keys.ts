import { InvalidOptionError } from '../errors';

/**
 * Refuses an options object that is not a plain object or has a key outside `known`, so a misspelt or
 * misplaced option (`{ delayMs: 5000 }`, `{ attempts: 3 }` on a publish) fails loudly instead of
 * being ignored. `path` is where the object sits ('' for the options themselves, 'retention.completed'
 * for a nested one); `hints` maps a key that belongs somewhere else to where it goes.
 */
export function checkOptionKeys(
  where: string,
  path: string,
  options: unknown,
  known: readonly string[],
  hints: Readonly<Record<string, string>> = {},
): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionError(where, path || 'options', `must be an object with any of ${known.join(', ')}, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const hint = hints[key] ? ` — ${hints[key]}` : '';
    throw new InvalidOptionError(where, path ? `${path}.${key}` : key, `is not a known option (known: ${known.join(', ')})${hint}`);
  }
}

/** The options without the keys set to undefined, so spreading them over defaults keeps the defaults. */
export function stripUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  return value === null ? 'null' : typeof value === 'string' ? JSON.stringify(value) : String(value);
}
