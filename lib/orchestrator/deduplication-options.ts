import type { DeduplicationOptions } from '../backend/flow-control';
import { checkOptionKeys } from '../backend/option-keys';
import { InvalidOptionError } from '../errors';

/** The longest deduplication key, in characters. */
export const MAX_DEDUPLICATION_KEY_LENGTH = 512;

/** Checks a publish's `deduplication` option and returns it without undefined fields. */
export function checkDeduplication(where: string, option: unknown): DeduplicationOptions {
  checkOptionKeys(where, 'deduplication', option, ['key', 'ttlMs', 'replace']);
  const { key, ttlMs, replace } = option as DeduplicationOptions;
  if (!(typeof key === 'string' && key.length > 0 && key.length <= MAX_DEDUPLICATION_KEY_LENGTH)) {
    throw new InvalidOptionError(
      where,
      'deduplication.key',
      `must be a non-empty string of at most ${MAX_DEDUPLICATION_KEY_LENGTH} characters, got ${String(key)}`,
    );
  }
  if (ttlMs !== undefined && !(Number.isSafeInteger(ttlMs) && ttlMs > 0)) {
    throw new InvalidOptionError(where, 'deduplication.ttlMs', `must be a positive whole number of milliseconds, got ${String(ttlMs)}`);
  }
  if (replace !== undefined && typeof replace !== 'boolean') {
    throw new InvalidOptionError(where, 'deduplication.replace', `must be true or false, got ${String(replace)}`);
  }
  const checked: DeduplicationOptions = { key };
  if (ttlMs !== undefined) checked.ttlMs = ttlMs;
  if (replace !== undefined) checked.replace = replace;
  return checked;
}
