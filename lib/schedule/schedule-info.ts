import type { ScheduleRecord } from '../backend/schedule-record';

/** A repeatable job as `orchestrator.schedules()` lists it. */
export interface ScheduleInfo {
  queue: string;
  key: string;
  /** The cron pattern and its time zone (default UTC), for a cron schedule. */
  cron?: string;
  tz?: string;
  /** The interval in milliseconds, for an `every` schedule. */
  every?: number;
  /** The tick whose job is enqueued now (delayed until then, or waiting if the queue fell behind). */
  nextRunAt: Date;
  /** The input each tick's job is published with. */
  payload: Record<string, unknown>;
  priority: number;
  /** When `orchestrator.schedule` last created or changed it. */
  updatedAt: Date;
}

/** The ScheduleInfo of a stored record. */
export function scheduleInfoOf(record: ScheduleRecord): ScheduleInfo {
  const when = 'every' in record.spec ? { every: record.spec.every } : { cron: record.spec.cron, tz: record.spec.tz ?? 'UTC' };
  return {
    queue: record.queue,
    key: record.key,
    ...when,
    nextRunAt: new Date(record.nextRunAt),
    payload: record.template.payload,
    priority: record.template.priority,
    updatedAt: new Date(record.updatedAt),
  };
}
