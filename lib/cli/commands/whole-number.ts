import { UsageError } from '../usage.error';

/** A numeric option's value: digits only (`--limit 20`), or undefined when not given. */
export function wholeNumber(option: string, value: string | boolean | string[] | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value))
    throw new UsageError(`--${option} must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}
