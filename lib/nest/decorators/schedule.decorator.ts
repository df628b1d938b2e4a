import type { ScheduleSpec } from '../../backend/schedule-record';
import type { ScheduleOptions } from '../../schedule/schedule-options';
import { SCHEDULE_METADATA } from '../jobs.constants';

/** What one `@Schedule(key, when, input, options)` records on a class. */
export interface ScheduleMetadata {
  key: string;
  when: ScheduleSpec;
  input: object;
  options: ScheduleOptions;
}

/**
 * On a `@Consumer(queue)` class: a repeatable job of that queue, kept under `key` — `{ cron, tz? }`
 * or `{ every: ms }` — whose every tick publishes `input` (default `{}`). JobsModule upserts it at
 * bootstrap, before the consumers start; stack it for several schedules. Removing the decorator does
 * not remove the stored schedule: call `orchestrator.unschedule(queue, key)`.
 * Written without Nest's SetMetadata so a class using it loads where Nest is not installed.
 */
export const Schedule =
  (key: string, when: ScheduleSpec, input: object = {}, options: ScheduleOptions = {}): ClassDecorator =>
  (target) => {
    const earlier = (Reflect.getOwnMetadata(SCHEDULE_METADATA, target) as ScheduleMetadata[] | undefined) ?? [];
    // Class decorators apply bottom-up; putting this one first keeps the list in source order.
    Reflect.defineMetadata(SCHEDULE_METADATA, [{ key, when, input, options } satisfies ScheduleMetadata, ...earlier], target);
  };
