import { checkOptionKeys } from '../backend/option-keys';
import { InvalidOptionError } from '../errors';

/** Options of `orchestrator.schedule`: how each tick's job is published. */
export interface ScheduleOptions {
  /** On a priority queue: higher runs first. Default the job's own priority (0 for a raw input). */
  priority?: number;
}

/** The longest schedule key, in characters: it is part of every occurrence's job id. */
export const MAX_SCHEDULE_KEY_LENGTH = 256;

/** Checks a schedule key and the schedule options; `where` names the call. */
export function checkScheduleArguments(where: string, key: unknown, options: ScheduleOptions): void {
  if (!(typeof key === 'string' && key.length > 0 && key.length <= MAX_SCHEDULE_KEY_LENGTH)) {
    throw new InvalidOptionError(
      where,
      'key',
      `must be a non-empty string of at most ${MAX_SCHEDULE_KEY_LENGTH} characters, got ${String(key)}`,
    );
  }
  checkOptionKeys(where, '', options, ['priority']);
}
