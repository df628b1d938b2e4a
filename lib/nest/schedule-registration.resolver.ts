import { checkOptionKeys } from '../backend/option-keys';
import type { ScheduleSpec } from '../backend/schedule-record';
import { InvalidOptionError } from '../errors';
import { checkScheduleArguments, type ScheduleOptions } from '../schedule/schedule-options';
import { checkScheduleSpec } from '../schedule/schedule-spec';
import type { ScheduleMetadata } from './decorators/schedule.decorator';
import type { ScheduleRegistration } from './interfaces';

/** A schedule to upsert at bootstrap, in the Orchestrator's terms, with where it was declared (for its errors). */
export interface DeclaredSchedule {
  queue: string;
  key: string;
  when: ScheduleSpec;
  input: object;
  options: ScheduleOptions;
  declaredBy: string;
}

const REGISTRATION_KEYS = ['queue', 'key', 'cron', 'tz', 'every', 'input', 'priority'];

/**
 * Checks `JobsModule.forRoot({ schedules })` where it is declared, `when` as the Orchestrator will;
 * what needs the queue (its schema, the payload, the priority's range) is checked by
 * `orchestrator.schedule` at bootstrap.
 */
export function resolveScheduleRegistrations(where: string, schedules: unknown): DeclaredSchedule[] {
  if (!Array.isArray(schedules))
    throw new InvalidOptionError(where, 'schedules', 'must be an array of { queue, key, cron?, tz?, every?, input?, priority? }');
  const declared = schedules.map((registration: unknown, index) => {
    const path = `schedules[${index}]`;
    checkOptionKeys(where, path, registration, REGISTRATION_KEYS);
    const { queue, key, cron, tz, every, input = {}, priority } = registration as ScheduleRegistration;
    if (cron !== undefined && every !== undefined)
      throw new InvalidOptionError(where, `${path}.every`, 'cannot be given with cron — a schedule ticks by one or the other');
    if (typeof queue !== 'string' || queue.length === 0)
      throw new InvalidOptionError(where, `${path}.queue`, `must be a queue name, got ${JSON.stringify(queue)}`);
    checkKey(where, `${path}.key`, key);
    const when = specOf(where, path, { cron, tz, every });
    const options = jobOptionsOf(where, path, { priority });
    return { queue, key, when, input, options, declaredBy: `JobsModule ${path}` };
  });
  refuseTwice(where, declared);
  return declared;
}

/** Checks what one `@Schedule(key, when, input, options)` on `className`, the consumer of `queue`, recorded. */
export function resolveDecoratedSchedule(className: string, queue: string, metadata: ScheduleMetadata): DeclaredSchedule {
  const where = `@Schedule(${JSON.stringify(metadata.key)}) on ${className}`;
  checkKey(where, 'key', metadata.key);
  const when = specOf(where, '', metadata.when);
  checkOptionKeys(where, 'options', metadata.options, ['priority']);
  const options = jobOptionsOf(where, '', metadata.options);
  return { queue, key: metadata.key, when, input: metadata.input, options, declaredBy: where };
}

/** Refuses one (queue, key) declared twice: each start-up would replace one with the other. */
export function refuseTwice(where: string, schedules: readonly DeclaredSchedule[]): void {
  const seen = new Map<string, DeclaredSchedule>();
  for (const schedule of schedules) {
    const id = JSON.stringify([schedule.queue, schedule.key]);
    const first = seen.get(id);
    if (first) {
      throw new InvalidOptionError(
        where,
        'schedules',
        `declare schedule "${schedule.key}" of queue "${schedule.queue}" once: it is declared by ${first.declaredBy} and by ${schedule.declaredBy}`,
      );
    }
    seen.set(id, schedule);
  }
}

function checkKey(where: string, path: string, key: unknown): asserts key is string {
  try {
    checkScheduleArguments(where, key, {});
  } catch (error) {
    throw renamed(error, 'key', path);
  }
}

/** The Orchestrator's own check of `when` (croner reads the pattern, Intl the zone), done where the schedule is declared. */
function specOf(where: string, path: string, when: { cron?: unknown; tz?: unknown; every?: unknown }): ScheduleSpec {
  try {
    return checkScheduleSpec(where, when);
  } catch (error) {
    // Its fields are `when.cron`…; forRoot's sit on the registration itself: schedules[0].cron.
    throw path ? renamed(error, 'when.', `${path}.`) : error;
  }
}

function renamed(error: unknown, from: string, to: string): unknown {
  if (!(error instanceof InvalidOptionError) || !error.option.startsWith(from)) return error;
  return new InvalidOptionError(error.where, to + error.option.slice(from.length), error.problem);
}

function jobOptionsOf(where: string, path: string, { priority }: { priority?: unknown }): ScheduleOptions {
  if (priority === undefined) return {};
  if (typeof priority !== 'number' || !Number.isSafeInteger(priority))
    throw new InvalidOptionError(where, path ? `${path}.priority` : 'priority', `must be a whole number, got ${JSON.stringify(priority)}`);
  return { priority };
}
