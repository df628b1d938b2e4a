import { Cron } from 'croner';
import type { ScheduleSpec } from '../backend/schedule-record';
import { InvalidOptionError } from '../errors';

/** The parsed cron patterns, by time zone and pattern: a schedule's ticks are computed on every advance. */
const crons = new Map<string, Cron>();

/**
 * Checks what a user passed as a schedule's `when` and returns it as the backend stores it: a cron
 * pattern croner reads, in a time zone Intl knows (default UTC), or `every` a whole number of
 * milliseconds ≥ 1. Anything else is an InvalidOptionError naming the field.
 */
export function checkScheduleSpec(where: string, when: unknown): ScheduleSpec {
  if (when === null || typeof when !== 'object' || Array.isArray(when)) {
    throw new InvalidOptionError(
      where,
      'when',
      `must be { cron: '0 3 * * *', tz?: 'Europe/Berlin' } or { every: 60000 }, got ${String(when)}`,
    );
  }
  const spec = when as Record<string, unknown>;
  const keys = Object.keys(spec).filter((key) => spec[key] !== undefined);
  const unknown = keys.find((key) => key !== 'cron' && key !== 'tz' && key !== 'every');
  if (unknown) throw new InvalidOptionError(where, `when.${unknown}`, 'is not a schedule field (known: cron, tz, every)');
  if (spec.every !== undefined) {
    if (spec.cron !== undefined || spec.tz !== undefined) {
      throw new InvalidOptionError(where, 'when.every', 'cannot be given with cron or tz — a schedule ticks by one or the other');
    }
    const every = spec.every;
    if (!(typeof every === 'number' && Number.isSafeInteger(every) && every >= 1)) {
      throw new InvalidOptionError(where, 'when.every', `must be a whole number of milliseconds >= 1, got ${String(every)}`);
    }
    return { every };
  }
  if (typeof spec.cron !== 'string' || spec.cron.trim().length === 0) {
    throw new InvalidOptionError(
      where,
      'when.cron',
      `must be a cron pattern such as '0 3 * * *' (or give every), got ${String(spec.cron)}`,
    );
  }
  const cron = spec.cron;
  if (spec.tz !== undefined && !isTimeZone(spec.tz)) {
    throw new InvalidOptionError(where, 'when.tz', `must be an IANA time zone such as 'Europe/Berlin' or 'UTC', got ${String(spec.tz)}`);
  }
  const tz = spec.tz as string | undefined;
  let first: number | null;
  try {
    first = cronFor(cron, tz).nextRun(new Date())?.getTime() ?? null;
  } catch (error) {
    throw new InvalidOptionError(where, 'when.cron', `is not a cron pattern croner reads: ${(error as Error).message}`);
  }
  if (first === null) throw new InvalidOptionError(where, 'when.cron', `'${cron}' has no tick in the future`);
  return tz === undefined ? { cron } : { cron, tz };
}

/**
 * The first tick of `spec` strictly after `after` (epoch ms), the same in every process: `every`
 * ticks at whole multiples since the epoch, cron ticks are croner's in the spec's zone. Throws if a
 * cron pattern has no tick left (a pattern with a year in the past).
 */
export function tickAfter(spec: ScheduleSpec, after: number): number {
  if ('every' in spec) return (Math.floor(after / spec.every) + 1) * spec.every;
  const next = cronFor(spec.cron, spec.tz).nextRun(new Date(after));
  if (!next) throw new Error(`the cron pattern '${spec.cron}' has no tick after ${new Date(after).toISOString()}`);
  return next.getTime();
}

/**
 * Where a schedule goes after the occurrence for tick `at` was taken at `now`: the tick after `at`,
 * even if it has just passed (a consumer that fell behind a little still runs every tick, the late one
 * at once); but when the tick after that has passed too, the queue went unconsumed for a while, and
 * the schedule jumps to the first tick after now. So missed ticks run once (the occurrence that
 * waited), never once each, and a busy consumer does not drop ticks.
 */
export function tickFollowing(spec: ScheduleSpec, at: number, now: number): number {
  const next = tickAfter(spec, at);
  return next > now || tickAfter(spec, next) > now ? next : tickAfter(spec, now);
}

/** Whether two specs tick alike (the stored one and the one a schedule() call gives). */
export function sameSpec(a: ScheduleSpec, b: ScheduleSpec): boolean {
  if ('every' in a || 'every' in b) return 'every' in a && 'every' in b && a.every === b.every;
  return a.cron === b.cron && (a.tz ?? 'UTC') === (b.tz ?? 'UTC');
}

function cronFor(pattern: string, tz: string | undefined): Cron {
  const zone = tz ?? 'UTC';
  const cacheKey = `${zone} ${pattern}`;
  let cron = crons.get(cacheKey);
  if (!cron) {
    // paused: the Cron is only asked for ticks, never runs anything or holds a timer.
    cron = new Cron(pattern, { timezone: zone, paused: true });
    crons.set(cacheKey, cron);
  }
  return cron;
}

function isTimeZone(tz: unknown): boolean {
  if (typeof tz !== 'string' || tz.length === 0) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
