import type { JobRecord } from './job-record';

/**
 * When a schedule ticks: a cron expression (five or six fields, read by croner) in a time zone (IANA
 * name, default UTC), or every `every` milliseconds, at whole multiples of `every` since the Unix
 * epoch, so that every process computes the same ticks.
 */
export type ScheduleSpec = { cron: string; tz?: string } | { every: number };

/** The job each tick of a schedule publishes, less what each tick gives it (id, createdAt, attempt, schedule). */
export type ScheduleTemplate = Pick<JobRecord, 'name' | 'schemaName' | 'payload' | 'priority'>;

/**
 * A repeatable job as a backend stores it, one per (queue, key). The backend keeps exactly one
 * occurrence of it enqueued: the job for tick `nextRunAt`, delayed until then, whose id is
 * `scheduleOccurrenceId(queue, key, nextRunAt)`. The consumer that takes that job computes the tick
 * after it and moves the schedule on with `putSchedule` (a compare-and-set on `nextRunAt`), so however
 * many processes consume the queue, each tick is enqueued once.
 */
export interface ScheduleRecord {
  queue: string;
  key: string;
  spec: ScheduleSpec;
  template: ScheduleTemplate;
  /** The tick whose occurrence is enqueued, epoch milliseconds. */
  nextRunAt: number;
  /** When `orchestrator.schedule` last created or changed it, ISO-8601 UTC. */
  updatedAt: string;
}

/**
 * The job id of a schedule's occurrence for one tick: readable, and the same in every process. A ':' or
 * '%' in the queue or key is escaped (%3A, %25), so queue 'a:b' key 'c' and queue 'a' key 'b:c' get
 * different ids, while names without them keep the ids earlier versions gave (occurrences enqueued
 * before an upgrade are still found). _one-job.lua builds the same id.
 */
export function scheduleOccurrenceId(queue: string, key: string, at: number): string {
  return `schedule:${escapeIdPart(queue)}:${escapeIdPart(key)}:${at}`;
}

function escapeIdPart(part: string): string {
  return part.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'));
}
